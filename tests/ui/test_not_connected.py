"""A Studio with no kernel behind it says so, in JupyterLab: reopened from a notebook saved with
widget state without running it, and after its kernel restarted. Its controls are disabled
and it says "Run the cell to use it"; run again, the new Studio is live."""

from __future__ import annotations

import json
import re

from playwright.sync_api import Locator

from .page_checks import output_area
from .roles import StudioUI, motions
from .test_lab_studio import STUDIO_CELL, open_studio
from .ui_harness import JupyterServer, OpenNotebook, wait_for_js

NOT_CONNECTED = re.compile("Run the cell to use it", re.I)


def assert_not_connected(studio: StudioUI) -> None:
    studio.scope.get_by_text(NOT_CONNECTED).wait_for(timeout=30_000)
    assert studio.button("Generate").is_disabled()
    assert studio.scope.get_by_role("searchbox", name="Search motions").is_disabled()
    assert studio.scope.get_by_label("First frame", exact=True).is_disabled()
    assert studio.model.is_disabled()
    assert motions(studio.scope).get_attribute("aria-disabled") == "true"


def prove_live(studio: StudioUI) -> None:
    """Change the model and wait for the kernel's new cost line: the kernel answers this view
    (and answered its ping, sent before). Then it shows no "not connected" note."""
    cost: Locator = studio.status
    before = cost.inner_text()
    label = next(text for text in studio.model_labels() if text.split()[0] not in before)
    studio.model.select_option(label=label)
    wait_for_js(cost, "(el, before) => el.textContent !== before", before)
    assert studio.scope.get_by_text(NOT_CONNECTED).count() == 0
    assert studio.button("Generate").is_enabled()


def test_a_notebook_reopened_from_saved_widget_state_says_run_the_cell(
    lab: JupyterServer, open_notebook: OpenNotebook
) -> None:
    notebook, studio = open_studio(open_notebook, lab, "saved_state.ipynb", [STUDIO_CELL])
    prove_live(studio)
    saved = notebook.save()
    state = json.loads(saved.read_text("utf-8"))["metadata"]["widgets"]
    assert "application/vnd.jupyter.widget-state+json" in state
    notebook.page.close()
    lab.delete_sessions()

    reopened = open_notebook(lab, "saved_state.ipynb")  # a new kernel; no cell run
    page = reopened.page
    motions(page).wait_for(timeout=60_000)  # the Studio rebuilt from the saved state
    old = StudioUI(output_area(page, "jupyter", motions(page)))
    assert_not_connected(old)

    reopened.run_all()  # the cell run: a new Studio of this kernel, live
    fresh = StudioUI(output_area(page, "jupyter", motions(page)))
    fresh.wait_rendered()
    prove_live(fresh)


def test_a_studio_of_a_restarted_kernel_says_run_the_cell(
    lab: JupyterServer, open_notebook: OpenNotebook
) -> None:
    notebook, studio = open_studio(open_notebook, lab, "restarted.ipynb", [STUDIO_CELL])
    prove_live(studio)
    notebook.page.evaluate(
        """async () => {
            await window.jupyterapp.shell.currentWidget.context.sessionContext.session.kernel.restart();
        }"""
    )
    assert_not_connected(studio)
