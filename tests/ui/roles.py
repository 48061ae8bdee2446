"""What a person does with the widgets, by role and accessible name only (the names issue 12
fixes for every host), never by the widgets' own CSS classes.

`scope` is a Page or a Locator around one widget: the same calls work in JupyterLab,
Notebook 7, Voilà and marimo (Playwright's role queries pierce marimo's shadow roots).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect

from .ui_harness import wait_for_js

Scope = Page | Locator


def starts_with(name: str) -> re.Pattern[str]:
    """An accessible name that starts with `name` (a tile's badges may follow it), any case."""
    return re.compile(rf"^\s*{re.escape(name)}(\b|$)", re.IGNORECASE)


def motions(scope: Scope) -> Locator:
    return scope.get_by_role("listbox", name="Motions")


def motion_option(scope: Scope, name: str) -> Locator:
    """The tile of the motion named `name`: its accessible name holds `name` as whole words
    (issue 12 asks that it start with it: test_studio_flow checks that)."""
    return motions(scope).get_by_role("option", name=re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.I))


def visible_option_names(scope: Scope) -> list[str]:
    """Accessible names of the tiles on show, in order (as the accessibility tree has them:
    hidden tiles are not in it)."""
    snapshot = motions(scope).aria_snapshot()
    return [_unquote(m.group(1)) for m in re.finditer(r'^\s*- option "((?:[^"\\]|\\.)*)"', snapshot, re.M)]


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def search_motions(scope: Scope, text: str) -> None:
    """Type `text` in the search box, key by key, as a person would."""
    box = scope.get_by_role("searchbox", name="Search motions")
    box.fill("")
    box.press_sequentially(text, delay=20)


def choose_motion(scope: Scope, name: str, *, timeout: float = 15_000) -> Locator:
    """Click the tile of `name` and wait until it is the selected option; returns it.

    Read through locators only: the grid may be drawn anew meanwhile (the live catalogue
    replacing the bundled one, the view redrawn for a new result), and a click the old view
    took before it went is tried again on the new one."""
    tile = motion_option(scope, name).first
    deadline = time.monotonic() + timeout / 1000
    while True:
        try:
            if tile.get_attribute("aria-selected", timeout=timeout) != "true":
                tile.click(timeout=timeout)  # scrolls it into view; waits while it is replaced
            expect(tile).to_have_attribute("aria-selected", "true", timeout=3_000)
            return tile
        except (AssertionError, PlaywrightError):
            if time.monotonic() > deadline:
                raise


def wait_for_fewer_options(scope: Scope, count: int, *, timeout: float = 15.0) -> list[str]:
    """Wait until fewer than `count` tiles are on show (a search applied); returns their names."""
    page = scope if isinstance(scope, Page) else scope.page
    for _ in range(int(timeout * 10)):
        names = visible_option_names(scope)
        if len(names) < count:
            return names
        page.wait_for_timeout(100)
    raise AssertionError(f"still {count} tiles on show after {timeout:g}s")


# --------------------------------------------------------------------------- the Studio


class StudioUI:
    """A Studio on a page, used by role and accessible name (issue 12's English names).

    `scope` is the host's output box around the Studio, so names outside it (the host's own
    buttons, another widget) never match.
    """

    def __init__(self, scope: Locator) -> None:
        self.scope = scope
        self.page = scope.page

    def __repr__(self) -> str:
        return f"StudioUI({self.scope!r})"

    def wait_rendered(self, *, timeout: float = 90_000) -> None:
        motions(self.scope).wait_for(timeout=timeout)
        motions(self.scope).get_by_role("option").first.wait_for(timeout=timeout)

    # ---- parts
    def button(self, name: str) -> Locator:
        return self.scope.get_by_role("button", name=name, exact=True)

    @property
    def status(self) -> Locator:
        return self.scope.get_by_role("status")

    @property
    def result(self) -> Locator:
        return self.scope.get_by_role("region", name="Result")

    @property
    def video(self) -> Locator:
        return self.result.locator("video")

    @property
    def history(self) -> Locator:
        return self.scope.get_by_role("list", name="History")

    def history_items(self) -> Locator:
        return self.history.get_by_role("listitem")

    # ---- settings
    def choose_first_frame(self, image: Path) -> Locator:
        """Give `image` to the "First frame" file input; returns its preview once it shows
        (an <img> whose alt names the file)."""
        self.scope.get_by_label("First frame", exact=True).set_input_files(str(image))
        preview = self.scope.get_by_role("img", name=re.compile(re.escape(image.name)))
        preview.wait_for(timeout=30_000)
        wait_for_js(preview, "(img) => img.complete && img.naturalWidth > 0")
        return preview

    @property
    def model(self) -> Locator:
        return self.scope.get_by_role("combobox", name="Model", exact=True)

    def model_labels(self) -> list[str]:
        labels: list[str] = self.model.evaluate("(select) => [...select.options].map(o => o.text)")
        return labels

    def choose_model(self, starting: str) -> str:
        """Pick the model whose label starts with `starting`; returns the label."""
        label = next(text for text in self.model_labels() if text.casefold().startswith(starting.casefold()))
        self.model.select_option(label=label)
        return label

    @property
    def seed(self) -> Locator:
        return self.scope.get_by_label("Seed", exact=True)

    def type_seed(self, seed: int) -> None:
        self.seed.fill(str(seed))
        self.seed.press("Enter")

    @property
    def keep_seed(self) -> Locator:
        return self.scope.get_by_role("checkbox", name="Keep seed", exact=True)

    # ---- the result
    def wait_video_playing(self, *, timeout: float = 90_000) -> dict[str, Any]:
        """Wait for the result's <video>, play it, and return its state once time has advanced:
        `{"src", "readyState", "duration", "currentTime", "startTime"}`.

        A Studio displayed by IPython is drawn again once when a result arrives (its saved output
        follows the results, `_static.StaticRepr`): a <video> found just before that is replaced,
        and the check starts again on the new one (at most twice)."""
        for _redraw in range(3):
            self.video.wait_for(state="attached", timeout=timeout)
            handle = self.video.element_handle()
            self.page.wait_for_function(
                "(v) => !v.isConnected || (!!v.currentSrc && v.readyState >= 1)", arg=handle, timeout=timeout
            )
            try:
                start: float = handle.evaluate(
                    "async (v) => { v.muted = true; await v.play(); return v.currentTime; }"
                )
                self.page.wait_for_function(
                    "([v, start]) => !v.isConnected || (v.readyState === 4 && v.currentTime > start + 0.3)",
                    arg=[handle, start],
                    timeout=timeout,
                )
            except PlaywrightError:
                if handle.evaluate("(v) => v.isConnected"):
                    raise
                continue  # play() refused on a <video> the redraw removed
            if not handle.evaluate("(v) => v.isConnected"):
                continue
            state: dict[str, Any] = handle.evaluate(
                """(v) => ({src: v.currentSrc, readyState: v.readyState, duration: v.duration,
                           currentTime: v.currentTime})"""
            )
            state["startTime"] = start
            return state
        raise AssertionError("the result's <video> was replaced three times")

    def loaded_previews(self) -> int:
        """How many tile previews (<img> in the Motions listbox) have loaded pixels."""
        count: int = motions(self.scope).evaluate(
            "(box) => [...box.querySelectorAll('img')].filter(i => i.complete && i.naturalWidth > 0).length"
        )
        return count
