"""Checks a person with a screen reader, low vision or a narrow window would care about, run
on one widget of a live page, whatever the host (JupyterLab, Notebook 7, Voilà, marimo).

- `axe_violations(page, root)`: axe-core (from npm, see `install_axe`) on the widget only;
  the violations grouped by impact.
- `text_contrasts(page, root)`: the WCAG contrast ratio of every visible text of the widget,
  from computed styles, the background found by walking up to the first opaque one; an
  empty field's placeholder counts as its text (its element ends in "::placeholder").
- `layout_overflows(page, root)`: what sticks out of the widget, or needs sideways scrolling,
  at the current width (a chip row or a history strip may scroll on its own).
- `fit_width(page, root, 320)`: resize the window until the widget's container is that wide.

All scripts walk through open shadow roots (marimo renders widgets inside them).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page

AXE_VERSION = "4.10.2"
"""The axe-core release the checks use (pinned: a new release may add rules)."""

SERIOUS = ("critical", "serious")
JS_DIR = Path(__file__).parent / "js"


def _script(name: str) -> str:
    """A page function kept in tests/ui/js (an expression Playwright's evaluate accepts)."""
    return (JS_DIR / name).read_text("utf-8")


def cache_dir() -> Path:
    """Where downloaded test tools are kept between runs (`HFWIDGETS_TEST_CACHE` overrides)."""
    root = os.environ.get("HFWIDGETS_TEST_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "hfwidgets-tests"
    )
    return Path(root)


def install_axe(version: str = AXE_VERSION) -> Path:
    """axe-core's `axe.min.js`, installed with npm from the registry into the cache once."""
    prefix = cache_dir() / f"axe-core-{version}"
    script = prefix / "node_modules" / "axe-core" / "axe.min.js"
    if script.exists():
        return script
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "npm is needed to install axe-core for the accessibility tests (apt-get install npm)"
        )
    prefix.mkdir(parents=True, exist_ok=True)
    (prefix / "package.json").write_text('{"private": true}\n', "utf-8")
    subprocess.run(
        [
            npm,
            "install",
            "--no-audit",
            "--no-fund",
            "--no-save",
            "--prefix",
            str(prefix),
            f"axe-core@{version}",
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    if not script.exists():
        raise RuntimeError(f"npm installed axe-core@{version} but {script} is missing")
    return script


# JupyterLab's page defines an AMD `define`: axe's UMD wrapper would register itself with it and
# never set `window.axe`. Running it with `define`/`module`/`exports` shadowed sets the global.
def _axe_injection(script: Path) -> str:
    source = script.read_text("utf-8")
    return (
        f"(function(define, module, exports) {{\n{source}\n}}).call(window, undefined, undefined, undefined);"
    )


@dataclass(frozen=True)
class AxeViolation:
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        shown = ", ".join(self.targets[:3]) + (" ..." if len(self.targets) > 3 else "")
        return f"{self.impact} {self.rule}: {self.help} ({len(self.targets)} nodes: {shown})"


def axe_violations(page: Page, root: Locator, axe_script: Path) -> dict[str, list[AxeViolation]]:
    """axe-core's violations inside `root`, by impact ("critical", "serious", "moderate", "minor")."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_injection(axe_script))
    raw: list[dict[str, Any]] = root.evaluate(
        """async (element) => {
            const results = await window.axe.run(element, {resultTypes: ['violations']});
            return results.violations.map(v => ({
                rule: v.id, impact: v.impact || 'minor', help: v.help,
                targets: v.nodes.map(n => JSON.stringify(n.target)),
            }));
        }"""
    )
    grouped: dict[str, list[AxeViolation]] = defaultdict(list)
    for item in raw:
        violation = AxeViolation(item["rule"], item["impact"], item["help"], tuple(item["targets"]))
        grouped[violation.impact].append(violation)
    return dict(grouped)


# --------------------------------------------------------------------------- contrast

_CONTRAST_JS = _script("contrast.js")


@dataclass(frozen=True)
class TextContrast:
    text: str
    element: str
    ratio: float
    color: str
    background: str
    background_image: str | None
    font_size: str
    disabled: bool

    def __str__(self) -> str:
        over_image = f" over {self.background_image}" if self.background_image else ""
        state = " (disabled)" if self.disabled else ""
        return (
            f"{self.ratio:.2f}:1 {self.element}{state} {self.text!r}: {self.color} on "
            f"{self.background}{over_image}, {self.font_size}"
        )


def text_contrasts(root: Locator) -> list[TextContrast]:
    """Every visible text of `root` with its contrast ratio, lowest first."""
    raw: list[dict[str, Any]] = root.evaluate(_CONTRAST_JS)
    found = [
        TextContrast(
            text=item["text"],
            element=item["element"],
            ratio=item["ratio"],
            color=item["color"],
            background=item["background"],
            background_image=item["backgroundImage"],
            font_size=item["fontSize"],
            disabled=item["disabled"],
        )
        for item in raw
    ]
    return sorted(found, key=lambda item: item.ratio)


def contrast_failures(contrasts: list[TextContrast], minimum: float = 4.5) -> list[TextContrast]:
    """Texts under `minimum`. Text over a picture cannot be measured this way and is left out;
    disabled controls are exempt (WCAG 1.4.3: inactive components)."""
    return [c for c in contrasts if c.ratio < minimum and not c.background_image and not c.disabled]


# --------------------------------------------------------------------------- layout

# Horizontal scroll containers allowed inside a widget: the category chip row (it holds
# buttons with aria-pressed) and the history strip (role list, named History).
_LAYOUT_JS = _script("layout.js")


@dataclass(frozen=True)
class LayoutReport:
    width: int
    problems: list[str]


def layout_overflows(root: Locator, *, slack: int = 1) -> LayoutReport:
    """Elements of `root` wider than it, or cut, or scrolling sideways (except a chip row or a
    history strip that scrolls on its own)."""
    raw: dict[str, Any] = root.evaluate(_LAYOUT_JS, slack)
    problems = [f"{p['kind']} by {p['by']} px: {p['element']}" for p in raw["problems"]]
    return LayoutReport(width=raw["width"], problems=problems)


def fit_width(page: Page, container: Locator, target: int, *, tolerance: int = 6) -> int:
    """Resize the window until `container` (the widget's output area) is about `target` px wide;
    returns its final width."""
    for _ in range(6):
        width = round(container.evaluate("(el) => el.getBoundingClientRect().width"))
        if abs(width - target) <= tolerance:
            return int(width)
        viewport = page.viewport_size
        assert viewport is not None
        page.set_viewport_size(
            {"width": max(200, viewport["width"] + target - width), "height": viewport["height"]}
        )
        page.wait_for_timeout(250)  # layout and the hosts' own resize observers
    final = round(container.evaluate("(el) => el.getBoundingClientRect().width"))
    return int(final)


def output_area(page: Page, host: str, widget: Locator) -> Locator:
    """The host's own box around the output that holds `widget`: what the widget must fit in.
    (The hosts' class names, never the widget's: marimo's `.output-area`, Jupyter's
    `.jp-OutputArea-output` in JupyterLab, Notebook 7 and Voilà.)"""
    selector = ".output-area" if host == "marimo" else ".jp-OutputArea-output"
    return page.locator(selector).filter(has=widget).last


def summary(grouped: dict[str, list[AxeViolation]]) -> str:
    """`{"critical": 1, "serious": 0, ...}` as one line, for reports."""
    return json.dumps({impact: len(items) for impact, items in sorted(grouped.items())})
