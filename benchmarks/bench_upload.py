"""P11: a phone photo chosen as the first frame in JupyterLab, from the file given to its preview.

A real JupyterLab (no key: the Studio starts its embedded emulator) and headless
Chromium: a Studio is shown, then a 40 MB PNG and an 11 MB JPEG (noise over four
coloured quarters, made with Pillow, so they really are that large) are given to
the first frame's file chooser, opened by its label. Timed from the file given to
the preview `<img>` named after it having its pixels: the browser decodes the
photo, reduces it to the size the video needs, sends it to the kernel in 2 MiB
parts, and the kernel loads it and makes the preview. Each photo is chosen
several times under a new name (a hard link), alternating PNG and JPEG.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from ._common import Figure, Result, format_table, median, script_main

KEY, TITLE = "P11", "a 40 MB PNG chosen as the first frame in JupyterLab, to its preview"
TARGET_SECONDS = 5.0


def run(quick: bool) -> Result:
    from playwright.sync_api import sync_playwright

    from tests.ui.page_checks import output_area
    from tests.ui.roles import motions
    from tests.ui.test_phone_photos import big_photo, choose_by_label
    from tests.ui.ui_harness import CHROMIUM_ARGS, NotebookPage, find_chromium, jupyter_server, write_notebook

    chromium = find_chromium()
    if chromium is None:
        result = Result(KEY, TITLE)
        result.skipped = "no Chromium (apt-get install chromium)"
        return result
    repeats = 2 if quick else 4
    timings: dict[str, list[float]] = {"png": [], "jpeg": []}
    sent: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="hfwidgets-p11-") as tmp:
        folder = Path(tmp)
        photos = {
            "png": big_photo(folder / "photo.png", (4500, 3400), fmt="PNG", compress_level=1),
            "jpeg": big_photo(folder / "photo.jpg", (4000, 3000), fmt="JPEG", quality=86, subsampling=0),
        }
        sizes = {kind: path.stat().st_size for kind, path in photos.items()}
        root = folder / "root"
        write_notebook(root / "p11.ipynb", ["import hfwidgets\nstudio = hfwidgets.Studio()\nstudio"])
        env = {"HFWIDGETS_HOME": str(folder / "home")}
        with (
            jupyter_server("lab", root_dir=root, state_dir=folder / "state", kernel_env=env) as server,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(executable_path=chromium, args=list(CHROMIUM_ARGS))
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 1000})
                notebook = NotebookPage(page, server=server)
                notebook.open("p11.ipynb")
                notebook.run_all()
                motions(page).first.wait_for(timeout=120_000)
                scope = output_area(page, "jupyter", motions(page))
                for round_ in range(repeats):
                    for kind, photo in photos.items():
                        named = folder / f"{round_}-{photo.name}"
                        os.link(photo, named)  # a new name: a new preview to wait for
                        timings[kind].append(choose_by_label(scope, named))
                        sent[kind] = notebook.kernel.value(
                            "studio._frames.frames['first'].image.source_bytes"
                        )
                        sent[kind + " size"] = notebook.kernel.value(
                            "studio._frames.frames['first'].image.size"
                        )
                notebook.close()
            finally:
                browser.close()
    result = Result(KEY, TITLE)
    result.details = format_table(
        ("photo", "file (MB)", "sent (KB)", "sent as", "runs", "median (s)", "min (s)", "max (s)"),
        [
            (
                kind,
                sizes[kind] / 1e6,
                int(sent[kind]) / 1000,
                "×".join(str(side) for side in sent[kind + " size"]),
                len(values),
                median(values),
                min(values),
                max(values),
            )
            for kind, values in timings.items()
        ],
    )
    headline = median(timings["png"])
    result.figures = [
        Figure(
            f"40 MB PNG to its preview (median of {repeats})",
            headline,
            "s",
            f"≤ {TARGET_SECONDS:g} s",
            headline <= TARGET_SECONDS,
        ),
        Figure(f"11 MB JPEG to its preview (median of {repeats})", median(timings["jpeg"]), "s"),
    ]
    result.notes.append(
        f"Chromium headless without a GPU; {os.cpu_count()} cores shared with the Jupyter server, "
        "its kernel and the embedded emulator; timed with time.monotonic() around Playwright calls."
    )
    return result


if __name__ == "__main__":
    script_main(KEY, TITLE, run)
