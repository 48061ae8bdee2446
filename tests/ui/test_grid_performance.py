"""A MotionGrid of 1,000 motions in JupyterLab: time to the tiles' first paint and how many
previews the page asks for. Both are printed, never asserted on time; the request count is
checked against the tiles actually near the viewport (only those may load a preview)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from hfwidgets import Motion
from hfwidgets.emulator import EmulatorServer, serve

from .roles import motions
from .ui_harness import JupyterServer, OpenNotebook, fast_timing, write_notebook

MOTION_COUNT = 1_000

# Armed just before the grid's cell runs: notes when the first tile enters the DOM, then the
# frame after that (two animation frames: the tiles have been painted).
_ARM_PAINT_CLOCK_JS = """
() => {
  const TILES = '[role=listbox][aria-label=Motions] [role=option]';
  const clock = {start: performance.now(), inserted: null, painted: null};
  window.__gridClock = clock;
  const observer = new MutationObserver(() => {
    if (clock.inserted !== null || !document.querySelector(TILES)) return;
    clock.inserted = performance.now();
    observer.disconnect();
    requestAnimationFrame(() => requestAnimationFrame(() => { clock.painted = performance.now(); }));
  });
  observer.observe(document.body, {subtree: true, childList: true});
}
"""

# Tiles the grid's IntersectionObserver can see: inside the viewport grown by its 120 px margin.
_TILES_NEAR_VIEWPORT_JS = """
() => [...document.querySelectorAll('[role=listbox][aria-label=Motions] [role=option]')].filter(tile => {
  const box = tile.getBoundingClientRect();
  return !tile.hidden && box.height > 0 && box.bottom >= -120 && box.top <= innerHeight + 120
    && box.right >= 0 && box.left <= innerWidth;
}).length
"""


def generated_catalogue(count: int) -> list[Motion]:
    """`count` distinct motions, spread over a few categories and tags."""
    categories = ("vfx", "epic_camera_control", "basic_camera_control", "trending")
    return [
        Motion(
            id=str(uuid.UUID(int=index + 1, version=4)),
            name=f"Generated motion {index:04d}",
            priority=index,
            tags=("new",) if index % 7 == 0 else (),
            categories=(categories[index % len(categories)],),
        )
        for index in range(count)
    ]


@pytest.fixture(scope="module")
def big_emulator() -> Iterator[EmulatorServer]:
    with serve(motions=generated_catalogue(MOTION_COUNT), timing=fast_timing()) as server:
        yield server


def test_thousand_motion_grid_paints_and_loads_only_visible_previews(
    lab: JupyterServer, open_notebook: OpenNotebook, big_emulator: EmulatorServer
) -> None:
    write_notebook(
        lab.root_dir / "big_grid.ipynb",
        [
            "import httpx, hfwidgets\n"
            "from hfwidgets._catalog import parse_motions\n"
            f"listing = httpx.get({big_emulator.motions_url!r}, params={{'size': {MOTION_COUNT}}}).json()\n"
            "motions = parse_motions(listing)\n"
            "len(motions)",
            "grid = hfwidgets.MotionGrid(motions)\ngrid",
        ],
    )
    notebook = open_notebook(lab, "big_grid.ipynb")
    notebook.run_cell(0)
    assert notebook.kernel.value("len(motions)") == MOTION_COUNT

    notebook.page.evaluate(_ARM_PAINT_CLOCK_JS)
    previews_before = big_emulator.counters["previews"]
    notebook.run_cell(1)
    notebook.page.wait_for_function("() => window.__gridClock.painted !== null", timeout=60_000)
    clock = notebook.page.evaluate("() => window.__gridClock")
    assert motions(notebook.page).get_by_role("option").count() == MOTION_COUNT

    # Let the visible previews load (over HTTP or the widget channel), then count what the
    # emulator was asked for, whoever asked.
    notebook.page.wait_for_function(
        "() => [...document.querySelectorAll('[role=listbox][aria-label=Motions] img')]"
        ".some(img => img.complete && img.naturalWidth > 0)",
        timeout=30_000,
    )
    notebook.page.wait_for_load_state("networkidle")
    notebook.page.wait_for_timeout(1000)
    previews = big_emulator.counters["previews"] - previews_before
    near_viewport = notebook.page.evaluate(_TILES_NEAR_VIEWPORT_JS)

    print(
        f"\n{MOTION_COUNT} motions: first tile in the DOM {clock['inserted'] - clock['start']:.0f} ms, "
        f"painted {clock['painted'] - clock['start']:.0f} ms after the cell was run; "
        f"{previews} preview requests ({near_viewport} tiles near the viewport)"
    )
    assert previews, "no preview was requested"
    assert previews <= near_viewport, "previews were requested for tiles out of view"
