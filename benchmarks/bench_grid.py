"""P6: the motion grid with 1,000 templates in headless Chromium.

A standalone page (no Jupyter): the grid's own ESM
(`hfwidgets/widgets/static/motion_grid.js`) and CSS, rendered by its anywidget
`render({model, el})` with a minimal fake model holding 1,000 motions, as the
emulator lists them (`GET /motions?size=1000`, previews on the emulator's
`/previews/{id}.webp`). The page is served from the emulator's origin by
Playwright's request routing, so preview requests are ordinary same-origin
requests.

Figures: time from `render()` being called to the first frame painted after it
(median over page loads), and how many preview requests the first view makes
compared with the number of tiles actually visible in the grid's scroll box.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

from ._common import CHROMIUM, CHROMIUM_ARGS, REPO_ROOT, Figure, Result, format_table, median, script_main
from ._emulator_proc import EmulatorProcess

KEY, TITLE = "P6", "motion grid with 1,000 templates in Chromium"
TEMPLATES = 1000
TARGET_FIRST_PAINT_MS = 300.0
STATIC = REPO_ROOT / "hfwidgets" / "widgets" / "static"

_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><link rel="stylesheet" href="motion_grid.css">
<style>body { margin: 16px; font-family: sans-serif; } #root { width: 900px; }</style></head>
<body><div id="root"></div>
<script type="module">
import widget from "./motion_grid.js";
const items = await (await fetch("./items.json")).json();
// The smallest model anywidget's render() needs: get/set/save_changes/on/off/send.
class FakeModel {
  constructor(state) { this.state = state; this.handlers = new Map(); }
  get(name) { return this.state[name]; }
  set(name, value) {
    this.state[name] = value;
    for (const handler of this.handlers.get("change:" + name) || []) handler();
  }
  save_changes() {}
  send() {}
  on(event, handler) { (this.handlers.get(event) || this.handlers.set(event, []).get(event)).push(handler); }
  off(event, handler) {
    const list = this.handlers.get(event) || [];
    this.handlers.set(event, handler ? list.filter((h) => h !== handler) : []);
  }
}
const model = new FakeModel({ items, selected_id: null, search: "", category: "", error: "" });
const el = document.getElementById("root");
const started = performance.now();
await widget.render({ model, el });
const built = performance.now();
// The frame after render(): rAF runs before paint, the task after it runs once it is painted.
await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
const painted = performance.now();
window.benchResult = {
  build_ms: built - started,
  first_paint_ms: painted - started,
  tiles: el.querySelectorAll(".hfw-motion-tile").length,
};
</script></body></html>
"""

_VISIBLE_TILES = """() => {
  const list = document.querySelector(".hfw-motion-list");
  const box = list.getBoundingClientRect();
  const view = { top: Math.max(box.top, 0), bottom: Math.min(box.bottom, innerHeight) };
  let visible = 0;
  for (const tile of list.querySelectorAll(".hfw-motion-tile")) {
    const r = tile.getBoundingClientRect();
    if (r.bottom > view.top && r.top < view.bottom && r.height > 0) visible += 1;
  }
  const withSrc = list.querySelectorAll("img.hfw-motion-preview[src]").length;
  return { visible, withSrc };
}"""


def many_motions(count: int) -> list[dict[str, Any]]:
    """`count` motion entries in the listing's JSON shape, made from the bundled ones with fresh ids."""
    from hfwidgets._catalog import bundled_motions

    base = [motion.to_json() for motion in bundled_motions() if not motion.is_mix]
    entries = []
    for index in range(count):
        entry = json.loads(json.dumps(base[index % len(base)]))
        entry["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"hfwidgets-bench-motion-{index}"))
        entry["name"] = f"{entry['name']} {index + 1}"
        entries.append(entry)
    return entries


def _items(motions_url: str) -> list[dict[str, Any]]:
    """The grid's items, from the emulator's listing, exactly as the widget builds them."""
    import httpx

    from hfwidgets._catalog import parse_motions, sort_motions
    from hfwidgets.widgets._motion_grid import motion_item

    answer = httpx.get(motions_url, params={"size": TEMPLATES, "search": ""}, timeout=30)
    answer.raise_for_status()
    return [motion_item(motion) for motion in sort_motions(parse_motions(answer.json()))]


def run(quick: bool) -> Result:
    """Median first paint over fresh page loads; preview requests of the first view."""
    from playwright.sync_api import Request, Route, sync_playwright

    loads = 5 if quick else 9
    result = Result(KEY, TITLE)
    if not Path(CHROMIUM).exists():
        result.skipped = f"{CHROMIUM} is missing (apt-get install chromium)"
        return result
    with EmulatorProcess(motions=TEMPLATES) as emulator:
        items = _items(emulator.motions_url)
        files = {
            "index.html": (_PAGE.encode(), "text/html"),
            "motion_grid.js": ((STATIC / "motion_grid.js").read_bytes(), "text/javascript"),
            "motion_grid.css": ((STATIC / "motion_grid.css").read_bytes(), "text/css"),
            "items.json": (json.dumps(items).encode(), "application/json"),
        }
        page_url = f"{emulator.base_url}/bench-grid/index.html"

        def serve_file(route: Route) -> None:
            body, kind = files[route.request.url.rsplit("/", 1)[-1]]
            route.fulfill(body=body, content_type=kind)

        paints, builds, previews_first = [], [], 0
        view: dict[str, int] = {}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for load in range(loads + 1):  # the first load warms Chromium up and is not timed
                    context = browser.new_context(viewport={"width": 1280, "height": 900})
                    page = context.new_page()
                    page.route(f"{emulator.base_url}/bench-grid/*", serve_file)
                    previews: list[str] = []

                    def note_preview(request: Request, seen: list[str] = previews) -> None:
                        if "/previews/" in request.url:
                            seen.append(request.url)

                    page.on("request", note_preview)
                    page.goto(page_url)
                    page.wait_for_function("window.benchResult !== undefined", timeout=30_000)
                    measured = page.evaluate("window.benchResult")
                    if load > 0:
                        paints.append(float(measured["first_paint_ms"]))
                        builds.append(float(measured["build_ms"]))
                    if load == 1:
                        time.sleep(1.5)  # let the IntersectionObserver and image requests settle
                        view = page.evaluate(_VISIBLE_TILES)
                        previews_first = len(set(previews))
                        view["tiles"] = int(measured["tiles"])
                    context.close()
            finally:
                browser.close()
        preview_counter = emulator.counters().get("previews", 0)
    first_paint = median(paints)
    visible = view.get("visible", 0)
    result.details = format_table(
        ("measure", "median", "min", "max"),
        [
            ("render() → first frame painted (ms)", first_paint, min(paints), max(paints)),
            ("render() alone, DOM built (ms)", median(builds), min(builds), max(builds)),
        ],
    )
    result.details += [
        "",
        f"First view: {view.get('tiles', 0)} tiles built, {visible} visible in the grid's scroll box, "
        f"{view.get('withSrc', 0)} images given a src, {previews_first} preview requests "
        f"(the emulator served {preview_counter} preview requests over all {loads + 1} loads).",
    ]
    only_visible = 0 < previews_first <= visible
    result.figures = [
        Figure(
            "first paint, 1,000 templates (median)",
            first_paint,
            "ms",
            f"≤ {TARGET_FIRST_PAINT_MS:g} ms",
            first_paint <= TARGET_FIRST_PAINT_MS,
        ),
        Figure(
            "preview requests, first view", previews_first, "", f"≤ visible tiles ({visible})", only_visible
        ),
    ]
    result.notes.append(
        f"{loads} timed page loads (plus one warm-up) in fresh browser contexts, viewport 1280×900, "
        "Debian Chromium headless; the page routes its own files, previews come from the emulator."
    )
    return result


if __name__ == "__main__":
    script_main(KEY, TITLE, run)
