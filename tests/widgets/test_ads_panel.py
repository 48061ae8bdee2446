"""AdsPanel against a real emulator."""

from __future__ import annotations

from typing import TYPE_CHECKING

from widget_support import upload_value

from hfwidgets.widgets import AdsPanel
from hfwidgets.widgets._ads_panel import DEFAULT_TEMPLATE_ID

if TYPE_CHECKING:
    from hfwidgets._client import Client
    from hfwidgets.emulator import EmulatorServer


async def test_submits_an_ad_and_shows_it(
    client: Client, fresh_emulator: EmulatorServer, photo: bytes
) -> None:
    panel = AdsPanel(client)
    assert panel.template.value == DEFAULT_TEMPLATE_ID
    assert "13 pts" in panel.cost.value
    panel.image_input._frames["first"].upload.value = upload_value("product.png", photo)
    panel.size.value = "864x1152"
    panel.submit_button.click()
    panel.submit_button.click()  # a double click sends one task
    feed = await panel.wait()

    assert feed is not None and feed.status == "completed" and feed.video_url
    assert panel.result is feed
    assert panel.result_view.video_url == feed.video_url
    assert fresh_emulator.counters.get("POST /higgsfield/ads", 0) == 1
    sent = fresh_emulator.tasks[feed.id].params
    assert sent["product_placement_sample"] == {"id": DEFAULT_TEMPLATE_ID}
    assert sent["size"] == "864x1152"
    assert client.spent == 13


async def test_a_bad_template_id_is_refused_in_the_panel(
    client: Client, fresh_emulator: EmulatorServer, photo: bytes
) -> None:
    panel = AdsPanel(client, image=photo, template_id="has space")
    panel.submit_button.click()
    assert "ValidationError: template_id='has space'" in panel.errors.message
    panel.template.value = DEFAULT_TEMPLATE_ID
    panel.image_input.clear()
    panel.submit_button.click()
    assert "ValidationError: image=" in panel.errors.message
    assert fresh_emulator.counters.get("POST /higgsfield/ads", 0) == 0


def test_repr_is_stable(client: Client) -> None:
    assert repr(AdsPanel(client)) == (
        "AdsPanel(template_id='3hpZ2HB0xS688KnzMIwU16', size='1024x1024', images=0, emulated=True)"
    )
