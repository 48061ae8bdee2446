"""Strings from the service are untrusted: a motion name and a prompt full of markup must be
shown as text, never run. Served by an emulator of their own, through the real widgets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import hfwidgets
from hfwidgets import Motion
from hfwidgets.emulator import EmulatorServer, serve

from .page_checks import output_area
from .roles import StudioUI, choose_motion, motion_option, motions
from .ui_harness import JupyterServer, OpenNotebook, fast_timing, write_notebook

HOSTILE_NAME = '<img src=x onerror="window.__pwned=1;alert(1)">'
HOSTILE_PROMPT = "<script>window.__pwned=2</script><img src=x onerror=alert(2)>"
HOSTILE_ID = "0badc0de-0000-4000-8000-00000000a11e"


@pytest.fixture(scope="module")
def hostile_emulator() -> Iterator[EmulatorServer]:
    """An emulator whose catalogue leads with a motion named like an HTML injection."""
    hostile = Motion(id=HOSTILE_ID, name=HOSTILE_NAME, priority=-100, tags=("new",), categories=("trending",))
    with serve(motions=[hostile, *hfwidgets.motions()[:5]], timing=fast_timing()) as server:
        yield server


def test_markup_in_a_motion_name_and_a_prompt_shows_as_text(
    lab: JupyterServer, open_notebook: OpenNotebook, hostile_emulator: EmulatorServer, photo_file: Path
) -> None:
    write_notebook(
        lab.root_dir / "hostile.ipynb",
        [
            "import hfwidgets\n"
            f"client = hfwidgets.Client(base_url={hostile_emulator.base_url!r}, "
            f"motions_url={hostile_emulator.motions_url!r})\n"
            "studio = hfwidgets.Studio(client)\n"
            "studio",
        ],
    )
    notebook = open_notebook(lab, "hostile.ipynb")
    notebook.run_all()
    studio = StudioUI(output_area(notebook.page, "jupyter", motions(notebook.page)))
    studio.wait_rendered()
    hostile_tile = motion_option(studio.scope, HOSTILE_NAME)
    hostile_tile.wait_for(timeout=30_000)

    choose_motion(studio.scope, HOSTILE_NAME)
    notebook.kernel.wait_for(f"studio.motion is not None and studio.motion.id == {HOSTILE_ID!r}")
    studio.choose_first_frame(photo_file)
    prompt = studio.scope.get_by_role("textbox", name="Prompt", exact=True)
    prompt.fill(HOSTILE_PROMPT)
    prompt.press("Tab")
    notebook.kernel.wait_for(f"studio.prompt == {HOSTILE_PROMPT!r}")
    studio.button("Generate").click()
    studio.video.wait_for(state="attached", timeout=60_000)
    studio.result.get_by_text(HOSTILE_PROMPT).first.wait_for(state="visible", timeout=30_000)

    assert HOSTILE_NAME in hostile_tile.inner_text()
    page_text = notebook.page.locator("body").inner_text()
    assert HOSTILE_NAME in page_text
    assert notebook.page.evaluate("() => typeof window.__pwned") == "undefined"
    assert notebook.dialogs == []
    # No element was made from the strings: the only <img src="x"> would be an injected one.
    assert notebook.page.locator('img[src="x"]').count() == 0
    assert not notebook.page.evaluate(
        "() => [...document.scripts].some(script => script.textContent.includes('__pwned'))"
    )
