"""The quickstart's Studio in JupyterLab, checked the way a person would use it.

The kernels of the `lab` server talk to `ui_emulator` with a test key; checks of what
the kernel holds go through the notebook's own kernel (`NotebookPage.kernel`).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from studio_page import StudioPage
from ui_harness import UI_KEY_PREFIX, JupyterServer, NotebookPage, OpenNotebook, write_notebook

from hfwidgets.emulator import EmulatorServer

QUICKSTART = "01_quickstart.ipynb"
STUDIO_PNG = Path(__file__).resolve().parents[2] / "docs" / "studio.png"


def open_quickstart(open_notebook: OpenNotebook, server: JupyterServer) -> tuple[NotebookPage, StudioPage]:
    """Open the quickstart, run all cells, wait for the Studio and its motion tiles."""
    notebook = open_notebook(server, QUICKSTART)
    notebook.run_all()
    studio = StudioPage(notebook)
    studio.wait_rendered()
    return notebook, studio


@pytest.fixture
def reset_faults(ui_emulator: EmulatorServer) -> Iterator[EmulatorServer]:
    """The shared emulator, with its fault knobs put back afterwards."""
    yield ui_emulator
    ui_emulator.faults.clear()


def first_index(texts: list[str], pattern: str) -> int | None:
    """Index of the first text matching `pattern` (case-insensitive), or None."""
    return next((i for i, text in enumerate(texts) if re.search(pattern, text, re.I)), None)


def generate_count(emulator: EmulatorServer) -> int:
    """How many generate requests the emulator has answered so far."""
    return emulator.counters["generate"]


def test_harness_runs_cells_and_reads_the_same_kernel(
    lab: JupyterServer, open_notebook: OpenNotebook
) -> None:
    """The harness itself: run all, a widget renders, the probe sees and moves kernel state."""
    write_notebook(
        lab.root_dir / "harness_check.ipynb",
        ["import ipywidgets\nslider = ipywidgets.IntSlider(3)\nslider.add_class('check-slider')\nslider",
         "answer = 6 * 7\nprint(answer)"],
    )  # fmt: skip
    notebook = open_notebook(lab, "harness_check.ipynb")
    notebook.run_all()
    assert notebook.cell_output_text(1).strip() == "42"
    assert notebook.kernel.value("answer") == 42
    notebook.kernel.run("slider.value = 9")
    readout = notebook.page.locator(".check-slider .widget-readout")
    readout.wait_for()
    notebook.page.wait_for_function(
        "(el) => el.textContent.trim() === '9'", arg=readout.element_handle(), timeout=10_000
    )


def test_quickstart_grid_previews_search_and_selection(
    lab: JupyterServer, open_notebook: OpenNotebook
) -> None:
    notebook, studio = open_quickstart(open_notebook, lab)

    # The visible previews load (from the emulator: nothing else is reachable).
    notebook.page.wait_for_function(
        """(root) => [...root.querySelectorAll('img.hfw-motion-preview')]
              .some(img => img.complete && img.naturalWidth > 0)""",
        arg=studio.root.element_handle(),
        timeout=30_000,
    )
    before = studio.visible_tile_names()
    assert len(before) > 1

    studio.part("input.hfw-motion-search").press_sequentially("punch", delay=30)
    notebook.page.wait_for_function(
        """([root, before]) =>
            [...root.querySelectorAll('.hfw-motion-tile')].filter(t => !t.hidden).length < before""",
        arg=[studio.root.element_handle(), len(before)],
    )
    after = studio.visible_tile_names()
    assert after, "searching 'punch' left no tile"
    assert all("punch" in name.casefold() for name in after), after
    assert "Face Punch" in after
    assert notebook.kernel.wait_for("studio.search == 'punch'")

    studio.choose_motion("Face Punch")
    assert studio.tile("Face Punch").get_attribute("aria-selected") == "true"
    chosen = notebook.kernel.wait_for("studio.motion is not None and studio.motion.name")
    assert chosen == "Face Punch"
    assert not notebook.dialogs


@pytest.fixture
def rendering(ui_emulator: EmulatorServer) -> Iterator[EmulatorServer]:
    """The shared emulator rendering each video from its input image while the test runs."""
    ui_emulator.state.render = True
    yield ui_emulator
    ui_emulator.state.render = False


def test_generate_from_an_uploaded_image_plays_the_video(
    lab: JupyterServer, open_notebook: OpenNotebook, photo: Path, tmp_path: Path, rendering: EmulatorServer
) -> None:
    notebook, studio = open_quickstart(open_notebook, lab)
    studio.choose_motion("Face Punch")
    studio.upload_first_frame(photo)
    studio.set_seed(4242)
    notebook.kernel.wait_for("studio.seed == 4242", what="the seed to reach the kernel")
    studio.watch_status()

    studio.generate()
    video = studio.wait_video_playing()

    states = studio.status_log()
    print("status line went through:", states)
    # Submitting, then waiting (queued / in progress), then completed: in that order.
    order = [first_index(states, pattern) for pattern in ("submitting", "queued|in progress", "completed")]
    assert all(index is not None for index in order), states
    assert order == sorted(index for index in order if index is not None), states
    assert video["readyState"] == 4
    assert video["duration"] == pytest.approx(5.0, abs=0.5)
    assert video["currentTime"] > video["startTime"]
    assert studio.error_text() == ""

    kernel_url = notebook.kernel.value("studio.result.video_url")
    # The emulator's 127.0.0.1 video reaches the page over the widget channel, as a blob: URL.
    assert kernel_url.startswith("http://127.0.0.1:") and video["src"].startswith("blob:")
    assert notebook.kernel.value("studio.result.params.seed") == 4242
    assert notebook.kernel.value("studio.result.status") == "completed"

    shot = tmp_path / "studio.png"
    studio.screenshot(shot)
    assert shot.stat().st_size > 10_000
    if os.environ.get("HFWIDGETS_SCREENSHOT") == "1":
        STUDIO_PNG.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, STUDIO_PNG)
        print(f"screenshot saved to {STUDIO_PNG}")


def test_cancel_says_the_task_goes_on_on_the_server(
    lab: JupyterServer,
    open_notebook: OpenNotebook,
    photo: Path,
    reset_faults: EmulatorServer,
    tmp_path: Path,
) -> None:
    # The stalled task stays pending in the journal: a private HFWIDGETS_HOME keeps later
    # Studios of this server from picking it up.
    write_notebook(
        lab.root_dir / "cancel.ipynb",
        [
            f"import os\nos.environ['HFWIDGETS_HOME'] = {str(tmp_path / 'home')!r}",
            "import hfwidgets\nstudio = hfwidgets.Studio()\nstudio",
        ],
    )
    reset_faults.faults.stall_tasks(1)  # the next task stays in_progress forever
    notebook = open_notebook(lab, "cancel.ipynb")
    notebook.run_all()
    studio = StudioPage(notebook)
    studio.wait_rendered()
    studio.choose_motion("Face Punch")
    studio.upload_first_frame(photo)
    submitted = generate_count(reset_faults)

    studio.generate()
    cancel = studio.part(".hfw-cancel")
    notebook.page.wait_for_function(
        "(b) => !b.disabled && b.offsetParent !== null", arg=cancel.element_handle(), timeout=30_000
    )
    cancel.click()

    status = studio.part(".hfw-status")
    notebook.page.wait_for_function(
        "(el) => /server/i.test(el.textContent)", arg=status.element_handle(), timeout=15_000
    )
    text = status.inner_text()
    print("after cancel:", text)
    assert re.search(r"continues on the server", text, re.I), text
    # Cancelling stops waiting: nothing was resubmitted, and the task is still running there.
    assert generate_count(reset_faults) == submitted + 1
    task_id = notebook.kernel.value("studio.entries[-1].task_id")
    assert task_id in text
    assert reset_faults.tasks[task_id].status == "in_progress"
    notebook.page.wait_for_function(
        "(b) => !b.disabled", arg=studio.part(".hfw-generate").element_handle(), timeout=10_000
    )
    assert notebook.kernel.value("studio.result") is None


@pytest.mark.parametrize("status_code", [402, 503])
def test_api_error_shows_inside_the_studio(
    lab: JupyterServer,
    open_notebook: OpenNotebook,
    photo: Path,
    reset_faults: EmulatorServer,
    status_code: int,
) -> None:
    notebook, studio = open_quickstart(open_notebook, lab)
    studio.choose_motion("Face Punch")
    studio.upload_first_frame(photo)
    if status_code == 402:
        reset_faults.faults.credits = 0  # every call costs more than the account holds
    else:
        reset_faults.faults.server_error("generate", count=20, status=status_code)

    studio.generate()
    error = studio.part(".hfw-error").filter(has_text=re.compile(r"\S"))
    error.first.wait_for(state="visible", timeout=30_000)
    text = studio.error_text()
    print(f"{status_code} shown as:", text)
    assert text
    assert str(status_code) in text or ("credit" in text.lower() if status_code == 402 else False), text
    assert UI_KEY_PREFIX not in text
    assert not notebook.dialogs


def test_saved_notebook_holds_no_key_and_no_media(
    lab: JupyterServer, open_notebook: OpenNotebook, photo: Path
) -> None:
    # Saved under another name: the quickstart other tests open keeps no outputs.
    shutil.copyfile(lab.root_dir / QUICKSTART, lab.root_dir / "quickstart_saved.ipynb")
    notebook = open_notebook(lab, "quickstart_saved.ipynb")
    notebook.run_all()
    studio = StudioPage(notebook)
    studio.wait_rendered()
    studio.choose_motion("Face Punch")
    studio.upload_first_frame(photo)
    studio.generate()
    studio.wait_video_playing()

    saved = notebook.save()
    text = saved.read_text("utf-8")
    print(f"saved {saved.name}: {saved.stat().st_size} bytes")
    assert "hfw-studio" in text or "application/vnd.jupyter.widget-view+json" in text
    assert UI_KEY_PREFIX not in text
    assert "data:image" not in text
    assert "data:video" not in text
    long_base64 = re.findall(r"[A-Za-z0-9+/]{2000,}={0,2}", text)
    assert not long_base64, f"{len(long_base64)} long base64 run(s), first: {long_base64[0][:80]}..."


def test_without_a_key_the_studio_uses_the_embedded_emulator(
    lab_without_key: JupyterServer, open_notebook: OpenNotebook
) -> None:
    notebook, studio = open_quickstart(open_notebook, lab_without_key)
    banner = studio.part(".hfw-banner-emulated")
    banner.wait_for(state="visible")
    print("banner:", banner.inner_text())
    assert re.search(r"emulat", banner.inner_text(), re.I)
    assert notebook.kernel.value("studio.client.emulated") is True
