"""`Client`: the async client of the Higgsfield video API.

One Client serves several event loops (a Jupyter kernel's loop and the blocking
facade's private loop thread): its `httpx.AsyncClient` is created lazily per
running loop. The key is attached only to requests under the base URL.

At most `MAX_IN_FLIGHT` API requests per event loop are on the wire at once
(an `asyncio.Semaphore`, with a connection pool of the same size): with a
thousand waits in one loop the rest queue on the semaphore, which is cheap,
instead of in httpx's pool, whose bookkeeping grows with its queue and whose
queued requests fail with `PoolTimeout` once they have waited `timeout`.

`wait` polls on the `PollPolicy`'s time grid (the time a read took is taken off
the next wait), each gap jittered, and the journal is written only when the
task's status or result URLs change.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import logging
import random
import threading
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import httpx

from ._catalog import bundled_motions, filter_motions, parse_motions
from ._config import ApiKey, resolve_base_url, resolve_key, resolve_motions_url
from ._errors import BudgetExceeded, HiggsfieldError, TaskFailed, TaskTimeout, ValidationError
from ._http import Requester, Sleep, is_transient
from ._models import FAILED_STATUSES, PRICES, SEED_MAX, SEED_MIN, Feed, Motion, Task, size_for_aspect
from ._polling import PollPolicy
from ._requests import DEFAULT_AD_SIZE, AdsRequest, GenerateRequest

if TYPE_CHECKING:
    from ._images import LoadedImage, PreparedImage
    from ._journal import Journal

__all__ = ["Client", "OnUpdate"]

logger = logging.getLogger("hfwidgets")

OnUpdate = Callable[[Feed], "Awaitable[None] | None"]
"""A callback given each Feed read while waiting; may be sync or async."""

GENERATE_PATH = "/higgsfield/generate"
ADS_PATH = "/higgsfield/ads"
FEED_PATH = "/higgsfield/feed/"
FEED_ENDPOINT = f"GET {FEED_PATH}{{id}}"
MOTIONS_PAGE_SIZE = 500
"""Motions asked for per listing request (the provider's own page asks for 30)."""
MOTIONS_TIMEOUT = 10.0
MAX_IN_FLIGHT = 16
"""API requests on the wire at once per event loop (and the size of its connection pool).

Enough for ~50 requests/s at 300 ms of latency; not more, because httpcore checks
every pooled connection twice per request, so each idle connection costs CPU."""


@dataclass(frozen=True)
class _Waited:
    """What `wait` needs to know about a task: its id, schedule key and submission time."""

    id: str
    schedule_key: str | None
    submitted: datetime | None


class Client:
    """Async client of the Higgsfield video API (or of the local emulator).

    >>> async with Client() as client:                       # doctest: +SKIP
    ...     task = await client.generate("cat.jpg", "Face Punch", "the cat eats")
    ...     feed = await client.wait(task)
    ...     feed.video_url

    The key comes from `api_key`, else `OPENAI_HK_API_KEY`; the base URL from
    `base_url`, else `OPENAI_HK_BASE_URL`, else the provider's. With neither a key
    nor a base URL, the client talks to the local emulator hfwidgets starts once
    per process (`emulated` is then True), like `run()` and the Studio. `budget` (points)
    refuses any submission that would take `spent` past it, before sending.
    `journal` (True, False or a `Journal`) records every accepted task so it can
    be resumed after a crash. `transport` is handed to httpx (tests plug in a
    `MockTransport` there).
    """

    def __init__(
        self,
        api_key: str | ApiKey | None = None,
        base_url: str | None = None,
        *,
        budget: int | None = None,
        motions_url: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 4,
        poll: PollPolicy | None = None,
        journal: Journal | bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
        emulated: bool = False,
        sleep: Sleep | None = None,
    ) -> None:
        from ._session import shared_emulator, wants_emulator

        if wants_emulator(api_key, base_url):  # the embedded default (see _session)
            server = shared_emulator()
            from .emulator import API_KEY

            api_key, base_url, emulated = API_KEY, server.base_url, True
            motions_url = motions_url or server.motions_url
        self._key = resolve_key(api_key)
        self.base_url = resolve_base_url(base_url)
        self.motions_url = resolve_motions_url(motions_url)
        if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int) or budget < 0):
            raise ValidationError("budget", budget, "None or an int >= 0 (points)")
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ValidationError("max_retries", max_retries, "an int >= 0")
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
            raise ValidationError("timeout", timeout, "a number of seconds > 0")
        self.budget = budget
        self.emulated = emulated
        self.timeout = float(timeout)
        self.poll = poll or PollPolicy()
        self.spent = 0
        """Points charged for submissions this client made (accepted by the service)."""
        self.uncertain = 0
        """Points of submissions that may have been charged (SubmissionUncertain); counted in the budget."""
        self._in_flight = 0
        self._money = threading.Lock()
        self._journal_option = journal
        self._journal: Journal | None = None
        self._transport = transport
        self._http_clients: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}
        self._slots: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}
        self._http_lock = threading.Lock()
        self._requester = Requester(
            key=self._key, base_url=self.base_url, max_retries=max_retries, sleep=sleep
        )

    # ------------------------------------------------------------------ plumbing

    @property
    def max_retries(self) -> int:
        return self._requester.max_retries

    def __repr__(self) -> str:
        budget = f", budget={self.budget}" if self.budget is not None else ""
        emulated = ", emulated=True" if self.emulated else ""
        return f"Client(base_url={self.base_url!r}, key='***', spent={self.spent}{budget}{emulated})"

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def _http(self) -> httpx.AsyncClient:
        """The httpx client of the running event loop, created on first use there."""
        loop = asyncio.get_running_loop()
        with self._http_lock:
            for stale in [other for other in self._http_clients if other.is_closed()]:
                del self._http_clients[stale]
                self._slots.pop(stale, None)
            http = self._http_clients.get(loop)
            if http is None or http.is_closed:
                # No default headers: the key is added per request, and only for the base URL.
                http = httpx.AsyncClient(
                    transport=self._transport,
                    timeout=self.timeout,
                    follow_redirects=False,
                    limits=httpx.Limits(
                        max_connections=MAX_IN_FLIGHT, max_keepalive_connections=MAX_IN_FLIGHT
                    ),
                )
                self._http_clients[loop] = http
            return http

    def _slots_of_loop(self) -> asyncio.Semaphore:
        """The semaphore bounding this event loop's API requests in flight."""
        loop = asyncio.get_running_loop()
        with self._http_lock:
            slots = self._slots.get(loop)
            if slots is None:
                slots = self._slots[loop] = asyncio.Semaphore(MAX_IN_FLIGHT)
            return slots

    async def aclose(self) -> None:
        """Close the connections of this loop (and of other loops that are still running)."""
        current = asyncio.get_running_loop()
        with self._http_lock:
            clients = list(self._http_clients.items())
            self._http_clients.clear()
            self._slots.clear()
        for loop, http in clients:
            if loop is current:
                await http.aclose()
            elif loop.is_running():
                asyncio.run_coroutine_threadsafe(http.aclose(), loop)
        if self._journal is not None:  # only the journal this client opened itself
            self._journal.close()

    @property
    def journal(self) -> Journal | None:
        """The journal accepted tasks are written to (None with `journal=False`)."""
        option = self._journal_option
        if option is False:
            return None
        if option is not True:
            return option
        if self._journal is None:
            from ._journal import Journal

            self._journal = Journal()
        return self._journal

    # ------------------------------------------------------------------ money

    def price(self, kind: str) -> int:
        """Points one call of `kind` costs: "lite", "turbo", "standard" or "ads"."""
        if kind not in PRICES:
            raise ValidationError("kind", kind, f"one of {', '.join(map(repr, PRICES))}")
        return PRICES[kind]

    def check_budget(self, cost: int) -> None:
        """Raise BudgetExceeded when `cost` more points would pass the budget (counting uncertain ones)."""
        if self.budget is None:
            return
        committed = self.spent + self.uncertain + self._in_flight
        if committed + cost > self.budget:
            raise BudgetExceeded(cost, committed, self.budget)

    async def _submit(self, path: str, body: dict[str, Any], cost: int) -> str:
        """POST a billable body once (see `_http`), keeping the budget exact under concurrency."""
        with self._money:
            self.check_budget(cost)
            self._in_flight += cost
        accepted = False
        try:
            from ._errors import SubmissionUncertain

            try:
                payload = await self._requester.post_json(
                    self._http(),
                    self.base_url + path,
                    body,
                    endpoint=f"POST {path}",
                    limit=self._slots_of_loop(),
                )
            except SubmissionUncertain:
                with self._money:
                    self.uncertain += cost
                raise
            accepted = True
            return str(payload["id"])
        finally:
            with self._money:
                self._in_flight -= cost
                if accepted:
                    self.spent += cost

    def _record(self, task: Task, image: PreparedImage | None) -> None:
        journal = self.journal
        if journal is None:
            return
        try:
            journal.record(
                task,
                base_url=self.base_url,
                image_digest=image.digest if image else None,
                thumbnail=image.thumbnail if image else None,
            )
        except Exception:  # the task exists and is paid for: a journal problem must not lose it
            logger.warning("could not journal task %s", task.id, exc_info=True)

    # ------------------------------------------------------------------ submissions

    async def generate(
        self,
        image: Any,
        motion: Motion | str | None = None,
        prompt: str = "",
        *,
        model: str = "lite",
        seed: int | None = None,
        width: int | None = None,
        height: int | None = None,
        enhance_prompt: bool = True,
    ) -> Task:
        """Submit an image-to-video task; returns the accepted Task (wait on it with `wait`).

        Takes a `GenerateRequest`, or the arguments of one: `image` is one image
        (path, URL, bytes, PIL image, numpy array, data: URL) or a list of two (first
        and last frame); `motion` a Motion, an id or a name. `seed=None` draws one.
        `width`/`height` default to the preset closest to the first image's aspect
        ratio. Everything is validated before anything is sent.
        """
        request = GenerateRequest.from_args(
            image,
            motion,
            prompt,
            model=model,
            seed=seed,
            width=width,
            height=height,
            enhance_prompt=enhance_prompt,
        )
        cost = self.price(request.model)
        self.check_budget(cost)  # early, before any image work; checked again right before sending

        from ._images import probe_size

        loaded = await self._load(request.image)
        size = request.size
        if size is None:
            first = loaded[0]
            size = first.size
            if size is None and first.url is not None:
                size = await probe_size(first.url, self._http())
            if size is None:
                raise ValidationError(
                    "width",
                    None,
                    "width and height in pixels",
                    hint="the size of the image URL could not be read; pass width= and height=",
                )
            _, size = size_for_aspect(*size)
        prepared = await self._prepare(loaded, size)
        request = dataclasses.replace(
            request,
            seed=request.seed if request.seed is not None else random.randint(SEED_MIN, SEED_MAX),
            width=size[0],
            height=size[1],
        )
        task_id = await self._submit(GENERATE_PATH, request.to_body([p.value for p in prepared]), cost)
        task = request.to_task(task_id, cost)
        logger.info("submitted %r", task)
        self._record(task, prepared[0])
        return task

    async def ads(self, image: Any, template_id: str | None = None, *, size: str = DEFAULT_AD_SIZE) -> Task:
        """Submit an ad task (an `AdsRequest`, or its arguments); returns the accepted Task."""
        request = AdsRequest.from_args(image, template_id, size=size)
        cost = self.price("ads")
        self.check_budget(cost)
        loaded = await self._load(request.image)
        prepared = await self._prepare(loaded, (request.width, request.height))
        task_id = await self._submit(ADS_PATH, request.to_body([p.value for p in prepared]), cost)
        task = request.to_task(task_id, cost)
        logger.info("submitted %r", task)
        self._record(task, prepared[0])
        return task

    @staticmethod
    async def _load(images: Sequence[Any]) -> list[LoadedImage]:
        from ._images import load_image

        return [
            await asyncio.to_thread(load_image, item, field="image" if len(images) == 1 else f"image[{i}]")
            for i, item in enumerate(images)
        ]

    @staticmethod
    async def _prepare(loaded: Sequence[Any], target: tuple[int, int]) -> list[PreparedImage]:
        from ._images import prepare_image

        # Decoding and resizing are CPU work: keep the event loop (and the widgets) responsive.
        return [await asyncio.to_thread(prepare_image, item, target) for item in loaded]

    # ------------------------------------------------------------------ reading tasks

    async def feed(self, task: Task | str) -> Feed:
        """The task's current state (one GET, transient failures retried)."""
        return await self._read_feed(_task_id(task))

    async def _read_feed(self, task_id: str, deadline: float | None = None) -> Feed:
        url = self.base_url + FEED_PATH + urllib.parse.quote(task_id, safe="")
        payload = await self._requester.get_json(
            self._http(),
            url,
            endpoint=FEED_ENDPOINT,
            task_id=task_id,
            deadline=deadline,
            limit=self._slots_of_loop(),
        )
        return Feed.from_json(payload, task_id=task_id)

    async def wait(
        self, task: Task | str, *, timeout: float = 600, on_update: OnUpdate | None = None
    ) -> Feed:
        """Poll until every job of the task is terminal; return the final Feed.

        `on_update(feed)` (sync or async) is called after every poll. A failure
        status raises TaskFailed; the deadline raises TaskTimeout (the task lives
        on: wait again later). Transient read errors are retried until the deadline.
        """
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
            raise ValidationError("timeout", timeout, "a number of seconds > 0")
        if isinstance(task, Task):
            key = "ads" if task.kind == "ads" else task.model
            target = _Waited(task.id, key, task.created_at)
        else:
            target = _Waited(_task_id(task), None, None)
        return await self._wait(target, float(timeout), on_update)

    async def _wait(self, target: _Waited, timeout: float, on_update: OnUpdate | None) -> Feed:
        started = time.monotonic()
        deadline = started + timeout
        # Seconds already elapsed since submission when waiting started (resumed or late waits).
        offset = 0.0
        if target.submitted is not None:
            offset = max(0.0, (datetime.now(timezone.utc) - target.submitted).total_seconds())
        key = target.schedule_key
        window = self.poll.window(key, self._history(key))
        last: Feed | None = None
        last_error: Exception | None = None
        # When (in seconds since submission) the current poll was due: the grid the policy's gaps add to.
        due = offset
        while True:
            try:
                feed = await self._read_feed(target.id, deadline=deadline)
            except (HiggsfieldError, httpx.TransportError) as exc:
                if not is_transient(exc):
                    raise
                last_error = exc
                logger.info("task %s: reading its state failed (%s); trying again", target.id, exc)
            else:
                if last is None and target.submitted is None and feed.created_at is not None:
                    # Waiting on a bare id: the service says when it was submitted.
                    offset = min(max(0.0, time.time() - feed.created_at.timestamp()), 24 * 3600.0)
                    due = offset
                if key is None and (feed.is_ad or feed.params.model):
                    key = "ads" if feed.is_ad else feed.params.model
                    window = self.poll.window(key, self._history(key))
                if last is None or _changed(last, feed):
                    self._journal_update(target.id, feed)
                    if last is not None and feed.status != last.status:
                        logger.debug("task %s: %s -> %s", target.id, last.status, feed.status)
                last, last_error = feed, None
                if on_update is not None:
                    result = on_update(feed)
                    if inspect.isawaitable(result):
                        await result
                if feed.done:
                    if feed.status in FAILED_STATUSES:
                        raise TaskFailed(feed)
                    return feed
            now = time.monotonic()
            if now >= deadline:
                status = last.status if last is not None else None
                # Chained to the last read failure, if the final reads failed: it explains the timeout.
                raise TaskTimeout(target.id, timeout, status) from last_error
            elapsed = offset + now - started
            due += self.poll.jittered(self.poll.next_delay(due, window))
            if due <= elapsed:
                # The read took longer than the gap (a slow service, retries): start the grid again from
                # now rather than polling at once, which would add load to a struggling service.
                due = elapsed + self.poll.jittered(self.poll.next_delay(elapsed, window))
            await asyncio.sleep(min(due - elapsed, deadline - now))

    def _history(self, key: str | None) -> list[float]:
        journal = self.journal
        if journal is None or key is None:
            return []
        try:
            return journal.durations(key, self.base_url)
        except Exception:
            logger.debug("journal durations unavailable", exc_info=True)
            return []

    def _journal_update(self, task_id: str, feed: Feed) -> None:
        journal = self.journal
        if journal is None:
            return
        try:
            journal.update(task_id, feed, base_url=self.base_url)
        except Exception:
            logger.warning("could not journal the state of task %s", task_id, exc_info=True)

    async def resume(self, *, timeout: float = 600, on_update: OnUpdate | None = None) -> list[Feed]:
        """Wait concurrently for every unfinished task the journal holds for this base URL.

        Returns one Feed per task, oldest first: the final one, the failed one
        (status failed/nsfw/canceled) or, past `timeout`, the last one seen.
        """
        journal = self.journal
        if journal is None:
            return []
        records = journal.pending(self.base_url)
        if not records:
            return []
        logger.info("resuming %d unfinished task(s) on %s", len(records), self.base_url)
        last_seen: dict[str, Feed] = {}

        async def track(feed: Feed) -> None:
            last_seen[feed.id] = feed
            if on_update is not None:
                result = on_update(feed)
                if inspect.isawaitable(result):
                    await result

        async def one(record: Any) -> Feed | None:
            key = "ads" if record.kind == "ads" else record.model
            try:
                return await self._wait(_Waited(record.id, key, record.created_at), float(timeout), track)
            except TaskFailed as failed:
                return failed.feed
            except TaskTimeout:
                return last_seen.get(record.id)

        results = await asyncio.gather(*(one(r) for r in records))
        return [feed for feed in results if feed is not None]

    # ------------------------------------------------------------------ motions

    async def motions(self, search: str | None = None) -> list[Motion]:
        """Motion templates from the live listing (no key sent); the bundled snapshot if it fails."""
        params: dict[str, str | int] = {"size": MOTIONS_PAGE_SIZE, "search": (search or "").strip()}
        try:
            payload = await asyncio.wait_for(
                self._requester.get_json(
                    self._http(),
                    self.motions_url,
                    endpoint="GET motions",
                    params=params,
                    max_retries=1,
                    limit=self._slots_of_loop(),
                ),
                MOTIONS_TIMEOUT,
            )
            items = parse_motions(payload)
        except (HiggsfieldError, httpx.HTTPError, asyncio.TimeoutError) as exc:
            logger.info("motion listing unavailable (%s); using the bundled snapshot", _short_reason(exc))
            return filter_motions(bundled_motions(), search)
        return items


def _changed(before: Feed, after: Feed) -> bool:
    """True when a poll brought news worth journalling: another status or other job states or URLs."""
    return before.status != after.status or before.jobs != after.jobs  # Job equality skips `raw`


def _task_id(task: Task | str) -> str:
    if isinstance(task, Task):
        return task.id
    if not isinstance(task, str) or not task.strip() or len(task) > 200:
        raise ValidationError("task", task, "a Task or a task id (non-empty string)")
    return task.strip()


def _short_reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."
