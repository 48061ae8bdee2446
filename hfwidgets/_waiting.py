"""A Client's waiting: polling a task to its end, resuming the journal's, keeping the videos.

`wait` polls on the `PollPolicy`'s time grid (the time a read took is taken off
the next wait), each gap jittered, and the journal is written only when the
task's status or result URLs change. Its `timeout` is a hard deadline: whatever
the service does (a stalled read, a long Retry-After, a trickling answer),
`wait` returns or raises TaskTimeout by then. A finished task stays finished (a
stale read after a terminal status is ignored); a "completed" feed without its
video URL is read again for `MISSING_URL_GRACE` seconds.

When `wait` sees a task complete, its video is kept on this machine (`_keep`), in
a background task on the running loop (`Keeper`), which `wait_kept()` waits for:
the one place every caller's completions pass through (`wait`, `resume`, `run()`,
the widgets, the command line).

`expected_window` and `estimate` say when tasks of a model usually finish here: the
poll policy's window from the journal's observed durations, censored by the tasks
being waited on (`PollPolicy.window`, `_eta.Estimate`).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

import httpx

from ._connections import Connections
from ._errors import APIError, HiggsfieldError, TaskFailed, TaskTimeout, ValidationError
from ._eta import Estimate
from ._http import Requester, is_transient
from ._journal import DURATION_SAMPLES, Journal, KeptVideo, TaskRecord
from ._journal_access import JournalAccess
from ._keep import keep
from ._media import is_loopback_url
from ._models import FAILED_STATUSES, Feed, Task, task_id_problem
from ._polling import PollPolicy
from ._timeouts import within

__all__ = [
    "FEED_PATH",
    "MISSING_URL_GAP",
    "MISSING_URL_GRACE",
    "Keeper",
    "OnDone",
    "OnStart",
    "OnUpdate",
    "Waiter",
    "task_id",
]

logger = logging.getLogger("hfwidgets")

OnUpdate = Callable[[Feed], "Awaitable[None] | None"]
"""A callback given each Feed read while waiting; may be sync or async."""
OnStart = Callable[[TaskRecord], None]
"""`Client.resume`'s callback given each task's journal row before any is waited on."""
OnDone = Callable[[TaskRecord, "Feed | None"], None]
"""`Client.resume`'s callback given each task's row and final feed (None: the service does not know it)."""

FEED_PATH = "/higgsfield/feed/"
FEED_ENDPOINT = f"GET {FEED_PATH}{{id}}"
MISSING_URL_GRACE = 10.0
"""Seconds a feed that says "completed" without a video URL is read again for its URL (within the
deadline); after that it is returned as it is."""
MISSING_URL_GAP = 1.0
"""Seconds between those reads."""


@dataclass
class _Seen:
    """What a wait has learnt so far: the last feed read and the last read failure since."""

    feed: Feed | None = None
    error: HiggsfieldError | None = None


@dataclass(frozen=True)
class _Waited:
    """What `wait` needs to know about a task: its id, schedule key and submission time."""

    id: str
    schedule_key: str | None
    submitted: datetime | None


class Keeper:
    """Keeps completed tasks' videos beside the journal, in background tasks of the running loop."""

    def __init__(
        self, keep_videos: bool, journal: JournalAccess, transport: httpx.AsyncBaseTransport | None
    ) -> None:
        self.keep_videos = keep_videos
        """True when finished videos are kept on this machine (needs the journal)."""
        self.problem: str | None = None
        """Why the last video could not be kept (a full disk...), else None."""
        self._journal = journal
        self._transport = transport
        self._keeping: dict[str, asyncio.Task[KeptVideo | None]] = {}

    def __repr__(self) -> str:
        return f"Keeper(keep_videos={self.keep_videos}, keeping={len(self._keeping)})"

    def keep(self, feed: Feed) -> None:
        """Start keeping a completed task's video in the background, on the running loop."""
        journal = self._journal.journal
        if not self.keep_videos or journal is None or feed.status != "completed" or not feed.video_url:
            return
        running = self._keeping.get(feed.id)
        if running is not None and not running.done():
            return
        task = asyncio.get_running_loop().create_task(
            self._keep(journal, feed), name=f"hfwidgets-keep-{feed.id}"
        )
        self._keeping[feed.id] = task

        def forget(done: asyncio.Task[KeptVideo | None]) -> None:
            if self._keeping.get(feed.id) is done:
                del self._keeping[feed.id]

        task.add_done_callback(forget)

    async def _keep(self, journal: Journal, feed: Feed) -> KeptVideo | None:
        try:
            kept = await keep(feed, journal, transport=self._transport)
        except (HiggsfieldError, OSError) as error:  # the task stays completed; its link is journalled
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            self.problem = (
                f"the video of task {feed.id} could not be kept in {journal.videos_dir} ({reason}); "
                "its link is in the journal"
            )
            logger.warning("%s", self.problem)
            return None
        return kept

    async def wait_kept(self) -> None:
        """Wait until the videos this client is keeping on the running loop are on disk (or failed).

        `run()`, `resume()` and the command line call it so the copy exists before they return.
        """
        loop = asyncio.get_running_loop()
        pending = [task for task in list(self._keeping.values()) if task.get_loop() is loop]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)


class Waiter:
    """Waits on a Client's tasks: polls, resumes the journal's, keeps the videos (`keeper`)."""

    def __init__(
        self,
        *,
        base_url: str,
        requester: Requester,
        connections: Connections,
        journal: JournalAccess,
        poll: PollPolicy,
        keeper: Keeper,
    ) -> None:
        self.base_url = base_url
        self.requester = requester
        self.connections = connections
        self.journal = journal
        self.poll = poll
        self.keeper = keeper
        # Tasks being waited on, id -> (schedule key, submission time): the durations learned
        # so far are censored by them (see PollPolicy.window).
        self._running: dict[str, tuple[str, float]] = {}

    def __repr__(self) -> str:
        return f"Waiter(base_url={self.base_url!r}, waiting={len(self._running)})"

    def after_fork(self) -> None:
        """In a forked child: the parent's waits are not this process's."""
        self._running = {}

    async def read_feed(self, task_id: str, deadline: float | None = None) -> Feed:
        """The task's current state (one GET, transient failures retried until `deadline`)."""
        url = self.base_url + FEED_PATH + urllib.parse.quote(task_id, safe="")
        payload = await self.requester.get_json(
            self.connections.reads(), url, endpoint=FEED_ENDPOINT, task_id=task_id, deadline=deadline
        )
        return Feed.from_json(payload, task_id=task_id)

    async def wait(
        self, task: Task | str, *, timeout: float = 600, on_update: OnUpdate | None = None
    ) -> Feed:
        """Poll until every job of the task is terminal; the final Feed (see `Client.wait`)."""
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
            raise ValidationError("timeout", timeout, "a number of seconds > 0")
        if isinstance(task, Task):
            key = "ads" if task.kind == "ads" else task.model
            target = _Waited(task.id, key, task.created_at)
        else:
            target = _Waited(task_id(task), None, None)
        return await self._wait(target, float(timeout), on_update)

    async def _wait(self, target: _Waited, timeout: float, on_update: OnUpdate | None) -> Feed:
        seen = _Seen()
        if target.schedule_key is not None and target.submitted is not None:
            self._running[target.id] = (target.schedule_key, target.submitted.timestamp())
        try:
            # The loop below stops at its deadline by itself; this bounds what it cannot see
            # coming (a read stalled in the service, a long pause, a trickling answer).
            feed = await within(self._poll(target, timeout, on_update, seen), timeout)
        except asyncio.TimeoutError:
            if seen.feed is not None and seen.feed.status == "completed":
                return seen.feed  # completed at the deadline, still waiting for its video URL
        else:
            self.keeper.keep(feed)
            return feed
        finally:
            self._running.pop(target.id, None)
        status = seen.feed.status if seen.feed is not None else None
        # Raised here, outside the handler: the chain is the last read failure (if the final
        # reads failed, it explains the timeout), never the cancelled request.
        raise TaskTimeout(target.id, timeout, status) from seen.error

    async def _poll(self, target: _Waited, timeout: float, on_update: OnUpdate | None, seen: _Seen) -> Feed:
        started = time.monotonic()
        deadline = started + timeout
        # Seconds already elapsed since submission when waiting started (resumed or late waits).
        offset = 0.0
        if target.submitted is not None:
            offset = max(0.0, (datetime.now(timezone.utc) - target.submitted).total_seconds())
        key = target.schedule_key
        window = self.expected_window(key)
        # When (in seconds since submission) the current poll was due: the grid the policy's gaps add to.
        due = offset
        url_grace_ends: float | None = None
        while True:
            try:
                feed = await self.read_feed(target.id, deadline=deadline)
            except HiggsfieldError as exc:
                if not is_transient(exc):
                    raise
                seen.error = exc
                logger.info("task %s: reading its state failed (%s); trying again", target.id, exc)
            else:
                if seen.feed is not None:
                    feed = seen.feed.advance(feed)  # a stale read never un-finishes the task
                if seen.feed is None and target.submitted is None and feed.created_at is not None:
                    # Waiting on a bare id: the service says when it was submitted.
                    offset = min(max(0.0, time.time() - feed.created_at.timestamp()), 24 * 3600.0)
                    due = offset
                if key is None and (feed.is_ad or feed.params.model):
                    key = "ads" if feed.is_ad else feed.params.model
                    window = self.expected_window(key)
                if seen.feed is None or _changed(seen.feed, feed):
                    self._journal_update(target.id, feed)
                    if seen.feed is not None and feed.status != seen.feed.status:
                        logger.debug("task %s: %s -> %s", target.id, seen.feed.status, feed.status)
                seen.feed, seen.error = feed, None
                if on_update is not None:
                    result = on_update(feed)
                    if inspect.isawaitable(result):
                        await result
                if feed.done:
                    if feed.status in FAILED_STATUSES:
                        raise TaskFailed(feed)
                    if feed.video_url is not None:
                        return feed
                    # Completed, but the URL is not there yet (it often is on the next read):
                    # read again for a short while, within the deadline.
                    if url_grace_ends is None:
                        url_grace_ends = time.monotonic() + MISSING_URL_GRACE
                    now = time.monotonic()
                    if now >= min(url_grace_ends, deadline):
                        logger.warning("task %s completed without a video URL", target.id)
                        return feed
                    await asyncio.sleep(min(MISSING_URL_GAP, url_grace_ends - now, deadline - now))
                    continue
            now = time.monotonic()
            if now >= deadline:
                raise asyncio.TimeoutError  # reported by `_wait`
            elapsed = offset + now - started
            due += self.poll.jittered(self.poll.next_delay(due, window))
            if due <= elapsed:
                # The read took longer than the gap (a slow service, retries): start the grid again from
                # now rather than polling at once, which would add load to a struggling service.
                due = elapsed + self.poll.jittered(self.poll.next_delay(elapsed, window))
            await asyncio.sleep(min(due - elapsed, deadline - now))

    def expected_window(self, key: str | None) -> tuple[float, float]:
        """When tasks of `key` (a model, or "ads") usually finish, in seconds after submission.

        The poll policy's window from the journal's observed durations on this base URL,
        censored by the tasks this client is waiting on (`PollPolicy.window`).
        """
        return self._window_and_durations(key)[0]

    def estimate(self, key: str | None) -> Estimate:
        """How long a task of `key` (a model, or "ads") will take here: `expected_window` and the
        journal's median duration (see `_eta`). What the widgets, `run()` and the CLI show."""
        window, durations = self._window_and_durations(key)
        return Estimate.from_history(
            window, durations, min_samples=self.poll.min_samples, coverage=self.poll.quantiles
        )

    def _window_and_durations(self, key: str | None) -> tuple[tuple[float, float], list[float]]:
        journal = self.journal.journal
        if journal is None or key is None:
            return self.poll.window(key), []
        completions: list[tuple[float, float]] = (
            self.journal.call(journal.completions, key, self.base_url) or []
        )
        # The running tasks of the same cohort: when the sample is full, those submitted since its oldest.
        full = len(completions) >= DURATION_SAMPLES
        since = min(submitted for submitted, _ in completions) if full else 0.0
        now = time.time()
        running = [now - at for k, at in list(self._running.values()) if k == key and at >= since]
        durations = [seconds for _, seconds in completions]
        return self.poll.window(key, durations, running), durations

    def _journal_update(self, task_id: str, feed: Feed) -> None:
        journal = self.journal.journal
        if journal is not None:
            self.journal.call(journal.update, task_id, feed, base_url=self.base_url)

    async def resume(
        self, timeout: float, on_update: OnUpdate | None, on_start: OnStart | None, on_done: OnDone | None
    ) -> list[Feed]:
        """Wait for every unfinished task of the journal on this base URL (see `Client.resume`)."""
        journal = self.journal.journal
        if journal is None:
            return []
        records = journal.pending(self.base_url)
        if on_start is not None:
            for record in records:
                on_start(record)
        unreachable = await _unreachable_elsewhere(journal.pending(), self.base_url)
        logger.info("resuming %d unfinished task(s) on %s", len(records), self.base_url)
        last_seen: dict[str, Feed] = {}

        async def track(feed: Feed) -> None:
            last_seen[feed.id] = feed
            if on_update is not None:
                result = on_update(feed)
                if inspect.isawaitable(result):
                    await result

        async def one(record: TaskRecord) -> Feed | None:
            feed = await wait_one(record)
            if on_done is not None:
                on_done(record, feed)
            return feed

        async def wait_one(record: TaskRecord) -> Feed | None:
            key = "ads" if record.kind == "ads" else record.model
            try:
                return await self._wait(_Waited(record.id, key, record.created_at), float(timeout), track)
            except TaskFailed as failed:
                return failed.feed
            except TaskTimeout:
                return last_seen.get(record.id)
            except APIError as error:
                if error.status != 404:
                    raise
                unreachable.append((record.id, f"{self.base_url} does not know it"))
                return None

        results = await asyncio.gather(*(one(r) for r in records))
        if unreachable:
            logger.warning("%s", _unreachable_message(unreachable))
        return [feed for feed in results if feed is not None]


def _changed(before: Feed, after: Feed) -> bool:
    """True when a poll brought news worth journalling: another status or other job states or URLs."""
    return before.status != after.status or before.jobs != after.jobs  # Job equality skips `raw`


def task_id(task: Task | str) -> str:
    if isinstance(task, Task):
        return task.id
    text = task.strip() if isinstance(task, str) else task
    problem = task_id_problem(text)
    if problem is not None:
        raise ValidationError("task", task, "a Task or a task id (a non-empty string, no '/')", hint=problem)
    assert isinstance(text, str)
    return text


async def _unreachable_elsewhere(pending: Sequence[TaskRecord], base_url: str) -> list[tuple[str, str]]:
    """(task id, why) of the unfinished tasks journalled under another base URL on this machine
    where nothing answers: a local emulator that no longer runs (one per process, before the
    emulator of a home was shared)."""
    gone: dict[str, bool] = {}
    found = []
    for record in pending:
        if record.base_url == base_url.rstrip("/") or not is_loopback_url(record.base_url):
            continue
        if record.base_url not in gone:
            gone[record.base_url] = not await _answers(record.base_url)
        if gone[record.base_url]:
            found.append((record.id, f"nothing answers at {record.base_url}, where it was made"))
    return found


async def _answers(url: str) -> bool:
    """True when something accepts a connection at the URL's host and port."""
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        _, writer = await within(asyncio.open_connection(parts.hostname, port), 2.0)
    except (OSError, asyncio.TimeoutError):
        return False
    writer.close()
    return True


def _unreachable_message(unreachable: Sequence[tuple[str, str]]) -> str:
    """What resume says of the tasks it cannot reach, and how to give up on them."""
    lines = [f"{len(unreachable)} unfinished task(s) cannot be reached and are not waited on:"]
    lines += [f"  {task_id}: {why}" for task_id, why in unreachable]
    ids = " ".join(task_id for task_id, _ in unreachable)
    lines.append(
        f"`hfwidgets forget {ids}` (or hfwidgets.Journal().forget(ID)) marks them abandoned: they stay in "
        "the history and are never resumed again"
    )
    return "\n".join(lines)
