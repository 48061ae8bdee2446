"""The saved output keeps up: a widget displayed by IPython goes out with a display id, and each
result that arrives sends that display again (once) with the new static view, the widget view
unchanged. IPython's display functions are recorded here; tests/docs/test_html_export.py runs the
same in a real kernel under nbclient and reads the saved notebook."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import IPython.display
import pytest

from hfwidgets.widgets import AdsPanel, Explorer, MotionGrid, Studio

from .widget_support import from_view

if TYPE_CHECKING:
    from hfwidgets._client import Client

VIEW = "application/vnd.jupyter.widget-view+json"


@dataclass
class Displays:
    """What the widgets sent through IPython: first displays, then updates, in order."""

    shown: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    updated: list[tuple[dict[str, Any], str]] = field(default_factory=list)


@pytest.fixture
def displays(monkeypatch: pytest.MonkeyPatch) -> Displays:
    recorded = Displays()

    def display(data: dict[str, Any], *, metadata: Any = None, raw: bool = False, display_id: str) -> None:
        assert raw
        recorded.shown.append((data, display_id))

    def update_display(
        data: dict[str, Any], *, metadata: Any = None, raw: bool = False, display_id: str
    ) -> None:
        assert raw
        recorded.updated.append((data, display_id))

    monkeypatch.setattr(IPython.display, "display", display)
    monkeypatch.setattr(IPython.display, "update_display", update_display)
    return recorded


async def test_a_studio_result_updates_its_saved_output_once(
    emulator_client: Client, displays: Displays, photo_bytes: bytes
) -> None:
    studio = Studio(emulator_client, motion="Static")
    from_view(studio, {"type": "upload", "frame": "first", "name": "cat.png"}, [photo_bytes])
    studio._ipython_display_()
    ((first, display_id),) = displays.shown
    assert "No results when this was saved" in first["text/html"]
    assert first[VIEW]["model_id"] == studio.model_id

    studio.generate()
    feed = await studio.wait()

    assert feed is not None and feed.status == "completed"
    ((data, updated_id),) = displays.updated  # one result: one update, so one rebuild of a live view
    assert updated_id == display_id
    assert data[VIEW] == first[VIEW]  # the live view stays the same widget
    assert "Studio: 1 result" in data["text/html"] and feed.id in data["text/html"]
    assert "No results" not in data["text/html"]


async def test_explorer_updates_once_per_cell_and_the_panel_once(
    emulator_client: Client, displays: Displays, photo_bytes: bytes
) -> None:
    explorer = Explorer(photo_bytes, motions=["Static"], seeds=[1, 2], client=emulator_client)
    explorer._ipython_display_()
    feeds = await explorer.wait()
    assert len(displays.updated) == len(feeds) == 2
    last = displays.updated[-1][0]["text/html"]
    assert all(feed.id in last for feed in feeds)

    panel = AdsPanel(emulator_client)
    from_view(panel, {"type": "upload", "frame": "first", "name": "product.png"}, [photo_bytes])
    panel._ipython_display_()
    panel.generate()
    ad = await panel.wait()
    assert ad is not None
    (data, display_id) = displays.updated[-1]
    assert len(displays.updated) == 3 and display_id == displays.shown[-1][1]
    assert ad.id in data["text/html"]


async def test_a_widget_never_displayed_by_ipython_sends_no_update(
    emulator_client: Client, photo_bytes: bytes
) -> None:
    # marimo (mo.ui.anywidget) and containers show the widget without IPython's display.
    studio = Studio(emulator_client, motion="Static")
    from_view(studio, {"type": "upload", "frame": "first", "name": "cat.png"}, [photo_bytes])
    studio.generate()
    await studio.wait()
    assert studio.refresh_static_view() is None


def test_every_widget_offers_a_static_view() -> None:
    grid = MotionGrid(value="Static")
    data, _metadata = grid._repr_mimebundle_()
    assert "Motion grid:" in data["text/html"] and "Selected: Static" in data["text/html"]
