"""Kept videos in JupyterLab, by role and accessible name: a video made in the Studio is kept; once
its link has expired, a new view of the Studio plays the first result from its History and saves
it, from the kept copy; the exported zip's page plays it offline in Chromium."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext

from hfwidgets.emulator import EmulatorServer

from .page_checks import output_area
from .roles import StudioUI, choose_motion, motions, starts_with
from .ui_harness import JupyterServer, OpenNotebook, write_notebook


@pytest.fixture
def expiring(ui_emulator: EmulatorServer) -> Iterator[EmulatorServer]:
    """The shared emulator, its links put back to working afterwards."""
    yield ui_emulator
    ui_emulator.faults.clear()


def test_a_kept_video_plays_and_saves_from_the_history_after_its_link_expired(
    lab: JupyterServer,
    open_notebook: OpenNotebook,
    photo_file: Path,
    expiring: EmulatorServer,
    tmp_path: Path,
    browser_context: BrowserContext,
) -> None:
    home = tmp_path / "home"
    cells = [
        f"import os\nos.environ['HFWIDGETS_HOME'] = {str(home)!r}",
        "import hfwidgets\nstudio = hfwidgets.Studio()\nstudio",
        "studio",  # the same Studio in a second view, shown once the link has expired
    ]
    write_notebook(lab.root_dir / "kept.ipynb", cells)
    notebook = open_notebook(lab, "kept.ipynb")
    notebook.run_cell(0)
    notebook.run_cell(1)
    first_view = StudioUI(output_area(notebook.page, "jupyter", motions(notebook.page)))
    first_view.wait_rendered()
    choose_motion(first_view.scope, "Face Punch")
    first_view.choose_first_frame(photo_file)
    first_view.button("Generate").click()
    first_view.wait_video_playing()
    kernel = notebook.kernel
    task_id = kernel.wait_for("studio.result and studio.result.id", timeout=60)
    kept = Path(
        kernel.wait_for(
            f"str(hfwidgets.Journal().get({task_id!r}).video_path or '')", timeout=60, what="the kept copy"
        )
    )
    assert kept.parent == home / "videos" and kept.is_file()

    expiring.faults.expire_links(0)
    assert httpx.get(kernel.value("studio.result.video_url")).status_code == 404

    notebook.run_cell(2)
    second_view = StudioUI(output_area(notebook.page, "jupyter", motions(notebook.page)))
    second_view.wait_rendered()
    second_view.history.get_by_role("button", name=starts_with("#1")).click()
    video = second_view.wait_video_playing()
    assert video["duration"] > 1
    second_view.result.get_by_text("copy kept on this machine").wait_for(timeout=30_000)

    kernel.run(f"studio._result.download_dir = __import__('pathlib').Path({str(tmp_path / 'saved')!r})")
    second_view.result.get_by_role("button", name="Download mp4").click()
    saved = Path(kernel.wait_for("studio.result_state.get('download_path')", timeout=60))
    assert saved.read_bytes() == kept.read_bytes()

    # The export reads offline: its page plays the video from the file beside it.
    archive = Path(kernel.value(f"str(hfwidgets.history().export({str(tmp_path / 'batch.zip')!r}))"))
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(tmp_path / "batch")
    offline = browser_context.new_page()
    try:
        offline.route("http://**/*", lambda route: route.abort())  # nothing but the files
        offline.route("https://**/*", lambda route: route.abort())
        offline.goto((tmp_path / "batch" / "index.html").as_uri())
        poster = offline.get_by_role("img", name="first frame").first
        offline.wait_for_function(
            "(img) => img.complete && img.naturalWidth > 0", arg=poster.element_handle(), timeout=15_000
        )
        player = offline.locator("video").first.element_handle()
        offline.wait_for_function(
            "(v) => { if (v.readyState === 0 && v.preload !== 'auto') { v.preload = 'auto'; v.load(); }"
            " return v.readyState >= 1 && v.duration > 1; }",
            arg=player,
            timeout=15_000,
        )
    finally:
        offline.close()
