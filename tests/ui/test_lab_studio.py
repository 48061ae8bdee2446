"""The Studio in JupyterLab beyond the main flow (test_studio_flow.py): cancelling, errors from
the service, what a saved notebook holds, the no-key demo on a remote kernel, the Chinese UI
Elements are found by role and accessible name only.

The kernels of the `lab` server talk to `ui_emulator` with a test key; checks of what the
kernel holds go through the notebook's own kernel (`NotebookPage.kernel`).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from hfwidgets._static import POSTER_MAX_BYTES
from hfwidgets.emulator import EmulatorServer
from hfwidgets.widgets._assets import unpack

from .page_checks import SERIOUS, axe_violations, output_area, summary
from .roles import StudioUI, choose_motion, motions
from .ui_harness import UI_KEY_PREFIX, JupyterServer, NotebookPage, OpenNotebook, wait_until, write_notebook

STUDIO_CELL = "import hfwidgets\nstudio = hfwidgets.Studio()\nstudio"


def open_studio(
    open_notebook: OpenNotebook,
    server: JupyterServer,
    name: str,
    cells: list[str],
    *,
    remote: bool = False,
    motion: bool = False,
) -> tuple[NotebookPage, StudioUI]:
    """Write a notebook of `cells` (the last shows a Studio), open it, run all, wait for the Studio."""
    write_notebook(server.root_dir / name, cells)
    notebook = open_notebook(server, name, remote=remote, motion=motion)
    notebook.run_all()
    studio = StudioUI(output_area(notebook.page, "jupyter", motions(notebook.page)))
    studio.wait_rendered()
    return notebook, studio


@pytest.fixture
def reset_faults(ui_emulator: EmulatorServer) -> Iterator[EmulatorServer]:
    """The shared emulator, with its fault knobs put back afterwards."""
    yield ui_emulator
    ui_emulator.faults.clear()


def test_harness_runs_cells_and_reads_the_same_kernel(
    lab: JupyterServer, open_notebook: OpenNotebook
) -> None:
    """The harness itself: run all, a widget renders, the probe sees and moves kernel state."""
    write_notebook(
        lab.root_dir / "harness_check.ipynb",
        ["import ipywidgets\nslider = ipywidgets.IntSlider(3)\nslider", "answer = 6 * 7\nprint(answer)"],
    )
    notebook = open_notebook(lab, "harness_check.ipynb")
    notebook.run_all()
    assert notebook.cell_output_text(1).strip() == "42"
    assert notebook.kernel.value("answer") == 42
    notebook.kernel.run("slider.value = 9")
    # ipywidgets' own readout (a class of ipywidgets, not of hfwidgets).
    readout = notebook.page.locator(".widget-readout")
    readout.wait_for()
    notebook.page.wait_for_function(
        "(el) => el.textContent.trim() === '9'", arg=readout.element_handle(), timeout=10_000
    )


def test_cancel_says_the_task_goes_on_on_the_server(
    lab: JupyterServer,
    open_notebook: OpenNotebook,
    photo_file: Path,
    reset_faults: EmulatorServer,
    tmp_path: Path,
) -> None:
    # The stalled task stays pending in the journal: a private HFWIDGETS_HOME keeps later
    # Studios of this server from picking it up.
    cells = [f"import os\nos.environ['HFWIDGETS_HOME'] = {str(tmp_path / 'home')!r}", STUDIO_CELL]
    reset_faults.faults.stall_tasks(1)  # the next task stays in_progress forever
    notebook, studio = open_studio(open_notebook, lab, "cancel.ipynb", cells)
    choose_motion(studio.scope, "Face Punch")
    studio.choose_first_frame(photo_file)
    submitted = reset_faults.counters["generate"]

    studio.button("Generate").click()
    cancel = studio.button("Cancel")
    expect(cancel).to_be_enabled(timeout=30_000)
    cancel.click()
    expect(studio.status).to_contain_text(re.compile("server", re.I), timeout=15_000)
    text = studio.status.inner_text()
    print("after cancel:", text)
    assert re.search(r"continues on the server", text, re.I), text
    # Cancelling stops waiting: nothing was resubmitted, and the task is still running there.
    assert reset_faults.counters["generate"] == submitted + 1
    task_id = notebook.kernel.value("studio.entries[-1].task_id")
    assert task_id in text
    assert reset_faults.tasks[task_id].status == "in_progress"
    expect(studio.button("Generate")).to_be_enabled(timeout=10_000)
    assert notebook.kernel.value("studio.result") is None


@pytest.mark.parametrize("status_code", [402, 503])
def test_api_error_shows_inside_the_studio(
    lab: JupyterServer,
    open_notebook: OpenNotebook,
    photo_file: Path,
    reset_faults: EmulatorServer,
    status_code: int,
) -> None:
    notebook, studio = open_studio(open_notebook, lab, f"error_{status_code}.ipynb", [STUDIO_CELL])
    choose_motion(studio.scope, "Face Punch")
    studio.choose_first_frame(photo_file)
    if status_code == 402:
        reset_faults.faults.credits = 0  # every call costs more than the account holds
    else:
        reset_faults.faults.server_error("generate", count=20, status=status_code)

    studio.button("Generate").click()
    alert = studio.scope.get_by_role("alert").filter(has_text=re.compile(r"\S"))
    alert.first.wait_for(state="visible", timeout=30_000)
    text = " | ".join(t.strip() for t in alert.all_inner_texts() if t.strip())
    print(f"{status_code} shown as:", text)
    assert str(status_code) in text or (status_code == 402 and "credit" in text.lower()), text
    assert UI_KEY_PREFIX not in text
    assert not notebook.dialogs


def test_saved_notebook_with_three_results_is_small_and_holds_no_key_or_media(
    lab: JupyterServer, open_notebook: OpenNotebook, photo_file: Path
) -> None:
    notebook, studio = open_studio(open_notebook, lab, "saved_studio.ipynb", [STUDIO_CELL])
    choose_motion(studio.scope, "Face Punch")
    studio.choose_first_frame(photo_file)
    for run in range(1, 4):
        studio.button("Generate").click()
        notebook.kernel.wait_for(f"len(studio.results) == {run}", timeout=60, what=f"result {run}")
    studio.wait_video_playing()
    assert studio.history_items().count() == 3

    saved = notebook.save()
    text = saved.read_text("utf-8")
    size = saved.stat().st_size
    print(f"saved {saved.name} with a Studio and 3 results: {size / 1000:.1f} KB")
    assert "application/vnd.jupyter.widget-view+json" in text
    assert "application/vnd.jupyter.widget-state+json" in text, "widget state was not saved"
    assert UI_KEY_PREFIX not in text
    assert "data:video" not in text
    # The saved output followed the results: its static view shows the three, each with its
    # poster (a small inline WebP, the only image in the file); the widget state holds no media.
    document = json.loads(text)
    (static,) = [
        "".join(output["data"]["text/html"])
        for output in document["cells"][0]["outputs"]
        if "text/html" in output.get("data", {})
    ]
    assert "Studio: 3 results" in static
    posters = re.findall(r'src="data:image/webp;base64,([A-Za-z0-9+/]+={0,2})"', static)
    assert len(posters) == 3 and all(len(poster) * 3 // 4 <= POSTER_MAX_BYTES for poster in posters)
    state = document["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]
    # The views' code is saved packed (deflated, in base64): each must unpack to code, and only
    # then is its payload set aside; any other long base64 run would be media or a leak.
    esms = {model["state"]["_esm"] for model in state["state"].values() if "_esm" in model["state"]}
    assert esms and all("export default" in unpack(esm) for esm in esms)
    packed = [re.findall(r'const packed = "([A-Za-z0-9+/=]+)"', esm)[0] for esm in esms]
    rest = text
    for payload in [*posters, *packed]:
        rest = rest.replace(payload, "")
    assert "data:image" not in rest.replace("data:image/webp;base64,", "")
    long_base64 = re.findall(r"[A-Za-z0-9+/]{2000,}={0,2}", rest)
    assert not long_base64, f"{len(long_base64)} long base64 run(s), first: {long_base64[0][:80]}..."
    state_size = len(json.dumps(state).encode())
    print(f"widget state in it: {state_size / 1000:.1f} KB")
    assert state_size <= 60_000, f"{state_size} bytes of widget state for a Studio and 3 results"


def test_no_key_demo_on_a_remote_kernel_shows_previews_and_plays(
    lab_without_key: JupyterServer, open_notebook: OpenNotebook, photo_file: Path
) -> None:
    """No key: the Studio uses the home's emulator, started by the kernel, on a port the page cannot reach
    here (as with JupyterHub, Colab or a remote VS Code): its media must come over the widget
    channel, and the notice that says so is shown once, in the widget, not on stderr."""
    notebook, studio = open_studio(open_notebook, lab_without_key, "no_key.ipynb", [STUDIO_CELL], remote=True)
    assert notebook.kernel.value("studio.client.emulated") is True
    notices = studio.scope.get_by_text(re.compile(r"emulator", re.I))
    print("notice:", notices.all_inner_texts())
    assert notices.count() >= 1
    stderr = notebook.page.locator('[data-mime-type="application/vnd.jupyter.stderr"]')
    assert stderr.count() == 0, stderr.all_inner_texts()
    wait_until(studio.loaded_previews, timeout=30, what="a motion preview to load")
    choose_motion(studio.scope, "Face Punch")
    studio.choose_first_frame(photo_file)
    studio.button("Generate").click()
    video = studio.wait_video_playing()
    assert video["src"].startswith("blob:"), video["src"]
    kernel_emulator = notebook.kernel.value("studio.client.base_url")
    asked = [url for url in notebook.requests if url.startswith(kernel_emulator)]
    assert all(url in notebook.refused for url in asked), "the page reached the kernel's emulator"
    print(f"{len(asked)} requests to the kernel's emulator (all refused); video from {video['src'][:40]}")


def cjk_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    cjk = [c for c in letters if unicodedata.name(c, "").startswith("CJK")]
    return len(cjk) / max(1, len(letters))


def test_chinese_ui_renders_with_its_names_and_is_screenshotted(
    lab: JupyterServer, open_notebook: OpenNotebook, axe_script: Path, tmp_path: Path
) -> None:
    write_notebook(
        lab.root_dir / "studio_zh.ipynb", ["import hfwidgets\nstudio = hfwidgets.Studio(lang='zh')\nstudio"]
    )
    notebook = open_notebook(lab, "studio_zh.ipynb")
    notebook.run_all()
    page = notebook.page
    listbox = page.get_by_role("listbox")
    listbox.first.wait_for(timeout=60_000)
    scope = output_area(page, "jupyter", listbox.first)
    # The widget's own words (motion and category names come from the catalogue, in English).
    own_words = scope.evaluate(
        """(root) => [...root.querySelectorAll('button, label, [role=status]')]
            .filter(el => !el.closest('[role=listbox], [role=group]'))
            .map(el => el.innerText).join(' ')"""
    )
    print("zh words:", own_words[:300])
    assert cjk_share(own_words) > 0.6, own_words[:400]
    assert not scope.get_by_role("button", name="Generate", exact=True).count(), (
        "an English name in the zh UI"
    )
    assert scope.get_by_role("combobox").count() >= 2
    violations = axe_violations(page, scope, axe_script)
    print("axe zh:", summary(violations))
    assert not [str(v) for impact in SERIOUS for v in violations.get(impact, [])]
    shot = tmp_path / "studio-zh.png"
    scope.screenshot(path=str(shot), animations="disabled")
    print(f"zh screenshot: {shot} ({shot.stat().st_size} bytes)")
    assert shot.stat().st_size > 10_000
