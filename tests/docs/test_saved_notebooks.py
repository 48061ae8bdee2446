"""The shipped notebooks read without a kernel: `nbconvert --to html` opened in a real Chromium
with no kernel and no emulator (every request that is not the page itself is refused), and
JupyterLab reopening them with a live kernel before any cell runs.

Every result must show a decoded poster, its motion, model and seed, and nothing may point at a
loopback address.
"""

from __future__ import annotations

import re
import runpy
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .docs_support import NOTEBOOKS, REPO, ui_harness

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.ui

MAX_NOTEBOOK_BYTES = 150 * 1024
LOOPBACK = r"^(https?|wss?)://(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:|/|$)"

# What each tutorial makes: (motion, model, seed) of every image-to-video result shown, and
# the number of ad results. A result missing from the saved outputs fails the test.
EXPECTED: dict[str, tuple[list[tuple[str, str, str]], int]] = {
    "01_quickstart.ipynb": ([("Face Punch", "lite", "42")] * 2, 0),
    "02_async_core.ipynb": ([("Eyes In", "lite", "1")], 0),
    # The Explorer is shown twice: before its run (the saved output kept up with the results) and after.
    "03_exploring_motions.ipynb": (
        [
            ("Eyes In", "lite", "1"),
            ("Eyes In", "lite", "2"),
            ("Arc Right", "lite", "1"),
            ("Arc Right", "lite", "2"),
        ]
        * 2,
        0,
    ),
    "04_analysis.ipynb": ([("Arc Left", "lite", "5")], 0),
    "05_ads.ipynb": ([], 1),
}

# Per result: the poster's decoded width, the parameters table, and every URL-bearing attribute.
RESULTS_JS = """
() => [...document.querySelectorAll('.hfw-static-result')].map(result => {
    const img = result.querySelector('img.hfw-poster');
    const rows = {};
    for (const row of result.querySelectorAll('table.hfw-static-params tr')) {
        rows[row.querySelector('th').textContent.trim()] = row.querySelector('td').textContent.trim();
    }
    return {
        posterWidth: img ? (img.complete ? img.naturalWidth : -1) : 0,
        rows,
        text: result.innerText,
    };
})
"""
URLS_JS = """
(scope) => [...document.querySelectorAll(scope)].flatMap(
    el => ['src', 'href', 'poster', 'data-src'].map(a => el.getAttribute(a)).filter(Boolean))
"""
EVERY_ELEMENT = "[src], [href], [poster], [data-src]"
# In JupyterLab the page itself is on 127.0.0.1 (and Lab turns URLs in printed text into links):
# what is loaded by the outputs, and any link in a result, must not be.
OUTPUT_SOURCES = (
    ".jp-OutputArea [src], .jp-OutputArea [poster], .jp-OutputArea [data-src], .hfw-static-result [href]"
)


def test_notebooks_are_small_and_hold_no_key_and_no_video() -> None:
    assert [path.name for path in NOTEBOOKS] == sorted(EXPECTED)
    for path in NOTEBOOKS:
        text = path.read_text("utf-8")
        assert path.stat().st_size <= MAX_NOTEBOOK_BYTES, f"{path.name}: {path.stat().st_size} bytes"
        assert not re.search(r"hk-[A-Za-z0-9_\-]{8,}", text), f"{path.name} holds something like a key"
        assert "data:video" not in text, f"{path.name} embeds a video"
        assert "application/vnd.jupyter.widget-view+json" not in text, f"{path.name} keeps a dead widget view"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every shipped notebook as `jupyter nbconvert --to html` writes it (nothing executed)."""
    out = tmp_path_factory.mktemp("nbconvert")
    subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", "--output-dir", str(out)]
        + [str(path) for path in NOTEBOOKS],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return {path.name: out / f"{path.stem}.html" for path in NOTEBOOKS}


def check_results(name: str, results: list[dict[str, Any]], urls: list[str]) -> None:
    videos, ads = EXPECTED[name]
    assert results, f"{name}: no result is shown"
    for result in results:
        assert result["posterWidth"] > 0, f"{name}: a result without a decoded poster: {result['text'][:200]}"
    shown = sorted(
        (r["rows"]["Motion"], r["rows"]["Model"], r["rows"]["Seed"]) for r in results if "Motion" in r["rows"]
    )
    assert shown == sorted(videos), f"{name}: results shown {shown}"
    ad_results = [r for r in results if "Ad template" in r["rows"]]
    assert len(ad_results) == ads
    assert all(r["rows"]["Ad template"] not in ("", "—") for r in ad_results)
    loopback = [url for url in urls if re.match(LOOPBACK, url, re.IGNORECASE)]
    assert not loopback, f"{name}: elements point at loopback URLs: {loopback}"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_nbconvert_html_shows_every_result_without_kernel_or_emulator(
    name: str, exported: dict[str, Path], offline_page: tuple[Page, list[str]]
) -> None:
    page, refused = offline_page
    page.goto(exported[name].as_uri())
    page.wait_for_load_state("load")
    check_results(name, page.evaluate(RESULTS_JS), page.evaluate(URLS_JS, EVERY_ELEMENT))
    assert not [url for url in refused if re.match(LOOPBACK, url, re.IGNORECASE)]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """JupyterLab on a temp copy of notebooks/ (the harness of tests/ui)."""
    jupyter_server = ui_harness().jupyter_server
    root = tmp_path_factory.mktemp("lab") / "notebooks"
    shutil.copytree(REPO / "notebooks", root)
    state = tmp_path_factory.mktemp("lab-state")
    with jupyter_server(
        "lab", root_dir=root, state_dir=state, kernel_env={"HFWIDGETS_HOME": str(state / "home")}
    ) as server:
        yield server


@pytest.mark.parametrize("name", ["01_quickstart.ipynb", "03_exploring_motions.ipynb"])
def test_jupyterlab_shows_the_static_view_before_running(name: str, lab: Any, browser: Browser) -> None:
    """Reopened with a live kernel, before any cell runs: the saved results, not dead widgets."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    notebook = ui_harness().NotebookPage(page, server=lab)
    try:
        notebook.open(name)
        page.wait_for_selector("img.hfw-poster")
        page.wait_for_function(
            "() => [...document.querySelectorAll('img.hfw-poster')].every(i => i.complete)"
        )
        check_results(name, page.evaluate(RESULTS_JS), page.evaluate(URLS_JS, OUTPUT_SOURCES))
        outputs = page.locator(".jp-OutputArea-output").all_inner_texts()
        assert not any("Error displaying widget" in text for text in outputs)
    finally:
        notebook.close()
        context.close()
        lab.delete_sessions()


COMPARE_CELLS = [
    "import hfwidgets",
    "first = hfwidgets.run('images/cat.jpg', 'Face Punch', seed=1)\n"
    "second = hfwidgets.run('images/cat.jpg', 'Face Punch', seed=2)",
    "hfwidgets.compare([first, second])",
]
COMPARISON_JS = """
() => [...document.querySelectorAll('.hfw-static-comparison')].map(view => ({
    posters: [...view.querySelectorAll('figure img.hfw-poster')].map(i => i.complete ? i.naturalWidth : -1),
    captions: [...view.querySelectorAll('figcaption b')].map(b => b.textContent),
    differ: [...view.querySelectorAll('table th[scope=row]')].map(th => th.textContent),
    same: (view.querySelector('.hfw-static-same') || {}).textContent || '',
}))
"""


def test_a_saved_comparison_shows_posters_and_what_differs_without_kernel(
    tmp_path: Path, offline_page: tuple[Page, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`hfwidgets.compare(feeds)` executed and saved as the tutorials are (no key: the emulator;
    scripts/refresh_notebooks.py), exported with nbconvert and read offline: both posters
    decoded, the differing parameter marked, nothing on loopback."""
    shutil.copytree(REPO / "notebooks" / "images", tmp_path / "images")
    saved = ui_harness().write_notebook(tmp_path / "compare.ipynb", COMPARE_CELLS)
    monkeypatch.setenv("HFWIDGETS_HOME", str(tmp_path / "home"))
    refresh = runpy.run_path(str(REPO / "scripts" / "refresh_notebooks.py"))["refresh"]
    refresh(saved)
    subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", str(saved)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    page, refused = offline_page
    page.goto((tmp_path / "compare.html").as_uri())
    page.wait_for_load_state("load")
    views = page.evaluate(COMPARISON_JS)
    print("saved comparison:", views)
    assert len(views) == 1
    view = views[0]
    assert len(view["posters"]) == 2 and all(width > 0 for width in view["posters"]), view
    assert view["captions"] == ["#1 Face Punch · lite · seed 1", "#2 Face Punch · lite · seed 2"]
    assert view["differ"][0] == "≠ Seed"
    assert "Motion Face Punch" in view["same"] and "Model lite" in view["same"]
    urls = page.evaluate(URLS_JS, EVERY_ELEMENT)
    assert not [url for url in urls if re.match(LOOPBACK, url, re.IGNORECASE)]
    assert not [url for url in refused if re.match(LOOPBACK, url, re.IGNORECASE)]
