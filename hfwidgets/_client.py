"""`Client`: the async client of the Higgsfield video API.

One Client serves several event loops (a Jupyter kernel's loop and the blocking
facade's private loop thread): its `httpx.AsyncClient` is created lazily per
running loop. The key is attached only to requests under the base URL.

Every request passes the requester's one `Throttle` (`_http`): at most
`MAX_IN_FLIGHT` per event loop on the wire (with a connection pool of the same
size, so a thousand waits queue cheaply there instead of in httpx's pool, whose
queued requests fail with `PoolTimeout`), then the pace the service accepts.

The HTTP transport is httpx's own, or aiohttp (`pip install "hfwidgets[aiohttp]"`,
then `Client(transport="aiohttp")`, or `HFWIDGETS_TRANSPORT=aiohttp` for the
clients the widgets and `run()` build): billable POSTs through `httpx-aiohttp`,
reads on an aiohttp session of their own (`_aiohttp`); the same API and errors,
at about a third of the CPU per poll.

Proxies come from the environment (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`,
`NO_PROXY`), as httpx reads them. A configured proxy sees every request it
carries, including the `Authorization` header for plain-HTTP base URLs (an
HTTPS base URL is tunnelled through it, encrypted). An unusable setting (an
unknown scheme, or SOCKS without `pip install "httpx[socks]"`) is a
ValidationError naming the variable, raised on the first request.

When `wait` sees a task complete, its video is kept on this machine (`_keep`):
in a background task on the running loop, which `wait_kept()` (and `aclose()`)
waits for. That is the one place every caller's completions pass through.

`wait` polls on the `PollPolicy`'s time grid (the time a read took is taken off
the next wait), each gap jittered, and the journal is written only when the
task's status or result URLs change. Its `timeout` is a hard deadline: whatever
the service does (a stalled read, a long Retry-After, a trickling answer),
`wait` returns or raises TaskTimeout by then.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import importlib.util
import inspect
import logging
import os
import random
import threading
import time
import urllib.parse
import warnings
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import httpx

from ._catalog import bundled_motions, filter_motions, parse_motions
from ._config import EMULATOR_KEY, ApiKey, resolve_base_url, resolve_key, resolve_motions_url
from ._errors import (
    APIError,
    BudgetExceeded,
    HiggsfieldError,
    JournalError,
    SubmissionUncertain,
    TaskFailed,
    TaskTimeout,
    ValidationError,
)
from ._eta import Estimate
from ._extras import require
from ._http import MAX_IN_FLIGHT, Connection, Requester, Sleep, is_transient
from ._images import LoadedImage, PreparedImage, load_image, prepare_image, upscale_note, url_image_size
from ._journal import DURATION_SAMPLES, Journal, KeptVideo, TaskRecord
from ._keep import keep, keeps_videos
from ._media import is_loopback_url
from ._models import (
    FAILED_STATUSES,
    PRICES,
    SEED_MAX,
    SEED_MIN,
    Feed,
    Motion,
    Task,
    size_for_aspect,
    task_id_problem,
)
from ._options import GenerateOptions, Unpack, spell_out_options
from ._polling import PollPolicy
from ._requests import DEFAULT_AD_SIZE, AdsRequest, GenerateRequest
from ._session import shared_emulator, wants_emulator

if TYPE_CHECKING:
    from ._aiohttp import AiohttpReads
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
KEEPALIVE_EXPIRY = 2.0
"""Seconds an idle pooled connection is kept for reuse."""
MISSING_URL_GRACE = 10.0
"""Seconds a feed that says "completed" without a video URL is read again for its URL (within the
deadline); after that it is returned as it is."""
MISSING_URL_GAP = 1.0
"""Seconds between those reads."""
SUBMISSION_TIMEOUT = 600.0
"""Default seconds a submission refused with 429 keeps waiting its turn before RateLimited."""
TRANSPORT_ENV = "HFWIDGETS_TRANSPORT"
"""Environment variable choosing the default transport: "httpx" (default) or "aiohttp"."""
TRANSPORTS = ("httpx", "aiohttp")
_PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


_live_clients: weakref.WeakSet[Client] = weakref.WeakSet()
"""Every Client of this process, so that a forked child can give each its own connections."""


def _after_fork_in_child() -> None:
    for client in list(_live_clients):
        client._after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)


@dataclass
class _Seen:
    """What a wait has learnt so far: the last feed read and the last read failure since."""

    feed: Feed | None = None
    error: HiggsfieldError | None = None


@dataclass
class Submission:
    """What became of one billable POST, as far as this process knows; filled in by the client.

    `phase`: "preparing" (nothing sent), "sending" (the request may be on its
    way), then "accepted" (`task_id` is set), "uncertain" (it may exist and may
    have been charged; `journal_id` is its local id in the journal, when it was
    journalled) or "not sent" (refused or never delivered: nothing charged).
    `settled` is set once the outcome is final. `hfwidgets.run()` reads it to say
    truthfully what Ctrl-C interrupted.
    """

    phase: str = "preparing"
    cost: int = 0
    sent: bool = False
    """True once the request was handed to the connection: from then on it may have arrived."""
    sent_at: datetime | None = None
    """When the request was last handed to the connection (the task's submission time)."""
    task_id: str | None = None
    journal_id: str | None = None
    journal_problem: str | None = None
    settled: threading.Event = field(default_factory=threading.Event, repr=False)


_current_submission: contextvars.ContextVar[Submission | None] = contextvars.ContextVar(
    "hfwidgets_submission", default=None
)
"""The submission the running coroutine is sending (read by the request hook that marks it sent)."""


def observe_submission(submission: Submission) -> None:
    """Make the next billable call of the running task fill in `submission` (used by `run()`)."""
    _current_submission.set(submission)


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
    nor a base URL, the client talks to the local emulator of HFWIDGETS_HOME, one
    background process shared by every process using that home (`emulated` is then
    True), like `run()`, the Studio and the command line. `budget` (points)
    refuses any submission that would take `spent` past it, before sending.
    `journal` (True, False or a `Journal`) records every accepted task so it can
    be resumed after a crash. `timeout` bounds each request (a billable POST gets
    four times as long). `keep_videos` (default: `HFWIDGETS_KEEP_VIDEOS`, on) keeps
    every finished video on this machine (see `wait_kept`). A submission refused
    with 429 waits its turn for up to
    `submission_timeout` seconds (10 minutes) before RateLimited; it is charged
    once at most either way. `transport` is "httpx" (default), "aiohttp" (needs
    `pip install "hfwidgets[aiohttp]"`; the default comes from `HFWIDGETS_TRANSPORT`)
    or an `httpx.AsyncBaseTransport` (tests plug in a `MockTransport` there).
    A proxy configured in the environment sees the requests it carries.
    A Client made before a fork works in the child too (with connections of its own there).
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
        transport: httpx.AsyncBaseTransport | str | None = None,
        emulated: bool = False,
        sleep: Sleep | None = None,
        submission_timeout: float = SUBMISSION_TIMEOUT,
        keep_videos: bool | None = None,
    ) -> None:
        if wants_emulator(api_key, base_url):  # the home's emulator (see _session)
            server = shared_emulator()
            api_key, base_url, emulated = EMULATOR_KEY, server.base_url, True
            motions_url = motions_url or server.motions_url
            poll = poll or server.poll_policy()  # its own timings: a 1.2 s task is seen at ~1.3 s
        self._key = resolve_key(api_key)
        self.base_url = resolve_base_url(base_url)
        self.motions_url = resolve_motions_url(motions_url)
        if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int) or budget < 0):
            raise ValidationError("budget", budget, "None or an int >= 0 (points)")
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ValidationError("max_retries", max_retries, "an int >= 0")
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
            raise ValidationError("timeout", timeout, "a number of seconds > 0")
        if (
            not isinstance(submission_timeout, (int, float))
            or isinstance(submission_timeout, bool)
            or not submission_timeout > 0
        ):
            raise ValidationError("submission_timeout", submission_timeout, "a number of seconds > 0")
        self.budget = budget
        self.emulated = emulated
        self.keep_videos = keeps_videos(keep_videos)
        """True when finished videos are kept on this machine (needs the journal)."""
        self.keep_problem: str | None = None
        """Why the last video could not be kept (a full disk...), else None."""
        self._keeping: dict[str, asyncio.Task[KeptVideo | None]] = {}
        self.timeout = float(timeout)
        self.submission_timeout = float(submission_timeout)
        self.poll = poll or PollPolicy()
        self.spent = 0
        """Points charged for submissions this client made (accepted by the service)."""
        self.uncertain = 0
        self._journal_problem: str | None = None
        self._journal_checked = False
        """Points of submissions that may have been charged (SubmissionUncertain); counted in the budget."""
        self._in_flight = 0
        # Tasks being waited on, id -> (schedule key, submission time): the durations learned
        # so far are censored by them (see PollPolicy.window).
        self._running: dict[str, tuple[str, float]] = {}
        self._money = threading.Lock()
        self._ledger_watchers: list[weakref.WeakMethod[Any] | Callable[[], None]] = []
        self._journal_option = journal
        self._journal: Journal | None = None
        self._transport, self.transport = _choose_transport(transport)
        self._http_clients: dict[
            tuple[asyncio.AbstractEventLoop, bool], tuple[httpx.AsyncClient, AiohttpReads | None]
        ] = {}
        self._http_lock = threading.Lock()
        self._inherited: list[object] = []
        self._requester = Requester(
            key=self._key, base_url=self.base_url, max_retries=max_retries, timeout=self.timeout, sleep=sleep
        )
        _live_clients.add(self)

    def _after_fork(self) -> None:
        """In a forked child: the parent's connections, locks and waits stay the parent's.

        Connections are made anew on the child's loops (they are per loop anyway). The
        parent's are kept referenced, never used nor closed: their sockets are the parent's.
        """
        self._inherited.append(self._http_clients)
        self._http_clients = {}
        self._http_lock = threading.Lock()
        self._money = threading.Lock()
        self._in_flight = 0
        self._running = {}

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

    def _http(self, *, billable: bool = False) -> httpx.AsyncClient:
        """The httpx client of the running event loop, created on first use there.

        Billable POSTs get their own client on httpx's transport: a fresh connection each, never
        a pooled one the server may be closing at that instant (its idle timeout), which would
        fail the POST after sending it and make the submission uncertain.
        """
        return self._connections(billable=billable)[0]

    def _reads(self) -> Connection:
        """Where API reads go: aiohttp's own session on the aiohttp transport, else the httpx client."""
        http, reads = self._connections(billable=False)
        return http if reads is None else reads

    def _connections(self, *, billable: bool) -> tuple[httpx.AsyncClient, AiohttpReads | None]:
        key = (asyncio.get_running_loop(), billable and self._transport is None and self.transport == "httpx")
        connections = self._http_clients.get(key)
        if connections is not None and not connections[0].is_closed:
            return connections
        with self._http_lock:
            for stale in [known for known in self._http_clients if known[0].is_closed()]:
                del self._http_clients[stale]
            connections = self._http_clients.get(key)
            if connections is None or connections[0].is_closed:
                connections = self._http_clients[key] = self._new_connections(fresh_connections=key[1])
            return connections

    def _new_connections(
        self, *, fresh_connections: bool = False
    ) -> tuple[httpx.AsyncClient, AiohttpReads | None]:
        # No default headers: the key is added per request, and only for the base URL.
        limits = httpx.Limits(
            max_connections=MAX_IN_FLIGHT,
            max_keepalive_connections=0 if fresh_connections else MAX_IN_FLIGHT,
            # Below the 5 s idle timeout common servers use, so a pooled connection is rarely
            # reused just as the server closes it.
            keepalive_expiry=KEEPALIVE_EXPIRY,
        )
        options: dict[str, Any] = {
            "timeout": self.timeout,
            "follow_redirects": False,
            # Tell the submission being sent when its request leaves, and when a 429 refused it.
            "event_hooks": {"request": [_mark_sent], "response": [_mark_refused]},
            "limits": limits,
        }
        if self._transport is not None:
            return httpx.AsyncClient(transport=self._transport, **options), None
        _check_proxy_environment(self.transport)
        try:
            if self.transport == "aiohttp":
                return self._new_aiohttp_connections(options)
            return httpx.AsyncClient(**options), None
        except (ImportError, ValueError) as exc:  # a proxy setting httpx cannot use
            problem = _short_reason(exc)
        raise ValidationError(
            "proxy environment", None, "proxy settings httpx can use", hint=f"httpx refused them: {problem}"
        )

    def _new_aiohttp_connections(
        self, options: dict[str, Any]
    ) -> tuple[httpx.AsyncClient, AiohttpReads | None]:
        """httpx's API on aiohttp (billable POSTs, and everything when a proxy is configured: httpx
        is what reads proxy settings), and an aiohttp session of its own for reads."""
        from httpx_aiohttp import HttpxAiohttpClient

        from ._aiohttp import AiohttpReads, new_session

        http = HttpxAiohttpClient(**options)  # refuses unusable proxy settings
        if any(os.environ.get(variable) for variable in _PROXY_VARIABLES):
            return http, None
        session = new_session(limit=MAX_IN_FLIGHT, keepalive=KEEPALIVE_EXPIRY, timeout=self.timeout)
        return http, AiohttpReads(session)

    async def aclose(self) -> None:
        """Wait for the videos being kept on this loop, then close the connections of this loop
        (and of other loops that are still running)."""
        await self.wait_kept()
        current = asyncio.get_running_loop()
        with self._http_lock:
            clients = list(self._http_clients.items())
            self._http_clients.clear()
        for (loop, _), (http, reads) in clients:
            for close in [http.aclose] if reads is None else [http.aclose, reads.aclose]:
                if loop is current:
                    await close()
                elif loop.is_running():
                    asyncio.run_coroutine_threadsafe(close(), loop)
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
            self._journal = Journal()
        return self._journal

    @property
    def journal_problem(self) -> str | None:
        """Why tasks are not being journalled (the journal file cannot be used), else None.

        Generating still works without the journal, but a crash would lose track
        of running tasks: the widgets show this as a warning. Checked on first
        read (opening the file) and updated by every journal write.
        """
        journal = self.journal
        if journal is not None and self._journal_problem is None and not self._journal_checked:
            self._journal_checked = True
            self._journal_call(journal.check)
        return self._journal_problem

    def _journal_call(self, action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run one journal operation; a JournalError is kept in `journal_problem` (and logged once)."""
        try:
            result = action(*args, **kwargs)
        except JournalError as error:
            self._note_journal_problem(error)
            return None
        self._journal_problem = None
        return result

    def _note_journal_problem(self, error: JournalError) -> None:
        first = self._journal_problem is None
        self._journal_problem = f"tasks are not being journalled: {error}"
        if first:
            logger.warning("%s", self._journal_problem)

    # ------------------------------------------------------------------ money

    def price(self, model: str) -> int:
        """Points one call costs with `model`: "lite", "turbo", "standard", or "ads" for an ad task."""
        if model not in PRICES:
            raise ValidationError("model", model, f"one of {', '.join(map(repr, PRICES))}")
        return PRICES[model]

    @property
    def in_flight(self) -> int:
        """Points of submissions being sent right now (held against the budget until answered)."""
        return self._in_flight

    @property
    def remaining(self) -> int | None:
        """Points the budget still allows: budget − spent − uncertain − in flight (None without a budget).

        The one budget rule: `check_budget` refuses a cost above it, and the widgets' cost
        lines and the command line's messages show it.
        """
        if self.budget is None:
            return None
        return self.budget - self.spent - self.uncertain - self._in_flight

    def check_budget(self, cost: int) -> None:
        """Raise BudgetExceeded when `cost` is more than `remaining` (spent, uncertain and in-flight
        points all count)."""
        left = self.remaining
        if self.budget is None or left is None or cost <= left:
            return
        raise BudgetExceeded(
            cost, self.spent, self.budget, uncertain=self.uncertain, in_flight=self._in_flight, left=left
        )

    def watch_ledger(self, callback: Callable[[], None]) -> None:
        """Call `callback()` after each change of `spent`, `uncertain` or `in_flight`.

        Called in the thread that made the change (a widget's loop, the blocking facade's);
        what it does must be quick and must not raise. A bound method is held weakly: the
        client does not keep a widget alive. The widgets refresh their cost lines so.
        """
        held = weakref.WeakMethod(callback) if inspect.ismethod(callback) else callback
        with self._money:
            self._ledger_watchers.append(held)

    def _ledger_changed(self) -> None:
        with self._money:
            watchers = list(self._ledger_watchers)
        for held in watchers:
            callback = held() if isinstance(held, weakref.WeakMethod) else held
            if callback is None:
                with self._money:
                    if held in self._ledger_watchers:
                        self._ledger_watchers.remove(held)
                continue
            try:
                callback()
            except Exception:  # a watcher's failure never touches the booking
                logger.debug("a ledger watcher failed", exc_info=True)

    async def _submit(
        self, path: str, body: dict[str, Any], draft: Task, image: PreparedImage | None
    ) -> Task:
        """POST a billable body once (see `_http`) and account for it, whatever happens.

        The one place where money and the journal meet a submission: the budget
        is checked and the points held while sending; a "submitting" row is
        journalled before the request leaves; then exactly one outcome is booked:
        accepted (`spent`; the row becomes the task), uncertain (`uncertain`;
        the row stays, with a note: a SubmissionUncertain, or a cancellation or
        unexpected error once the request may have left) or not sent (the row
        is removed: refused, or provably never delivered).
        """
        cost = draft.cost
        submission = _current_submission.get()
        if submission is None or submission.phase != "preparing":
            submission = Submission()
        submission.cost = cost
        with self._money:
            self.check_budget(cost)
            self._in_flight += cost
        self._ledger_changed()
        journal = self.journal
        if journal is not None:
            submission.journal_id = self._journal_call(
                journal.begin_submission,
                draft,
                base_url=self.base_url,
                image_digest=image.digest if image else None,
                thumbnail=image.thumbnail if image else None,
            )
        submission.journal_problem = self._journal_problem
        submission.phase = "sending"
        token = _current_submission.set(submission)
        outcome, note, task = "not sent", "", None
        try:
            try:
                payload = await self._requester.post_json(
                    self._http(billable=True),
                    self.base_url + path,
                    body,
                    endpoint=f"POST {path}",
                    deadline=time.monotonic() + self.submission_timeout,
                )
                task_id = payload.get("id") if isinstance(payload, dict) else None
                problem = task_id_problem(task_id)
                if problem is not None:
                    raise SubmissionUncertain(
                        f"the service answered the submission with an unusable task id ({problem}); the "
                        "task may exist and may have been charged. It was NOT resubmitted: check "
                        "hfwidgets.history() or the provider's dashboard before trying again",
                        endpoint=f"POST {path}",
                    )
                assert isinstance(task_id, str)
                # Submitted when the request left, not when it was drafted: a POST that queued behind
                # others for a minute is a minute younger than its draft, and its polls follow this time.
                task = replace(draft, id=task_id, created_at=submission.sent_at or datetime.now(timezone.utc))
                outcome = "accepted"
                return task
            except SubmissionUncertain as error:
                outcome, note = "uncertain", error.message
                raise
            except HiggsfieldError:
                raise  # refused by the service, or never delivered: nothing was charged
            except Exception as error:
                if not submission.sent:
                    raise
                outcome = "uncertain"
                note = f"an unexpected {type(error).__name__} after the request was sent"
                # The original may carry request details (headers): only its type is kept.
                raise SubmissionUncertain(
                    f"{note}; the task may exist and may have been charged. It was NOT resubmitted: check "
                    "hfwidgets.history() or the provider's dashboard before trying again",
                    endpoint=f"POST {path}",
                ) from None
            except BaseException:  # cancelled (a widget's Cancel, Ctrl-C) or the interpreter exiting
                if submission.sent:
                    outcome = "uncertain"
                    note = "cancelled after the request was sent, before the service answered"
                raise
        finally:
            _current_submission.reset(token)
            self._book(submission, outcome, note, task, image)

    def _book(
        self,
        submission: Submission,
        outcome: str,
        note: str,
        task: Task | None,
        image: PreparedImage | None,
    ) -> None:
        """Book a submission's outcome: the session tally, then the journal row (never raises)."""
        cost = submission.cost
        with self._money:
            self._in_flight -= cost
            if outcome == "accepted":
                self.spent += cost
            elif outcome == "uncertain":
                self.uncertain += cost
        self._ledger_changed()
        journal, local_id = self.journal, submission.journal_id
        if task is not None:
            submission.task_id = task.id
            logger.info("submitted %r", task)
            if journal is not None:
                self._journal_call(
                    journal.record,
                    task,
                    base_url=self.base_url,
                    image_digest=image.digest if image else None,
                    thumbnail=image.thumbnail if image else None,
                    submission_id=local_id,
                )
        elif journal is not None and local_id is not None:
            if outcome == "uncertain":
                self._journal_call(journal.mark_uncertain, local_id, note)
            else:
                self._journal_call(journal.discard_submission, local_id)
        if outcome == "uncertain":
            where = f" (journalled as {local_id})" if local_id and self._journal_problem is None else ""
            logger.warning("a submission may exist and may have been charged%s: %s", where, note)
        submission.journal_problem = self._journal_problem
        submission.phase = outcome
        submission.settled.set()

    # ------------------------------------------------------------------ submissions

    @spell_out_options
    async def generate(
        self,
        image: Any,
        motion: Motion | str | None = None,
        prompt: str = "",
        **options: Unpack[GenerateOptions],
    ) -> Task:
        """Submit an image-to-video task; returns the accepted Task (wait on it with `wait`).

        Takes a `GenerateRequest`, or the arguments of one: `image` is one image
        (path, URL, bytes, PIL image, numpy array, data: URL) or a list of two (first
        and last frame); `motion` a Motion, an id or a name. `seed=None` draws one.
        `width`/`height` default to the preset closest to the first image's aspect
        ratio. Everything is validated before anything is sent.
        """
        request = GenerateRequest.from_args(image, motion, prompt, **options)
        cost = self.price(request.model)
        self.check_budget(cost)  # early, before any image work; checked again right before sending

        loaded = await self._load(request.image)
        size = request.size
        if size is None:
            first = loaded[0]
            size = first.size
            if size is None and first.url is not None:
                size = await self.image_size(first.url)
            if size is None:
                raise ValidationError("width", None, "width and height in pixels")
            _, size = size_for_aspect(*size)
        prepared = await self._prepare(loaded, size)
        request = dataclasses.replace(
            request,
            seed=request.seed if request.seed is not None else random.randint(SEED_MIN, SEED_MAX),
            width=size[0],
            height=size[1],
        )
        body = request.to_body([p.value for p in prepared])
        return await self._submit(GENERATE_PATH, body, request.to_task("", cost), prepared[0])

    async def image_size(self, url: str) -> tuple[int, int]:
        """The displayed pixel size of the image at `url` (read from its first bytes, without the
        API key); `ImageSizeUnknown` says why when it cannot be read (HTTP 404, unreachable...).
        `generate` uses it to pick the video size of an image URL, and so does the Studio."""
        return await url_image_size(url, self._http())

    async def ads(self, image: Any, template_id: str | None = None, *, size: str = DEFAULT_AD_SIZE) -> Task:
        """Submit an ad task (an `AdsRequest`, or its arguments); returns the accepted Task."""
        request = AdsRequest.from_args(image, template_id, size=size)
        cost = self.price("ads")
        self.check_budget(cost)
        loaded = await self._load(request.image)
        prepared = await self._prepare(loaded, (request.width, request.height))
        body = request.to_body([p.value for p in prepared])
        return await self._submit(ADS_PATH, body, request.to_task("", cost), prepared[0])

    @staticmethod
    async def _load(images: Sequence[Any]) -> list[LoadedImage]:
        return [
            await asyncio.to_thread(load_image, item, field="image" if len(images) == 1 else f"image[{i}]")
            for i, item in enumerate(images)
        ]

    @staticmethod
    async def _prepare(loaded: Sequence[Any], target: tuple[int, int]) -> list[PreparedImage]:
        # Decoding and resizing are CPU work: keep the event loop (and the widgets) responsive.
        prepared = [await asyncio.to_thread(prepare_image, item, target) for item in loaded]
        for item in prepared:
            note = upscale_note(item.size, target) if item.size is not None else None
            if note is not None:
                logger.warning("hfwidgets: %s", note)
        return prepared

    # ------------------------------------------------------------------ reading tasks

    async def feed(self, task: Task | str) -> Feed:
        """The task's current state (one GET, transient failures retried)."""
        return await self._read_feed(_task_id(task))

    async def _read_feed(self, task_id: str, deadline: float | None = None) -> Feed:
        url = self.base_url + FEED_PATH + urllib.parse.quote(task_id, safe="")
        payload = await self._requester.get_json(
            self._reads(),
            url,
            endpoint=FEED_ENDPOINT,
            task_id=task_id,
            deadline=deadline,
        )
        return Feed.from_json(payload, task_id=task_id)

    async def wait(
        self, task: Task | str, *, timeout: float = 600, on_update: OnUpdate | None = None
    ) -> Feed:
        """Poll until every job of the task is terminal; return the final Feed.

        `on_update(feed)` (sync or async) is called after every poll. A failure
        status raises TaskFailed; the deadline raises TaskTimeout (the task lives
        on: wait again later). Transient read errors are retried until the deadline.
        A finished task stays finished: a stale read after a terminal status is
        ignored (`Feed.advance`). A feed that says "completed" without a video URL is
        read again for up to `MISSING_URL_GRACE` seconds (within the deadline) before
        it is returned as it is.
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
        seen = _Seen()
        if target.schedule_key is not None and target.submitted is not None:
            self._running[target.id] = (target.schedule_key, target.submitted.timestamp())
        try:
            # The loop below stops at its deadline by itself; this bounds what it cannot see
            # coming (a read stalled in the service, a long pause, a trickling answer).
            feed = await asyncio.wait_for(self._poll(target, timeout, on_update, seen), timeout)
        except asyncio.TimeoutError:
            if seen.feed is not None and seen.feed.status == "completed":
                return seen.feed  # completed at the deadline, still waiting for its video URL
        else:
            self._keep(feed)
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
                feed = await self._read_feed(target.id, deadline=deadline)
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
        journal = self.journal
        if journal is None or key is None:
            return self.poll.window(key), []
        completions: list[tuple[float, float]] = (
            self._journal_call(journal.completions, key, self.base_url) or []
        )
        # The running tasks of the same cohort: when the sample is full, those submitted since its oldest.
        full = len(completions) >= DURATION_SAMPLES
        since = min(submitted for submitted, _ in completions) if full else 0.0
        now = time.time()
        running = [now - at for k, at in list(self._running.values()) if k == key and at >= since]
        durations = [seconds for _, seconds in completions]
        return self.poll.window(key, durations, running), durations

    # ------------------------------------------------------------------ kept videos

    def _keep(self, feed: Feed) -> None:
        """Start keeping a completed task's video in the background, on the running loop."""
        journal = self.journal
        if not self.keep_videos or journal is None or feed.status != "completed" or not feed.video_url:
            return
        running = self._keeping.get(feed.id)
        if running is not None and not running.done():
            return
        task = asyncio.get_running_loop().create_task(
            self._keep_video(journal, feed), name=f"hfwidgets-keep-{feed.id}"
        )
        self._keeping[feed.id] = task

        def forget(done: asyncio.Task[KeptVideo | None]) -> None:
            if self._keeping.get(feed.id) is done:
                del self._keeping[feed.id]

        task.add_done_callback(forget)

    async def _keep_video(self, journal: Journal, feed: Feed) -> KeptVideo | None:
        try:
            kept = await keep(feed, journal, transport=self._transport)
        except (HiggsfieldError, OSError) as error:  # the task stays completed; its link is journalled
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            self.keep_problem = (
                f"the video of task {feed.id} could not be kept in {journal.videos_dir} ({reason}); "
                "its link is in the journal"
            )
            logger.warning("%s", self.keep_problem)
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

    def _journal_update(self, task_id: str, feed: Feed) -> None:
        journal = self.journal
        if journal is not None:
            self._journal_call(journal.update, task_id, feed, base_url=self.base_url)

    async def resume(
        self,
        *,
        timeout: float = 600,
        on_update: OnUpdate | None = None,
        on_start: Callable[[TaskRecord], None] | None = None,
        on_done: Callable[[TaskRecord, Feed | None], None] | None = None,
    ) -> list[Feed]:
        """Wait concurrently for every unfinished task the journal holds for this base URL.

        Returns one Feed per task, oldest first: the final one, the failed one
        (status failed/nsfw/canceled) or, past `timeout`, the last one seen.
        Tasks that cannot be reached are not waited on: those the service answers
        404 for, and unfinished tasks journalled under a local emulator that no
        longer answers (another base URL on this machine). A warning names them and
        how to give up on them (`hfwidgets forget ID...`, `Journal.forget`).

        `on_start(record)` is called for each task's journal row before any is waited on;
        `on_done(record, feed)` as each wait ends, with the feed returned for it (None when
        the service does not know the task).
        """
        journal = self.journal
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

    # ------------------------------------------------------------------ motions

    async def motions(self, search: str | None = None) -> list[Motion]:
        """Deprecated name of `fetch_motions` (`hfwidgets.motions()` is the bundled catalogue)."""
        warnings.warn(
            "Client.motions() is now Client.fetch_motions(); hfwidgets.motions() is the bundled catalogue",
            DeprecationWarning,
            stacklevel=2,
        )
        return await self.fetch_motions(search)

    async def fetch_motions(self, search: str | None = None) -> list[Motion]:
        """Motion templates from the live listing (no key sent); the bundled snapshot if it fails.

        `hfwidgets.motions()` is the bundled catalogue alone: offline, synchronous.
        """
        params: dict[str, str | int] = {"size": MOTIONS_PAGE_SIZE, "search": (search or "").strip()}
        try:
            payload = await asyncio.wait_for(
                self._requester.get_json(
                    self._reads(),
                    self.motions_url,
                    endpoint="GET motions",
                    params=params,
                    max_retries=1,
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
    text = task.strip() if isinstance(task, str) else task
    problem = task_id_problem(text)
    if problem is not None:
        raise ValidationError("task", task, "a Task or a task id (a non-empty string, no '/')", hint=problem)
    assert isinstance(text, str)
    return text


async def _mark_sent(request: httpx.Request) -> None:
    """httpx request hook: the billable POST being sent is handed to the connection now."""
    submission = _current_submission.get()
    if submission is not None and request.method == "POST":
        submission.sent = True
        submission.sent_at = datetime.now(timezone.utc)


async def _mark_refused(response: httpx.Response) -> None:
    """httpx response hook: a 429 refuses the POST before any work, so it did not arrive as a task."""
    submission = _current_submission.get()
    if submission is not None and response.request.method == "POST" and response.status_code == 429:
        submission.sent = False


def _choose_transport(
    transport: httpx.AsyncBaseTransport | str | None,
) -> tuple[httpx.AsyncBaseTransport | None, str]:
    """(a transport object, or None to build one) and the transport's name."""
    if isinstance(transport, httpx.AsyncBaseTransport):
        return transport, type(transport).__name__
    choice = transport if transport is not None else (os.environ.get(TRANSPORT_ENV) or "httpx")
    field = "transport" if transport is not None else TRANSPORT_ENV
    if choice not in TRANSPORTS:
        raise ValidationError(field, choice, '"httpx", "aiohttp" or an httpx.AsyncBaseTransport')
    if choice == "aiohttp":
        require("aiohttp", 'Client(transport="aiohttp")')
    return None, choice


def _check_proxy_environment(transport: str) -> None:
    """Refuse proxy settings the transport cannot use, naming the variable (never its credentials)."""
    schemes = ("http", "https") if transport == "aiohttp" else ("http", "https", "socks5", "socks5h")
    for variable in _PROXY_VARIABLES:
        value = os.environ.get(variable)
        if not value:
            continue
        scheme = value.split("://", 1)[0].lower() if "://" in value else "http"  # httpx assumes http
        shown = f"{scheme}://..."
        if scheme not in schemes:
            raise ValidationError(
                variable,
                shown,
                f"a proxy URL with a scheme {transport} supports ({', '.join(s + '://' for s in schemes)})",
                hint=f"fix or unset {variable}",
            )
        if scheme.startswith("socks") and importlib.util.find_spec("socksio") is None:
            raise ValidationError(
                variable,
                shown,
                "a proxy this installation can use",
                hint=f'SOCKS proxies need pip install "httpx[socks]"; or unset {variable}',
            )


def _short_reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


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
        _, writer = await asyncio.wait_for(asyncio.open_connection(parts.hostname, port), 2.0)
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
