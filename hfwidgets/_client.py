"""`Client`: the async client of the Higgsfield video API, a facade over small collaborators.

Like openai-python's client, it holds its parts and hands each call to the one whose job it is:

- `_connections.Connections`: the transport (httpx, aiohttp or a transport object) and its
  connections per event loop, made anew after a fork; the key is attached only to requests
  under the base URL (`_http.Requester`, whose `Throttle` every request passes);
- `_ledger.Ledger`: the budget and the points spent, uncertain and in flight; its watchers;
- `_submission.Submitter`: the billable POSTs (`generate`, `ads`) and what became of each
  (`Submission`, an explicit argument);
- `_waiting.Waiter`: polling a task to its end, `resume`, the expected durations, and (its
  `Keeper`) the finished videos kept on this machine;
- `_journal_access.JournalAccess`: the journal, whose failures are kept in `journal_problem`.

One Client serves several event loops (a Jupyter kernel's loop and the blocking
facade's private loop thread). The HTTP transport is httpx's own, or aiohttp
(`pip install "hfwidgets[aiohttp]"`, then `Client(transport="aiohttp")`, or
`HFWIDGETS_TRANSPORT=aiohttp` for the clients the widgets and `run()` build): the
same API and errors, at about a third of the CPU per poll. Proxies come from the
environment (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`), as httpx reads
them. A configured proxy sees every request it carries, including the
`Authorization` header for plain-HTTP base URLs (an HTTPS base URL is tunnelled
through it, encrypted). An unusable setting (an unknown scheme, or SOCKS without
`pip install "httpx[socks]"`) is a ValidationError naming the variable, raised on
the first request.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import warnings
import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar, cast, overload

import httpx

from ._catalog import bundled_motions, filter_motions, parse_motions
from ._config import EMULATOR_KEY, ApiKey, resolve_base_url, resolve_key, resolve_motions_url
from ._connections import Connections, short_reason
from ._errors import HiggsfieldError, ValidationError
from ._eta import Estimate
from ._http import Requester, Sleep
from ._journal import Journal
from ._journal_access import JournalAccess
from ._keep import keeps_videos
from ._ledger import Ledger, price
from ._models import Feed, Motion, Task
from ._options import GenerateOptions, Unpack, spell_out_options
from ._polling import PollPolicy
from ._requests import DEFAULT_AD_SIZE, AdsRequest, GenerateRequest
from ._session import shared_emulator, wants_emulator
from ._submission import Submission, Submitter
from ._timeouts import within
from ._transport import Sender
from ._waiting import Keeper, OnDone, OnStart, OnUpdate, Waiter, task_id

__all__ = ["Client", "OnUpdate", "Submission"]

logger = logging.getLogger("hfwidgets")

MOTIONS_PAGE_SIZE = 500
"""Motions asked for per listing request (the provider's own page asks for 30)."""
MOTIONS_TIMEOUT = 10.0
SUBMISSION_TIMEOUT = 600.0
"""Default seconds a submission refused with 429 keeps waiting its turn before RateLimited."""

T = TypeVar("T")


class _Part(Generic[T]):
    """An attribute of the Client that one of its parts holds: read and set there (`"_ledger.spent"`)."""

    def __init__(self, path: str, doc: str) -> None:
        *self.parts, self.name = path.split(".")
        self.__doc__ = doc

    @overload
    def __get__(self, client: None, owner: type) -> _Part[T]: ...
    @overload
    def __get__(self, client: Client, owner: type) -> T: ...
    def __get__(self, client: Client | None, owner: type) -> T | _Part[T]:
        return self if client is None else cast(T, getattr(self._holder(client), self.name))

    def __set__(self, client: Client, value: T) -> None:
        setattr(self._holder(client), self.name, value)

    def _holder(self, client: Client) -> Any:
        return functools.reduce(getattr, self.parts, client)


_live_clients: weakref.WeakSet[Client] = weakref.WeakSet()
"""Every Client of this process, so that a forked child can give each its own connections."""


def _after_fork_in_child() -> None:
    for client in list(_live_clients):
        client._after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)


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
        self._ledger = Ledger(budget)
        _check_numbers(max_retries=max_retries, timeout=timeout, submission_timeout=submission_timeout)
        self.emulated = emulated
        self.timeout = float(timeout)
        self._journal = JournalAccess(journal)
        self._connections = Connections(transport, timeout=self.timeout)
        self._requester = Requester(
            key=self._key, base_url=self.base_url, max_retries=max_retries, timeout=self.timeout, sleep=sleep
        )
        self._submitter = Submitter(
            base_url=self.base_url,
            requester=self._requester,
            connections=self._connections,
            ledger=self._ledger,
            journal=self._journal,
            timeout=float(submission_timeout),
        )
        self._waiter = Waiter(
            base_url=self.base_url,
            requester=self._requester,
            connections=self._connections,
            journal=self._journal,
            poll=poll or PollPolicy(),
            keeper=Keeper(keeps_videos(keep_videos), self._journal, self._connections.custom),
        )
        _live_clients.add(self)

    def _after_fork(self) -> None:
        """In a forked child: the parent's connections, locks and waits stay the parent's."""
        self._connections.after_fork()
        self._ledger.after_fork()
        self._waiter.after_fork()

    # ------------------------------------------------------------------ settings and parts

    max_retries: _Part[int] = _Part(
        "_requester.max_retries", "Retries of a failed read (`_http.should_retry`)."
    )
    transport: _Part[str] = _Part(
        "_connections.name", '"httpx", "aiohttp", or the transport object\'s class name.'
    )
    submission_timeout: _Part[float] = _Part(
        "_submitter.timeout", "Seconds a 429'd submission waits its turn."
    )
    poll: _Part[PollPolicy] = _Part("_waiter.poll", "When tasks are polled.")
    keep_videos: _Part[bool] = _Part("_waiter.keeper.keep_videos", "True when finished videos are kept here.")
    keep_problem: _Part[str | None] = _Part("_waiter.keeper.problem", "Why the last video could not be kept.")

    @property
    def journal(self) -> Journal | None:
        """The journal accepted tasks are written to (None with `journal=False`)."""
        return self._journal.journal

    @property
    def journal_problem(self) -> str | None:
        """Why tasks are not being journalled (the journal file cannot be used), else None.

        Generating still works without the journal, but a crash would lose track
        of running tasks: the widgets show this as a warning. Checked on first
        read (opening the file) and updated by every journal write.
        """
        return self._journal.problem

    def __repr__(self) -> str:
        budget = f", budget={self.budget}" if self.budget is not None else ""
        emulated = ", emulated=True" if self.emulated else ""
        return f"Client(base_url={self.base_url!r}, key='***', spent={self.spent}{budget}{emulated})"

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Wait for the videos being kept on this loop, then close the connections of this loop
        (and of other loops that are still running)."""
        await self.wait_kept()
        await self._connections.aclose()
        self._journal.close()  # only the journal this client opened itself

    # ------------------------------------------------------------------ money (`_ledger`)

    budget: _Part[int | None] = _Part("_ledger.budget", "The session's cap in points (None: no cap).")
    spent: _Part[int] = _Part("_ledger.spent", "Points charged for accepted submissions of this client.")
    uncertain: _Part[int] = _Part("_ledger.uncertain", "Points of submissions that may have been charged.")

    @property
    def in_flight(self) -> int:
        """Points of submissions being sent right now (held against the budget until answered)."""
        return self._ledger.in_flight

    @property
    def remaining(self) -> int | None:
        """Points the budget still allows: budget − spent − uncertain − in flight (None without a budget).

        The one budget rule: `check_budget` refuses a cost above it, and the widgets' cost
        lines and the command line's messages show it.
        """
        return self._ledger.remaining

    def price(self, model: str) -> int:
        """Points one call costs with `model`: "lite", "turbo", "standard", or "ads" for an ad task."""
        return price(model)

    def check_budget(self, cost: int) -> None:
        """Raise BudgetExceeded when `cost` is more than `remaining` (spent, uncertain and in-flight
        points all count)."""
        self._ledger.check_budget(cost)

    def watch_ledger(self, callback: Callable[[], None]) -> None:
        """Call `callback()` after each change of `spent`, `uncertain` or `in_flight`.

        Called in the thread that made the change (a widget's loop, the blocking facade's);
        what it does must be quick and must not raise. A bound method is held weakly: the
        client does not keep a widget alive. The widgets refresh their cost lines so.
        """
        self._ledger.watch(callback)

    # ------------------------------------------------------------------ submissions (`_submission`)

    @spell_out_options
    async def generate(
        self,
        image: Any,
        motion: Motion | str | None = None,
        prompt: str = "",
        *,
        submission: Submission | None = None,
        **options: Unpack[GenerateOptions],
    ) -> Task:
        """Submit an image-to-video task; returns the accepted Task (wait on it with `wait`).

        Takes a `GenerateRequest`, or the arguments of one: `image` is one image
        (path, URL, bytes, PIL image, numpy array, data: URL) or a list of two (first
        and last frame); `motion` a Motion, an id or a name. `seed=None` draws one.
        `width`/`height` default to the preset closest to the first image's aspect
        ratio. Everything is validated before anything is sent.
        `submission`: a new `Submission` the client fills in with what became of the POST.
        """
        request = GenerateRequest.from_args(image, motion, prompt, **options)
        return await self._submitter.generate(request, submission)

    async def image_size(self, url: str) -> tuple[int, int]:
        """The displayed pixel size of the image at `url` (read from its first bytes, without the
        API key); `ImageSizeUnknown` says why when it cannot be read (HTTP 404, unreachable...).
        `generate` uses it to pick the video size of an image URL, and so does the Studio."""
        return await self._submitter.image_size(url)

    async def ads(
        self,
        image: Any,
        template_id: str | None = None,
        *,
        size: str = DEFAULT_AD_SIZE,
        submission: Submission | None = None,
    ) -> Task:
        """Submit an ad task (an `AdsRequest`, or its arguments); returns the accepted Task.
        `submission`: as for `generate`."""
        return await self._submitter.ads(AdsRequest.from_args(image, template_id, size=size), submission)

    # ------------------------------------------------------------------ waiting (`_waiting`)

    async def feed(self, task: Task | str) -> Feed:
        """The task's current state (one GET, transient failures retried)."""
        return await self._waiter.read_feed(task_id(task))

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
        return await self._waiter.wait(task, timeout=timeout, on_update=on_update)

    async def resume(
        self,
        *,
        timeout: float = 600,
        on_update: OnUpdate | None = None,
        on_start: OnStart | None = None,
        on_done: OnDone | None = None,
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
        return await self._waiter.resume(timeout, on_update, on_start, on_done)

    def expected_window(self, key: str | None) -> tuple[float, float]:
        """When tasks of `key` (a model, or "ads") usually finish, in seconds after submission.

        The poll policy's window from the journal's observed durations on this base URL,
        censored by the tasks this client is waiting on (`PollPolicy.window`).
        """
        return self._waiter.expected_window(key)

    def estimate(self, key: str | None) -> Estimate:
        """How long a task of `key` (a model, or "ads") will take here: `expected_window` and the
        journal's median duration (see `_eta`). What the widgets, `run()` and the CLI show."""
        return self._waiter.estimate(key)

    async def wait_kept(self) -> None:
        """Wait until the videos this client is keeping on the running loop are on disk (or failed).

        `run()`, `resume()` and the command line call it so the copy exists before they return.
        """
        await self._waiter.keeper.wait_kept()

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
        return await _live_motions(self._requester, self._connections.reads(), self.motions_url, search)


async def _live_motions(requester: Requester, reads: Sender, url: str, search: str | None) -> list[Motion]:
    """The live listing at `url`, or the bundled snapshot (filtered by `search`) when it fails."""
    params: dict[str, str | int] = {"size": MOTIONS_PAGE_SIZE, "search": (search or "").strip()}
    try:
        listing = requester.get_json(reads, url, endpoint="GET motions", params=params, max_retries=1)
        return parse_motions(await within(listing, MOTIONS_TIMEOUT))
    except (HiggsfieldError, asyncio.TimeoutError) as exc:
        reason = short_reason(exc)
    logger.info("motion listing unavailable (%s); using the bundled snapshot", reason)
    return filter_motions(bundled_motions(), search)


def _check_numbers(*, max_retries: int, timeout: float, submission_timeout: float) -> None:
    """ValidationError for a setting of the Client's that is not a usable number."""
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ValidationError("max_retries", max_retries, "an int >= 0")
    for name, seconds in (("timeout", timeout), ("submission_timeout", submission_timeout)):
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not seconds > 0:
            raise ValidationError(name, seconds, "a number of seconds > 0")
