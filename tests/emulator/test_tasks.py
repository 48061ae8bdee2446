"""Task lifecycle, feed shape and the rendered clips, against a real emulator over HTTP."""

from __future__ import annotations

import json
import time
from pathlib import Path

import av
import httpx
import numpy as np
import pytest

from hfwidgets.emulator import EmulatorServer, Timing, serve
from hfwidgets.emulator._tasks import DurationSampler

from .emulator_support import AUTH, SMALL, STATIC, data_url, read_feed, submit, wait_for

# The provider's example feed.
FIXTURE = json.loads((Path(__file__).parents[1] / "data" / "feed_completed.json").read_text())


def decode(url: str) -> tuple[np.ndarray, float]:
    """All frames of the mp4 at `url` (T, H, W, 3) and its duration in seconds."""
    content = httpx.get(url, timeout=30).content
    with av.open(__import__("io").BytesIO(content)) as container:
        stream = container.streams.video[0]
        frames = np.stack([frame.to_ndarray(format="rgb24") for frame in container.decode(stream)])
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
        return frames, float(container.duration or 0) / av.time_base


def test_task_moves_from_queued_to_in_progress_to_completed() -> None:
    with serve(timing=Timing(queued=1.5, in_progress=1.0)) as server:
        task_id = submit(server)
        seen: list[str] = []
        while not seen or seen[-1] != "completed":
            status = read_feed(server, task_id)["jobs"][0]["status"]
            if not seen or seen[-1] != status:
                seen.append(status)
            assert len(seen) <= 3, seen
            time.sleep(0.05)
        assert seen == ["queued", "in_progress", "completed"]
        state = server.tasks[task_id]
        assert state.status == "completed"
        assert state.completed_at is not None
        assert state.created_at < state.completed_at <= time.time()


def test_completed_feed_has_every_key_of_the_provider_example(emulator: EmulatorServer) -> None:
    feed = wait_for(emulator, submit(emulator))
    assert set(FIXTURE) <= set(feed)
    assert set(FIXTURE["params"]) <= set(feed["params"])
    assert set(FIXTURE["params"]["motion"]) == set(feed["params"]["motion"])
    assert set(FIXTURE["params"]["input_image"]) == set(feed["params"]["input_image"])
    job, expected = feed["jobs"][0], FIXTURE["jobs"][0]
    assert set(expected) == set(job)
    assert set(expected["results"]) == set(job["results"])
    assert job["meta"] == {"duration": 5}
    assert job["result"]["url"] == job["results"]["raw"]["url"]
    assert job["results"]["min"]["url"].endswith("_min.mp4")
    assert feed["type"] == "image2video"
    assert feed["params"]["motion"]["name"] == "Face Punch"
    assert feed["params"]["input_image"]["type"] == "media_input"
    assert "emulator" not in feed  # the input was fetched: nothing to flag


def test_clip_is_81_frames_of_h264_at_the_requested_size_and_min_is_half(emulator: EmulatorServer) -> None:
    feed = wait_for(emulator, submit(emulator))
    frames, duration = decode(feed["jobs"][0]["result"]["url"])
    assert frames.shape == (81, 224, 128, 3)
    assert duration == pytest.approx(81 / 16, abs=0.1)
    assert frames.std(axis=0).mean() > 1  # the picture moves
    small, _ = decode(feed["jobs"][0]["results"]["min"]["url"])
    assert small.shape == (81, 112, 64, 3)


def test_full_size_clip_renders_with_moov_atom_first(emulator: EmulatorServer) -> None:
    started = time.perf_counter()
    feed = wait_for(emulator, submit(emulator, width=736, height=1312, model="standard"))
    print(f"736x1312 task completed {time.perf_counter() - started:.2f} s after submission")
    url = feed["jobs"][0]["result"]["url"]
    head = httpx.get(url, headers={"Range": "bytes=0-63"}).content
    assert head[4:8] == b"ftyp" and b"moov" in head[:64]  # faststart: playable while downloading
    frames, _ = decode(url)
    assert frames.shape == (81, 1312, 736, 3)


def test_two_images_crossfade_from_first_to_last(emulator: EmulatorServer) -> None:
    task_id = submit(emulator, motion_id=STATIC, image=[data_url((230, 20, 20)), data_url((20, 20, 230))])
    feed = wait_for(emulator, task_id)
    assert feed["params"]["input_image_end"]["type"] == "media_input"
    frames, _ = decode(feed["jobs"][0]["result"]["url"])
    first, last = frames[0].mean(axis=(0, 1)), frames[-1].mean(axis=(0, 1))
    assert first[0] > 180 and first[2] < 60  # red
    assert last[2] > 180 and last[0] < 60  # blue


def test_ads_task_renders_a_clip_at_the_requested_size(emulator: EmulatorServer) -> None:
    body = {"product_placement_sample_id": "3hpZ2HB0xS688KnzMIwU16", "image": [data_url((40, 160, 90))],
            "size": "128x128"}  # fmt: skip
    feed = wait_for(emulator, submit(emulator, "/higgsfield/ads", **body))
    assert feed["jobs"][0]["status"] == "completed"
    assert feed["params"]["product_placement_sample"] == {"id": "3hpZ2HB0xS688KnzMIwU16"}
    assert set(FIXTURE["params"]) <= set(feed["params"])
    frames, _ = decode(feed["jobs"][0]["result"]["url"])
    assert frames.shape == (81, 128, 128, 3)
    assert emulator.tasks[feed["id"]].cost == 13


def test_enhanced_prompt_contains_the_prompt_verbatim(emulator: EmulatorServer) -> None:
    payload = "<img src=x onerror=alert(1)></script>{{7*7}}"
    enhanced = read_feed(emulator, submit(emulator, prompt=payload))["params"]["prompt"]
    assert payload in enhanced and len(enhanced) > len(payload) + 40
    again = read_feed(emulator, submit(emulator, prompt=payload))["params"]["prompt"]
    assert again == enhanced  # deterministic for the same prompt, motion and seed
    plain = read_feed(emulator, submit(emulator, prompt=payload, enhance_prompt=False))["params"]
    assert plain["prompt"] == payload and plain["enhance_prompt"] is False


def test_unknown_motion_id_gets_a_default_effect(emulator: EmulatorServer) -> None:
    feed = wait_for(emulator, submit(emulator, motion_id="00000000-1111-4222-8333-444444444444"))
    assert feed["jobs"][0]["status"] == "completed"
    assert feed["params"]["motion"]["id"] == "00000000-1111-4222-8333-444444444444"


def test_input_image_copy_is_served(emulator: EmulatorServer) -> None:
    feed = wait_for(emulator, submit(emulator))
    response = httpx.get(feed["params"]["input_image"]["url"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"


def test_a_jpeg_input_given_by_url_is_kept_as_sent(emulator: EmulatorServer) -> None:
    url = f"{emulator.base_url}/samples/cat.jpg"
    feed = wait_for(emulator, submit(emulator, image=[url]))
    assert "emulator" not in feed or "input_image" not in feed["emulator"]
    assert httpx.get(feed["params"]["input_image"]["url"]).content == httpx.get(url).content


def test_unreachable_input_url_animates_a_flagged_placeholder(emulator: EmulatorServer) -> None:
    feed = wait_for(emulator, submit(emulator, image=["http://127.0.0.1:9/missing.jpg"]))
    assert feed["jobs"][0]["status"] == "completed"
    assert feed["emulator"]["input_image"] == "placeholder"
    assert "image[0]" in feed["emulator"]["reason"]
    assert httpx.get(feed["params"]["input_image"]["url"]).status_code == 200


def test_range_request_on_a_clip_returns_206(emulator: EmulatorServer) -> None:
    feed = wait_for(emulator, submit(emulator))
    url = feed["jobs"][0]["results"]["min"]["url"]
    full = httpx.get(url).content
    partial = httpx.get(url, headers={"Range": "bytes=100-199"})
    assert partial.status_code == 206
    assert partial.content == full[100:200]
    assert partial.headers["content-range"] == f"bytes 100-199/{len(full)}"


def test_clip_is_not_published_before_the_task_completes() -> None:
    with serve(timing=Timing(queued=0.05, in_progress=60)) as server:
        task_id = submit(server)
        deadline = time.monotonic() + 60
        while server.tasks[task_id].clip is None:  # rendered, yet the task is still in progress
            assert time.monotonic() < deadline
            time.sleep(0.05)
        feed = read_feed(server, task_id)
        assert feed["jobs"][0]["status"] == "in_progress" and feed["jobs"][0]["result"] is None
        assert httpx.get(f"{server.base_url}/files/{task_id}.mp4").status_code == 404
        assert httpx.get(f"{server.base_url}/files/not-a-task.mp4").status_code == 404


def test_render_off_reuses_one_small_clip() -> None:
    with serve(timing=Timing(queued=0.05, in_progress=0.1), render=False) as server:
        first, second = submit(server, **SMALL), submit(server, width=736, height=1312)
        feeds = [wait_for(server, first), wait_for(server, second)]
        assert all(feed["jobs"][0]["status"] == "completed" for feed in feeds)
        assert server.tasks[first].clip == server.tasks[second].clip
        frames, _ = decode(feeds[1]["jobs"][0]["result"]["url"])
        assert frames.shape[0] == 81


def test_realistic_durations_are_seeded_per_model_and_bounded() -> None:
    timing = Timing.realistic(seed=3)
    first, second = DurationSampler(timing), DurationSampler(timing)
    draws = {model: [sum(first.draw(model)) for _ in range(200)] for model in ("lite", "turbo", "standard")}
    assert [sum(second.draw("lite")) for _ in range(200)] == draws["lite"]  # same for every client
    assert all(20 <= d <= 120 for values in draws.values() for d in values)
    medians = {model: float(np.median(values)) for model, values in draws.items()}
    assert medians["lite"] < medians["turbo"] < medians["standard"]
    assert medians["lite"] == pytest.approx(35, rel=0.15)
    assert sum(DurationSampler(Timing.realistic(seed=4)).draw("lite")) != draws["lite"][0]


def test_stop_removes_the_temporary_files() -> None:
    server = serve(timing=Timing(queued=0.05, in_progress=0.1))
    server.start()
    try:
        wait_for(server, submit(server))
        directory = server.state.directory
        assert any(directory.glob("*.mp4"))
    finally:
        server.stop()
    assert not directory.exists()
    assert "stopped" in repr(server)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{server.base_url}/motions", timeout=2)


def test_feed_needs_a_bearer_token_and_a_known_task(emulator: EmulatorServer) -> None:
    task_id = submit(emulator)
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer"}):
        response = httpx.get(f"{emulator.base_url}/higgsfield/feed/{task_id}", headers=headers)
        assert response.status_code == 401
        assert "Authorization" in response.json()["detail"]
    missing = httpx.get(f"{emulator.base_url}/higgsfield/feed/no-such-task", headers=AUTH)
    assert missing.status_code == 404
    assert "no-such-task" in missing.json()["detail"]
