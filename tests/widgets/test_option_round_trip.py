"""Every request option, sent with a value other than its default to the embedded emulator, comes
back unchanged through `history()`, `resume()`, the Studio's "Use these parameters" and copy-as-code.

The emulator is the one a user without a key gets (no base URL, no key: started in this process),
and the journal is a fresh `HFWIDGETS_HOME`.
"""

from __future__ import annotations

import ast
import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import hfwidgets
from hfwidgets import Client
from hfwidgets._catalog import resolve_motion
from hfwidgets._options import GENERATE_OPTIONS, REQUIRED, generate_option_names
from hfwidgets.widgets import Studio

from .widget_support import from_view, png_bytes

MOTION = resolve_motion("Eyes In")
SENT: dict[str, Any] = {
    "motion": MOTION,
    "prompt": "a slow pan across the harbour at dusk",
    "model": "turbo",
    "seed": 4242,
    "width": 512,
    "height": 768,
    "enhance_prompt": False,
}


def comparable(options: dict[str, Any]) -> dict[str, Any]:
    """Options with the motion as (id, name): journalled motions carry only those."""
    motion = options["motion"]
    return {**options, "motion": (motion.id, motion.name) if motion is not None else None}


def test_the_values_sent_differ_from_every_default() -> None:
    assert set(SENT) == set(generate_option_names())
    for option in GENERATE_OPTIONS:
        assert option.default is REQUIRED or SENT[option.name] != option.default, option.name


async def test_every_option_comes_back_through_history_resume_reuse_and_code(tmp_path: Path) -> None:
    image = tmp_path / "harbour.png"
    image.write_bytes(png_bytes(400, 600))
    options = {name: value for name, value in SENT.items() if name != "motion"}
    client = Client()  # no key, no base URL: the embedded emulator
    assert client.emulated
    try:
        task = await client.generate(image, MOTION, **options)
        assert comparable({name: getattr(task, name) for name in SENT}) == comparable(SENT)

        # history(): the journal holds every option under its own name.
        (record,) = hfwidgets.history()
        assert record.id == task.id
        assert comparable(record.options) == comparable(SENT)

        # A Studio with default settings picks the unfinished task up; "Use these parameters"
        # puts every option back, the enhance setting included.
        studio = Studio(client, image=image)
        assert studio.enhance_prompt is True and studio.model == "lite"
        await studio.wait()
        (entry,) = studio.entries
        assert entry.task_id == task.id and entry.status == "completed"
        from_view(studio, {"type": "reuse", "n": entry.number})
        shown = {**dataclasses.asdict(studio.values), "motion": studio.motion}
        assert comparable(shown) == comparable(SENT)
        assert studio.keep_seed

        # Copy as code: the call names every option with the value sent.
        call = next(
            node
            for node in ast.walk(ast.parse(studio.copy_as_code()))
            if isinstance(node, ast.Call) and node.keywords
        )
        in_code = {keyword.arg: ast.literal_eval(keyword.value) for keyword in call.keywords}
        assert in_code == {**options, "motion": MOTION.id}

        # resume(): a second task with the same options, waited for by the blocking facade; the
        # service ran exactly what was asked.
        second = await client.generate(image, MOTION, **options)
        feeds = await asyncio.to_thread(hfwidgets.resume, progress=False, timeout=120)
        (feed,) = feeds
        assert feed.id == second.id and feed.status == "completed"
        ran = feed.params
        assert (
            ran.motion_id,
            ran.prompt,
            ran.model,
            ran.seed,
            ran.width,
            ran.height,
            ran.enhance_prompt,
        ) == (
            MOTION.id,
            *(options[name] for name in ("prompt", "model", "seed", "width", "height", "enhance_prompt")),
        )
        newest = hfwidgets.history()[0]
        assert newest.id == second.id and comparable(newest.options) == comparable(SENT)
    finally:
        await client.aclose()
