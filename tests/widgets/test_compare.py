"""Compare against a real emulator: the Studio's History chooses 2 to 4 finished entries, the
Comparison region lists what differs; `compare(feeds)` and `Explorer.compare()` make a widget of
their own whose videos come over the same media channel and whose static view shows posters and
the differing parameters."""

from __future__ import annotations

import asyncio
import json
import re
from typing import TYPE_CHECKING, Any

import pytest

import hfwidgets
from hfwidgets._errors import ValidationError
from hfwidgets.widgets import Comparison, Explorer, Studio, compare

from .widget_support import from_view, sent_to_view

if TYPE_CHECKING:
    from hfwidgets._client import Client
    from hfwidgets._models import Feed


async def studio_with_results(client: Client, photo: bytes, runs: list[tuple[str, int]]) -> Studio:
    """A Studio with one finished result per (motion, seed), in order."""
    studio = Studio(client, image=photo, resume_pending=False)
    await asyncio.gather(*studio._background)
    for motion, seed in runs:
        studio.motion = motion
        studio.seed = seed
        assert studio.generate() is not None, studio.error
        await studio.wait()
    return studio


def differing(comparison: dict[str, Any]) -> dict[str, list[str]]:
    return {label: texts for label, texts in comparison.get("differ", [])}


async def test_history_compares_the_checked_entries_and_lists_what_differs(
    emulator_client: Client, photo_bytes: bytes
) -> None:
    studio = await studio_with_results(
        emulator_client, photo_bytes, [("Face Punch", 11), ("Face Punch", 12), ("Bullet Time", 13)]
    )
    assert [entry["comparable"] for entry in studio.history] == [True, True, True]
    assert studio.comparison == {}

    from_view(studio, {"type": "compare", "n": [1, 3]})

    assert studio.error == ""
    shown = studio.comparison
    assert [item["label"] for item in shown["items"]] == [
        "#1 Face Punch · lite · seed 11",
        "#3 Bullet Time · lite · seed 13",
    ]
    differ = differing(shown)
    assert differ["Seed"] == ["11", "13"]
    assert differ["Motion"] == ["Face Punch", "Bullet Time"]
    same = dict(shown["same"])
    assert same["Model"] == "lite" and "Seed" not in same and "Task" not in same
    # The videos are the refs the Result region uses for the same tasks: one media channel.
    first, third = studio.entries[0].feed, studio.entries[2].feed
    assert first is not None and third is not None
    assert [item["video"] for item in shown["items"]] == [
        studio.media.ref(first.video_url),
        studio.media.ref(third.video_url),
    ]

    from_view(studio, {"type": "compare", "n": [1, 2]})
    assert set(differing(studio.comparison)) - {"Prompt"} == {"Seed"}  # same motion: only the seed
    from_view(studio, {"type": "compare_close"})
    assert studio.comparison == {}


async def test_compared_videos_come_over_the_widget_channel(
    emulator_client: Client, photo_bytes: bytes
) -> None:
    studio = await studio_with_results(emulator_client, photo_bytes, [("Face Punch", 1), ("Face Punch", 2)])
    studio.compare([1, 2])
    sent = sent_to_view(studio)
    keys = [item["video"].removeprefix("media:") for item in studio.comparison["items"]]
    assert all(item["video"].startswith("media:") for item in studio.comparison["items"])
    for key in keys:
        from_view(studio, {"type": "media", "key": key})
    for _ in range(300):
        if len(sent) == 2:
            break
        await asyncio.sleep(0.02)
    answers = {content["key"]: (content, buffers) for content, buffers in sent}
    for key in keys:
        content, buffers = answers[key]
        assert content["mime"] == "video/mp4" and buffers[0][4:8] == b"ftyp"


async def test_compare_refuses_one_or_five_or_unfinished_entries(
    emulator_client: Client, photo_bytes: bytes
) -> None:
    studio = await studio_with_results(emulator_client, photo_bytes, [("Face Punch", 1), ("Face Punch", 2)])
    with pytest.raises(ValidationError, match="entries") as refused:
        studio.compare([1])
    assert "2 to 4" in str(refused.value)
    from_view(studio, {"type": "compare", "n": [1]})
    assert "entries" in studio.error and studio.comparison == {}
    with pytest.raises(ValidationError, match="history entry"):
        studio.compare([1, 9])
    from_view(studio, {"type": "compare", "n": "1,2"})
    assert "ValidationError" in studio.error
    studio.entries[1].status = "failed"  # e.g. a task that ended without a video
    with pytest.raises(ValidationError, match="#2 is failed"):
        studio.compare([1, 2])
    assert studio.comparison == {}


async def test_comparison_follows_the_language(emulator_client: Client, photo_bytes: bytes) -> None:
    studio = await studio_with_results(emulator_client, photo_bytes, [("Face Punch", 1), ("Face Punch", 2)])
    studio.compare([1, 2])
    studio.lang = "zh"
    assert studio.comparison["items"][0]["label"] == "#1 Face Punch · lite · 种子 1"
    assert "种子" in differing(studio.comparison)


async def test_compare_feeds_makes_a_widget_whose_static_view_shows_posters_and_differences(
    emulator_client: Client, photo_bytes: bytes
) -> None:
    studio = await studio_with_results(
        emulator_client, photo_bytes, [("Face Punch", 21), ("Bullet Time", 22)]
    )
    feeds = list(studio.results)
    widget = hfwidgets.compare(feeds)
    assert isinstance(widget, Comparison) and widget.feeds == feeds
    assert widget.differing[:2] == ["Motion", "Seed"]
    assert repr(widget) == f"Comparison([{feeds[0].id!r}, {feeds[1].id!r}], differing={widget.differing!r})"
    state = json.dumps(widget.get_state(), default=str)
    assert "base64" not in state and "hk-emulator" not in state
    assert all(item["video"].startswith("media:") for item in widget.comparison["items"])

    page = widget.static_html()
    assert page.count("<figure") == 2
    assert len(re.findall(r'<img class="hfw-poster" src="data:image/webp;base64,', page)) == 2
    headers = re.findall(r'<th scope="row"[^>]*>([^<]*)</th>', page)
    assert headers[:2] == ["≠ Motion", "≠ Seed"]
    assert "Same in all: " in page and "Model lite" in page
    assert "127.0.0.1" not in page  # the emulator's links are never kept
    bundle, _ = widget._repr_mimebundle_()
    assert bundle["text/html"] == page and "application/vnd.jupyter.widget-view+json" in bundle


async def test_compare_refuses_what_cannot_be_played_side_by_side(
    emulator_client: Client, photo_bytes: bytes
) -> None:
    studio = await studio_with_results(emulator_client, photo_bytes, [("Face Punch", 1), ("Face Punch", 2)])
    one, two = studio.results
    for wrong in ([one], [one, two, one, two, one], one, [one, "task-id"]):
        with pytest.raises(ValidationError, match=r"^feeds="):
            compare(wrong)  # refused at run time
    unfinished: Feed = one.__class__.from_json({**one.raw, "jobs": []})  # no job has finished
    with pytest.raises(ValidationError, match=r"completed results with a video\. task .* is 'queued'"):
        compare([one, unfinished])


async def test_explorer_compares_its_cells(emulator_client: Client, photo_bytes: bytes) -> None:
    explorer = Explorer(photo_bytes, motions=["Face Punch", "Bullet Time"], seeds=[5], client=emulator_client)
    with pytest.raises(ValidationError, match="cells"):
        explorer.compare()  # nothing has run yet
    await explorer.wait()

    every = explorer.compare()
    assert [feed.id for feed in every.feeds] == [cell.feed.id for cell in explorer.cell_list if cell.feed]
    assert every.differing[0] == "Motion" and "Seed" not in every.differing  # one seed shared
    reversed_pair = explorer.compare([explorer.cell_list[1], 0])
    assert reversed_pair.feeds[0] is explorer.cell_list[1].feed
    with pytest.raises(ValidationError, match="cells=7"):
        explorer.compare([0, 7])

    # Cells checked in the Explorer's own view (numbered from 1) open its Comparison region.
    assert explorer.comparison == {}
    from_view(explorer, {"type": "compare", "n": [1, 2]})
    assert explorer.error == ""
    assert [item["label"] for item in explorer.comparison["items"]] == [
        "#1 Face Punch · lite · seed 5",
        "#2 Bullet Time · lite · seed 5",
    ]
    assert differing(explorer.comparison)["Motion"] == ["Face Punch", "Bullet Time"]
    explorer.lang = "zh"
    assert explorer.comparison["items"][0]["label"] == "#1 Face Punch · lite · 种子 5"
    from_view(explorer, {"type": "compare_close"})
    assert explorer.comparison == {}
    from_view(explorer, {"type": "compare", "n": [2]})
    assert "cells" in explorer.error and explorer.comparison == {}
