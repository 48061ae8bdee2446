"""Strings from the service are untrusted: a motion name and a prompt full of markup must be
shown as text, never run. Served by an emulator of their own, through the real widgets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from studio_page import StudioPage
from ui_harness import JupyterServer, OpenNotebook, fast_timing, write_notebook

from hfwidgets import Motion, motions
from hfwidgets.emulator import EmulatorServer, serve

HOSTILE_NAME = '<img src=x onerror="window.__pwned=1;alert(1)">'
HOSTILE_PROMPT = "<script>window.__pwned=2</script><img src=x onerror=alert(2)>"
HOSTILE_ID = "0badc0de-0000-4000-8000-00000000a11e"


@pytest.fixture(scope="module")
def hostile_emulator() -> Iterator[EmulatorServer]:
    """An emulator whose catalogue leads with a motion named like an HTML injection."""
    hostile = Motion(id=HOSTILE_ID, name=HOSTILE_NAME, priority=-100, tags=("new",), categories=("trending",))
    with serve(motions=[hostile, *motions()[:5]], timing=fast_timing()) as server:
        yield server


def test_markup_in_a_motion_name_and_a_prompt_shows_as_text(
    lab: JupyterServer, open_notebook: OpenNotebook, hostile_emulator: EmulatorServer, photo: Path
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
    studio = StudioPage(notebook)
    studio.wait_rendered()
    hostile_tile = studio.part(f'.hfw-motion-tile[data-motion-id="{HOSTILE_ID}"]')
    hostile_tile.wait_for(timeout=30_000)

    hostile_tile.click()
    notebook.kernel.wait_for(f"studio.motion is not None and studio.motion.id == {HOSTILE_ID!r}")
    studio.upload_first_frame(photo)
    studio.set_prompt(HOSTILE_PROMPT)
    notebook.kernel.wait_for(f"studio.prompt == {HOSTILE_PROMPT!r}")
    studio.generate()
    studio.video.wait_for(state="attached", timeout=60_000)
    studio.part(".hfw-prompt-text").wait_for(state="visible")

    assert hostile_tile.locator(".hfw-motion-name").inner_text() == HOSTILE_NAME
    assert HOSTILE_PROMPT in studio.part(".hfw-prompt-text").inner_text()
    page_text = notebook.page.locator("body").inner_text()
    assert HOSTILE_NAME in page_text
    assert notebook.page.evaluate("() => typeof window.__pwned") == "undefined"
    assert notebook.dialogs == []
    # No element was made from the strings: the only <img src="x"> would be an injected one.
    assert notebook.page.locator('img[src="x"]').count() == 0
    assert not notebook.page.evaluate(
        "() => [...document.scripts].some(script => script.textContent.includes('__pwned'))"
    )
