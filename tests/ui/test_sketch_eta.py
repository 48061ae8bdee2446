"""Issue 24's first two features in a real browser, by role and accessible name only: each motion
tile as a sketch of its camera move on the user's own image, and the honest ETA ("usually N–M s"
before Generate, a "Progress" bar with "about N s left" while waiting).

In JupyterLab with no key (the kernel starts its own emulator, out of the page's reach as on a
remote kernel) and in marimo (`mo.ui.anywidget(Studio())`) with no key; "taking longer than
usual" with the keyed server, whose emulator this process holds (its reads can be slowed).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page

from hfwidgets.emulator import EmulatorServer

from .app_hosts import MarimoServer, OpenApp, Reports
from .page_checks import output_area
from .roles import StudioUI, choose_motion, motion_option, motions, visible_option_names
from .ui_harness import (
    JupyterServer,
    NotebookPage,
    OpenNotebook,
    wait_for_js,
    wait_until,
    wants_motion,
    write_notebook,
)

STUDIO_CELL = "import hfwidgets\nstudio = hfwidgets.Studio()\nstudio"
SKETCH_TOGGLE = "Sketch on my image"
USUALLY = re.compile(r"usually \d+–\d+ s")
ABOUT_LEFT = re.compile(r"^about \d+ s left$")

# Run in the notebook's kernel: what a sketch must never change.
KERNEL_FACTS = """
def sketch_facts():
    from hfwidgets._session import shared_emulator
    server = shared_emulator(announce=False)
    if hasattr(server, "wait_idle"):
        server.wait_idle()
    counters = getattr(server, "counters", None)
    if counters is None:
        counters = server.status()["counters"]
    journal = studio.client.journal
    return {
        "counters": dict(counters),
        "spent": studio.client.spent,
        "uncertain": studio.client.uncertain,
        "journal rows": len(journal.records()) if journal is not None else 0,
    }
"""


def sketch_of(scope: Locator, name: str) -> Locator:
    return scope.get_by_role("img", name=f"Sketch of {name} on your image", exact=True)


def wait_loaded(page: Page, image: Locator, timeout: float = 15_000) -> None:
    image.wait_for(timeout=timeout)
    wait_for_js(image, "(img) => img.complete && img.naturalWidth > 0", timeout=timeout)


def animations(image: Locator) -> dict[str, Any]:
    state: dict[str, Any] = image.evaluate(
        """(img) => ({running: img.getAnimations().filter(a => a.playState === 'running').length,
                     transform: img.style.transform})"""
    )
    return state


def open_studio(
    open_notebook: OpenNotebook, server: JupyterServer, name: str
) -> tuple[NotebookPage, StudioUI]:
    write_notebook(server.root_dir / name, [STUDIO_CELL])
    notebook = open_notebook(server, name, remote=True)
    notebook.run_all()
    studio = StudioUI(output_area(notebook.page, "jupyter", motions(notebook.page)))
    studio.wait_rendered()
    return notebook, studio


def wait_previews_settled(studio: StudioUI) -> None:
    """Wait until every preview the grid asked for has arrived, so the emulator's counters rest."""
    wait_for_js(
        motions(studio.scope),
        """(box) => {
             const asked = [...box.querySelectorAll('img[data-ref]')].filter(i => i.dataset.ref);
             return asked.length > 0 && asked.every(i => i.getAttribute('src') && i.complete);
           }""",
    )


def check_sketches_in_view(studio: StudioUI) -> list[str]:
    """Every tile on show gets a sketch named after it, and keeps its own name; returns the names."""
    names = visible_option_names(studio.scope)
    for name in names[:6]:
        motion = re.sub(r" · .*$", "", name)  # the tile's name is the motion's, then its badges
        sketch = sketch_of(studio.scope, motion)
        wait_loaded(studio.page, sketch)
        assert motion_option(studio.scope, motion).first.get_attribute("aria-label") == name
    return names


def test_sketches_on_my_image_in_jupyterlab_without_a_key(
    lab_without_key: JupyterServer, open_notebook: OpenNotebook, photo_file: Path
) -> None:
    notebook, studio = open_studio(open_notebook, lab_without_key, "sketch.ipynb")
    page = notebook.page
    wants_motion(page)
    toggle = studio.scope.get_by_role("checkbox", name=SKETCH_TOGGLE, exact=True)
    assert toggle.count() == 0  # no image yet: nothing to sketch on
    assert studio.scope.get_by_role("img", name=re.compile(r"^Sketch of ")).count() == 0
    wait_previews_settled(studio)

    studio.choose_first_frame(photo_file)
    toggle.wait_for()
    assert toggle.is_checked()  # on by default once an image is chosen
    names = check_sketches_in_view(studio)
    print(f"{len(names)} tiles on show, each with its sketch")
    punch = sketch_of(studio.scope, "Face Punch")
    wait_loaded(page, punch)
    assert animations(punch)["running"] == 1  # it moves...
    badge = motions(studio.scope).get_by_text("Sketch", exact=True).first
    assert badge.is_visible()  # ...and says what it is
    source = punch.get_attribute("src") or ""
    assert source.startswith("blob:"), source  # the picture the page already had

    # Nothing of a sketch goes anywhere: no request from the page but to the Jupyter server,
    # none from the kernel to its emulator, no cost, no journal row.
    notebook.kernel.run(KERNEL_FACTS)
    # Reading the emulator's counters is itself a request or two (its status route): a first
    # pair of reads measures that, so the comparison below counts nothing but the sketches'.
    first = notebook.kernel.value("sketch_facts()")
    before = notebook.kernel.value("sketch_facts()")
    reading = {k: before["counters"][k] - v for k, v in first["counters"].items()}
    requests_before = len(notebook.requests)
    motions(studio.scope).get_by_role("option").last.scroll_into_view_if_needed()  # the grid's end
    last = re.sub(r" · .*$", "", visible_option_names(studio.scope)[-1])
    wait_loaded(page, sketch_of(studio.scope, last))  # tiles come into view: their sketches start
    after = notebook.kernel.value("sketch_facts()")
    changed = {
        k: after["counters"][k] - v
        for k, v in before["counters"].items()
        if after["counters"][k] - v != reading[k]
    }
    assert changed == {}, (changed, reading)
    assert {k: v for k, v in after.items() if k != "counters"} == {
        k: v for k, v in before.items() if k != "counters"
    }
    # Nothing spent in this kernel; the journal (the home's, shared by the session's kernels) gained no row.
    assert before["spent"] == 0 and before["uncertain"] == 0
    elsewhere = [
        url for url in notebook.requests[requests_before:] if not url.startswith(lab_without_key.base_url)
    ]
    assert elsewhere == [], elsewhere

    # Off: the provider's previews (held while sketches showed) load, and no sketch is on show.
    loaded = studio.loaded_previews()
    toggle.uncheck()
    assert notebook.kernel.wait_for("studio.sketch is False") is True
    wait_for_js(
        motions(studio.scope),
        "(box, n) => [...box.querySelectorAll('img')].filter((i) => i.complete && i.naturalWidth).length > n",
        loaded,
    )
    assert studio.scope.get_by_role("img", name=re.compile(r"^Sketch of ")).count() == 0

    # With reduced motion, sketches are stills: the move's last pose, not an animation.
    page.emulate_media(reduced_motion="reduce")
    try:
        toggle.check()
        wait_loaded(page, punch)
        still = animations(punch)
        assert still["running"] == 0 and still["transform"].startswith("scale("), still
    finally:
        page.emulate_media(reduced_motion="no-preference")


def test_usually_then_progress_then_a_full_bar_in_jupyterlab_without_a_key(
    lab_without_key: JupyterServer, open_notebook: OpenNotebook, photo_file: Path
) -> None:
    notebook, studio = open_studio(open_notebook, lab_without_key, "eta.ipynb")
    studio.status.get_by_text(USUALLY).wait_for()
    notebook.kernel.run("from hfwidgets.widgets._follow import usually_text")
    usually = notebook.kernel.value("usually_text(studio.client.estimate(studio.model))")
    assert usually in studio.status.inner_text()

    choose_motion(studio.scope, "Face Punch")
    studio.choose_first_frame(photo_file)
    studio.button("Generate").click()
    bar = studio.scope.get_by_role("progressbar", name="Progress", exact=True)
    bar.wait_for()
    studio.scope.get_by_text(re.compile(r"^about \d+ s left$|^done$")).wait_for()
    studio.video.wait_for(state="attached", timeout=90_000)  # the video is here
    wait_full(bar)
    assert int(bar.get_attribute("aria-valuemax") or 0) >= 1


@pytest.fixture
def slow_reads(ui_emulator: EmulatorServer) -> Iterator[EmulatorServer]:
    yield ui_emulator
    ui_emulator.faults.clear()


def test_a_task_past_its_window_says_so_then_the_bar_ends_full(
    lab: JupyterServer, open_notebook: OpenNotebook, photo_file: Path, slow_reads: EmulatorServer
) -> None:
    # Tasks here usually take 1–3 s (the client's priors); the emulator's take about 1.5 s.
    cell = (
        "import hfwidgets\n"
        "client = hfwidgets.Client(poll=hfwidgets.PollPolicy(priors={'lite': (1.0, 3.0)}))\n"
        "studio = hfwidgets.Studio(client)\nstudio"
    )
    write_notebook(lab.root_dir / "eta_late.ipynb", [cell])
    notebook = open_notebook(lab, "eta_late.ipynb")
    notebook.run_all()
    studio = StudioUI(output_area(notebook.page, "jupyter", motions(notebook.page)))
    studio.wait_rendered()
    choose_motion(studio.scope, "Face Punch")
    studio.choose_first_frame(photo_file)
    # The task itself is quick; the first read of its state takes longer than the whole window.
    high = notebook.kernel.value("studio.client.expected_window('lite')[1]")
    slow_reads.faults.delay("feed", high + 2.0, count=1)
    studio.button("Generate").click()
    bar = studio.scope.get_by_role("progressbar", name="Progress", exact=True)
    bar.wait_for(timeout=30_000)
    studio.scope.get_by_text(ABOUT_LEFT).wait_for()
    studio.scope.get_by_text(re.compile(r"^taking longer than usual \(usually \d+–\d+ s\)$")).wait_for(
        timeout=30_000
    )
    studio.video.wait_for(state="attached", timeout=90_000)  # the video is here
    wait_full(bar)


def wait_full(bar: Locator) -> None:
    """Wait until the progress bar is at its maximum. Looked up anew each time: the Studio may be
    drawn again when its result arrives (its saved output follows the results)."""

    def full() -> bool:
        now, top = bar.get_attribute("aria-valuenow"), bar.get_attribute("aria-valuemax")
        return now is not None and now == top

    wait_until(full, timeout=30, interval=0.2, what="the progress bar at its maximum")


def fresh_facts(reports: Reports) -> dict[str, Any]:
    """The marimo app's facts, read after this call began."""
    asked = time.time()
    facts: dict[str, Any] = wait_until(
        lambda: (value := reports.read("sketch_app", "facts")) and value["at"] > asked and value,
        timeout=30,
        what="facts of the marimo app read after now",
    )
    assert "error" not in facts, facts
    return facts


def test_sketches_and_progress_in_marimo_without_a_key(
    marimo_without_key: MarimoServer, open_app: OpenApp, photo_file: Path
) -> None:
    marimo_without_key.reports.clear("sketch_app")
    app_page = open_app(marimo_without_key, marimo_without_key.url("sketch_app.py"), motion=True)
    page = app_page.page
    studio = StudioUI(output_area(page, "marimo", page.locator("marimo-anywidget")))
    studio.wait_rendered()
    studio.status.get_by_text(USUALLY).wait_for()
    wait_previews_settled(studio)

    studio.choose_first_frame(photo_file)
    assert studio.scope.get_by_role("checkbox", name=SKETCH_TOGGLE, exact=True).is_checked()
    check_sketches_in_view(studio)
    punch = sketch_of(studio.scope, "Face Punch")
    wait_loaded(page, punch)
    assert animations(punch)["running"] == 1
    reports = marimo_without_key.reports
    before = fresh_facts(reports)
    motions(studio.scope).get_by_role("option").last.scroll_into_view_if_needed()  # the grid's end
    last = re.sub(r" · .*$", "", visible_option_names(studio.scope)[-1])
    wait_loaded(page, sketch_of(studio.scope, last))
    after = fresh_facts(reports)
    # "other" counts the app's own reads of the emulator's status, five a second.
    assert {k: v for k, v in after["counters"].items() if k != "other"} == {
        k: v for k, v in before["counters"].items() if k != "other"
    }, (before, after)
    assert after["journal rows"] == before["journal rows"] and after["spent"] == 0

    choose_motion(studio.scope, "Face Punch")
    studio.button("Generate").click()
    bar = studio.scope.get_by_role("progressbar", name="Progress", exact=True)
    try:
        bar.wait_for(timeout=30_000)
    except Exception:
        print("the Studio showed:", studio.scope.inner_text()[:3000])
        raise
    studio.video.wait_for(state="attached", timeout=90_000)  # the video is here
    wait_full(bar)
    assert reports.read("sketch_app", "progress seen"), "the kernel never showed progress"
