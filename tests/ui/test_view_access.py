"""What the Studio's view owes people who browse differently, in a real Chromium, in every host
(JupyterLab light and dark, Voilà, marimo), by role and accessible name:

- reduced motion: motion previews are stills, and play only while hovered or focused;
- reflow: at 320 px wide, and at 200 % zoom of a 1280 px window, nothing scrolls sideways and
  every category button is on show;
- placeholders: at least 4.5:1 against their field;
- forced colours: the pressed category button is marked in a way forced colours keep.
And in JupyterLab: the live region during one generation says each change once.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from .app_hosts import MarimoServer, OpenApp, VoilaServer
from .page_checks import JS_DIR, fit_width, output_area, text_contrasts
from .roles import StudioUI, choose_motion, motions
from .test_lab_studio import STUDIO_CELL, open_studio
from .test_not_connected import prove_live
from .test_studio_flow import set_lab_theme
from .ui_harness import JupyterServer, NotebookPage, OpenNotebook, isolate, write_notebook

PLACEHOLDERS = ("What happens in the video", "https://… image URL", "Search motions")

# Every element of a widget (through open shadow roots, for marimo) that scrolls sideways.
_SIDEWAYS_JS = (JS_DIR / "sideways.js").read_text("utf-8")

# The state of every motion preview that has loaded: is the animated <img> on show, and is a
# still (a canvas with the first frame) in front of it.
_PREVIEWS_JS = (JS_DIR / "previews.js").read_text("utf-8")

# What marks each toggle button as pressed, in properties forced colours keep.
_PRESSED_MARKS_JS = (JS_DIR / "pressed_marks.js").read_text("utf-8")


# --------------------------------------------------------------------------- the checks


def check_reduced_motion(page: Page, scope: Locator) -> None:
    """With reduced motion asked for, loaded previews are stills; hovering a tile plays it; the
    preference taken back, they play again."""
    box = motions(scope)
    page.emulate_media(reduced_motion="reduce")
    try:
        # Read through the locator each time (a view drawn again is read anew), until every loaded
        # preview is a still; previews come through a kernel that may still be running the notebook.
        deadline = time.monotonic() + 90
        previews: list[dict[str, Any]] = box.evaluate(_PREVIEWS_JS)
        while not (previews and all(p["still"] for p in previews)):
            assert time.monotonic() < deadline, f"loaded previews without a still after 90 s: {previews}"
            page.wait_for_timeout(250)
            previews = box.evaluate(_PREVIEWS_JS)
        # Previews still loading get their still when they do; none animates meanwhile.
        assert previews and not [p for p in previews if p["animated"]], previews
        first = previews[0]["name"]
        tile = box.get_by_role("option", name=first, exact=True)
        tile.hover()
        hovered = {p["name"]: p for p in box.evaluate(_PREVIEWS_JS)}
        assert hovered[first]["animated"], hovered[first]
        assert not [name for name, p in hovered.items() if name != first and p["animated"]]
        page.mouse.move(0, 0)
    finally:
        page.emulate_media(reduced_motion="no-preference")
    assert all(p["animated"] for p in box.evaluate(_PREVIEWS_JS))


def check_reflow(page: Page, container: Locator, scope: Locator, *, what: str) -> None:
    """Nothing of the widget scrolls sideways, and every category button is within it."""
    sideways: list[str] = container.evaluate(_SIDEWAYS_JS)
    assert not sideways, f"{what}: {sideways}"
    # Each reading is of one moment; the live catalogue or a result may draw the buttons or the
    # whole view anew between readings, so read again (up to 10 s) until one finds every button
    # of the view on show laid out: a button that stays hidden still fails below.
    chips = scope.get_by_role("group", name="Categories").get_by_role("button")
    for _ in range(40):
        measured: dict[str, Any] = chips.evaluate_all(_CHIPS_WITHIN_JS, container.element_handle())
        if measured["settled"]:
            break
        page.wait_for_timeout(250)
    box, placed = measured["box"], measured["chips"]
    assert len(placed) >= 5, f"{what}: {placed}"
    for chip in placed:
        assert chip["width"] > 0 and chip["height"] > 0, f"{what}: {chip['text']!r} hidden"
        inside = box["x"] - 1 <= chip["x"] and chip["x"] + chip["width"] <= box["x"] + box["width"] + 1
        assert inside, f"{what}: {chip['text']!r} at {chip} outside {box}"


_CHIPS_WITHIN_JS = """(chips, container) => {
  const rect = (el) => {
    const r = el.getBoundingClientRect();
    return {x: r.x, width: r.width, height: r.height};
  };
  const placed = chips.map((el) => ({text: el.textContent, ...rect(el)}));
  const settled = container.isConnected && chips.length > 0 && chips.every((el) => el.isConnected)
    && placed.every((chip) => chip.width > 0 && chip.height > 0);
  return {box: rect(container), chips: placed, settled};
}"""


def check_placeholders(scope: Locator, *, what: str) -> None:
    """The prompt's, the URL field's and the search box's placeholders: 4.5:1 or more."""
    found = {c.text: c for c in text_contrasts(scope) if c.element.endswith("::placeholder")}
    print(what, {text: c.ratio for text, c in found.items()})
    for start in PLACEHOLDERS:
        shown = [c for text, c in found.items() if text.startswith(start)]
        assert shown, f"{what}: no placeholder {start!r} among {list(found)}"
        assert all(c.ratio >= 4.5 for c in shown), [str(c) for c in shown]


def check_forced_colours(page: Page, scope: Locator) -> None:
    """In forced colours the pressed category button ("All") carries a check mark and an outline
    that the others have not; its name and aria-pressed stay."""
    page.emulate_media(forced_colors="active")
    try:
        chips = scope.get_by_role("group", name="Categories")
        pressed = chips.get_by_role("button", pressed=True)
        assert pressed.count() == 1
        assert chips.get_by_role("button", name="All", exact=True).get_attribute("aria-pressed") == "true"
        marks: list[dict[str, str]] = chips.get_by_role("button").evaluate_all(_PRESSED_MARKS_JS)
        [on] = [m for m in marks if m["pressed"] == "true"]
        others = [m for m in marks if m["pressed"] != "true"]
        assert others
        assert "✓" in on["mark"], on
        assert on["outline"].startswith("solid"), on
        for other in others:
            assert "✓" not in other["mark"] and not other["outline"].startswith("solid"), other
    finally:
        page.emulate_media(forced_colors="none")


def check_all(page: Page, container: Locator, scope: Locator, *, what: str) -> None:
    prove_live(StudioUI(container))  # the host's kernel answers the view: no "not connected" note
    check_reduced_motion(page, scope)
    check_placeholders(scope, what=what)
    check_forced_colours(page, scope)
    viewport = page.viewport_size
    fit_width(page, container, 320)
    try:
        check_reflow(page, container, scope, what=f"{what} at 320 px")
    finally:
        if viewport is not None:
            page.set_viewport_size(viewport)


# --------------------------------------------------------------------------- the hosts


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_studio_in_jupyterlab(lab: JupyterServer, open_notebook: OpenNotebook, theme: str) -> None:
    notebook, studio = open_studio(open_notebook, lab, f"access_{theme}.ipynb", [STUDIO_CELL], motion=True)
    page = notebook.page
    set_lab_theme(page, theme)
    container = output_area(page, "jupyter", motions(page))
    check_all(page, container, studio.scope, what=f"JupyterLab {theme}")


def test_the_studio_in_voila(voila: VoilaServer, open_app: OpenApp) -> None:
    page = open_app(voila, voila.url("01_quickstart.ipynb", theme="dark"), motion=True).page
    motions(page).get_by_role("option").first.wait_for(timeout=90_000)
    container = output_area(page, "jupyter", motions(page))
    check_all(page, container, container, what="Voilà dark")


def test_the_studio_in_marimo(marimo: MarimoServer, open_app: OpenApp) -> None:
    page = open_app(marimo, marimo.url("studio_app.py"), motion=True).page
    motions(page).get_by_role("option").first.wait_for(timeout=90_000)
    container = output_area(page, "marimo", page.locator("marimo-anywidget"))
    check_all(page, container, page.locator("marimo-anywidget"), what="marimo")


@pytest.fixture
def zoomed_page(browser: Browser, lab: JupyterServer) -> Iterator[NotebookPage]:
    """A page as a 1280 px window at 200 % zoom shows it: 640 CSS pixels, two device pixels each."""
    context = browser.new_context(viewport={"width": 640, "height": 900}, device_scale_factor=2)
    page = context.new_page()
    notebook = NotebookPage(page, server=lab)
    isolate(page, refuse=notebook.refuse, host_port=lab.port, remote=False)
    yield notebook
    notebook.close()
    context.close()
    lab.delete_sessions()


def test_the_studio_at_200_percent_zoom(lab: JupyterServer, zoomed_page: NotebookPage) -> None:
    write_notebook(lab.root_dir / "zoomed.ipynb", [STUDIO_CELL])
    zoomed_page.open("zoomed.ipynb")
    zoomed_page.run_all()
    page = zoomed_page.page
    motions(page).get_by_role("option").first.wait_for(timeout=90_000)
    container = output_area(page, "jupyter", motions(page))
    check_reflow(page, container, container, what="JupyterLab at 200 % of 1280 px")


# --------------------------------------------------------------------------- the live region

# Every text the status region shows, in order, as the page sees it change.
_RECORD_STATUS_JS = """(region) => {
  window.__hfwStatusTexts = [region.textContent];
  new MutationObserver(() => {
    const texts = window.__hfwStatusTexts;
    if (texts[texts.length - 1] !== region.textContent) texts.push(region.textContent);
  }).observe(region, {childList: true, subtree: true, characterData: true});
}"""


def test_one_generation_is_announced_calmly(
    lab: JupyterServer, open_notebook: OpenNotebook, photo_file: Path
) -> None:
    notebook, studio = open_studio(open_notebook, lab, "live_region.ipynb", [STUDIO_CELL])
    choose_motion(studio.scope, "Face Punch")
    studio.choose_first_frame(photo_file)
    region = studio.status
    expect(region).to_contain_text("pts")
    region.evaluate(_RECORD_STATUS_JS)
    studio.button("Generate").click()
    studio.wait_video_playing()
    notebook.page.wait_for_function(
        "(el) => /completed/.test(el.textContent)", arg=region.element_handle(), timeout=30_000
    )
    texts: list[str] = notebook.page.evaluate("() => window.__hfwStatusTexts")
    changes = texts[1:]
    print("live region:", changes)
    # Each change once, the cost with "submitted" (a task of ~2 s: no progress to repeat).
    for milestone in ("Submitting #1", "#1 submitted: task", "#1 completed"):
        assert sum(text.startswith(milestone) for text in changes) == 1, (milestone, changes)
    assert sum("in progress" in text for text in changes) <= 1, changes
    assert not [text for text in changes if "queued" in text], changes
    assert len(changes) <= 4, changes
    # The Result region has its own status line, outside the live region.
    assert studio.result.get_by_text(re.compile("completed", re.I)).count() >= 1
