"""The fault matrix as data: each scenario arranges emulator faults, runs one call, says what must happen.

Shared by `test_fault_matrix.py` (outcomes and billable POST counts) and
`test_key_hygiene.py` (the same scenarios with a canary key: no error text,
repr or log line may contain it).
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import sqlite3
import struct
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from PIL import Image

from hfwidgets._catalog import bundled_motions
from hfwidgets._client import Client
from hfwidgets._config import KEY_ENV
from hfwidgets._errors import (
    AuthError,
    DownloadTimeout,
    HiggsfieldError,
    InsufficientCredits,
    JournalError,
    LimitExceeded,
    MalformedResponse,
    SubmissionUncertain,
    TaskFailed,
    TaskTimeout,
    ValidationError,
)
from hfwidgets._journal import Journal
from hfwidgets._models import Feed, Motion, Task
from hfwidgets._polling import PollPolicy
from hfwidgets.emulator import EmulatorServer, Timing, serve

T = TypeVar("T")

FAST_TIMING = Timing(queued=0.05, in_progress=0.3)
FAST_POLL = PollPolicy(
    priors={"lite": (0.0, 5.0), "turbo": (0.0, 5.0), "standard": (0.0, 5.0), "ads": (0.0, 5.0)},
    first_delay=0.05,
    sparse_cap=0.1,
    window_interval=0.05,
    cap=0.2,
)
"""Polls every 50 ms: scenarios finish in well under a second of task time."""

VIDEO_SIZE = (128, 224)  # small, so the emulator renders quickly


def small_png(size: tuple[int, int] = (96, 168), colour: tuple[int, int, int] = (210, 90, 40)) -> bytes:
    """A real PNG picture to submit."""
    picture = Image.new("RGB", size, colour)
    for x in range(0, size[0], 12):
        picture.paste((40, 160, 200), (x, 0, x + 5, size[1]))
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    return buffer.getvalue()


class RecordedSleeps:
    """Stands in for the client's retry sleep: records each delay asked for and waits only briefly
    (or for the whole delay once `real` is set)."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.real = False

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(seconds if self.real else min(seconds, 0.01))


class DropAuthorization(httpx.AsyncBaseTransport):
    """A proxy in front of the service that loses the Authorization header (the service answers 401)."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        del request.headers["Authorization"]
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


@dataclass
class Run:
    """What a scenario's call produced."""

    client: Client
    server: EmulatorServer
    sleeps: RecordedSleeps
    journal: Journal
    task: Task | None = None
    feed: Feed | None = None
    error: BaseException | None = None
    updates: list[Feed] = field(default_factory=list)


Action = Callable[[Run], Awaitable[None]]
Check = Callable[[Run], None]


async def submit_and_wait(run: Run, *, timeout: float = 20.0) -> None:
    """The everyday call: generate, then wait for the result."""
    run.task = await run.client.generate(
        small_png(), "Face Punch", "the cat eats", seed=7, width=VIDEO_SIZE[0], height=VIDEO_SIZE[1]
    )
    run.feed = await run.client.wait(run.task, timeout=timeout, on_update=run.updates.append)


async def wait_briefly(run: Run) -> None:
    await submit_and_wait(run, timeout=0.8)


async def wait_out_an_unknown_status(run: Run) -> None:
    """The task shows an unknown status from its first read on (`UNKNOWN_AT_ONCE`): waiting neither
    stops nor fails at it, and the deadline still ends the wait. The deadline leaves time for the
    first read even on a loaded machine; when the unknown status appears is the server's, not a race."""
    await submit_and_wait(run, timeout=3.0)


UNKNOWN_AT_ONCE = Timing(queued=0.0, in_progress=0.0)
"""Tasks whose outcome shows as soon as they exist."""


async def time_out_then_wait_again(run: Run) -> None:
    """Deadline first (TaskTimeout), then a later wait on the same task picks it up."""
    with pytest.raises(TaskTimeout, match=r"call wait\(") as deadline:
        await submit_and_wait(run, timeout=0.3)
    assert run.task is not None and deadline.value.task_id == run.task.id
    assert run.task is not None
    run.feed = await run.client.wait(run.task.id, timeout=20.0, on_update=run.updates.append)


async def _until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "the condition never came true"
        await asyncio.sleep(0.01)


def cancel_once_posted(*, real_sleeps: bool = False, after: float = 0.2) -> Action:
    """Start the everyday call and cancel it (as a widget's Cancel does) once the POST reached the server."""

    async def act(run: Run) -> None:
        run.sleeps.real = real_sleeps
        call = asyncio.ensure_future(submit_and_wait(run))
        await _until(lambda: run.server.counters["POST /higgsfield/generate"] >= 1 or call.done())
        await asyncio.sleep(after)
        call.cancel()
        try:
            await call
        except asyncio.CancelledError as cancelled:
            run.error = cancelled

    return act


@dataclass
class Scenario:
    """One row of the fault matrix."""

    name: str
    arrange: Callable[[EmulatorServer], object] = lambda server: None
    act: Action = submit_and_wait
    raises: type[BaseException] | None = None
    """The error the call must raise; None: it must succeed with a completed feed."""
    posts: int = 1
    """POST /higgsfield/generate requests the emulator must have received."""
    billed: int | None = 1
    """Tasks the emulator created (and charged for); None when it may be 0 or 1."""
    timing: Timing = FAST_TIMING
    client_options: dict[str, Any] = field(default_factory=dict)
    check: Check | None = None
    """Further assertions on the run."""
    home: Callable[[Path], None] | None = None
    """Prepares the journal's folder (given the journal file's path) before the client is made."""
    booked: str = ""
    """How the client booked the submission: "spent" (a task id came back), "uncertain" (it may exist
    and may have been charged: counted in `uncertain`, journalled as an uncertain row) or "nothing"
    (refused or never delivered: no points, no journal row). Derived from `raises` when empty."""

    def __post_init__(self) -> None:
        if not self.booked:
            if self.raises is SubmissionUncertain:
                self.booked = "uncertain"
            elif self.raises in (None, TaskFailed, TaskTimeout):
                self.booked = "spent"
            else:
                self.booked = "nothing"

    def __repr__(self) -> str:
        return f"Scenario({self.name!r})"


# --------------------------------------------------------------------------- checks


def saw_retry_after(seconds: float) -> Check:
    def check(run: Run) -> None:
        assert seconds in run.sleeps.delays, run.sleeps.delays

    return check


def backed_off(run: Run) -> None:
    assert run.sleeps.delays and all(0 < d <= 60 for d in run.sleeps.delays), run.sleeps.delays


def says_task_may_exist(run: Run) -> None:
    message = str(run.error)
    assert "may exist" in message or "may have accepted" in message, message
    assert "NOT resubmitted" in message, message


def status_is(status: str) -> Check:
    def check(run: Run) -> None:
        assert isinstance(run.error, TaskFailed) and run.error.status == status
        assert run.error.feed.status == status

    return check


def shows_unknown_status(run: Run) -> None:
    assert isinstance(run.error, TaskTimeout) and run.error.last_status == "postprocessing"
    assert run.updates and all(update.status == "postprocessing" for update in run.updates)


def stalled(run: Run) -> None:
    assert isinstance(run.error, TaskTimeout) and run.error.last_status == "in_progress"


def no_html_in_message(run: Run) -> None:
    message = str(run.error)
    assert "<html" not in message.lower() and "502" in message, message


def every_job_finished(run: Run) -> None:
    assert run.feed is not None and len(run.feed.jobs) == 3
    assert all(job.status == "completed" and job.video_url for job in run.feed.jobs)
    # The client did not stop at the first finished job: every update before the last was unfinished.
    assert all(not update.done for update in run.updates[:-1])


def message_says(text: str) -> Check:
    def check(run: Run) -> None:
        assert text in str(run.error), run.error

    return check


def spent_nothing(run: Run) -> None:
    assert run.client.spent == 0


def refused_key(run: Run) -> None:
    assert isinstance(run.error, AuthError) and run.error.status == 401, run.error
    spent_nothing(run)


def malformed_submission(run: Run) -> None:
    assert isinstance(run.error, MalformedResponse), run.error
    says_task_may_exist(run)


def journalled_as_cancelled(run: Run) -> None:
    (record,) = run.journal.records()
    assert record.note is not None and "cancelled after the request was sent" in record.note, record


def warm_shared_clip(server: EmulatorServer) -> None:
    server.state.shared_clip().result(timeout=60)


def several_jobs(server: EmulatorServer) -> None:
    warm_shared_clip(server)  # so each job finishes on its own clock, not when the clip is ready
    server.faults.jobs_per_task(3)


def key_nowhere(run: Run) -> None:
    """The key is in no error of the chain (cause and context), nor in any attribute of one."""
    key = run.client._key.reveal()
    seen: list[BaseException] = []
    error = run.error
    while error is not None and error not in seen:
        seen.append(error)
        texts = [str(error), repr(error), *(repr(value) for value in vars(error).values())]
        for value in vars(error).values():
            if isinstance(value, (httpx.Request, httpx.Response)):
                texts.append(repr(dict(value.headers)))
        assert not any(key in text for text in texts), f"the key is carried by {error!r}"
        assert not isinstance(error, httpx.HTTPError), f"a raw httpx error in the chain: {error!r}"
        error = error.__cause__ or error.__context__


def uncertain_and_key_free(run: Run) -> None:
    says_task_may_exist(run)
    key_nowhere(run)


def slow_answers(server: EmulatorServer) -> None:
    server.faults.delay("feed", 0.15)
    server.faults.delay("generate", 0.3, count=1)


def bound(arrange: Callable[[EmulatorServer, T], object], value: T) -> Callable[[EmulatorServer], object]:
    """`arrange` with its second argument fixed (a loop variable, bound now rather than late)."""
    return lambda server: arrange(server, value)


def wait_within(deadline: float, *, stall: Callable[[EmulatorServer], None] | None = None) -> Action:
    """Submit, then wait with `timeout=deadline`: it must end (TaskTimeout) within deadline + 1 s.

    `stall` arranges, once the task exists, what would hold the wait past its deadline.
    """

    async def act(run: Run) -> None:
        run.task = await run.client.generate(
            small_png(), "Face Punch", "the cat eats", seed=7, width=VIDEO_SIZE[0], height=VIDEO_SIZE[1]
        )
        if stall is not None:
            stall(run.server)
        started = time.monotonic()
        try:
            run.feed = await run.client.wait(run.task, timeout=deadline, on_update=run.updates.append)
        finally:
            elapsed = time.monotonic() - started
            assert elapsed <= deadline + 1.0, f"wait(timeout={deadline}) took {elapsed:.1f} s"

    return act


def client_with_key(insert: str, at: int | None = None, *, from_environment: bool = False) -> Action:
    """Build a second client whose key is the scenario's key with `insert` put at `at` (None: at the
    end), as an argument or from OPENAI_HK_API_KEY; it must be refused before anything is sent."""

    async def act(run: Run) -> None:
        key = run.client._key.reveal()
        bad = key + insert if at is None else key[:at] + insert + key[at:]
        if not from_environment:
            Client(api_key=bad, base_url=run.server.base_url)
            return
        saved = os.environ.get(KEY_ENV)
        os.environ[KEY_ENV] = bad
        try:
            Client(base_url=run.server.base_url)
        finally:
            if saved is None:
                del os.environ[KEY_ENV]
            else:
                os.environ[KEY_ENV] = saved

    return act


def names_the_bad_character(field: str, position: int, length: int, kind: str) -> Check:
    def check(run: Run) -> None:
        assert isinstance(run.error, ValidationError) and run.error.field == field, run.error
        message = str(run.error)
        assert f"position {position} of {length}" in message and kind in message, message
        assert str(length) in message

    return check


# (what, inserted, where: None = at the end, the field named, 1-based position of the first bad character
# in the key of 44 + len(inserted) characters, how it is named)
BAD_KEYS: list[tuple[str, str, int | None, str, int, str]] = [
    ("a trailing line feed", "\n", None, "api_key", 45, "a line feed (LF)"),
    ("CR LF at the end", "\r\n", None, "api_key", 45, "a carriage return (CR)"),
    ("a space inside", " ", 30, "api_key", 31, "a space"),
    ("a tab inside", "\t", 30, "api_key", 31, "a tab"),
    ("a zero-width space", "\u200b", 30, "api_key", 31, "a zero-width space (U+200B)"),
    ("a word joiner", "\u2060", 30, "api_key", 31, "an invisible character (U+2060)"),
    ("a non-ASCII letter", "é", 30, "api_key", 31, "a non-ASCII character (U+00E9)"),
    ("a leading no-break space", "\u00a0", 0, "api_key", 1, "a no-break space (U+00A0)"),
    ("a trailing line feed from OPENAI_HK_API_KEY", "\n", None, KEY_ENV, 45, "a line feed (LF)"),
]


# --------------------------------------------------------------------------- hostile hosts and files


@dataclass
class Route:
    """What a scripted host answers on one path: `gap` seconds between bytes makes it a slow loris."""

    body: bytes
    content_type: str = "application/octet-stream"
    gap: float = 0.0
    length: int | None = None
    """Content-Length to announce (None: the body's)."""


@contextmanager
def scripted_host(routes: dict[str, Route]) -> Iterator[str]:
    """A small HTTP server on 127.0.0.1 answering `routes`; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            route = routes.get(self.path.split("?")[0])
            if route is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(route.length or len(route.body)))
            self.end_headers()
            try:
                if not route.gap:
                    self.wfile.write(route.body)
                    return
                for index in range(len(route.body)):
                    self.wfile.write(route.body[index : index + 1])
                    self.wfile.flush()
                    time.sleep(route.gap)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up: that is the point

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def liar_mp4(claimed_frames: int = 2**31) -> bytes:
    """A real 64x64 three-frame mp4 (under 2 KB) whose header claims `claimed_frames` frames."""
    import av
    import numpy as np

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width = stream.height = 64
        stream.pix_fmt = "yuv420p"
        for shade in (0, 120, 240):
            frame = av.VideoFrame.from_ndarray(np.full((64, 64, 3), shade, np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    data = bytearray(buffer.getvalue())
    stts = data.find(b"stts")  # size, "stts", version+flags, entry count, then (count, delta)
    struct.pack_into(">I", data, stts + 12, claimed_frames)
    return bytes(data)


def probing_a_trickling_image(run: Run) -> Awaitable[None]:
    """An image URL on a host sending 1 byte/s: probing its size gives up in time, nothing is sent."""

    async def act() -> None:
        from hfwidgets import _images

        picture = small_png()
        with scripted_host({"/picture.png": Route(picture, "image/png", gap=1.0)}) as host:
            saved, _images.PROBE_DEADLINE_S = _images.PROBE_DEADLINE_S, 1.0  # type: ignore[misc]
            started = time.monotonic()
            try:
                await run.client.generate(host + "/picture.png", "Face Punch", seed=7)
            finally:
                _images.PROBE_DEADLINE_S = saved  # type: ignore[misc]
                elapsed = time.monotonic() - started
                assert elapsed < 3.0, f"probing took {elapsed:.1f} s"

    return act()


def moved_video(run: Run, host: str) -> Feed:
    """The run's finished feed with its video on `host` instead (a CDN the test scripts)."""
    assert run.feed is not None
    moved = dict(run.feed.raw)
    moved["jobs"] = [
        {**job, "result": {"type": "video", "url": host + "/video.mp4"}} for job in moved["jobs"]
    ]
    return Feed.from_json(moved)


def fetch_video(route: Route, *, frames: bool = False, **limits: Any) -> Action:
    """Make a real task, then download (or decode) its video from a scripted host serving `route`."""

    async def act(run: Run) -> None:
        await submit_and_wait(run)
        with scripted_host({"/video.mp4": route}) as host:
            feed = moved_video(run, host)
            target = run.journal.path.parent / "video.mp4"
            try:
                if frames:
                    await asyncio.to_thread(feed.frames, **limits)
                else:
                    await feed.adownload(target, **limits)
            finally:
                leftovers = [p.name for p in target.parent.glob("*.mp4*")]
                assert leftovers == [], f"a partial file was left behind: {leftovers}"

    return act


def submit_image(image: Any) -> Action:
    """Generate from `image` (then wait for the video, when it is accepted)."""

    async def act(run: Run) -> None:
        run.task = await run.client.generate(
            image, "Face Punch", seed=7, width=VIDEO_SIZE[0], height=VIDEO_SIZE[1]
        )
        run.feed = await run.client.wait(run.task, timeout=20.0)

    return act


def gray_ramp(mode: str) -> Image.Image:
    """A left-to-right ramp over the full range of a 16-bit or 32-bit gray mode."""
    width, height = 256, 96
    if mode == "F":
        floats = [x / (width - 1) for x in range(width)] * height
        return Image.frombytes("F", (width, height), struct.pack(f"<{width * height}f", *floats))
    values = [round(x * 65535 / (width - 1)) for x in range(width)] * height
    ramp = Image.frombytes("I;16", (width, height), struct.pack(f"<{width * height}H", *values))
    return ramp if mode == "I;16" else ramp.convert("I")


async def list_motions_from(run: Run, listing: Any) -> list[Motion]:
    with scripted_host({"/motions": Route(json.dumps(listing).encode(), "application/json")}) as host:
        client = Client(api_key=run.client._key, base_url=run.server.base_url, motions_url=host + "/motions")
        try:
            return await client.fetch_motions()
        finally:
            await client.aclose()


def motions_with_wrong_types(run: Run) -> Awaitable[None]:
    """A listing whose entries hold wrong-typed fields: the bad ones are skipped, never a TypeError."""

    async def act() -> None:
        good = bundled_motions()[0].to_json()
        listing = [
            {**good, "categories": 5},
            {**good, "id": good["id"][:-1] + "0", "mix": "x", "tags": {"a": 1}},
            {**good, "id": good["id"][:-1] + "1", "params": {"motions": {}}, "name": ["not", "text"]},
            {"name": "no id"},
            17,
        ]
        motions = await list_motions_from(run, listing)
        assert len(motions) == 3 and all(m.categories == () for m in motions[:1]), motions
        everything_bad = await list_motions_from(run, [{"id": 5}, "x", None])
        assert [m.id for m in everything_bad] == [m.id for m in bundled_motions()]  # the snapshot instead

    return act()


def corrupt_journal(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"this is not a database at all\n" * 200)


def directory_as_journal(path: Path) -> None:
    path.mkdir(parents=True)


def foreign_tasks_table(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE tasks (todo TEXT, done INTEGER)")
        conn.execute("INSERT INTO tasks VALUES ('buy milk', 0)")


def unwritable_home(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o500)  # read and enter only; root ignores this, hence a file in the folder's place
    if os.access(path.parent, os.W_OK):
        path.parent.chmod(0o700)
        path.parent.rmdir()
        path.parent.write_bytes(b"a file where the folder should be")


def generates_without_journal(run: Run) -> None:
    problem = run.client.journal_problem
    assert problem and str(run.journal.path) in problem and "HFWIDGETS_HOME" in problem, problem
    if not run.journal.path.exists():  # nothing to read: an empty history, no error
        assert run.journal.records() == []
        return
    with pytest.raises(JournalError) as caught:
        run.journal.records()
    assert caught.value.path == run.journal.path and str(run.journal.path) in str(caught.value)
    error = caught.value
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__), (
        "a raw sqlite3 error chained"
    )


def timed_out(run: Run) -> None:
    assert isinstance(run.error, TaskTimeout), run.error
    key_nowhere(run)


# --------------------------------------------------------------------------- the matrix

SCENARIOS: list[Scenario] = [
    Scenario(
        "image URL on a host sending 1 byte/s",
        act=probing_a_trickling_image,
        raises=ValidationError,
        posts=0,
        billed=0,
    ),
    *[
        Scenario(
            f"image {what}",
            act=submit_image(given),
            raises=ValidationError,
            posts=0,
            billed=0,
            check=message_says(expected),
        )
        for what, given, expected in (
            ("javascript: URL", "javascript:alert(1)", "unsupported URL scheme 'javascript:'"),
            ("ftp:// URL", "ftp://example.com/cat.png", "unsupported URL scheme 'ftp:'"),
            ("file:// URL", "file:///etc/passwd", "unsupported URL scheme 'file:'"),
            ("/dev/zero", "/dev/zero", "is a character device, not a regular file"),
            ("a directory", "/tmp", "is a directory, not a regular file"),
        )
    ],
    *[
        Scenario(f"{mode} gray image (keeps its tones)", act=submit_image(gray_ramp(mode)))
        for mode in ("I;16", "I", "F")
    ],
    Scenario(
        "video download from a host sending 1 byte/s",
        act=fetch_video(Route(b"\x00" * 4096, "video/mp4", gap=1.0), timeout=1.0),
        raises=DownloadTimeout,
        booked="spent",
    ),
    Scenario(
        "video larger than max_bytes",
        act=fetch_video(Route(b"\x00" * 300_000, "video/mp4"), max_bytes=100_000),
        raises=LimitExceeded,
        booked="spent",
    ),
    Scenario(
        "video larger than max_bytes, length not announced",
        act=fetch_video(Route(b"\x00" * 300_000, "video/mp4", length=50_000_000), max_bytes=100_000),
        raises=LimitExceeded,
        booked="spent",
    ),
    Scenario(
        "2 KB mp4 claiming 2**31 frames",
        act=fetch_video(Route(liar_mp4(), "video/mp4"), frames=True),
        raises=LimitExceeded,
        booked="spent",
        check=message_says("frames(step=..., max_frames=..., size=(w, h))"),
    ),
    *[
        Scenario(
            f"generate answer {kind} after the task was created",
            arrange=bound(lambda s, kind: s.faults.bad_answer("generate", kind), kind),
            raises=SubmissionUncertain,
            billed=1,
            check=message_says("unusable task id"),
        )
        for kind in ("slash_id", "dot_id")
    ],
    Scenario(
        "feed answer slash_id twice, then good answers",
        arrange=lambda s: s.faults.bad_answer("feed", "slash_id", count=2),
    ),
    Scenario(
        "motions listing with wrong-typed fields",
        act=motions_with_wrong_types,
        posts=0,
        billed=0,
        booked="nothing",
    ),
    *[
        Scenario(
            f"journal: {what}",
            home=prepare,
            booked="unjournalled",
            check=generates_without_journal,
        )
        for what, prepare in (
            ("a corrupt file", corrupt_journal),
            ("a directory in its place", directory_as_journal),
            ("a foreign tasks table", foreign_tasks_table),
            ("an unwritable home", unwritable_home),
        )
    ],
    *[
        Scenario(
            f"key with {what} refused when the client is built",
            act=client_with_key(inserted, at, from_environment=field == KEY_ENV),
            raises=ValidationError,
            posts=0,
            billed=0,
            check=names_the_bad_character(field, position, 44 + len(inserted), kind),
        )
        for what, inserted, at, field, position, kind in BAD_KEYS
    ],
    Scenario(
        "feed 429 with Retry-After",
        arrange=lambda s: s.faults.rate_limit("feed", 2, retry_after=0.2),
        check=saw_retry_after(0.2),
    ),
    Scenario(
        "feed 429 without Retry-After",
        arrange=lambda s: s.faults.rate_limit("feed", 2, retry_after=None),
        check=backed_off,
    ),
    *[
        Scenario(
            f"feed {status} burst then success",
            arrange=bound(lambda s, status: s.faults.server_error("feed", 3, status=status), status),
            check=backed_off,
        )
        for status in (500, 502, 503, 504)
    ],
    Scenario("feed HTML error page", arrange=lambda s: s.faults.html_error("feed", 2, status=502)),
    Scenario("feed connection reset", arrange=lambda s: s.faults.drop_connection("feed", 2)),
    Scenario(
        "feed read timeout",
        arrange=lambda s: s.faults.delay("feed", 1.5, count=1),
        client_options={"timeout": 0.4},
    ),
    Scenario(
        "slow answers",
        arrange=slow_answers,
        client_options={"timeout": 5.0},
    ),
    Scenario("feed malformed JSON", arrange=lambda s: s.faults.malformed_json("feed", 2)),
    Scenario(
        "generate 429 with Retry-After",
        arrange=lambda s: s.faults.rate_limit("generate", 1, retry_after=0.2),
        posts=2,  # refused before any work: sending again cannot double-charge
        check=saw_retry_after(0.2),
    ),
    Scenario(
        "generate 429 without Retry-After",
        arrange=lambda s: s.faults.rate_limit("generate", 2, retry_after=None),
        posts=3,
        check=backed_off,
    ),
    *[
        Scenario(
            f"generate {status}",
            arrange=bound(lambda s, status: s.faults.server_error("generate", 3, status=status), status),
            raises=SubmissionUncertain,
            billed=0,
            check=says_task_may_exist,
        )
        for status in (500, 502, 503, 504)
    ],
    Scenario(
        "generate HTML error page",
        arrange=lambda s: s.faults.html_error("generate", 1, status=502),
        raises=SubmissionUncertain,
        billed=0,
        check=no_html_in_message,
    ),
    Scenario(
        "generate connection reset after the task was created",
        arrange=lambda s: s.faults.drop_connection("generate", 1, processed=True),
        raises=SubmissionUncertain,
        billed=1,  # the worst case: charged, no id came back, and nothing was sent again
        check=says_task_may_exist,
    ),
    Scenario(
        "generate read timeout",
        arrange=lambda s: s.faults.delay("generate", 1.5, count=1),
        raises=SubmissionUncertain,
        billed=None,
        client_options={"timeout": 0.4},
        check=says_task_may_exist,
    ),
    Scenario(
        "generate malformed JSON",
        arrange=lambda s: s.faults.malformed_json("generate"),
        raises=SubmissionUncertain,
        billed=0,
        check=malformed_submission,
    ),
    *[
        Scenario(
            f"generate answer {kind} after the task was created",
            arrange=bound(lambda s, kind: s.faults.bad_answer("generate", kind), kind),
            raises=SubmissionUncertain,
            billed=1,  # charged, no usable id: uncertain, never resubmitted
            client_options={"timeout": 0.5} if kind == "slow_loris" else {},
            check=uncertain_and_key_free,
        )
        for kind in ("gzip_lie", "invalid_utf8", "deep_json", "no_id", "numeric_id", "slow_loris")
    ],
    *[
        Scenario(
            f"feed answer {kind} twice, then good answers",
            arrange=bound(lambda s, kind: s.faults.bad_answer("feed", kind, count=2), kind),
        )
        for kind in ("gzip_lie", "invalid_utf8", "deep_json")
    ],
    Scenario(
        "deadline holds: a feed read that stalls",
        act=wait_within(1.0, stall=lambda s: s.faults.delay("feed", 30.0)),
        raises=TaskTimeout,
        client_options={"sleep": asyncio.sleep},
        check=timed_out,
    ),
    Scenario(
        "deadline holds: a slow-loris feed answer",
        act=wait_within(1.0, stall=lambda s: s.faults.bad_answer("feed", "slow_loris", count=50)),
        raises=TaskTimeout,
        client_options={"sleep": asyncio.sleep},
        check=timed_out,
    ),
    Scenario(
        "deadline holds: a Retry-After of 40 s",
        act=wait_within(1.0, stall=lambda s: s.faults.rate_limit("feed", 50, retry_after=40.0)),
        raises=TaskTimeout,
        client_options={"sleep": asyncio.sleep},
        check=timed_out,
    ),
    Scenario(
        "generate connection reset before the task was created",
        arrange=lambda s: s.faults.drop_connection("generate", 1, processed=False),
        raises=SubmissionUncertain,
        billed=0,  # the client cannot know that: it books the points as uncertain all the same
        check=says_task_may_exist,
    ),
    Scenario(
        "generate cancelled after the POST was sent",
        arrange=lambda s: s.faults.delay("generate", 1.0, count=1),
        act=cancel_once_posted(),
        raises=asyncio.CancelledError,
        billed=None,
        booked="uncertain",
        check=journalled_as_cancelled,
    ),
    Scenario(
        "generate cancelled while a refused POST waits to be sent again",
        arrange=lambda s: s.faults.rate_limit("generate", 1, retry_after=30),
        act=cancel_once_posted(real_sleeps=True, after=0.3),
        raises=asyncio.CancelledError,
        billed=0,
        booked="nothing",  # a 429 is a refusal: the request did nothing, so nothing may be charged
    ),
    Scenario(
        "401 (a proxy lost the Authorization header)",
        raises=AuthError,
        billed=0,
        client_options={"transport": "drop-authorization"},
        check=refused_key,
    ),
    Scenario(
        "insufficient credits",
        arrange=lambda s: s.faults.set_credits(3),
        raises=InsufficientCredits,
        billed=0,
        check=spent_nothing,
    ),
    *[
        Scenario(
            f"task ends {status}",
            arrange=bound(lambda s, status: s.faults.task_outcome(status), status),
            raises=TaskFailed,
            check=status_is(status),
        )
        for status in ("failed", "nsfw", "canceled")
    ],
    Scenario(
        "unknown status",
        arrange=lambda s: s.faults.task_outcome("postprocessing"),
        act=wait_out_an_unknown_status,
        timing=UNKNOWN_AT_ONCE,
        raises=TaskTimeout,
        check=shows_unknown_status,
    ),
    Scenario(
        "task never finishes",
        arrange=lambda s: s.faults.stall_tasks(),
        act=wait_briefly,
        raises=TaskTimeout,
        check=stalled,
    ),
    Scenario(
        "deadline, then waiting again later works",
        act=time_out_then_wait_again,
        timing=Timing(queued=0.05, in_progress=1.5),
    ),
    Scenario(
        "feed with several jobs",
        arrange=several_jobs,
        timing=Timing(queued=0.05, in_progress=1.0),
        check=every_job_finished,
    ),
]


# --------------------------------------------------------------------------- running one


async def run_scenario(scenario: Scenario, server: EmulatorServer, *, api_key: str, home: Path) -> Run:
    """Arrange the faults, make the call with a fresh client, and collect what happened."""
    scenario.arrange(server)
    options = dict(scenario.client_options)
    if options.get("transport") == "drop-authorization":
        options["transport"] = DropAuthorization()
    sleeps = RecordedSleeps()
    if scenario.home is not None:
        scenario.home(home / "journal.sqlite3")
    journal = Journal(home / "journal.sqlite3")
    client = Client(
        api_key=api_key,
        base_url=server.base_url,
        motions_url=server.motions_url,
        poll=FAST_POLL,
        sleep=options.pop("sleep", sleeps),
        journal=journal,
        **options,
    )
    run = Run(client=client, server=server, sleeps=sleeps, journal=journal)
    try:
        await scenario.act(run)
    except HiggsfieldError as error:
        run.error = error
    finally:
        await client.aclose()
    return run


def serve_for(scenario: Scenario) -> EmulatorServer:
    """A private emulator for one scenario (render off: one shared small clip)."""
    return serve(timing=scenario.timing, render=False)
