"""Explorer against a real emulator: motions x seeds side by side, price and budget, errors per cell."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from hfwidgets._catalog import resolve_motion
from hfwidgets._errors import BudgetExceeded, ValidationError
from hfwidgets.widgets import Explorer
from hfwidgets.widgets._status import Busy

from .widget_support import fast_client, from_view

if TYPE_CHECKING:
    from hfwidgets._client import Client
    from hfwidgets.emulator import EmulatorServer

GENERATE = "POST /higgsfield/generate"


async def test_two_motions_by_two_seeds(
    private_client: Client, private_emulator: EmulatorServer, photo_bytes: bytes
) -> None:
    explorer = Explorer(
        photo_bytes, motions=["Face Punch", "Bullet Time"], seeds=[1, 2], client=private_client
    )
    assert explorer.price == 20
    assert "This run: 20 pts (4 × lite)" in explorer.cost["text"]
    assert private_emulator.counters.get(GENERATE, 0) == 0  # nothing sent before Run

    feeds = await explorer.wait()

    assert len(feeds) == 4 and all(f.status == "completed" and f.video_url for f in feeds)
    sent = {
        (private_emulator.tasks[f.id].params["motion_id"], private_emulator.tasks[f.id].params["seed"])
        for f in feeds
    }
    ids = [resolve_motion(m).id for m in ("Face Punch", "Bullet Time")]
    assert sent == {(m, s) for m in ids for s in (1, 2)}
    assert private_emulator.counters.get(GENERATE, 0) == 4
    assert len(explorer.cell_list) == 4
    assert all(
        cell.view.fields["video_url"] == cell.feed.video_url for cell in explorer.cell_list if cell.feed
    )
    assert [c["video_url"] for c in explorer.cells] == [
        c.feed.video_url for c in explorer.cell_list if c.feed
    ]
    assert private_client.spent == 20
    state = json.dumps(explorer.get_state(), default=str)
    assert "base64" not in state and "hk-emulator" not in state


async def test_the_whole_run_is_refused_when_over_budget(
    private_emulator: EmulatorServer, photo_bytes: bytes
) -> None:
    client = fast_client(private_emulator, budget=15)
    try:
        explorer = Explorer(photo_bytes, motions=["Face Punch", "Bullet Time"], seeds=[1, 2], client=client)
        assert "over budget" in explorer.cost["warning"]
        from_view(explorer, {"type": "generate"})
        assert "BudgetExceeded" in explorer.errors.message
        with pytest.raises(BudgetExceeded, match="refused before sending"):
            await explorer.wait()
        assert private_emulator.counters.get(GENERATE, 0) == 0
    finally:
        await client.aclose()


async def test_errors_stay_in_their_cell(
    private_client: Client, private_emulator: EmulatorServer, photo_bytes: bytes
) -> None:
    private_emulator.faults.task_outcome("failed", count=1)
    explorer = Explorer(photo_bytes, motions=["Face Punch"], seeds=[5, 6], client=private_client)
    feeds = await explorer.wait()
    statuses = sorted(f.status for f in feeds)
    assert statuses == ["completed", "failed"]
    failed = next(c for c in explorer.cell_list if c.feed is not None and c.feed.status == "failed")
    fine = next(c for c in explorer.cell_list if c is not failed)
    assert "TaskFailed" in failed.view.fields["error"]
    assert fine.view.fields["error"] == "" and fine.view.fields["video_url"]
    assert "1 failed" in explorer.status


def test_arguments_are_checked_before_anything(photo_bytes: bytes, emulator_client: Client) -> None:
    with pytest.raises(ValidationError, match="motions"):
        Explorer(photo_bytes, motions=[], client=emulator_client)
    with pytest.raises(ValidationError, match="seed"):
        Explorer(photo_bytes, motions=["Face Punch"], seeds=[0], client=emulator_client)
    with pytest.raises(ValidationError, match="model"):
        Explorer(photo_bytes, motions=["Face Punch"], model="fast", client=emulator_client)
    with pytest.raises(TypeError):
        Explorer(photo_bytes, motions=["Face Punch"], sedes=[1], client=emulator_client)  # type: ignore[call-arg]


def test_repr_is_stable(photo_bytes: bytes, emulator_client: Client) -> None:
    explorer = Explorer(photo_bytes, motions=["Face Punch", "Bullet Time"], client=emulator_client)
    assert repr(explorer) == (
        "Explorer(motions=['Face Punch', 'Bullet Time'], seeds=1, model='lite', cells=2, done=0)"
    )


async def test_the_options_are_traits_and_the_run_sends_what_they_hold(
    private_client: Client, private_emulator: EmulatorServer, photo_bytes: bytes
) -> None:
    explorer = Explorer(photo_bytes, motions=["Face Punch"], seeds=[3, 4], client=private_client)
    changes: list[str] = []
    explorer.observe(lambda change: changes.append(change["name"]), names=["model", "prompt"])
    with pytest.raises(ValidationError, match="multiple of 8") as refused:
        explorer.width = 700  # refused as the request would refuse it
    assert refused.value.field == "width"
    explorer.model = "turbo"
    explorer.prompt = "the cat looks up"
    explorer.enhance_prompt = False  # the prompt is sent as it is
    assert changes == ["model", "prompt"]
    assert "2 × turbo" in explorer.cost["text"] and explorer.price == 2 * private_client.price("turbo")
    assert explorer.get_state()["busy"] == Busy.IDLE

    run = explorer.generate()
    assert run is not None and explorer.generate() is run  # one run, however often Run is pressed
    assert explorer.get_state()["busy"] == Busy.RUNNING
    feeds = await explorer.wait()

    assert explorer.busy == Busy.DONE and explorer.get_state()["busy"] == "done"
    sent = [private_emulator.tasks[f.id].params for f in feeds]
    assert {p["model"] for p in sent} == {"turbo"} and {p["prompt"] for p in sent} == {"the cat looks up"}
    assert sorted(p["seed"] for p in sent) == [3, 4]
    assert private_emulator.counters.get(GENERATE, 0) == 2
