"""The widgets under the app hosts besides JupyterLab: Voilà (a notebook as an app) and marimo
(`mo.ui.anywidget(...)` under `marimo run`), driven by role and accessible name only."""

from __future__ import annotations

import re
from pathlib import Path

from hfwidgets.emulator import EmulatorServer

from .app_hosts import MarimoServer, OpenApp, VoilaServer
from .page_checks import SERIOUS, axe_violations, output_area, summary
from .roles import choose_motion, motions, search_motions, visible_option_names, wait_for_fewer_options


def test_motion_grid_in_marimo_searches_and_selects(
    marimo: MarimoServer, open_app: OpenApp, axe_script: Path
) -> None:
    marimo.reports.clear("grid_app")
    page = open_app(marimo, marimo.url("grid_app.py")).page
    motions(page).wait_for(timeout=60_000)
    assert marimo.reports.read("grid_app", "ready") is True
    before = visible_option_names(page)
    assert len(before) > 5, before

    search_motions(page, "punch")
    after = wait_for_fewer_options(page, len(before))
    assert after, "searching 'punch' left no tile"
    assert all("punch" in name.casefold() for name in after), after
    assert any("Face Punch" in name for name in after), after

    choose_motion(page, "Face Punch")
    # The kernel's widget follows the page: the app's own callback saw the selection.
    assert marimo.reports.wait("grid_app", "selected", "Face Punch") == "Face Punch"
    # Previews are <img> elements that loaded (from the emulator, reachable here).
    page.wait_for_function(
        """() => [...document.querySelectorAll('marimo-anywidget')].some(host =>
              [...(host.shadowRoot || host).querySelectorAll('img')]
                 .some(img => img.complete && img.naturalWidth > 0))""",
        timeout=30_000,
    )
    # axe-core sees into marimo's shadow root: no critical or serious violation in the grid.
    output = output_area(page, "marimo", page.locator("marimo-anywidget"))
    violations = axe_violations(page, output, axe_script)
    print("axe on the grid in marimo:", summary(violations))
    assert not [str(v) for impact in SERIOUS for v in violations.get(impact, [])]


def test_quickstart_studio_in_voila_selects_in_the_kernel(voila: VoilaServer, open_app: OpenApp) -> None:
    app_page = open_app(voila, voila.url("01_quickstart.ipynb"))
    page = app_page.page
    motions(page).first.wait_for(timeout=90_000)
    assert page.get_by_role("button", name="Generate").first.is_visible()

    choose_motion(page, "Face Punch")
    kernel = voila.probe(page)
    try:
        chosen = kernel.wait_for("studio.motion is not None and studio.motion.name")
        assert chosen == "Face Punch"
        assert kernel.value("type(studio).__name__") == "Studio"
    finally:
        kernel.close()
    assert not app_page.dialogs


def test_remote_mode_reaches_the_host_and_nothing_else_here(
    voila: VoilaServer, open_app: OpenApp, ui_emulator: EmulatorServer
) -> None:
    """The harness's stand-in for a remote kernel: the page loads from the host, while the
    emulator, which the kernel reaches, is out of the page's reach."""
    app_page = open_app(voila, voila.url("01_quickstart.ipynb"), remote=True)
    page = app_page.page
    motions(page).first.wait_for(timeout=90_000)
    fetch = """async (url) => { try { await fetch(url, {mode: 'no-cors'}); return 'reached'; }
                               catch (error) { return 'failed'; } }"""
    assert page.evaluate(fetch, ui_emulator.motions_url) == "failed"
    assert page.evaluate(fetch, voila.base_url + "/") == "reached"
    assert any(url.startswith(ui_emulator.base_url) for url in app_page.refused), app_page.refused
    refused_hosts = {re.sub(r"^(https?://[^/]+).*", r"\1", url) for url in app_page.refused}
    assert voila.base_url not in refused_hosts
