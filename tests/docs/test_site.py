"""The documentation site, built strictly (a broken link, a missing reference or a notebook that
does not render fails the build): an API reference page for every public name and every error
class, the tutorials rendered with their saved outputs."""

from __future__ import annotations

import html
import inspect
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import hfwidgets
from hfwidgets import HiggsfieldError

from .docs_support import NOTEBOOKS

if TYPE_CHECKING:
    from playwright.sync_api import Browser


def error_classes() -> set[type[BaseException]]:
    """Every error class defined in a loaded hfwidgets module (the lazy ones loaded first)."""
    for name in hfwidgets.__all__:
        getattr(hfwidgets, name)
    return {
        cls
        for module_name, module in list(sys.modules.items())
        if module_name.startswith("hfwidgets")
        for cls in vars(module).values()
        if inspect.isclass(cls)
        and issubclass(cls, HiggsfieldError)
        and cls.__module__.startswith("hfwidgets")
    }


def page_text(site: Path, path: str) -> str:
    """The page's text without tags or whitespace (markup splits words differently than a docstring)."""
    page = site / path / "index.html"
    assert page.is_file(), f"no page {path}"
    return re.sub(r"\s+", "", html.unescape(re.sub(r"<[^>]+>", "", page.read_text("utf-8"))))


def first_sentence(obj: object) -> str:
    """The first words of the docstring, compared like `page_text` (code spans lose their backticks)."""
    doc = (inspect.getdoc(obj) or "").replace("`", "")
    return "".join(doc.split(".")[0].split()[:6])


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("Client", "reference/Client"),
        ("Studio", "reference/Studio"),
        ("Feed", "reference/Feed"),
        ("run", "reference/functions/run"),
    ],
)
def test_the_main_objects_have_a_reference_page_from_their_docstrings(
    built_site: Path, name: str, path: str
) -> None:
    text = page_text(built_site, path)
    obj = getattr(hfwidgets, name)
    assert first_sentence(obj) in text, f"{path} does not show the docstring of {name}"


def test_every_error_class_has_a_reference_page_and_a_what_to_do_section(built_site: Path) -> None:
    errors = error_classes()
    assert {"ValidationError", "TaskFailed", "SubmissionUncertain", "BudgetExceeded"} <= {
        cls.__name__ for cls in errors
    }
    guide = page_text(built_site, "guide/errors")
    for cls in errors:
        text = page_text(built_site, f"reference/errors/{cls.__name__}")
        assert first_sentence(cls) in text, f"the page of {cls.__name__} lacks its docstring"
        assert cls.__name__ in guide


def test_every_public_name_is_in_the_reference(built_site: Path) -> None:
    index = (built_site / "reference" / "index.html").read_text("utf-8")
    for name in hfwidgets.__all__:
        assert f"<code>{name}" in index, f"{name} is missing from the reference index"


def test_the_tutorials_are_the_notebooks_with_their_saved_outputs(built_site: Path) -> None:
    for notebook in NOTEBOOKS:
        page = (built_site / "tutorials" / notebook.stem / "index.html").read_text("utf-8")
        assert "hfw-static-result" in page, f"{notebook.name}: no saved result on its page"
        assert 'class="hfw-poster" src="data:image/webp;base64,' in page
        assert not re.search(r'(src|href|poster)="https?://(127\.0\.0\.1|localhost)', page)


@pytest.mark.ui
def test_a_tutorial_page_shows_decoded_posters_in_chromium(built_site: Path, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(("file:", "data:"))
            else route.abort("blockedbyclient")
        ),
    )
    page = context.new_page()
    try:
        page.goto((built_site / "tutorials" / "03_exploring_motions" / "index.html").as_uri())
        page.wait_for_load_state("load")
        widths = page.evaluate(
            "() => [...document.querySelectorAll('img.hfw-poster')].map(i => i.naturalWidth)"
        )
        # Every poster the saved tutorial holds (its Explorer's live output and its results) is shown.
        saved = (
            next(n for n in NOTEBOOKS if n.name == "03_exploring_motions.ipynb")
            .read_text("utf-8")
            .count('class=\\"hfw-poster')
        )
        assert saved >= 4 and len(widths) == saved and all(width > 0 for width in widths)
        assert page.get_by_role("heading", name="Exploring motions").count() >= 1
    finally:
        context.close()
