"""The page checks themselves, on a page whose defects are known: each check must find what
is wrong there and leave alone what is right (a check that finds nothing proves nothing)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page

from .page_checks import axe_violations, contrast_failures, layout_overflows, text_contrasts

KNOWN_PAGE = """
<!doctype html><html lang="en"><head><title>checks</title></head>
<body style="margin:0; background:#ffffff; font: 14px sans-serif">
<main>
 <div id="widget" style="width:320px; background:#f0f0f0">
  <p id="good" style="color:#222222">Readable text</p>
  <p id="faint" style="color:#777777; background:#888888">Faint text</p>
  <p id="see-through" style="color:rgba(0,0,0,0.25)">Half there</p>
  <div style="background:#202020"><span id="on-dark" style="color:#9a9a9a">Grey on dark</span></div>
  <button disabled style="color:#aaaaaa">Disabled</button>
  <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="40" height="40">
  <div id="too-wide" style="width:420px">A row that sticks out</div>
  <ul aria-label="History" style="display:flex; overflow-x:auto; width:300px; padding:0; margin:0">
   <li style="flex:0 0 200px">entry one</li><li style="flex:0 0 200px">entry two</li>
  </ul>
  <div style="overflow:hidden; white-space:nowrap; width:100px">A label that is cut at the end</div>
 </div>
</main>
</body></html>
"""


def relative_luminance(hex_color: str) -> float:
    channels = [int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def ratio(foreground: str, background: str) -> float:
    high, low = sorted((relative_luminance(foreground), relative_luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.fixture
def known_page(browser_context: BrowserContext) -> Iterator[Page]:
    page = browser_context.new_page()
    page.set_content(KNOWN_PAGE)
    yield page
    page.close()


def test_contrast_is_measured_against_the_effective_background(known_page: Page) -> None:
    contrasts = {c.text: c for c in text_contrasts(known_page.locator("#widget"))}
    print("\n".join(str(c) for c in contrasts.values()))
    assert contrasts["Readable text"].ratio == pytest.approx(ratio("#222222", "#f0f0f0"), abs=0.02)
    assert contrasts["Faint text"].ratio == pytest.approx(ratio("#777777", "#888888"), abs=0.02)
    assert contrasts["Grey on dark"].ratio == pytest.approx(ratio("#9a9a9a", "#202020"), abs=0.02)
    # 25% black over #f0f0f0 is #b4b4b4 on screen.
    assert contrasts["Half there"].ratio == pytest.approx(ratio("#b4b4b4", "#f0f0f0"), abs=0.05)
    failing = {c.text for c in contrast_failures(list(contrasts.values()))}
    assert failing == {"Faint text", "Half there"}  # disabled controls are exempt


def test_layout_check_finds_what_sticks_out_and_allows_a_history_strip(known_page: Page) -> None:
    report = layout_overflows(known_page.locator("#widget"))
    print(report)
    assert report.width == 320
    assert any("sticks out" in p and "A row that sticks out" in p for p in report.problems), report
    assert any(p.startswith("cut") and "A label that is cut" in p for p in report.problems), report
    assert not any("entry" in p for p in report.problems), "the History strip scrolls on its own"


def test_axe_core_from_npm_finds_an_image_without_alt(known_page: Page, axe_script: Path) -> None:
    violations = axe_violations(known_page, known_page.locator("#widget"), axe_script)
    print({impact: [str(v) for v in found] for impact, found in violations.items()})
    assert "image-alt" in {v.rule for v in violations.get("critical", [])}
    assert "color-contrast" in {v.rule for v in violations.get("serious", [])}
