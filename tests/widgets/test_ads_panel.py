"""AdsPanel against a real emulator: one widget model, messages as its view sends them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from hfwidgets._errors import ValidationError
from hfwidgets.widgets import AdsPanel
from hfwidgets.widgets._ads_panel import DEFAULT_TEMPLATE_ID

from .widget_support import from_view

if TYPE_CHECKING:
    from hfwidgets._client import Client
    from hfwidgets.emulator import EmulatorServer


async def test_submits_an_ad_and_shows_it(
    private_client: Client, private_emulator: EmulatorServer, photo_bytes: bytes
) -> None:
    panel = AdsPanel(private_client)
    assert panel.template_id == DEFAULT_TEMPLATE_ID
    assert "13 pts" in panel.cost["text"]
    from_view(panel, {"type": "upload", "frame": "first", "name": "product.png"}, [photo_bytes])
    assert panel.frames[0]["source"] == "product.png"
    panel.size = "864x1152"
    from_view(panel, {"type": "generate"})
    from_view(panel, {"type": "generate"})  # a double click sends one task
    feed = await panel.wait()

    assert feed is not None and feed.status == "completed" and feed.video_url
    assert panel.result is feed
    assert panel.result_state["video_url"] == feed.video_url
    assert private_emulator.counters.get("POST /higgsfield/ads", 0) == 1
    sent = private_emulator.tasks[feed.id].params
    assert sent["product_placement_sample"] == {"id": DEFAULT_TEMPLATE_ID}
    assert sent["size"] == "864x1152"
    assert private_client.spent == 13


async def test_a_bad_template_id_is_refused_in_the_panel(
    private_client: Client, private_emulator: EmulatorServer, photo_bytes: bytes
) -> None:
    with pytest.raises(ValidationError) as caught:
        AdsPanel(private_client, image=photo_bytes, template_id="has space")
    assert caught.value.field == "template_id"
    panel = AdsPanel(private_client, image=photo_bytes)
    panel.set_state({"template_id": "has space"})  # typed in the view
    from_view(panel, {"type": "generate"})
    assert "ValidationError: template_id='has space'" in panel.errors.message
    assert panel.template_id == DEFAULT_TEMPLATE_ID
    from_view(panel, {"type": "clear_frame", "frame": "first"})
    from_view(panel, {"type": "generate"})
    assert "ValidationError: image=" in panel.errors.message
    assert private_emulator.counters.get("POST /higgsfield/ads", 0) == 0


def test_repr_is_stable(emulator_client: Client) -> None:
    assert repr(AdsPanel(emulator_client)) == (
        "AdsPanel(template_id='3hpZ2HB0xS688KnzMIwU16', size='1024x1024', images=0, emulated=True)"
    )
