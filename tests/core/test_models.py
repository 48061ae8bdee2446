"""Feed, Job, Params, Task and Motion parsing: typed views over the raw JSON."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from hfwidgets import Feed, MalformedResponse, Motion, Task
from hfwidgets._models import PRICES, SIZE_PRESETS, overall_status, size_for_aspect

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture
def feed_json() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "feed_completed.json").read_text())
    return data


def test_completed_fixture_parses_into_typed_fields(feed_json: dict[str, Any]) -> None:
    feed = Feed.from_json(feed_json)
    assert feed.id == "aca6c73e-aa4c-47bb-aa62-a100a0f7dd22"
    assert feed.status == "completed" and feed.done
    assert feed.type == "image2video"
    assert feed.video_url is not None and feed.video_url.endswith("5c0ac5f8-b3ff-4161-a77b-c248f02bfeca.mp4")
    assert feed.min_url is not None and feed.min_url.endswith("_min.mp4")
    assert feed.duration == 5.0
    assert feed.created_at == datetime.fromtimestamp(1747790390.044471, tz=timezone.utc)
    params = feed.params
    assert (params.seed, params.width, params.height, params.frames) == (374487, 736, 1312, 81)
    assert params.model == "standard" and params.motion_name == "Face Punch"
    assert params.prompt is not None and params.prompt.startswith("The white cat")
    assert params.input_image_url is not None and params.input_image_url.endswith(".jpeg")
    assert feed.raw is feed_json  # exactly as received


def test_unknown_fields_survive_in_raw(feed_json: dict[str, Any]) -> None:
    feed_json["new_field"] = {"nested": [1, 2]}
    feed_json["jobs"][0]["surprise"] = True
    feed = Feed.from_json(feed_json)
    assert feed.raw["new_field"] == {"nested": [1, 2]}
    assert feed.jobs[0].raw["surprise"] is True


def test_repr_is_stable_and_readable(feed_json: dict[str, Any]) -> None:
    text = repr(Feed.from_json(feed_json))
    assert text == (
        "Feed('aca6c73e-aa4c-47bb-aa62-a100a0f7dd22', status='completed', model='standard', "
        "motion='Face Punch', seed=374487, size=736x1312, jobs=1)"
    )
    assert "0x" not in repr(Feed.from_json(feed_json).jobs)


@pytest.mark.parametrize(
    ("statuses", "overall"),
    [
        ([], "queued"),
        (["queued"], "queued"),
        (["queued", "in_progress"], "in_progress"),
        (["completed", "in_progress"], "in_progress"),
        (["completed", "completed"], "completed"),
        (["completed", "nsfw"], "nsfw"),
        (["failed", "in_progress"], "in_progress"),
        (["completed", "postprocessing"], "postprocessing"),
    ],
)
def test_overall_status_waits_for_every_job(statuses: list[str], overall: str) -> None:
    assert overall_status(statuses) == overall


def test_several_jobs_done_only_when_all_terminal(feed_json: dict[str, Any]) -> None:
    second = copy.deepcopy(feed_json["jobs"][0])
    second["status"] = "in_progress"
    feed_json["jobs"].append(second)
    feed = Feed.from_json(feed_json)
    assert not feed.done and feed.status == "in_progress"


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        "text",
        {"id": "", "jobs": []},
        {"id": 5},
        {"id": "t1", "jobs": "x"},
        {"id": "t1", "jobs": [{"id": "j"}]},
        {"id": "t1", "jobs": [1]},
    ],
)
def test_malformed_feeds_raise_typed_error_naming_the_task(payload: Any) -> None:
    with pytest.raises(MalformedResponse) as info:
        Feed.from_json(payload, task_id="task-42")
    assert info.value.task_id in {"task-42", "t1"}
    assert "task" in str(info.value)


def test_odd_values_are_tolerated_not_trusted(feed_json: dict[str, Any]) -> None:
    feed_json["created_at"] = "yesterday"
    feed_json["params"]["seed"] = "374487"
    feed_json["params"]["width"] = True
    feed_json["jobs"][0]["meta"] = None
    feed = Feed.from_json(feed_json)
    assert feed.created_at is None and feed.params.seed is None and feed.params.width is None
    assert feed.duration is None


def test_every_field_of_params_and_job_is_read_from_where_the_feed_puts_it(feed_json: dict[str, Any]) -> None:
    params = Feed.from_json(feed_json).params
    assert (params.steps, params.guide_scale, params.strength, params.enhance_prompt) == (20, 6.0, 1.0, True)
    assert params.motion_id == "cd5bfd11-5a1a-46e0-9294-b22b0b733b1e"
    assert params.input_image_end_url is None  # null in the feed
    job = Feed.from_json(feed_json).jobs[0]
    assert job.raw_url is not None and job.raw_url.endswith("5c0ac5f8-b3ff-4161-a77b-c248f02bfeca.mp4")
    assert job.min_url is not None and job.min_url.endswith("_min.mp4")
    assert job.video_url == job.raw_url and job.duration == 5.0

    # The motion's id stands in for a missing (or empty) motion_id; odd shapes read as None.
    feed_json["params"].update(
        motion_id="", enhance_prompt="yes", input_image_end={"url": "https://x/end.png"}, guide_scale=[]
    )
    feed_json["jobs"][0].update(results={"raw": "https://x/raw.mp4"}, result=None)
    feed = Feed.from_json(feed_json)
    assert feed.params.motion_id == "cd5bfd11-5a1a-46e0-9294-b22b0b733b1e"
    assert feed.params.enhance_prompt is None and feed.params.guide_scale is None
    assert feed.params.input_image_end_url == "https://x/end.png"
    assert (feed.jobs[0].raw_url, feed.jobs[0].video_url) == (None, None)
    assert feed.jobs[0].min_url is None  # results no longer has a "min"
    del feed_json["params"]["motion"]
    assert Feed.from_json(feed_json).params.motion_id is None  # as `"" or None`
    assert (
        Feed.from_json({**feed_json, "params": None}).params == Feed.from_json({"id": "x", "jobs": []}).params
    )


def test_prices_follow_the_documented_ratios() -> None:
    assert PRICES == {"lite": 5, "turbo": 7, "standard": 10, "ads": 13}
    assert PRICES["turbo"] == 7 * PRICES["lite"] // 5
    assert PRICES["standard"] == 2 * PRICES["lite"]


def test_size_presets_match_aspect() -> None:
    assert size_for_aspect(3000, 4000) == ("3:4", SIZE_PRESETS["3:4"])
    assert size_for_aspect(1920, 1080) == ("16:9", (1312, 736))
    assert size_for_aspect(736, 1312) == ("9:16", (736, 1312))


def test_task_repr_shows_what_was_asked() -> None:
    motion = Motion(id="cd5bfd11-5a1a-46e0-9294-b22b0b733b1e", name="Face Punch")
    task = Task(
        id="t-1", kind="image2video", cost=5, model="lite", motion=motion, seed=7, width=736, height=1312
    )
    assert repr(task) == "Task('t-1', model='lite', motion='Face Punch', seed=7, size=736x1312, cost=5)"
    ads = Task(id="t-2", kind="ads", cost=13, template_id="3hpZ2HB0xS688KnzMIwU16", size="1024x1024")
    assert repr(ads) == "Task('t-2', kind='ads', template='3hpZ2HB0xS688KnzMIwU16', cost=13)"


def test_an_ad_feed_is_recognised_by_its_product_placement(feed_json: dict[str, Any]) -> None:
    assert not Feed.from_json(feed_json).is_ad
    feed_json["type"] = "product_placement"
    feed_json["params"]["product_placement_sample"] = {"id": "3hpZ2HB0xS688KnzMIwU16"}
    assert Feed.from_json(feed_json).is_ad


def test_a_terminal_status_is_final() -> None:
    from hfwidgets._models import TERMINAL_STATUSES, advance_status

    for finished in TERMINAL_STATUSES:
        for later in ("queued", "in_progress", "postprocessing", "completed", "failed"):
            assert advance_status(finished, later) == finished
    assert advance_status("queued", "in_progress") == "in_progress"
    assert advance_status("in_progress", "completed") == "completed"
    assert advance_status(None, "queued") == "queued"


def test_a_feed_advances_except_backwards() -> None:
    def read(status: str, url: str | None = None) -> Feed:
        job: dict[str, object] = {"id": "j", "status": status}
        if url:
            job["result"] = {"type": "video", "url": url}
        return Feed.from_json({"id": "t1", "jobs": [job]}, task_id="t1")

    done = read("completed", "https://cdn.example.test/v.mp4")
    stale = read("in_progress")
    assert done.advance(stale) is done
    assert stale.advance(done) is done
    bare = read("completed")
    assert bare.advance(done) is done  # the same terminal status, with more in it


def test_statuses_are_normalised_and_misrouted_feeds_refused() -> None:
    feed = Feed.from_json({"id": "t1", "jobs": [{"status": " COMPLETED "}]}, task_id="t1")
    assert feed.status == "completed" and feed.done
    with pytest.raises(MalformedResponse, match=r"t1.*t2"):
        Feed.from_json({"id": "t2", "jobs": [{"status": "queued"}]}, task_id="t1")
