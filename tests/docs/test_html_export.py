"""`hfwidgets html`: a notebook of every widget, executed by nbclient in a real kernel with no key
(the embedded emulator, as a newcomer runs it), exported by the command, and read in Chromium with
every request but the page itself refused.

The same run checks that the saved outputs kept up with the results: the Studio, the Explorer and
the AdsPanel were displayed before their results arrived, and their saved `text/html` shows them.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat
import pytest
from nbclient import NotebookClient

from hfwidgets._home_emulator import stop_emulator
from hfwidgets._notebook_html import LOOPBACK_PLACEHOLDER, NEEDS_KERNEL, offline_notebook, scrub_loopback

from .docs_support import REPO

if TYPE_CHECKING:
    from playwright.sync_api import Page

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
POSTER = "data:image/webp;base64,AAAA"
LOOPBACK = re.compile(r"(https?|wss?)://(127\.\d+\.\d+\.\d+|localhost|\[::1\])[:/]", re.IGNORECASE)

CELLS = [
    "import ipywidgets\nfrom IPython.display import HTML\n\nimport hfwidgets",
    'studio = hfwidgets.Studio(image="images/cat.jpg", motion="Static", seed=3)\nstudio',
    "studio.generate()\nfeed = await studio.wait()\nprint(feed.status, feed.video_url)",
    "hfwidgets.ResultView(feed)",
    'hfwidgets.MotionGrid(value="Static")',
    "hfwidgets.ImageInput()",
    'explorer = hfwidgets.Explorer("images/cat.jpg", motions=["Static"], seeds=[1, 2])\nexplorer',
    "feeds = await explorer.wait()",
    'panel = hfwidgets.AdsPanel(image="images/product.jpg")\npanel',
    "panel.generate()\nad = await panel.wait()",
    'ipywidgets.IntSlider(value=4, description="Strength")',
    "HTML(f'<p>The raw video:</p><video controls src=\"{feed.video_url}\"></video>')",
]


# --------------------------------------------------------------------------- offline_notebook alone


def output(data: dict[str, Any]) -> Any:
    return nbformat.v4.new_output("display_data", data=data)  # type: ignore[no-untyped-call]


def test_each_kind_of_output_is_made_to_stand_alone() -> None:
    studio_html = '<div class="hfw-static"><b>Studio: 1 result</b></div>'
    cell = nbformat.v4.new_code_cell("x")  # type: ignore[no-untyped-call]
    cell.outputs = [
        output({WIDGET_VIEW: {"model_id": "a"}, "text/html": studio_html, "text/plain": "Studio(...)"}),
        output({WIDGET_VIEW: {"model_id": "b"}, "text/plain": "IntSlider(value=4)"}),
        output({WIDGET_VIEW: {"model_id": "c"}}),
        nbformat.v4.new_output("stream", name="stdout", text="completed http://127.0.0.1:4321/files/a.mp4\n"),  # type: ignore[no-untyped-call]
        output({"text/html": f'<video src="http://localhost:9/v.mp4" poster="{POSTER}"></video>'}),
        output({"text/html": '<a href="https://cdn.example/v.mp4">a public video</a>'}),
    ]
    notebook = nbformat.v4.new_notebook(cells=[cell])  # type: ignore[no-untyped-call]
    notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}

    offline = offline_notebook(notebook)

    studio, slider, bare, stream, video, public = offline.cells[0].outputs
    assert studio.data == {"text/html": studio_html, "text/plain": "Studio(...)"}
    assert slider.data == {"text/plain": "IntSlider(value=4)"}
    assert bare.data == {"text/plain": NEEDS_KERNEL}
    assert stream.text == f"completed {LOOPBACK_PLACEHOLDER}\n"
    assert video.data["text/html"].startswith(f'<img src="{POSTER}"')
    assert public.data["text/html"] == '<a href="https://cdn.example/v.mp4">a public video</a>'
    assert "widgets" not in offline.metadata
    assert WIDGET_VIEW in notebook.cells[0].outputs[0].data  # the notebook given is left as it was


def test_loopback_addresses_leave_the_markup_public_ones_stay() -> None:
    markup = (
        '<img src="http://127.0.0.1:80/p.png" alt="x"><a href="http://[::1]:8/f">see http://[::1]:8/f</a>'
        '<img src="https://example.org/p.png">'
    )
    scrubbed = scrub_loopback(markup)
    assert not LOOPBACK.search(scrubbed)
    assert '<img alt="x">' in scrubbed and f"see {LOOPBACK_PLACEHOLDER}" in scrubbed
    assert '<img src="https://example.org/p.png">' in scrubbed


# --------------------------------------------------------------------------- executed, exported, read


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The notebook of CELLS run top to bottom by nbclient with no key, widget state stored."""
    work = tmp_path_factory.mktemp("export")
    shutil.copytree(REPO / "notebooks" / "images", work / "images")
    path = work / "every_widget.ipynb"
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in CELLS])  # type: ignore[no-untyped-call]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    with pytest.MonkeyPatch.context() as patch:  # a newcomer's kernel: no key, a home of its own
        patch.delenv("OPENAI_HK_API_KEY", raising=False)
        patch.delenv("OPENAI_HK_BASE_URL", raising=False)
        patch.setenv("HFWIDGETS_HOME", str(work / "home"))
        NotebookClient(
            notebook,
            timeout=300,
            kernel_name="python3",
            resources={"metadata": {"path": str(work)}},
            store_widget_state=True,
        ).execute()
    stop_emulator(work / "home")  # the kernel started the home's emulator in the background
    nbformat.write(notebook, path)  # type: ignore[no-untyped-call]
    return path


def html_of(path: Path, cell: int) -> str:
    notebook = json.loads(path.read_text("utf-8"))
    return "".join(
        "".join(out["data"]["text/html"])
        for out in notebook["cells"][cell]["outputs"]
        if "text/html" in out.get("data", {})
    )


def test_the_saved_outputs_show_the_results_that_arrived_after_display(executed: Path) -> None:
    notebook = json.loads(executed.read_text("utf-8"))
    assert notebook["metadata"]["widgets"]  # nbclient stored the widget state, as --execute does
    studio = html_of(executed, 1)
    assert "Studio: 1 result" in studio and "No results" not in studio
    assert 'alt="first frame: Static, seed 3"' in studio
    explorer = html_of(executed, 6)
    assert explorer.count('class="hfw-poster"') == 2 and "Not run" not in explorer
    panel = html_of(executed, 8)
    assert "No ad when this was saved" not in panel and 'class="hfw-poster"' in panel


@pytest.fixture(scope="module")
def page_file(executed: Path) -> Path:
    out = executed.with_name("shared.html")
    done = subprocess.run(
        [sys.executable, "-m", "hfwidgets", "html", str(executed), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out)
    return out


def test_the_page_holds_no_loopback_address_and_no_widget_manager(page_file: Path) -> None:
    text = page_file.read_text("utf-8")
    assert not LOOPBACK.search(text), LOOPBACK.search(text)
    assert WIDGET_VIEW not in text and "widget-state" not in text
    assert not re.findall(r"<script[^>]+src=", text)  # every script is inline


@pytest.mark.ui
def test_every_output_reads_in_chromium_with_the_network_refused(
    page_file: Path, offline_page: tuple[Page, list[str]]
) -> None:
    page, refused = offline_page
    page.goto(page_file.as_uri())
    page.wait_for_load_state("load")
    for title in ("Studio: 1 result", "Explorer: 1 motion(s) × 2 seed(s), lite", "Ads", "Image input"):
        assert page.get_by_text(title, exact=True).first.is_visible(), title
    assert page.get_by_text("Motion grid:").first.is_visible()
    assert page.get_by_text("Selected: Static").is_visible()
    # another library's widget: its text
    assert page.get_by_text("IntSlider(value=4, description='Strength')", exact=True).is_visible()
    assert page.get_by_text(LOOPBACK_PLACEHOLDER).first.is_visible()  # the printed URL, and the <video>
    posters = {
        "first frame: Static, seed 3": 2,  # the Studio's result and the ResultView
        "first frame: Static, seed 1": 1,
        "first frame: Static, seed 2": 1,
    }
    for name, count in posters.items():
        images = page.get_by_role("img", name=name, exact=True)
        assert images.count() == count, name
        for index in range(count):
            width = images.nth(index).evaluate("img => img.complete ? img.naturalWidth : -1")
            assert width > 0, name
    ad_poster = page.get_by_role("img", name="first frame: ad", exact=True)
    assert ad_poster.evaluate("img => img.complete ? img.naturalWidth : -1") > 0
    assert page.locator(".jp-OutputArea-output:empty").count() == 0
    assert refused == [], refused  # nothing left the page: no CDN, no emulator
