"""mkdocs hooks: the API reference, one page per public name, generated from `hfwidgets.__all__`.

Every name `import hfwidgets` exports gets a page rendered by mkdocstrings from its
docstring, and every error class reachable from `HiggsfieldError` gets one too, so a
new public name or error can never be missing from the reference. The pages are
listed under "API reference" in the navigation, grouped by what they are. The errors
guide must mention every error class: a missing one is a warning (an error in strict
builds).
"""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

log = logging.getLogger("mkdocs.plugins.hfwidgets")

GROUPS: dict[str, tuple[str, ...]] = {
    "Core": ("Client", "run", "resume", "GenerateRequest", "AdsRequest", "motions", "PollPolicy"),
    "Results": ("Feed", "Task", "Job", "Params", "Motion", "MotionPart"),
    "Journal": ("history", "History", "Journal", "TaskRecord"),
    "Widgets": (
        "Studio",
        "MotionGrid",
        "ImageInput",
        "ResultView",
        "Explorer",
        "AdsPanel",
        "compare",
        "Comparison",
    ),
}
"""The order of the reference; a public name in none of these lands in "More"."""

ERRORS_GUIDE = "guide/errors.md"


@dataclass(frozen=True)
class Page:
    """One generated reference page."""

    name: str
    identifier: str
    path: str
    kind: str
    summary: str

    def markdown(self) -> str:
        text = f"::: {self.identifier}\n    options:\n      heading_level: 1\n"
        if self.kind == "error":
            anchor = self.name.lower()
            text += f"\nWhat to do about it: [the errors guide](../../guide/errors.md#{anchor}).\n"
        return text


def _summary(obj: Any) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.strip().split("\n\n")[0].replace("\n", " ")


def _error_classes() -> list[type[BaseException]]:
    import hfwidgets
    from hfwidgets import HiggsfieldError

    for name in hfwidgets.__all__:  # load the lazy modules, so every subclass is defined
        getattr(hfwidgets, name)
    found: list[type[BaseException]] = []
    pending: list[type[BaseException]] = [HiggsfieldError]
    while pending:
        cls = pending.pop()
        if cls not in found and cls.__module__.startswith("hfwidgets"):
            found.append(cls)
            pending.extend(cls.__subclasses__())
    return sorted(found, key=lambda cls: cls.__name__)


def reference_pages() -> list[Page]:
    """Every page of the reference: public names first, then errors not exported."""
    import hfwidgets

    pages: dict[str, Page] = {}
    errors = _error_classes()
    for cls in errors:
        pages[cls.__name__] = Page(
            cls.__name__, f"{cls.__module__}.{cls.__qualname__}", f"reference/errors/{cls.__name__}.md",
            "error", _summary(cls),
        )  # fmt: skip
    for name in hfwidgets.__all__:
        if name in pages:
            continue
        obj = getattr(hfwidgets, name)
        if inspect.ismodule(obj):
            pages[name] = Page(name, obj.__name__, f"reference/modules/{name}.md", "module", _summary(obj))
        elif inspect.isclass(obj):
            identifier = f"{obj.__module__}.{obj.__qualname__}"
            pages[name] = Page(name, identifier, f"reference/{name}.md", "class", _summary(obj))
        elif callable(obj):
            identifier = f"{obj.__module__}.{obj.__qualname__}"
            pages[name] = Page(name, identifier, f"reference/functions/{name}.md", "function", _summary(obj))
        else:  # a constant: documented where `hfwidgets` imports it from
            pages[name] = Page(name, f"hfwidgets.{name}", f"reference/constants/{name}.md", "constant", "")
    return list(pages.values())


def _title(page: Page) -> str:
    return f"{page.name}()" if page.kind == "function" else page.name


def _navigation(pages: list[Page]) -> list[Any]:
    by_name = {page.name: page for page in pages}
    used: set[str] = set()
    nav: list[Any] = [{"Overview": "reference/index.md"}]
    for group, names in GROUPS.items():
        entries = [{_title(by_name[n]): by_name[n].path} for n in names if n in by_name]
        used.update(n for n in names if n in by_name)
        nav.append({group: entries})
    errors = [p for p in pages if p.kind == "error"]
    nav.append({"Errors": [{_title(p): p.path} for p in errors]})
    used.update(p.name for p in errors)
    rest = [p for p in pages if p.name not in used]
    if rest:
        nav.append({"More": [{_title(p): p.path} for p in rest]})
    return nav


def _index(pages: list[Page]) -> str:
    lines = [
        "# API reference",
        "",
        "Everything `import hfwidgets` exports, and every error it can raise. Each page is",
        "generated from the docstrings.",
        "",
        "| Name | Kind | Summary |",
        "| --- | --- | --- |",
    ]
    for page in pages:
        link = Path(page.path).relative_to("reference").as_posix()
        summary = page.summary.replace("|", "\\|")
        lines.append(f"| [`{_title(page)}`]({link}) | {page.kind} | {summary} |")
    return "\n".join(lines) + "\n"


_pages: list[Page] = []


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    _pages[:] = reference_pages()
    config.nav = [entry for entry in config.nav or [] if "API reference" not in entry]
    config.nav.append({"API reference": _navigation(_pages)})
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    files.append(File.generated(config, "reference/index.md", content=_index(_pages)))
    for page in _pages:
        files.append(File.generated(config, page.path, content=page.markdown()))
    guide = Path(config.docs_dir) / ERRORS_GUIDE
    text = guide.read_text("utf-8") if guide.is_file() else ""
    for page in _pages:
        if page.kind == "error" and f"## {page.name}" not in text:
            log.warning("%s has no section '## %s': say what to do about it", ERRORS_GUIDE, page.name)
    return files
