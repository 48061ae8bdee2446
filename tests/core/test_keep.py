"""Kept videos (`_keep`): every finished video saved beside the journal, used when its link is dead."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import io
import logging
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

import hfwidgets
from hfwidgets._client import Client
from hfwidgets._errors import APIError, NetworkError, ValidationError
from hfwidgets._journal import Journal, history
from hfwidgets._keep import DEFAULT_MAX_BYTES, keep, keeps_videos, max_kept_bytes
from hfwidgets._models import Feed
from hfwidgets._polling import PollPolicy
from hfwidgets.emulator import EmulatorServer, serve

QUICK = PollPolicy(
    priors={"lite": (0.5, 5.0), "turbo": (0.5, 5.0), "standard": (0.5, 5.0), "ads": (0.5, 5.0)},
    first_delay=0.2,
    window_interval=0.1,
    cap=0.5,
)


def picture(*, noisy: bool = False) -> bytes:
    """A JPEG; `noisy` (random pixels) makes the emulator render a clip that hardly compresses."""
    buffer = io.BytesIO()
    size = (320, 480)
    image = (
        Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)) if noisy else Image.new("RGB", size)
    )
    image.save(buffer, "JPEG")
    return buffer.getvalue()


async def finished(client: Client, seed: int = 7, *, noisy: bool = False) -> Feed:
    """Generate, wait, and wait for the kept copy."""
    task = await client.generate(picture(noisy=noisy), "Face Punch", seed=seed)
    feed = await client.wait(task, timeout=60)
    await client.wait_kept()
    return feed


def videos_dir() -> Path:
    return Journal().videos_dir


def leftovers() -> list[str]:
    """Files of the videos folder that are not complete kept videos (temporary files)."""
    folder = videos_dir()
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(".mp4") or p.name.startswith("."))


def kept_path(task_id: str) -> Path:
    record = Journal().get(task_id)
    assert record is not None and record.video_path is not None, f"task {task_id} has no kept video"
    return record.video_path


async def until(condition: Callable[[], bool]) -> None:
    """Return once `condition()` holds (checked on every turn of a short poll)."""
    while not condition():  # noqa: ASYNC110 - another thread changes what it reads
        await asyncio.sleep(0.02)


def link_status(url: str) -> int:
    return httpx.get(url).status_code


# --------------------------------------------------------------------------- keeping


async def test_a_finished_video_is_kept_once_under_its_digest(private_quick_emulator: EmulatorServer) -> None:
    async with private_quick_emulator.client(poll=QUICK) as client:
        first = await finished(client, seed=1)
        second = await finished(client, seed=2)  # the non-rendering emulator serves the same clip
    assert first.video_url is not None
    async with httpx.AsyncClient() as http:
        served = (await http.get(first.video_url)).content
    path = kept_path(first.id)
    assert path.parent == videos_dir()
    assert path.name == f"{hashlib.sha256(served).hexdigest()}.mp4"
    assert path.read_bytes() == served
    assert kept_path(second.id) == path  # one file for one content
    assert leftovers() == []
    records = {record.id: record for record in history()}
    assert records[first.id].video_path == path and not records[first.id].pinned
    assert "kept" in repr(records[first.id])
    kept = Journal().kept_video(first.id)
    assert kept is not None and kept.size == len(served) and kept.url == first.video_url


async def test_the_kept_copy_is_saved_when_the_link_expired(
    private_quick_emulator: EmulatorServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with private_quick_emulator.client(poll=QUICK) as client:
        feed = await finished(client)
    assert feed.video_url is not None and link_status(feed.video_url) == 200
    private_quick_emulator.faults.expire_links(0)
    assert link_status(feed.video_url) == 404
    with caplog.at_level(logging.WARNING, logger="hfwidgets"):
        saved = await feed.adownload(tmp_path / "one.mp4")
        again = feed.download(tmp_path / "two.mp4")
    assert saved.read_bytes() == again.read_bytes() == kept_path(feed.id).read_bytes()
    said = [r.getMessage() for r in caplog.records if "copy kept at" in r.getMessage()]
    assert len(said) == 1 and feed.id in said[0] and "HTTP 404" in said[0], said


async def test_an_unreachable_video_host_falls_back_to_the_kept_copy(tmp_path: Path) -> None:
    with serve(render=False) as server:
        async with server.client(poll=QUICK) as client:
            feed = await finished(client)
    # The server is gone: its links cannot be reached at all.
    saved = await feed.adownload(tmp_path / "offline.mp4")
    kept = kept_path(feed.id)
    assert saved.read_bytes() == kept.read_bytes()
    kept.unlink()  # and when the copy is gone too, the failure stays a network one, saying both
    with pytest.raises(NetworkError, match="was removed") as raised:
        await feed.adownload(tmp_path / "nothing.mp4")
    assert raised.value.status is None and raised.value.task_id == feed.id


async def test_a_kept_file_removed_by_hand_falls_back_to_the_link_then_says_both_are_gone(
    private_quick_emulator: EmulatorServer, tmp_path: Path
) -> None:
    async with private_quick_emulator.client(poll=QUICK) as client:
        feed = await finished(client)
    path = kept_path(feed.id)
    path.unlink()
    record = Journal().get(feed.id)
    assert record is not None and record.video_path is None
    saved = await feed.adownload(tmp_path / "from-link.mp4")  # the link still works
    assert saved.stat().st_size > 0
    private_quick_emulator.faults.expire_links(0)
    with pytest.raises(APIError) as raised:
        await feed.adownload(tmp_path / "gone.mp4")
    error = raised.value
    assert error.status == 404 and error.task_id == feed.id
    assert f"the copy kept at {path} was removed" in str(error)
    assert not (tmp_path / "gone.mp4").exists()


async def test_opting_out_keeps_nothing_and_a_dead_link_says_so(
    private_quick_emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HFWIDGETS_KEEP_VIDEOS", "0")
    async with private_quick_emulator.client(poll=QUICK) as by_environment:
        assert by_environment.keep_videos is False
        quiet = await finished(by_environment)
    monkeypatch.delenv("HFWIDGETS_KEEP_VIDEOS")
    async with private_quick_emulator.client(poll=QUICK, keep_videos=False) as by_argument:
        feed = await finished(by_argument)
    assert not videos_dir().exists()
    assert Journal().kept_videos() == []
    assert all(record.video_path is None for record in history())
    private_quick_emulator.faults.expire_links(0)
    for task in (quiet, feed):
        with pytest.raises(APIError, match="no copy of it was kept on this machine"):
            await task.adownload(tmp_path / "x.mp4")


def test_the_switch_and_the_cap_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert keeps_videos() is True and max_kept_bytes() == DEFAULT_MAX_BYTES == 2 * 1024**3
    for off in ("0", "false", "No", " off "):
        monkeypatch.setenv("HFWIDGETS_KEEP_VIDEOS", off)
        assert keeps_videos() is False
        assert keeps_videos(True) is True  # the argument wins
    monkeypatch.setenv("HFWIDGETS_KEEP_VIDEOS", "sometimes")
    with pytest.raises(ValidationError, match="HFWIDGETS_KEEP_VIDEOS"):
        keeps_videos()
    for text, size in (("1000", 1000), ("500M", 500 * 1024**2), ("3g", 3 * 1024**3), ("64KB", 64 * 1024)):
        monkeypatch.setenv("HFWIDGETS_KEEP_MAX_BYTES", text)
        assert max_kept_bytes() == size
    monkeypatch.setenv("HFWIDGETS_KEEP_MAX_BYTES", "lots")
    with pytest.raises(ValidationError, match="HFWIDGETS_KEEP_MAX_BYTES"):
        max_kept_bytes()


# --------------------------------------------------------------------------- full disk, interruptions


async def test_a_full_disk_leaves_the_task_completed_and_names_the_folder(
    private_quick_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real = os.fdopen

    class FullDisk:
        """A file being written on a disk with no room left: every write fails with ENOSPC."""

        def __init__(self, file: Any) -> None:
            self._file = file

        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def __getattr__(self, name: str) -> Any:
            return getattr(self._file, name)

        def __enter__(self) -> FullDisk:
            return self

        def __exit__(self, *exc: object) -> None:
            self._file.close()

    def full_disk(descriptor: int, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        opened = real(descriptor, mode, *args, **kwargs)
        return FullDisk(opened) if mode == "wb" else opened

    monkeypatch.setattr("hfwidgets._video.os.fdopen", full_disk)
    async with private_quick_emulator.client(poll=QUICK) as client:
        with caplog.at_level(logging.WARNING, logger="hfwidgets"):
            feed = await finished(client)
    assert feed.status == "completed"
    record = Journal().get(feed.id)
    assert record is not None and record.status == "completed" and record.video_path is None
    folder = str(videos_dir())
    assert client.keep_problem is not None and folder in client.keep_problem
    assert "No space left on device" in client.keep_problem
    assert any(folder in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert leftovers() == []


@pytest.fixture
def tiny_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A real file system with 400 KB of room (a tmpfs): the journal fits, a video does not."""
    home = tmp_path / "tiny"
    home.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(home)], capture_output=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    monkeypatch.setenv("HFWIDGETS_HOME", str(home))
    try:
        yield home
    finally:
        subprocess.run(["umount", "-l", str(home)], check=False)


async def test_a_really_full_disk_keeps_nothing_half_written(
    private_emulator: EmulatorServer, tiny_home: Path
) -> None:
    async with private_emulator.client(poll=QUICK) as client:
        feed = await finished(client, noisy=True)  # a rendered clip of noise: over 400 KB
    assert feed.status == "completed"
    assert client.keep_problem is not None and str(tiny_home / "videos") in client.keep_problem
    record = Journal().get(feed.id)
    assert record is not None and record.status == "completed" and record.video_path is None
    assert list((tiny_home / "videos").iterdir()) == []


async def test_an_interrupted_keep_leaves_nothing(private_quick_emulator: EmulatorServer) -> None:
    server = private_quick_emulator
    server.faults.delay("files", 10, count=1)  # the video's download hangs until cancelled
    async with server.client(poll=QUICK) as client:
        task = await client.generate(picture(), "Face Punch", seed=3)
        await client.wait(task, timeout=60)
        await until(lambda: server.counters["files"] > 0)  # the download's request reached the host
        keeping = [t for t in asyncio.all_tasks() if t.get_name() == f"hfwidgets-keep-{task.id}"]
        assert len(keeping) == 1
        keeping[0].cancel()
        await client.wait_kept()
    assert leftovers() == [] and not any(videos_dir().glob("*.mp4"))
    assert Journal().kept_video(task.id) is None


# --------------------------------------------------------------------------- the size cap


def book(journal: Journal, task_id: str, content: bytes) -> Path:
    """A kept video as `_keep.keep` leaves it: the file under its digest and its row."""
    digest = hashlib.sha256(content).hexdigest()
    path = journal.videos_dir / f"{digest}.mp4"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    journal.keep_video(task_id, digest, len(content))
    return path


def test_the_cap_removes_the_oldest_first_and_never_a_pinned_one(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite3")
    files = {name: book(journal, name, name.encode() * 100) for name in ("a", "b", "c", "d")}
    assert journal.pin("a").pinned
    # 400 bytes over a cap of 250: b, then c go (the oldest unpinned); a is older but pinned.
    removed = journal.evict_kept(250)
    assert removed == [files["b"], files["c"]]
    assert [video.task_id for video in journal.kept_videos()] == ["a", "d"]
    # Even a cap of 0 keeps what is pinned.
    assert journal.evict_kept(0) == [files["d"]]
    assert [video.task_id for video in journal.kept_videos()] == ["a"]
    journal.pin("a", False)
    assert journal.evict_kept(0) == [files["a"]]
    with pytest.raises(ValidationError, match="task_id"):
        journal.pin("never-kept")


def test_a_file_two_tasks_share_goes_only_with_the_last_of_them(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite3")
    shared = book(journal, "a", b"x" * 100)
    book(journal, "b", b"x" * 100)
    book(journal, "c", b"y" * 100)
    # Forgetting a frees nothing (b still uses the file); forgetting b then removes it.
    assert journal.evict_kept(100) == [shared]
    assert [video.task_id for video in journal.kept_videos()] == ["c"]


async def test_a_video_over_the_cap_is_not_kept(
    private_quick_emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("HFWIDGETS_KEEP_MAX_BYTES", "1K")
    async with private_quick_emulator.client(poll=QUICK) as client:
        with caplog.at_level(logging.WARNING, logger="hfwidgets"):
            feed = await finished(client)
    assert Journal().kept_video(feed.id) is None and not any(videos_dir().glob("*.mp4"))
    assert any("larger than the cap" in r.getMessage() for r in caplog.records)


async def test_keeping_a_video_holds_the_others_to_the_cap(private_emulator: EmulatorServer) -> None:
    async with private_emulator.client(poll=QUICK, keep_videos=False) as client:
        first = await finished(client, seed=1, noisy=True)  # two different clips
        second = await finished(client, seed=2, noisy=True)
    async with httpx.AsyncClient() as http:
        sizes = [len((await http.get(feed.video_url or "")).content) for feed in (first, second)]
    journal = Journal()
    assert await keep(first, journal, max_bytes=sum(sizes)) is not None
    # No room for both: keeping the second removes the first (its file too).
    cap = sum(sizes) - 1
    kept = await keep(second, journal, max_bytes=cap)
    assert kept is not None and kept.exists
    assert [video.task_id for video in journal.kept_videos()] == [second.id]
    assert [path.name for path in journal.videos_dir.glob("*.mp4")] == [kept.path.name]


# --------------------------------------------------------------------------- every way a task completes


def test_run_returns_once_the_video_is_kept() -> None:
    feed = hfwidgets.run(picture(), "Face Punch", seed=5, progress=False)
    assert kept_path(feed.id).is_file()


async def test_resume_keeps_the_videos_of_the_tasks_it_finishes(
    private_quick_emulator: EmulatorServer,
) -> None:
    async with private_quick_emulator.client(poll=QUICK) as first:
        task = await first.generate(picture(), "Face Punch", seed=4)
    async with private_quick_emulator.client(poll=QUICK) as second:
        feeds = await second.resume(timeout=60)
        await second.wait_kept()
    assert [feed.id for feed in feeds] == [task.id]
    assert kept_path(task.id).is_file()
