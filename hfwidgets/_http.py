"""Sending one API request: one retry loop, one throttle, typed errors.

**The loop** (`Requester.request`) makes an attempt, turns whatever happened into
either the answer's JSON or a `Failure`, and asks two small policy functions what
to do next, as openai-python's client does:

- `should_retry(failure, ...)`: never when the request may have been delivered
  and it is billable (a generate or ads POST creates and charges a task); for
  reads, when the failure is transient (429, 5xx, network) and retries remain;
  for billable POSTs, only when the request provably never reached the service:

  - `httpx.ConnectError` / `ConnectTimeout` (including a refused CONNECT through
    a proxy, `ProxyError`): no connection to the service, not one byte written;
  - `httpx.PoolTimeout`: the request never got a connection of the client's own pool;
  - HTTP 429: the service refused it before doing anything. A refused submission
    waits its turn (paced, Retry-After honoured) until its submission deadline
    (`Client(submission_timeout=...)`, 10 minutes by default), then `RateLimited`;
  - HTTP 503 whose message says the gateway is saturated (`_SATURATED`: "saturated",
    "no available channel", "饱和", "无可用渠道"): the gateway refused it without
    forwarding it. Resent like a connection failure (backoff or Retry-After, up to
    `max_retries`), then an `APIError` 503 saying nothing was charged. A 503 without
    such a message stays uncertain: the gateway may have forwarded the request.

- `retry_delay(attempt, retry_after)`: the server's `Retry-After` when it gave
  one (capped at `MAX_RETRY_AFTER`), else jittered exponential backoff.

Anything that goes wrong once a billable POST may have been written — a read
timeout, a dropped connection, a 5xx, an answer whose body cannot be decoded
(a `Content-Encoding` lie, a truncated body, invalid UTF-8), JSON that is
invalid or nested too deeply, a 2xx without a string task id — is
`SubmissionUncertain`: the task may exist and may have been charged, and it is
never resubmitted. Reads get `MalformedResponse` naming the task instead. No raw
httpx, `RecursionError`, `UnicodeError` or `ValueError` escapes, and every error
is raised outside the `except` block that saw the cause, so neither
`__cause__` nor `__context__` links to an httpx exception (whose request holds
the `Authorization` header).

**The throttle** (`Throttle`) is the one gate every request passes, in this
order: an in-flight slot of its event loop (at most `MAX_IN_FLIGHT`, of which
billable POSTs may hold at most `MAX_IN_FLIGHT - READ_SHARE`, so feed reads are
never stuck behind a thousand submissions), then one FIFO queue released at the
pace the service accepts (`Pacer`). Because the pace is checked after the slot,
nothing queued reaches the wire without it. Sleeps before a retry happen outside
both, so a sleeping retry holds no slot.

`Pacer` starts unpaced. A 429 sets the rate to `cut` (85 %) of the rate the
service *accepted* over the last second (not of what was asked; with nothing
accepted yet there is no rate to learn from, and the backoff alone acts), once per
overload (a 429 for a request released before the last cut is the same
overload). While nothing is refused the rate grows additively, by `increase`
(5 %) of the rate set at the last cut per second, and after `forget` seconds
without a refusal pacing stops. A `Retry-After` of at least `SHARED_PAUSE_MIN`
seconds (the service asks the client to back off, not only to slow down) holds
the whole queue until then.

The `Authorization` header is attached only to URLs under the configured base
URL, and redirects are never followed on API calls. Log lines (logger
"hfwidgets", DEBUG) carry method, path, status and timing, never headers.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import html
import json
import logging
import math
import random
import re
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from ._answer import MAX_RETRY_AFTER, Answer, parse_retry_after
from ._config import ApiKey
from ._errors import (
    APIError,
    AuthError,
    InsufficientCredits,
    MalformedResponse,
    MalformedSubmission,
    NetworkError,
    RateLimited,
    SubmissionUncertain,
    redact,
)
from ._transport import Delivery, Outgoing, Sender, SendFailed

__all__ = [
    "MAX_BODY_EXCERPT",
    "MAX_IN_FLIGHT",
    "MAX_RETRY_AFTER",
    "READ_SHARE",
    "SHARED_PAUSE_MIN",
    "Answer",
    "Failure",
    "Pacer",
    "Requester",
    "Throttle",
    "error_message",
    "is_transient",
    "map_error",
    "parse_retry_after",
    "retry_delay",
    "should_retry",
]

logger = logging.getLogger("hfwidgets")

MAX_BODY_EXCERPT = 300
"""Longest excerpt of a raw answer kept on an APIError."""

MAX_MESSAGE = 200
"""Longest message extracted from an error answer."""


SHARED_PAUSE_MIN = 2.0
"""A Retry-After at least this long holds back every request of the client, not just the refused one."""

MAX_IN_FLIGHT = 16
"""API requests on the wire at once per event loop (and the size of the connection pool).

Enough for ~50 requests/s at 300 ms of latency; not more, because httpcore checks
every pooled connection twice per request, so each idle connection costs CPU."""

READ_SHARE = 4
"""In-flight slots billable POSTs leave to reads, so polls go on while submissions queue."""

BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0

Sleep = Callable[[float], Awaitable[None]]

_API_URL_CACHE_SIZE = 4096

_CREDITS = re.compile(r"credit|balance|quota|insufficient[ _]funds|payment required|额度|余额", re.IGNORECASE)

_SATURATED = re.compile(r"saturat|饱和|no available channel|无可用渠道", re.IGNORECASE)
"""What a gateway says when it refuses a request because every upstream is busy (new-api style
proxies: "当前分组上游负载已饱和，请稍后再试"): it did not forward the request."""

NOT_RESUBMITTED = (
    "the task may exist and may have been charged. It was NOT resubmitted: check "
    "hfwidgets.history() or the provider's dashboard before trying again"
)


# --------------------------------------------------------------------------- retry policy


@dataclass(frozen=True)
class Failure:
    """One attempt that did not produce an answer: the typed error and what is known of delivery."""

    error: APIError
    delivered: bool
    """True when the request may have reached the service (it may have acted on it)."""
    retry_after: float | None = None


def should_retry(failure: Failure, *, billable: bool, attempt: int, max_retries: int) -> bool:
    """Whether to send again after `failure` (retry number `attempt`, 0-based, would be next)."""
    if billable and failure.delivered:
        return False  # it may have been charged: never resent blindly
    error = failure.error
    if isinstance(error, RateLimited):
        # A refused submission waits its turn until its deadline (checked by the caller).
        return billable or attempt < max_retries
    if attempt >= max_retries:
        return False
    if billable:
        return True  # never delivered (connection-level): sending again cannot double-charge
    return is_transient(error) and not isinstance(error, MalformedResponse)


def retry_delay(
    attempt: int, retry_after: float | None = None, rng: Callable[[], float] = random.random
) -> float:
    """Seconds before retry number `attempt` (0-based): the server's Retry-After when given,
    else about `BACKOFF_BASE * 2**attempt` (at most `BACKOFF_CAP`), jittered into [0.5, 1] of it
    so many clients do not retry in step."""
    if retry_after is not None:
        return min(max(retry_after, 0.0), MAX_RETRY_AFTER)
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt)
    return float(ceiling * (0.5 + 0.5 * rng()))


# --------------------------------------------------------------------------- the throttle


class Pacer:
    """The request rate the service accepts, learnt from its 429s (see the module documentation).

    Pure bookkeeping on `time.monotonic()` values; `Throttle` does the waiting. One pacer
    serves every event loop of a client (the kernel's, the blocking facade's), in their own
    threads: a lock keeps its books whole, and `reserve` gives each request its own release time.
    """

    def __init__(
        self, *, floor: float = 1.0, cut: float = 0.85, increase: float = 0.05, forget: float = 30.0
    ) -> None:
        self.floor = floor
        self.cut = cut
        self.increase = increase
        self.forget = forget
        self.rate: float | None = None
        """Requests per second released (None: not pacing)."""
        self.not_before = 0.0
        """No request is released before this time (a long Retry-After)."""
        self._rate_at = 0.0
        self._step = 0.0
        self._last_cut = -math.inf
        self._accepted: collections.deque[float] = collections.deque()
        self._released = -math.inf
        self._lock = threading.RLock()

    def accepted(self, now: float) -> None:
        """The service answered a request (anything but 429) at `now`."""
        with self._lock:
            accepted = self._accepted
            accepted.append(now)
            while accepted and accepted[0] < now - 1.0:
                accepted.popleft()

    def accepted_rate(self, now: float) -> float:
        """Answers accepted per second over the last second."""
        with self._lock:
            return float(sum(1 for t in self._accepted if t >= now - 1.0))

    def refused(self, now: float, *, released_at: float, retry_after: float | None = None) -> None:
        """A request released at `released_at` was answered 429 at `now`."""
        with self._lock:
            self._refused(now, released_at, retry_after)

    def _refused(self, now: float, released_at: float, retry_after: float | None) -> None:
        if retry_after is not None and retry_after >= SHARED_PAUSE_MIN:
            self.not_before = max(self.not_before, now + min(retry_after, MAX_RETRY_AFTER))
        if released_at < self._last_cut:
            return  # sent before the last cut: the same overload, already answered
        accepted = self.accepted_rate(now)
        current = self.current(now)
        if not accepted:
            if current is None:
                return  # no rate is known to work yet: the refused request's backoff is enough
            accepted = current  # everything refused for a second: cut the pace itself
        self._last_cut = now
        self.rate = max(self.floor, self.cut * accepted)
        self._step = max(self.increase * self.rate, 1.0)
        self._rate_at = now

    def current(self, now: float) -> float | None:
        """The rate at `now` (grown since the last cut), or None when not pacing."""
        with self._lock:
            if self.rate is None:
                return None
            if now - self._last_cut > self.forget:
                self.rate = None
                return None
            self.rate += self._step * max(now - self._rate_at, 0.0)
            self._rate_at = now
            return self.rate

    def release_time(self, now: float) -> float:
        """When the next request in the queue may go (>= now)."""
        with self._lock:
            rate = self.current(now)
            gap = 0.0 if rate is None else 1.0 / rate
            return max(now, self.not_before, self._released + gap)

    def reserve(self, now: float) -> float:
        """The next release time (>= now), booked for the caller: the queues of several event
        loops each get their own time, so together they keep to the one pace."""
        with self._lock:
            when = self.release_time(now)
            self._released = when
            return when

    def released(self, when: float) -> None:
        with self._lock:
            self._released = max(self._released, when)

    def __repr__(self) -> str:
        rate = "off" if self.rate is None else f"{self.rate:.1f}/s"
        return f"Pacer(rate={rate})"


class _LoopGate:
    """One event loop's share of the throttle: in-flight slots and the pace queue."""

    def __init__(self) -> None:
        self.slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        self.billable = asyncio.Semaphore(MAX_IN_FLIGHT - READ_SHARE)
        self.queue = asyncio.Lock()  # FIFO: the head waits for the pace, the rest behind it


class Throttle:
    """The one gate every request passes: an in-flight slot, then its turn in the paced queue.

    Slots and queue are per event loop (asyncio primitives belong to one loop); the pace is
    shared by all loops of the client.
    """

    def __init__(self, pacer: Pacer | None = None, sleep: Sleep | None = None) -> None:
        self.pacer = pacer or Pacer()
        self.sleep: Sleep = sleep or asyncio.sleep
        self._gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopGate] = (
            weakref.WeakKeyDictionary()
        )

    def _gate(self) -> _LoopGate:
        loop = asyncio.get_running_loop()
        gate = self._gates.get(loop)
        if gate is None:
            gate = self._gates[loop] = _LoopGate()
        return gate

    def turn(self, *, billable: bool, awake_at: float = 0.0) -> _Turn:
        """`async with throttle.turn(...) as released_at:` holds a slot once the pace allows;
        `released_at` is the release time (for `Pacer.refused`).

        `awake_at`: the end of the retry sleep this request just took (a pause it already
        waited out is not waited again, even when the injected sleep took no real time).
        """
        return _Turn(self, self._gate(), billable, awake_at)

    async def _paced(self, gate: _LoopGate, awake_at: float) -> float:
        """Wait for the pacer's release time in the loop's queue; returns it."""
        pacer = self.pacer
        async with gate.queue:
            now = max(time.monotonic(), awake_at)
            when = pacer.reserve(now)
            if when > now:
                await self.sleep(when - now)
            return when

    def __repr__(self) -> str:
        return f"Throttle({self.pacer!r}, max_in_flight={MAX_IN_FLIGHT})"


class _Turn:
    """One request's turn at the throttle (a class, not a generator: it is on every request's path)."""

    __slots__ = ("_awake_at", "_billable", "_gate", "_throttle")

    def __init__(self, throttle: Throttle, gate: _LoopGate, billable: bool, awake_at: float) -> None:
        self._throttle = throttle
        self._gate = gate
        self._billable = billable
        self._awake_at = awake_at

    async def __aenter__(self) -> float:
        gate = self._gate
        if self._billable:
            await gate.billable.acquire()
        try:
            await gate.slots.acquire()
            try:
                pacer = self._throttle.pacer
                now = max(time.monotonic(), self._awake_at)
                if pacer.rate is None and pacer.not_before <= now:
                    pacer.released(now)  # not pacing: no queue to join
                    return now
                return await self._throttle._paced(gate, self._awake_at)
            except BaseException:
                gate.slots.release()
                raise
        except BaseException:
            if self._billable:
                gate.billable.release()
            raise

    async def __aexit__(self, *exc_info: object) -> None:
        self._gate.slots.release()
        if self._billable:
            self._gate.billable.release()


# --------------------------------------------------------------------------- answers


def error_message(response: httpx.Response) -> str:
    """A short readable message from an error answer: JSON, plain text or a proxy's HTML page."""
    text = _body_text(response)
    message = ""
    payload = _loads(text) if text.strip() else None
    if payload is not None and payload is not _INVALID:
        message = _message_from_json(payload)
    elif _looks_like_html(response, text):
        message = _message_from_html(text)
    else:
        message = text
    message = " ".join(message.split())
    if not message:
        message = response.reason_phrase or "no message"
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 1] + "…"
    return message


def map_error(
    response: httpx.Response,
    *,
    endpoint: str,
    task_id: str | None = None,
    secrets: tuple[str, ...] = (),
    retry_after: float | None = None,
) -> APIError:
    """The typed error for a 4xx/5xx answer, with the key scrubbed from message and body.

    `retry_after`: the answer's Retry-After in seconds, as read once (`Answer.retry_after`).
    """
    status = response.status_code
    message = redact(error_message(response), secrets)
    body = redact(_body_text(response)[:MAX_BODY_EXCERPT], secrets)
    common: dict[str, Any] = {"status": status, "body": body, "task_id": task_id, "endpoint": endpoint}
    # A quota message wins over the status: proxies answer 403 or 429 for an empty balance,
    # and neither re-authenticating nor retrying helps then.
    if status == 402 or _CREDITS.search(message) or _CREDITS.search(body):
        return InsufficientCredits(message, **common)
    if status in (401, 403):
        return AuthError(message, **common)
    if status == 429:
        return RateLimited(message, retry_after=retry_after, **common)
    return APIError(message, **common)


def is_transient(error: BaseException) -> bool:
    """True for failures that may go away by trying again later (rate limits, 5xx, network)."""
    if isinstance(error, (httpx.TransportError, RateLimited)):
        return True
    if isinstance(error, InsufficientCredits | AuthError):
        return False
    if isinstance(error, MalformedResponse):
        return True  # a proxy's odd page between two good answers
    return isinstance(error, APIError) and (error.status is None or error.status >= 500)


class Requester:
    """Sends the client's requests through its `Throttle` and turns answers into JSON or typed errors.

    `sleep` is injectable so tests can see the delays asked for without waiting.
    `timeout` bounds one attempt in all (connecting, sending, every byte of the
    answer), so a server trickling bytes cannot hold a read forever; a billable
    POST gets `BILLABLE_TIMEOUT_FACTOR` times as long, since cutting it short makes
    it uncertain.
    """

    def __init__(
        self,
        *,
        key: ApiKey,
        base_url: str,
        max_retries: int = 4,
        timeout: float | None = None,
        sleep: Sleep | None = None,
        rng: Callable[[], float] = random.random,
        throttle: Throttle | None = None,
    ) -> None:
        self._key = key
        self.base_url = base_url.rstrip("/")
        self.max_retries = max_retries
        self.timeout = timeout
        self.sleep: Sleep = sleep or asyncio.sleep
        self._rng = rng
        self.throttle = throttle or Throttle(sleep=self.sleep)
        parsed = httpx.URL(self.base_url)
        self._origin = (parsed.scheme, parsed.host, parsed.port)
        self._base_path = parsed.path.rstrip("/")
        self._api_urls: dict[str, bool] = {}
        """`is_api_url` answers by URL: parsing a URL costs more than the rest of a header build."""

    def __repr__(self) -> str:
        return f"Requester(base_url={self.base_url!r}, max_retries={self.max_retries})"

    @property
    def pacer(self) -> Pacer:
        return self.throttle.pacer

    @property
    def paused_for(self) -> float:
        """Seconds left of a pause the service asked for (a long Retry-After); 0 when none."""
        return max(self.pacer.not_before - time.monotonic(), 0.0)

    # ------------------------------------------------------------------ auth

    def is_api_url(self, url: str | httpx.URL) -> bool:
        """True when `url` lies under the configured base URL (the only place the key goes)."""
        parsed = httpx.URL(url)
        if (parsed.scheme, parsed.host, parsed.port) != self._origin:
            return False
        path = parsed.path
        return not self._base_path or path == self._base_path or path.startswith(self._base_path + "/")

    def _headers(self, url: str) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        is_api = self._api_urls.get(url)
        if is_api is None:
            if len(self._api_urls) >= _API_URL_CACHE_SIZE:
                self._api_urls.clear()
            is_api = self._api_urls[url] = self.is_api_url(url)
        if is_api:
            headers["Authorization"] = f"Bearer {self._key.reveal()}"
        return headers

    def _secrets(self) -> tuple[str, ...]:
        return (self._key.reveal(),)

    # ------------------------------------------------------------------ the loop

    def get_json(
        self,
        sender: Sender,
        url: str,
        *,
        endpoint: str,
        params: Mapping[str, str | int] | None = None,
        task_id: str | None = None,
        max_retries: int | None = None,
        deadline: float | None = None,
    ) -> Awaitable[Any]:
        """GET `url` and return its JSON, retrying transient failures (see `request`)."""
        outgoing = Outgoing("GET", url, self._headers(url), params=params, timeout=self.timeout)
        return self.request(
            sender, outgoing, endpoint=endpoint, task_id=task_id, max_retries=max_retries, deadline=deadline
        )

    async def post_json(
        self,
        sender: Sender,
        url: str,
        body: Mapping[str, Any],
        *,
        endpoint: str,
        deadline: float | None = None,
        delivery: Delivery | None = None,
    ) -> dict[str, Any]:
        """POST a billable request; return its JSON (which holds a task id).

        Never resent once it may have arrived; refused (429) or never connected, it is resent
        until `deadline` (a `time.monotonic()` value; 429s) or `max_retries` (connections).
        `delivery` is told when the request leaves and when a 429 refuses it (`_transport`).
        """
        timeout = None if self.timeout is None else self.timeout * BILLABLE_TIMEOUT_FACTOR
        outgoing = Outgoing("POST", url, self._headers(url), json=body, timeout=timeout, delivery=delivery)
        payload = await self.request(sender, outgoing, endpoint=endpoint, billable=True, deadline=deadline)
        assert isinstance(payload, dict)
        return payload

    async def request(
        self,
        sender: Sender,
        outgoing: Outgoing,
        *,
        endpoint: str,
        billable: bool = False,
        task_id: str | None = None,
        max_retries: int | None = None,
        deadline: float | None = None,
    ) -> Any:
        """Send until an answer, or until `should_retry` says no; the one retry loop.

        `deadline` (a `time.monotonic()` value) stops retrying when the next wait would pass it.
        """
        retries = self.max_retries if max_retries is None else max_retries
        attempt = 0
        awake_at = 0.0
        while True:
            outcome = await self._attempt(
                sender, outgoing, endpoint=endpoint, billable=billable, task_id=task_id, awake_at=awake_at
            )
            if not isinstance(outcome, Failure):
                return outcome
            if not should_retry(outcome, billable=billable, attempt=attempt, max_retries=retries):
                raise outcome.error
            delay = retry_delay(attempt, outcome.retry_after, self._rng)
            now = time.monotonic()
            if deadline is not None and now + delay > deadline:
                raise outcome.error
            logger.debug(
                "%s %s in %.2f s (%s)",
                "resending" if billable else "retrying",
                endpoint,
                delay,
                type(outcome.error).__name__,
            )
            await self.sleep(delay)
            awake_at = now + delay
            attempt += 1

    async def _attempt(
        self,
        sender: Sender,
        outgoing: Outgoing,
        *,
        endpoint: str,
        billable: bool,
        task_id: str | None,
        awake_at: float,
    ) -> Any:
        """One request: its JSON, or a `Failure`. Raises nothing but cancellation."""
        failure: Failure | None = None
        async with self.throttle.turn(billable=billable, awake_at=awake_at) as released_at:
            started = time.perf_counter()
            try:
                answer = await sender.send(outgoing)
            except SendFailed as failed:  # the sender judged it; typed below, in one place
                failure = self._transport_failure(
                    failed, endpoint=endpoint, task_id=task_id, billable=billable
                )
            else:
                if answer.status_code == 429:
                    self.pacer.refused(
                        time.monotonic(), released_at=released_at, retry_after=answer.retry_after
                    )
                    if outgoing.delivery is not None:
                        outgoing.delivery.on_refused()
                else:
                    self.pacer.accepted(time.monotonic())
        if logger.isEnabledFor(logging.DEBUG):  # the path is parsed only for a log line that shows
            logger.debug(
                "%s %s -> %s in %.0f ms",
                outgoing.method,
                httpx.URL(outgoing.url).path,
                answer.status_code if failure is None else failure.error.message[:80],
                1000 * (time.perf_counter() - started),
            )
        if failure is not None:
            return failure
        return self._answer(answer, endpoint=endpoint, task_id=task_id, billable=billable)

    # ------------------------------------------------------------------ typing what happened

    def _transport_failure(
        self, failed: SendFailed, *, endpoint: str, task_id: str | None, billable: bool
    ) -> Failure:
        """A failure without a usable answer (only the sender's words are kept: no request)."""
        what, secrets, delivered = failed.description, self._secrets(), not failed.never_sent
        if billable and delivered:
            error: APIError = SubmissionUncertain(
                redact(f"{what} after the request was sent; {NOT_RESUBMITTED}", secrets),
                endpoint=endpoint,
            )
        elif failed.undecodable:
            error = MalformedResponse(redact(what, secrets), task_id=task_id, endpoint=endpoint)
        else:
            error = NetworkError(redact(what, secrets), task_id=task_id, endpoint=endpoint)
        return Failure(error, delivered=delivered)

    def _answer(self, answer: Answer, *, endpoint: str, task_id: str | None, billable: bool) -> Any:
        """The JSON of a 2xx answer, or the `Failure` an error answer means."""
        secrets = self._secrets()
        if not answer.is_success:
            error = map_error(
                answer.response,
                endpoint=endpoint,
                task_id=task_id,
                secrets=secrets,
                retry_after=answer.retry_after,
            )
            if isinstance(error, RateLimited):
                return Failure(
                    error, delivered=False, retry_after=error.retry_after
                )  # refused before any work
            if billable and answer.status_code == 503 and _SATURATED.search(error.message):
                # The gateway says it is saturated: it refused the request without forwarding it.
                refused = APIError(
                    f"{error.message} — the gateway was saturated and did not forward the submission: "
                    "nothing was charged; try again later",
                    status=error.status,
                    body=error.body,
                    endpoint=endpoint,
                )
                return Failure(refused, delivered=False, retry_after=answer.retry_after)
            if billable and answer.status_code >= 500 and not isinstance(error, InsufficientCredits):
                error = SubmissionUncertain(
                    f"{error.message} — the service may have accepted the task before failing: "
                    f"{NOT_RESUBMITTED}",
                    status=error.status,
                    body=error.body,
                    endpoint=endpoint,
                )
            return Failure(error, delivered=True)
        payload = _loads(answer.content)
        if billable:
            task = payload.get("id") if isinstance(payload, dict) else None
            if isinstance(task, str) and task.strip():
                return payload
            problem = "without a task id" if payload is not _INVALID else "with an answer that is not JSON"
            message = f"the service answered the submission {problem}; {NOT_RESUBMITTED}"
            kind: type[MalformedResponse] = MalformedSubmission
        elif payload is _INVALID:
            content_type = answer.headers.get("content-type", "no content type")
            message = (
                f"answer is not JSON ({content_type}): {redact(error_message(answer.response), secrets)}"
            )
            kind = MalformedResponse
        else:
            return payload
        return Failure(
            kind(
                message,
                status=answer.status_code,
                body=redact(_body_text(answer.response)[:MAX_BODY_EXCERPT], secrets),
                task_id=task_id,
                endpoint=endpoint,
            ),
            delivered=True,
        )


BILLABLE_TIMEOUT_FACTOR = 4.0
"""A billable POST may take this many times the client's timeout in all before it is cut short."""

_INVALID = object()
"""What `_loads` returns for bytes that are not JSON (`None` is valid JSON)."""


def _loads(content: bytes | str) -> Any:
    """JSON from an answer, or `_INVALID`: bad UTF-8, bad JSON or nesting too deep for the parser.

    orjson reads it when installed (the aiohttp extra brings it: a feed in a fifth of the time);
    whatever orjson refuses (NaN, a lone surrogate, a byte-order mark) the standard library
    reads as it always does. The one difference: an integer beyond 64 bits comes back as a float.
    """
    fast = _fast_json_loads()
    if fast is not None:
        try:
            return fast(content)
        except ValueError:  # orjson.JSONDecodeError
            pass
    try:
        return json.loads(content)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return _INVALID


@functools.cache
def _fast_json_loads() -> Callable[[bytes | str], Any] | None:
    """orjson's parser, imported on the first answer (not with hfwidgets), or None."""
    try:
        from orjson import loads
    except ImportError:
        return None
    return loads


def _body_text(response: httpx.Response) -> str:
    try:
        return response.text
    except (UnicodeDecodeError, httpx.ResponseNotRead):
        return ""


def _looks_like_html(response: httpx.Response, text: str) -> bool:
    return "html" in response.headers.get("content-type", "") or text.lstrip()[:1] == "<"


def _message_from_json(payload: Any) -> str:
    if isinstance(payload, dict):
        for key in ("error", "detail", "message", "msg"):
            value = payload.get(key)
            if value is None:
                continue
            if isinstance(value, str):
                return value
            if isinstance(value, dict):
                inner = _message_from_json(value)
                if inner:
                    return inner
            if isinstance(value, list) and value:
                # FastAPI-style validation details: [{"loc": [...], "msg": "..."}]
                return "; ".join(
                    str(item.get("msg") or item) if isinstance(item, dict) else str(item)
                    for item in value[:3]
                )
            return json.dumps(value, ensure_ascii=False)
        return json.dumps(payload, ensure_ascii=False)[:MAX_MESSAGE]
    if isinstance(payload, str):
        return payload
    return json.dumps(payload, ensure_ascii=False)[:MAX_MESSAGE]


_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_INVISIBLE = re.compile(r"<(script|style|head)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def _message_from_html(text: str) -> str:
    title = _TITLE.search(text)
    if title and title.group(1).strip():
        return html.unescape(title.group(1))
    return html.unescape(_TAG.sub(" ", _INVISIBLE.sub(" ", text)))
