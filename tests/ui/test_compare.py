"""Compare in a real browser, with no key (the kernel's own emulator), by role and accessible name
only, in JupyterLab and in marimo (`mo.ui.anywidget(Studio())`):

three results with different seeds and motions; the History's checkboxes "Compare <entry label>";
"Compare" disabled (and saying why) until two are checked; the region "Comparison" whose
"Play all" (then "Pause all") plays every video together and whose "Position" slider moves every
video to the same time; the parameters that differ listed. In JupyterLab also
`hfwidgets.compare(feeds)` as a widget of its own, and what a saved notebook keeps: its static view
(posters, the table of differing parameters) and the size of the Studio's widget state.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect

from .app_hosts import MarimoServer, OpenApp
from .page_checks import SERIOUS, axe_violations, output_area, summary
from .roles import StudioUI, choose_motion, motions, search_motions
from .ui_harness import JupyterServer, OpenNotebook, write_notebook

RUNS = [("Face Punch", 101), ("Face Punch", 102), ("Bullet Time", 103)]
"""(motion, seed) of the three results, in order: #1 and #3 differ in motion and seed."""
STATE_BUDGET = 60_000
"""Bytes of saved widget state allowed for a Studio with three results and a comparison."""
ALL_TIMES = "(videos) => videos.map((v) => v.currentTime)"


def poll(page: Page, predicate: Callable[[], Any], *, timeout: float, what: str) -> Any:
    """Wait until `predicate()` is truthy, through Playwright (the page's routes stay served)."""
    for _ in range(int(timeout * 4)):
        value = predicate()
        if value:
            return value
        page.wait_for_timeout(250)
    raise TimeoutError(f"timed out after {timeout:g}s waiting for {what}")


def seed_is(facts: Callable[[], dict[str, Any]], seed: int) -> bool:
    """True once the kernel holds `seed` as the seed on show."""
    return bool(facts()["seed"] == seed)


def make_results(ui: StudioUI, photo: Path, facts: Callable[[], dict[str, Any]]) -> None:
    """Generate RUNS in the Studio as a person would: motion tile, seed, Generate, wait.
    `facts()` is what the kernel holds: {"results": how many, "seed": the one on show}."""
    ui.wait_rendered()
    ui.choose_first_frame(photo)
    for number, (motion, seed) in enumerate(RUNS, 1):
        # The view is drawn anew once per result (its saved output follows the results): what is
        # typed meanwhile is kept in the model, and the new view shows it.
        for attempt in range(3):  # keys typed while the old view went may not reach the new one
            search_motions(ui.scope, motion.split()[0].lower())
            try:
                choose_motion(ui.scope, motion, timeout=10_000)
                break
            except (AssertionError, PlaywrightError):
                if attempt == 2:
                    raise
        ui.type_seed(seed)
        poll(ui.page, functools.partial(seed_is, facts, seed), timeout=10, what=f"seed {seed} in the kernel")
        generate = ui.button("Generate")
        expect(generate).to_be_enabled(timeout=90_000)  # a locator: the view may be drawn anew
        generate.click()
        poll(ui.page, lambda n=number: facts()["results"] >= n, timeout=120, what=f"result {number}")  # type: ignore[misc]
    expect(ui.button("Generate")).to_be_enabled(timeout=30_000)


def history_label(ui: StudioUI, number: int) -> str:
    """The label the History shows for entry `number` (its button's name)."""
    shown = ui.history.get_by_role("button", name=re.compile(rf"^#{number} "))
    return shown.inner_text().strip()


def open_comparison(ui: StudioUI, numbers: tuple[int, ...]) -> Locator:
    """Check "Compare <label>" of each entry, press Compare; returns the region "Comparison"."""
    compare = ui.button("Compare")
    for box in ui.scope.get_by_role("checkbox", name=re.compile("^Compare ")).all():
        box.uncheck(timeout=10_000)
    expect(compare).to_be_disabled()
    expect(compare).to_have_accessible_description(re.compile(r"2 to 4"))
    for index, number in enumerate(numbers):
        box = ui.scope.get_by_role("checkbox", name=f"Compare {history_label(ui, number)}", exact=True)
        box.check(timeout=10_000)
        if index == 0:
            expect(compare).to_be_disabled()  # one alone cannot be compared
    expect(compare).to_be_enabled()
    compare.click()
    region = ui.scope.get_by_role("region", name="Comparison")
    expect(region).to_be_visible(timeout=30_000)
    return region


def check_played_in_sync(page: Page, region: Locator, count: int) -> dict[str, Any]:
    """Play all, Pause all and Position on `region`; returns what was seen."""
    videos = region.locator("video")
    expect(videos).to_have_count(count)
    handle = videos.first.element_handle()
    assert handle is not None
    page.wait_for_function(
        "(region) => [...region.querySelectorAll('video')].every((v) => v.readyState >= 2 && v.duration > 1)",
        arg=region.element_handle(),
        timeout=90_000,
    )
    seen: dict[str, Any] = {"durations": videos.evaluate_all("(vs) => vs.map((v) => v.duration)")}

    region.get_by_role("button", name="Play all", exact=True).click()
    pause = region.get_by_role("button", name="Pause all", exact=True)
    expect(pause).to_be_visible()
    page.wait_for_function(
        "(region) => [...region.querySelectorAll('video')].every((v) => !v.paused && v.currentTime > 1)",
        arg=region.element_handle(),
        timeout=30_000,
    )
    playing = videos.evaluate_all(ALL_TIMES)
    seen["playing"] = playing
    assert max(playing) - min(playing) <= 0.3, f"the videos drifted apart: {playing}"

    pause.click()
    expect(region.get_by_role("button", name="Play all", exact=True)).to_be_visible()
    assert all(videos.evaluate_all("(vs) => vs.map((v) => v.paused)"))

    position = region.get_by_role("slider", name="Position")
    for value in ("2.5", "0.8"):
        position.fill(value)
        page.wait_for_function(
            "(region) => [...region.querySelectorAll('video')].every((v) => !v.seeking)",
            arg=region.element_handle(),
        )
        moved = videos.evaluate_all(ALL_TIMES)
        seen[f"position {value}"] = moved
        assert all(abs(t - float(value)) < 0.05 for t in moved), f"Position {value}: {moved}"
    position.focus()
    position.press("End")  # the keyboard moves them too: to the end of the longest
    ended = videos.evaluate_all(ALL_TIMES)
    seen["position End"] = ended
    assert all(t >= min(seen["durations"]) - 0.05 for t in ended), ended
    return seen


def differing_rows(region: Locator) -> list[str]:
    """The parameters the region marks as differing (row headers "≠ Seed", ...)."""
    names = region.get_by_role("rowheader").all_inner_texts()
    assert all(name.startswith("≠ ") for name in names), names  # marked by a sign, not by colour alone
    return [name.removeprefix("≠ ").strip() for name in names]


# --------------------------------------------------------------------------- JupyterLab


def test_compare_in_jupyterlab_without_key(
    lab_without_key: JupyterServer, open_notebook: OpenNotebook, photo_file: Path, axe_script: Path
) -> None:
    cells = [
        "import hfwidgets\nstudio = hfwidgets.Studio()\nstudio",
        "comparison = hfwidgets.compare(studio.results[:2])\ncomparison",
        "explorer = hfwidgets.Explorer('images/cat.jpg', motions=['Face Punch', 'Bullet Time'], seeds=[7])\n"
        "explorer",
    ]
    write_notebook(lab_without_key.root_dir / "compare.ipynb", cells)
    notebook = open_notebook(lab_without_key, "compare.ipynb")
    notebook.run_cell(0)
    page = notebook.page
    ui = StudioUI(output_area(page, "jupyter", motions(page)))
    assert notebook.kernel.value("studio.client.emulated") is True
    make_results(
        ui, photo_file, lambda: notebook.kernel.value("{'results': len(studio.results), 'seed': studio.seed}")
    )

    region = open_comparison(ui, (1, 3))
    notebook.kernel.wait_for("studio.compare_checked == [1, 3]", timeout=30)  # held by the model
    compared = notebook.kernel.value("[i['label'] for i in studio.comparison['items']]")
    assert compared == ["#1 Face Punch · lite · seed 101", "#3 Bullet Time · lite · seed 103"]
    seen = check_played_in_sync(page, region, 2)
    print("Studio comparison:", json.dumps(seen))
    assert {"Motion", "Seed"} <= set(differing_rows(region))
    assert re.search(r"Same in all: .*Model lite", region.inner_text())
    for name, part in (("History", ui.history.locator("..")), ("Comparison", region)):
        violations = axe_violations(page, part, axe_script)
        print(f"axe on the {name}:", summary(violations))
        assert not [str(v) for impact in SERIOUS for v in violations.get(impact, [])]

    # The view drawn anew (its output updated, as each result does): what it held is the model's,
    # the checked boxes and the text just typed in the search box, and the new view shows it.
    checked = [
        ui.scope.get_by_role("checkbox", name=f"Compare {history_label(ui, number)}", exact=True)
        for number in (1, 3)
    ]
    before = checked[0].element_handle()
    ui.scope.get_by_role("searchbox", name="Search motions").fill("bullet")
    notebook.kernel.run("studio.refresh_static_view().result(timeout=60)")
    page.wait_for_function("(old) => !old.isConnected", arg=before, timeout=30_000)
    for box in checked:
        expect(box).to_be_checked()
    expect(ui.scope.get_by_role("searchbox", name="Search motions")).to_have_value("bullet")
    expect(ui.button("Compare")).to_be_enabled()
    notebook.kernel.wait_for("studio.search == 'bullet'", timeout=30)

    # hfwidgets.compare(feeds): a widget of its own, same region and controls.
    notebook.run_cell(1)
    widget = (
        page.locator(".jp-OutputArea-output").filter(has=page.get_by_role("region", name="Comparison")).last
    )
    own = widget.get_by_role("region", name="Comparison")
    expect(own).to_have_count(1)
    seen_own = check_played_in_sync(page, own, 2)
    print("compare(feeds):", json.dumps(seen_own))
    assert differing_rows(own)[0] == "Seed"  # #1 and #2: one motion, two seeds

    # A selection in the Explorer: its cells' checkboxes, then Compare, in the Explorer itself.
    notebook.run_cell(2)
    # Its Run button reads "Run 2 videos", then "Running…", then "Done".
    explorer = output_area(
        page, "jupyter", page.get_by_role("button", name=re.compile("^(Run 2 videos|Running…|Done)$"))
    )
    explorer.get_by_role("button", name="Run 2 videos").click()
    notebook.kernel.wait_for("len(explorer.feeds) == 2", timeout=120)
    compare = explorer.get_by_role("button", name="Compare", exact=True)
    for label in ("Face Punch · seed 7", "Bullet Time · seed 7"):
        explorer.get_by_role("checkbox", name=f"Compare {label}", exact=True).check(timeout=10_000)
    expect(compare).to_be_enabled(timeout=10_000)
    # The Explorer's view is drawn anew once per cell's result: the checks are the model's.
    notebook.kernel.wait_for("explorer.compare_checked == [1, 2]", timeout=30)
    compare.click()
    in_explorer = explorer.get_by_role("region", name="Comparison")
    seen_explorer = check_played_in_sync(page, in_explorer, 2)
    print("Explorer:", json.dumps(seen_explorer))
    assert differing_rows(in_explorer)[0] == "Motion"

    # The saved notebook: the static view beside the widget view, and a small Studio state.
    notebook.kernel.run("studio.compare([1, 2, 3])")
    expect(ui.scope.get_by_role("region", name="Comparison").locator("video")).to_have_count(3)
    saved = json.loads(notebook.save().read_text("utf-8"))
    html = "".join(
        "".join(output.get("data", {}).get("text/html", ""))
        for output in saved["cells"][1]["outputs"]
        if "application/vnd.jupyter.widget-view+json" in output.get("data", {})
    )
    assert len(re.findall(r'<img class="hfw-poster" src="data:image/webp;base64,', html)) == 2, html[:500]
    assert re.findall(r'<th scope="row"[^>]*>([^<]*)</th>', html)[0] == "≠ Seed"
    models = saved["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    studio_state = next(m for m in models.values() if len(m["state"].get("history", [])) == 3)
    studio_bytes = len(json.dumps(studio_state).encode())
    every_byte = len(json.dumps(models).encode())
    print(
        f"saved widget state: the Studio with 3 results and a comparison {studio_bytes} bytes, "
        f"every model {every_byte}"
    )
    assert len(studio_state["state"]["comparison"]["items"]) == 3
    assert studio_bytes <= STATE_BUDGET


# --------------------------------------------------------------------------- marimo


@pytest.fixture(scope="module")
def marimo_without_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MarimoServer]:
    """`marimo run` on the apps of tests/ui/kernel_side, with no key: the Studio starts its emulator."""
    home = tmp_path_factory.mktemp("hfwidgets-home-marimo-nokey")
    server = MarimoServer.start(
        root_dir=tmp_path_factory.mktemp("marimo-nokey-apps"),
        state_dir=tmp_path_factory.mktemp("marimo-nokey"),
        kernel_env={"HFWIDGETS_HOME": str(home)},
    )
    yield server
    server.stop()


def test_compare_in_marimo_without_key(
    marimo_without_key: MarimoServer, open_app: OpenApp, photo_file: Path
) -> None:
    reports = marimo_without_key.reports
    reports.clear("studio_app")
    page = open_app(marimo_without_key, marimo_without_key.url("studio_app.py")).page
    motions(page).first.wait_for(timeout=90_000)
    assert reports.read("studio_app", "facts", timeout=60)["emulated"] is True
    ui = StudioUI(output_area(page, "marimo", motions(page)))
    make_results(ui, photo_file, lambda: reports.read("studio_app", "facts"))

    region = open_comparison(ui, (1, 3))
    facts = poll(
        page, lambda: (f := reports.read("studio_app", "facts"))["compared"] and f, timeout=30, what="facts"
    )
    print("compared in the kernel:", facts)
    assert facts["compared"] == ["#1 Face Punch · lite · seed 101", "#3 Bullet Time · lite · seed 103"]
    seen = check_played_in_sync(page, region, 2)
    print("marimo comparison:", json.dumps(seen))
    assert {"Motion", "Seed"} <= set(differing_rows(region))
    assert {"Motion", "Seed"} <= set(facts["differ"])
