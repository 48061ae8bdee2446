"""P13: sketches of the motions on the user's image, in headless Chromium.

A standalone page (no Jupyter): the Studio's own ESM and CSS (`Studio._esm`, `_css`), rendered
by anywidget's `render({model, el})` with a small fake model holding a real Studio's state
(the 30 motions of the bundled catalogue). The fake model answers the view's messages as the
kernel does: the first frame's preview bytes (a JPEG thumbnail of a 640×480 photo, made as
the Studio makes it) for "media", and the Studio's own answer for "camera_moves".

The clock starts when the model's `frames` change to hold the chosen image, which is when the
kernel's answer to an upload reaches the page, and stops when the 12th and the 30th sketch
have loaded pixels and show (an <img> named "Sketch of … on your image", not hidden). The page
is tall enough for all 30 tiles to be in view (the grid's own scroll box is opened up); the
default layout's count of tiles in view is printed too. Median over fresh page loads.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._common import CHROMIUM, CHROMIUM_ARGS, Figure, Result, format_table, median, script_main

if TYPE_CHECKING:
    from playwright.sync_api import Route

KEY, TITLE = "P13", "sketches on the user's image: time to the 12th and 30th"
TARGET_MS = 1000.0
ORIGIN = "http://127.0.0.1:9"

_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><link rel="stylesheet" href="studio.css">
<style>body { margin: 16px; font-family: sans-serif; } #root { width: 1100px; }
%(tall)s</style></head>
<body><div id="root"></div>
<script type="module">
import widget from "./studio.js";
const state = await (await fetch("./state.json")).json();
const moves = await (await fetch("./moves.json")).json();
const picture = await (await fetch("./first.jpg")).arrayBuffer();
class FakeModel {
  constructor(state) { this.state = state; this.handlers = new Map(); }
  get(name) { return this.state[name]; }
  set(name, value) { this.state[name] = value; this.emit("change:" + name); }
  save_changes() {}
  emit(event, ...args) { for (const handler of this.handlers.get(event) || []) handler(...args); }
  on(event, handler) { (this.handlers.get(event) || this.handlers.set(event, []).get(event)).push(handler); }
  off(event, handler) {
    const list = this.handlers.get(event) || [];
    this.handlers.set(event, handler ? list.filter((h) => h !== handler) : []);
  }
  // The kernel's answers arrive later than the request: a task, never synchronously.
  send(message) {
    const media = { type: "media", key: "first", mime: "image/jpeg" };
    if (message.type === "media" && message.key === "first")
      setTimeout(() => this.emit("msg:custom", media, [picture.slice(0)]));
    if (message.type === "camera_moves") setTimeout(() => this.emit("msg:custom", moves));
  }
}
const model = new FakeModel(state);
const el = document.getElementById("root");
await widget.render({ model, el });
const shown = () => [...el.querySelectorAll("img")].filter(
  (img) => (img.alt || "").startsWith("Sketch of ") && !img.hidden && img.complete && img.naturalWidth > 0,
).length;
const tiles = el.querySelectorAll("[role=option]").length;
window.benchResult = null;
const times = {};
const started = performance.now();
model.set("frames", [
  { name: "first", source: "photo.jpg", detail: "640×480", preview: "media:first", url: "" },
  { name: "last", source: null, detail: "", preview: "", url: "" },
]);
const watch = () => {
  const count = shown();
  for (const n of [1, 12, 30]) if (count >= n && !(n in times)) times[n] = performance.now() - started;
  const done = count >= Math.min(30, tiles) || performance.now() - started > 10000;
  if (done) window.benchResult = { times, tiles, count };
  else requestAnimationFrame(watch);
};
requestAnimationFrame(watch);
</script></body></html>
"""

_IN_VIEW = """() => {
  const list = document.querySelector("[role=listbox]");
  const box = list.getBoundingClientRect();
  const top = Math.max(box.top, 0), bottom = Math.min(box.bottom, innerHeight);
  return [...list.querySelectorAll("[role=option]")].filter((tile) => {
    const r = tile.getBoundingClientRect();
    return r.bottom > top && r.top < bottom && r.height > 0;
  }).length;
}"""


def _first_frame_preview() -> bytes:
    """The preview the Studio makes of a 640×480 photo (what the kernel sends the view)."""
    from PIL import Image, ImageDraw

    from hfwidgets._images import THUMBNAIL_SIDE, load_image, prepare_image

    photo = Image.new("RGB", (640, 480), (70, 130, 190))
    ImageDraw.Draw(photo).ellipse((420, 60, 540, 180), fill=(255, 214, 110))
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=85)
    thumbnail = prepare_image(load_image(buffer.getvalue()), (THUMBNAIL_SIDE, THUMBNAIL_SIDE)).thumbnail
    assert thumbnail is not None  # a decoded photo always has one
    return thumbnail


def _studio_files() -> dict[str, tuple[bytes, str]]:
    from hfwidgets._catalog import bundled_motions
    from hfwidgets._journal import Journal
    from hfwidgets.emulator import serve
    from hfwidgets.widgets import Studio
    from hfwidgets.widgets._sketch import camera_moves

    with serve(render=False) as server:
        client = server.client(journal=Journal(server.state.directory / "journal.sqlite3"))
        studio = Studio(client, motions=list(bundled_motions()), resume_pending=False)
        state = {k: v for k, v in studio.get_state().items() if not k.startswith("_")}
        esm, css = str(studio._esm), str(studio._css)
        moves = {"type": "camera_moves", **camera_moves(studio.motions)}
        studio.close()
    return {
        "studio.js": (esm.encode(), "text/javascript"),
        "studio.css": (css.encode(), "text/css"),
        "state.json": (json.dumps(state).encode(), "application/json"),
        "moves.json": (json.dumps(moves).encode(), "application/json"),
        "first.jpg": (_first_frame_preview(), "image/jpeg"),
    }


def _server_of(files: dict[str, tuple[bytes, str]]) -> Callable[[Route], None]:
    def serve_file(route: Route) -> None:
        body, kind = files[route.request.url.rsplit("/", 1)[-1]]
        route.fulfill(body=body, content_type=kind)

    return serve_file


def run(quick: bool) -> Result:
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    result = Result(KEY, TITLE)
    if not Path(CHROMIUM).exists():
        result.skipped = f"{CHROMIUM} is missing (apt-get install chromium)"
        return result
    loads = 5 if quick else 11
    files = _studio_files()
    runs: list[dict[str, Any]] = []
    in_view = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for load in range(loads + 2):  # the first load warms Chromium up; the last is the default layout
                default_layout = load == loads + 1
                page_files = dict(files)
                tall = "" if default_layout else ".hfw-motion-list { max-height: none !important; }"
                page_files["index.html"] = ((_PAGE % {"tall": tall}).encode(), "text/html")

                height = 1000 if default_layout else 3000
                context = browser.new_context(viewport={"width": 1280, "height": height})
                page = context.new_page()
                page.route(f"{ORIGIN}/bench-sketch/*", _server_of(page_files))
                page.goto(f"{ORIGIN}/bench-sketch/index.html")
                page.wait_for_function("window.benchResult", timeout=30_000)
                measured: dict[str, Any] = page.evaluate("window.benchResult")
                if default_layout:
                    page.locator("[role=listbox]").scroll_into_view_if_needed()
                    in_view = int(page.evaluate(_IN_VIEW))
                    result.details.append(
                        "Default layout (1280×1000 page, the grid's own scroll box): "
                        f"{in_view} tiles in view, "
                        f"{measured['count']} sketches shown, the 12th after "
                        f"{measured['times'].get('12', float('nan')):.0f} ms."
                    )
                elif load > 0:
                    runs.append(measured)
                context.close()
        finally:
            browser.close()

    def at(n: int) -> list[float]:
        return [float(r["times"][str(n)]) for r in runs if str(n) in r["times"]]

    first, twelfth, thirtieth = at(1), at(12), at(30)
    result.details = [
        *format_table(
            ("sketches shown", "median (ms)", "min (ms)", "max (ms)", "loads"),
            [
                (
                    n,
                    median(values),
                    min(values, default=float("nan")),
                    max(values, default=float("nan")),
                    len(values),
                )
                for n, values in ((1, first), (12, twelfth), (30, thirtieth))
            ],
        ),
        "",
        *result.details,
    ]
    result.figures = [
        Figure(
            "time to the 12th sketch (median)",
            median(twelfth),
            "ms",
            f"≤ {TARGET_MS:g} ms",
            median(twelfth) <= TARGET_MS,
        ),
        Figure(
            "time to the 30th sketch (median)",
            median(thirtieth),
            "ms",
            f"≤ {TARGET_MS:g} ms",
            median(thirtieth) <= TARGET_MS,
        ),
        Figure("tiles in view, default layout", float(in_view)),
    ]
    result.notes.append(
        "Measured from the moment the chosen image's frames reach the view (the kernel's answer to the "
        "upload); the upload itself is the same as without sketches (see P11 for a 40 MB photo)."
    )
    return result


if __name__ == "__main__":
    script_main(KEY, TITLE, run)
