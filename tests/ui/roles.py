"""What a person does with the widgets, by role and accessible name only (the names issue 12
fixes for every host), never by the widgets' own CSS classes.

`scope` is a Page or a Locator around one widget: the same calls work in JupyterLab,
Notebook 7, Voilà and marimo (Playwright's role queries pierce marimo's shadow roots).
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page

Scope = Page | Locator


def starts_with(name: str) -> re.Pattern[str]:
    """An accessible name that starts with `name` (a tile's badges may follow it), any case."""
    return re.compile(rf"^\s*{re.escape(name)}(\b|$)", re.IGNORECASE)


def motions(scope: Scope) -> Locator:
    return scope.get_by_role("listbox", name="Motions")


def motion_option(scope: Scope, name: str) -> Locator:
    """The tile of the motion named `name`: its accessible name holds `name` as whole words
    (issue 12 asks that it start with it: `test_accessible_names` checks that)."""
    return motions(scope).get_by_role("option", name=re.compile(rf"(^|\s){re.escape(name)}(\s|$)", re.I))


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
    """Click the tile of `name` and wait until it is the selected option; returns it."""
    tile = motion_option(scope, name).first
    tile.scroll_into_view_if_needed()
    tile.click()
    tile.page.wait_for_function(
        "(el) => el.getAttribute('aria-selected') === 'true'", arg=tile.element_handle(), timeout=timeout
    )
    return tile


def wait_for_fewer_options(scope: Scope, count: int, *, timeout: float = 15.0) -> list[str]:
    """Wait until fewer than `count` tiles are on show (a search applied); returns their names."""
    page = scope if isinstance(scope, Page) else scope.page
    for _ in range(int(timeout * 10)):
        names = visible_option_names(scope)
        if len(names) < count:
            return names
        page.wait_for_timeout(100)
    raise AssertionError(f"still {count} tiles on show after {timeout:g}s")
