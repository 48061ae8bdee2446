"""Video downloads against a real local HTTP server, frame decoding with PyAV, the frame cache."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Iterator
from fractions import Fraction
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import av
import numpy as np
import platformdirs
import pytest
from PIL import Image

from hfwidgets import APIError, Feed, MalformedResponse, NetworkError, TaskFailed, ValidationError
from hfwidgets._video import (
    cache_dir,
    cached_path,
    clear_cache,
    decode_frames,
    download_async,
    download_sync,
    read_frames,
    video_info,
    video_url,
)

from .local_server import LocalServer, answer

TASK_ID = "aca6c73e-aa4c-47bb-aa62-a100a0f7dd22"
FRAMES, WIDTH, HEIGHT, FPS = 12, 64, 48, 8


def frame_colour(index: int) -> tuple[int, int, int]:
    """A distinct flat colour per frame, so decoded frames can be told apart and put in order."""
    return (20 * index % 256, 255 - 20 * index % 256, 128)


def encode_mp4(path: Path, frames: int = FRAMES, size: tuple[int, int] = (WIDTH, HEIGHT)) -> bytes:
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "10", "preset": "ultrafast"}
        for index in range(frames):
            pixels = np.empty((size[1], size[0], 3), np.uint8)
            pixels[:] = frame_colour(index)
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path.read_bytes()


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("clips")
    return {
        "raw": encode_mp4(folder / "raw.mp4"),
        "min": encode_mp4(folder / "min.mp4", frames=6, size=(32, 24)),
    }


class VideoServer(LocalServer):
    """The CDN: the clips, a redirect, an error, a page, an empty file, garbage, a cut answer."""

    def __init__(self, clips: dict[str, bytes]) -> None:
        self.clips = clips
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {
            "/v/clip.mp4": (200, {"Content-Type": "video/mp4"}, clips["raw"]),
            "/v/clip_min.mp4": (200, {"Content-Type": "video/mp4"}, clips["min"]),
            "/moved.mp4": (302, {"Location": "/v/clip.mp4"}, b""),
            "/gone.mp4": (404, {"Content-Type": "application/json"}, b'{"error": "no such object"}'),
            "/page.mp4": (200, {"Content-Type": "text/html"}, b"<html>please log in</html>"),
            "/empty.mp4": (200, {"Content-Type": "video/mp4"}, b""),
            "/garbage.mp4": (200, {"Content-Type": "video/mp4"}, b"\x00not an mp4 at all" * 64),
        }
        super().__init__()

    def respond(self, handler: BaseHTTPRequestHandler, path: str) -> None:
        if path == "/truncated.mp4":  # announces more than it sends, then hangs up
            handler.send_response(200)
            handler.send_header("Content-Type", "video/mp4")
            handler.send_header("Content-Length", str(len(self.clips["raw"])))
            handler.end_headers()
            handler.wfile.write(self.clips["raw"][:1000])
            handler.close_connection = True
        elif path in self.routes:
            answer(handler, *self.routes[path])
        else:
            super().respond(handler, path)


@pytest.fixture
def cdn(clips: dict[str, bytes]) -> Iterator[VideoServer]:
    server = VideoServer(clips)
    yield server
    server.close()


def make_feed(raw: str | None, min_url: str | None = None, status: str = "completed") -> Feed:
    job: dict[str, Any] = {"id": "job-1", "status": status, "meta": {"duration": 1.5}}
    if raw:
        job["result"] = {"type": "video", "url": raw}
        job["results"] = {"raw": {"type": "video", "url": raw}}
        if min_url:
            job["results"]["min"] = {"type": "video", "url": min_url}
    return Feed.from_json({"id": TASK_ID, "type": "image2video", "params": {}, "jobs": [job]})


@pytest.fixture
def feed(cdn: VideoServer) -> Feed:
    return make_feed(f"{cdn.base_url}/v/clip.mp4", f"{cdn.base_url}/v/clip_min.mp4")


def is_empty(folder: Path) -> bool:
    return not list(folder.iterdir())


def no_leftovers(folder: Path) -> bool:
    """No temporary .part file stayed behind."""
    return not [p for p in folder.iterdir() if p.name.endswith(".part")]


# --------------------------------------------------------------------------- which video, where


def test_video_url_per_variant(feed: Feed, cdn: VideoServer) -> None:
    assert video_url(feed) == f"{cdn.base_url}/v/clip.mp4"
    assert video_url(feed, "min") == f"{cdn.base_url}/v/clip_min.mp4"
    with pytest.raises(ValidationError) as caught:
        video_url(feed, "4k")
    assert caught.value.field == "variant" and "'raw'" in caught.value.allowed


def test_a_running_task_has_no_video_yet() -> None:
    with pytest.raises(ValidationError) as caught:
        download_sync(make_feed(None, status="in_progress"))
    assert caught.value.field == "feed"
    assert isinstance(caught.value, ValueError)
    assert TASK_ID in str(caught.value) and "'in_progress'" in str(caught.value)


def test_a_failed_task_says_so() -> None:
    with pytest.raises(TaskFailed) as caught:
        read_frames(make_feed(None, status="nsfw"))
    assert caught.value.task_id == TASK_ID and caught.value.status == "nsfw"


def test_asking_for_a_reduced_video_the_task_lacks(cdn: VideoServer) -> None:
    with pytest.raises(ValidationError) as caught:
        video_url(make_feed(f"{cdn.base_url}/v/clip.mp4"), "min")
    assert caught.value.field == "variant" and TASK_ID in str(caught.value)


# --------------------------------------------------------------------------- downloads


def test_download_to_the_default_path_sends_no_key(
    feed: Feed, cdn: VideoServer, clips: dict[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_HK_API_KEY", "hk-must-never-travel")
    monkeypatch.chdir(tmp_path)
    saved = download_sync(feed)
    assert saved == tmp_path / f"{TASK_ID}.mp4"
    assert saved.read_bytes() == clips["raw"]
    assert no_leftovers(tmp_path)
    assert cdn.paths() == ["/v/clip.mp4"]
    for _, headers in cdn.requests:
        assert "authorization" not in headers
        assert "hk-must-never-travel" not in str(headers)


def test_download_into_a_directory_a_file_or_a_new_folder(
    feed: Feed, clips: dict[str, bytes], tmp_path: Path
) -> None:
    assert download_sync(feed, tmp_path) == tmp_path / f"{TASK_ID}.mp4"
    assert download_sync(feed, str(tmp_path / "named.mp4")).read_bytes() == clips["raw"]
    nested = download_sync(feed, tmp_path / "new" / "deeper" / "clip.mp4")
    assert nested.read_bytes() == clips["raw"]
    into_new_dir = download_sync(feed, f"{tmp_path}/fresh/")
    assert into_new_dir == tmp_path / "fresh" / f"{TASK_ID}.mp4"


def test_the_reduced_variant_has_its_own_url_and_name(
    feed: Feed, cdn: VideoServer, clips: dict[str, bytes], tmp_path: Path
) -> None:
    saved = download_sync(feed, tmp_path, variant="min")
    assert saved.name == f"{TASK_ID}_min.mp4"
    assert saved.read_bytes() == clips["min"]
    assert cdn.paths() == ["/v/clip_min.mp4"]


def test_redirects_are_followed(cdn: VideoServer, clips: dict[str, bytes], tmp_path: Path) -> None:
    saved = download_sync(make_feed(f"{cdn.base_url}/moved.mp4"), tmp_path)
    assert saved.read_bytes() == clips["raw"]
    assert cdn.paths() == ["/moved.mp4", "/v/clip.mp4"]


def test_http_error_is_an_api_error_naming_the_task(cdn: VideoServer, tmp_path: Path) -> None:
    with pytest.raises(APIError) as caught:
        download_sync(make_feed(f"{cdn.base_url}/gone.mp4?token=secret-signature"), tmp_path)
    error = caught.value
    assert error.status == 404 and error.task_id == TASK_ID
    assert "no such object" in error.body
    assert TASK_ID in str(error) and "/gone.mp4" in str(error)
    assert "secret-signature" not in str(error)  # signed query strings stay out of messages
    assert is_empty(tmp_path)


def test_an_interrupted_download_leaves_the_previous_file_intact(cdn: VideoServer, tmp_path: Path) -> None:
    destination = tmp_path / "clip.mp4"
    destination.write_bytes(b"the previous, complete video")
    with pytest.raises(APIError) as caught:
        download_sync(make_feed(f"{cdn.base_url}/truncated.mp4"), destination)
    assert caught.value.status is None and caught.value.task_id == TASK_ID
    assert destination.read_bytes() == b"the previous, complete video"
    assert no_leftovers(tmp_path)


@pytest.mark.parametrize("path", ["/page.mp4", "/empty.mp4"])
def test_an_answer_that_is_not_a_video_is_refused(cdn: VideoServer, tmp_path: Path, path: str) -> None:
    with pytest.raises(MalformedResponse) as caught:
        download_sync(make_feed(cdn.base_url + path), tmp_path)
    assert caught.value.task_id == TASK_ID
    assert is_empty(tmp_path)


def test_a_refused_connection_is_an_api_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/v.mp4"
    with pytest.raises(NetworkError) as caught:
        download_sync(make_feed(url), tmp_path)
    assert caught.value.status is None and "ConnectError" in str(caught.value)
    assert isinstance(caught.value, APIError)
    assert is_empty(tmp_path)


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_a_downloaded_video_follows_the_umask(feed: Feed, tmp_path: Path, umask: int) -> None:
    previous = os.umask(umask)
    try:
        saved = download_sync(feed, tmp_path / "clip.mp4")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(saved.stat().st_mode) == 0o666 & ~umask


async def test_async_download_matches_and_sends_no_key(
    feed: Feed, cdn: VideoServer, clips: dict[str, bytes], tmp_path: Path
) -> None:
    saved = await download_async(feed, tmp_path)
    assert saved.read_bytes() == clips["raw"]
    assert (await feed.adownload(tmp_path / "again.mp4", variant="min")).read_bytes() == clips["min"]
    assert cdn.paths() == ["/v/clip.mp4", "/v/clip_min.mp4"]
    assert all("authorization" not in headers for _, headers in cdn.requests)
    assert no_leftovers(tmp_path)


async def test_async_errors_match_the_blocking_ones(cdn: VideoServer, tmp_path: Path) -> None:
    with pytest.raises(APIError) as caught:
        await download_async(make_feed(f"{cdn.base_url}/gone.mp4"), tmp_path)
    assert caught.value.status == 404 and caught.value.task_id == TASK_ID
    with pytest.raises(APIError):
        await download_async(make_feed(f"{cdn.base_url}/truncated.mp4"), tmp_path)
    assert is_empty(tmp_path)


def test_feed_download_is_wired_to_the_module(feed: Feed, clips: dict[str, bytes], tmp_path: Path) -> None:
    assert feed.download(tmp_path).read_bytes() == clips["raw"]


# --------------------------------------------------------------------------- frames and the cache


def test_frames_decode_to_rgb_array_in_order(feed: Feed) -> None:
    frames = feed.frames()
    assert frames.shape == (FRAMES, HEIGHT, WIDTH, 3) and frames.dtype == np.uint8
    for index in (0, FRAMES // 2, FRAMES - 1):
        assert np.abs(frames[index].reshape(-1, 3).mean(axis=0) - frame_colour(index)).max() < 8, index


def test_frames_are_downloaded_once_then_read_from_the_cache(
    feed: Feed, cdn: VideoServer, tmp_path: Path
) -> None:
    first = read_frames(feed)
    cached = cached_path(video_url(feed))
    assert cached.is_file()
    assert cached.parent.parent == tmp_path / "hfwidgets-home" / "cache"  # HFWIDGETS_HOME from conftest
    again = read_frames(feed)
    assert np.array_equal(first, again)
    assert cdn.paths() == ["/v/clip.mp4"]
    smaller = read_frames(feed, variant="min")
    assert smaller.shape == (6, 24, 32, 3)
    assert cdn.paths() == ["/v/clip.mp4", "/v/clip_min.mp4"]
    assert clear_cache() == 2 and not cached.exists()
    read_frames(feed)
    assert cdn.paths() == ["/v/clip.mp4", "/v/clip_min.mp4", "/v/clip.mp4"]


def test_a_corrupt_video_is_reported_and_not_kept_in_the_cache(cdn: VideoServer) -> None:
    bad = make_feed(f"{cdn.base_url}/garbage.mp4")
    with pytest.raises(MalformedResponse) as caught:
        read_frames(bad)
    assert caught.value.task_id == TASK_ID
    assert not cached_path(video_url(bad)).exists()


def test_cache_dir_follows_hfwidgets_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HFWIDGETS_HOME", str(tmp_path / "elsewhere"))
    assert cache_dir() == tmp_path / "elsewhere" / "cache"
    monkeypatch.delenv("HFWIDGETS_HOME")
    assert cache_dir() == Path(platformdirs.user_cache_dir("hfwidgets"))


def test_video_info_describes_the_file(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    encode_mp4(path)
    info = video_info(path)
    assert info["frames"] == FRAMES
    assert info["fps"] == pytest.approx(FPS)
    assert info["duration"] == pytest.approx(float(Fraction(FRAMES, FPS)), abs=0.2)
    assert (info["width"], info["height"]) == (WIDTH, HEIGHT)
    assert info["codec"] == "h264"
    assert info["bytes"] == path.stat().st_size
    assert decode_frames(path).shape == (FRAMES, HEIGHT, WIDTH, 3)


def test_decoding_something_else_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp4"
    path.write_bytes(b"just text")
    with pytest.raises(MalformedResponse):
        decode_frames(path)
    with pytest.raises(MalformedResponse):
        video_info(path)


# --------------------------------------------------------------------------- against the emulator


async def test_a_video_rendered_by_the_emulator_downloads_and_decodes(emulator: Any, tmp_path: Path) -> None:
    from hfwidgets import PollPolicy
    from hfwidgets._journal import Journal

    quick = PollPolicy(priors={"lite": (0.5, 5.0)}, first_delay=0.2, window_interval=0.1)
    picture = Image.new("RGB", (320, 240), (200, 60, 40))
    async with emulator.client(journal=Journal(tmp_path / "journal.sqlite3"), poll=quick) as client:
        task = await client.generate(picture, "Face Punch", width=256, height=192)
        feed = await client.wait(task, timeout=60)
    served_before = emulator.counters["files"]
    saved = await feed.adownload(tmp_path)
    assert saved == tmp_path / f"{feed.id}.mp4"
    info = video_info(saved)
    assert (info["width"], info["height"]) == (256, 192)
    assert info["frames"] == feed.params.frames == 81
    frames = await asyncio.to_thread(feed.frames)
    assert frames.shape == (info["frames"], 192, 256, 3) and frames.dtype == np.uint8
    again = await asyncio.to_thread(feed.frames)  # from the cache: no third request for the file
    assert np.array_equal(frames, again)
    assert emulator.counters["files"] - served_before == 2
