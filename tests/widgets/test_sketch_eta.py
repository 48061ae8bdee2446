"""The Studio's sketches of each motion on the user's image (what the kernel sends for them) and
its honest ETA: "usually N–M s" in the cost line, the progress bar while a task runs."""

from __future__ import annotations

import asyncio
import json
import re
from typing import TYPE_CHECKING, Any

from hfwidgets._moves import keyframes, motion_recipe
from hfwidgets.widgets._follow import usually_text

from .test_studio import make_studio
from .widget_support import fast_client, from_view, sent_to_view

if TYPE_CHECKING:
    from hfwidgets._client import Client
    from hfwidgets.emulator import EmulatorServer


async def test_the_view_gets_each_motions_move_from_the_emulators_table(emulator_client: Client) -> None:
    studio = await make_studio(emulator_client)
    sent = sent_to_view(studio)
    from_view(studio, {"type": "camera_moves"})
    [(message, buffers)] = [(m, b) for m, b in sent if m.get("type") == "camera_moves"]
    assert buffers == []  # no image: the view has the first frame already
    assert set(message["of"]) == {motion.id for motion in studio.motions}
    for motion in studio.motions:
        frames = message["moves"][message["of"][motion.id]]
        assert frames == [list(frame) for frame in keyframes(motion_recipe(motion))]
    punch = next(m for m in studio.motions if m.name == "Face Punch")
    assert message["of"][punch.id] == "shake:1"
    # A few kilobytes, sent on request: nothing of it is in the saved state.
    assert len(json.dumps(message)) < 10_000
    assert "camera_moves" not in json.dumps(list(studio.get_state()))


async def test_sketches_are_on_by_default_and_cost_nothing(
    private_client: Client, private_emulator: EmulatorServer, photo_bytes: bytes
) -> None:
    before = dict(private_emulator.counters)
    studio = await make_studio(private_client, photo_bytes)
    assert studio.sketch is True
    from_view(studio, {"type": "camera_moves"})
    studio.sketch = False
    studio.sketch = True
    assert private_client.spent == 0
    assert private_client.journal is not None and private_client.journal.records() == []
    after = dict(private_emulator.counters)
    # The catalogue listing of the Studio's start is all it asked; the sketches asked nothing.
    assert {k: after[k] - before[k] for k in after if after[k] != before[k]} == {"motions": 1}


async def test_the_cost_line_says_how_long_the_chosen_model_usually_takes(emulator_client: Client) -> None:
    studio = await make_studio(emulator_client)
    for model in ("lite", "standard"):
        studio.model = model
        usually = usually_text(emulator_client.estimate(model))
        assert re.fullmatch(r"usually \d+–\d+ s", usually)
        assert studio.cost["text"].endswith(f" · {usually}"), studio.cost
    studio.lang = "zh"
    assert "通常" in studio.cost["text"]


async def test_the_progress_bar_counts_down_while_waiting_and_ends_full(
    private_emulator: EmulatorServer, photo_bytes: bytes
) -> None:
    client = fast_client(private_emulator)
    try:
        studio = await make_studio(client, photo_bytes, motion="Face Punch")
        bars: list[dict[str, Any]] = []
        studio.observe(lambda change: bars.append(dict(change["new"])), names="progress")
        run = studio.generate()
        assert run is not None
        feed = await run
        assert feed is not None and feed.status == "completed"
    finally:
        await client.aclose()
    waiting, final = bars[:-1], bars[-1]
    assert waiting, "no progress was shown while waiting"
    assert all(bar["max"] >= 1 and 0 <= bar["value"] <= bar["max"] for bar in waiting)
    assert all(
        re.fullmatch(r"about \d+ s left|taking longer than usual \(usually \d+–\d+ s\)", bar["text"])
        for bar in waiting
    )
    assert final["value"] == final["max"] and final["text"] == "done"  # the video is here


async def test_past_the_window_the_bar_says_longer_than_usual_and_a_failure_removes_it(
    private_emulator: EmulatorServer, photo_bytes: bytes
) -> None:
    from hfwidgets._polling import PollPolicy

    # A window that ends at once: every tick of the wait is past it.
    policy = PollPolicy(priors={"lite": (0.0, 0.1)}, first_delay=0.1, window_interval=0.1, cap=0.3)
    client = private_emulator.client(poll=policy)
    private_emulator.faults.task_outcome("failed")
    try:
        studio = await make_studio(client, photo_bytes, motion="Face Punch")
        texts: list[str] = []
        studio.observe(lambda change: texts.append(change["new"].get("text", "")), names="progress")
        run = studio.generate()
        assert run is not None
        await asyncio.gather(run, return_exceptions=True)
    finally:
        await client.aclose()
    assert any(text.startswith("taking longer than usual") for text in texts), texts
    assert studio.progress == {}  # no video is coming: the bar went away
