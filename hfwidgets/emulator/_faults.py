"""Fault knobs: make the emulator misbehave on purpose, the way a real proxy and service do.

All knobs are thread-safe and take effect on the next request. Per-endpoint knobs
take an endpoint name: "generate", "ads", "feed", "motions" (or "files" for video
downloads). One-shot faults queue up in the order they are set: after
`rate_limit("feed", 2)` and `server_error("feed", 1)` the next two feed reads get
429, the third 503, the fourth is answered normally.

Per endpoint, for the next `count` requests:
    rate_limit(endpoint, count=1, retry_after=1.0)    429, Retry-After when not None
    server_error(endpoint, count=1, status=503)       a 5xx burst with a JSON body
    html_error(endpoint, count=1, status=502)         an HTML error page, as a proxy sends
    malformed_json(endpoint, count=1)                 200 with a truncated JSON body
    drop_connection(endpoint, count=1, processed=True)
        send the headers (with content-length) and part of the body, then abort; with
        processed=True the request really was handled first (a task was created and
        billed), which is the worst case for a client
    delay(endpoint, seconds, count=None)              answer late (count=None: until cleared)
    bad_answer(endpoint, kind, count=1, processed=True)
        a 200 the client cannot use, after handling the request (processed=True: a POST
        did create and bill a task); `kind` is one of BAD_ANSWERS:
        "gzip_lie" (Content-Encoding: gzip on a plain body), "invalid_utf8",
        "deep_json" ("[" * 100000), "no_id" (JSON without "id"), "numeric_id" ({"id": 12345}),
        "slow_loris" (the real answer, one byte every 0.25 s), "slash_id" ({"id": "../../motions"}),
        "dot_id" ({"id": ".."}): ids no URL may be built from

Tasks (apply to the next tasks created by generate or ads):
    task_outcome(status, count=1)   "failed", "nsfw", "canceled": the task ends so;
                                    any other status (e.g. "postprocessing") appears
                                    after in_progress and stays forever
    stall_tasks(count=1)            the task stays in_progress forever
    jobs_per_task(n)                each new task has n jobs, finishing one after another;
                                    a task outcome applies to its last job

Video links:
    expire_links(after)             links to videos (/files/...) answer 404 `after` seconds after
                                    their task completed (0: at once, also for tasks already
                                    done; None: never), as a provider's signed links expire.
                                    The default comes from HFWIDGETS_EMULATOR_LINK_TTL (seconds),
                                    so an emulator in another process can be told too.

Account and proxy:
    credits = 20 (or set_credits)   finite credits: a call whose price exceeds what is left
                                    gets 402 {"detail": "insufficient credits ..."}; None = unlimited
    max_requests_per_second(n)      global limit over the API endpoints: beyond it 429 + Retry-After

`clear()` resets everything (credits back to unlimited, links back to the environment's default).

`FaultInjector` is the ASGI middleware that applies them, before any route runs.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .._errors import ValidationError

__all__ = [
    "BAD_ANSWERS",
    "ENDPOINTS",
    "FAULT_ENDPOINTS",
    "LINK_TTL_ENV",
    "ConnectionDropped",
    "DropFilter",
    "Fault",
    "FaultInjector",
    "Faults",
    "TaskFate",
    "endpoint_of",
]

ENDPOINTS: tuple[str, ...] = ("generate", "ads", "feed", "motions")
"""The API endpoints, as fault knobs and counters name them."""
FAULT_ENDPOINTS: tuple[str, ...] = (*ENDPOINTS, "files")

BAD_ANSWERS: tuple[str, ...] = (
    "gzip_lie",
    "invalid_utf8",
    "deep_json",
    "no_id",
    "numeric_id",
    "slow_loris",
    "slash_id",
    "dot_id",
)
"""The kinds of `Faults.bad_answer`."""
SLOW_LORIS_GAP = 0.25
"""Seconds between two bytes of a "slow_loris" answer."""

LINK_TTL_ENV = "HFWIDGETS_EMULATOR_LINK_TTL"
"""Seconds after which the emulator's video links answer 404 (unset: never)."""

TERMINAL_OUTCOMES = frozenset({"failed", "nsfw", "canceled"})


@dataclass
class Fault:
    """One queued one-shot fault: `kind` for the next `remaining` requests."""

    kind: str  # rate_limit, server_error, html_error, malformed_json, drop_connection, bad_answer
    remaining: int
    status: int = 0
    retry_after: float | None = None
    processed: bool = True
    variant: str = ""
    """Which bad answer (`bad_answer`)."""


@dataclass
class _QueuedOutcome:
    outcome: str
    remaining: int


@dataclass(frozen=True)
class TaskFate:
    """How a new task will end: `outcome` is "completed", a failure status, "stalled" or a raw status."""

    outcome: str = "completed"
    jobs: int = 1


class Faults:
    """The emulator's fault knobs; see the module docstring for each one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, deque[Fault]] = {name: deque() for name in FAULT_ENDPOINTS}
        self._delays: dict[str, tuple[float, int | None]] = {}
        self._outcomes: deque[_QueuedOutcome] = deque()
        self._jobs = 1
        self._credits: int | None = None
        self._rps: float | None = None
        self._recent: deque[float] = deque()  # request times, for the requests-per-second limit
        self._link_ttl = _link_ttl_from_environment()

    # ------------------------------------------------------------------ per endpoint

    def rate_limit(self, endpoint: str, count: int = 1, retry_after: float | None = 1.0) -> None:
        """Answer 429 to the next `count` requests, with `Retry-After: retry_after` unless None."""
        self._queue(
            endpoint, Fault("rate_limit", _positive("count", count), status=429, retry_after=retry_after)
        )

    def server_error(self, endpoint: str, count: int = 1, status: int = 503) -> None:
        """Answer `status` (500, 502, 503 or 504) with a JSON body to the next `count` requests."""
        if status not in (500, 502, 503, 504):
            raise ValidationError("status", status, "one of 500, 502, 503, 504")
        self._queue(endpoint, Fault("server_error", _positive("count", count), status=status))

    def html_error(self, endpoint: str, count: int = 1, status: int = 502) -> None:
        """Answer an HTML error page (as a proxy in front of the service would) with `status`."""
        self._queue(endpoint, Fault("html_error", _positive("count", count), status=status))

    def malformed_json(self, endpoint: str, count: int = 1) -> None:
        """Answer 200 with a JSON content type and a body that is not valid JSON."""
        self._queue(endpoint, Fault("malformed_json", _positive("count", count), status=200))

    def bad_answer(self, endpoint: str, kind: str, count: int = 1, *, processed: bool = True) -> None:
        """Answer 200 with a body the client cannot use (`kind`, one of BAD_ANSWERS).

        With `processed=True` the request is handled first, so a POST did create (and bill) a task.
        """
        if kind not in BAD_ANSWERS:
            raise ValueError(f"kind={kind!r} is not allowed: one of {', '.join(BAD_ANSWERS)}")
        self._queue(
            endpoint,
            Fault("bad_answer", _positive("count", count), status=200, processed=processed, variant=kind),
        )

    def drop_connection(self, endpoint: str, count: int = 1, *, processed: bool = True) -> None:
        """Send headers and part of the body, then abort the connection (a transport error).

        With `processed=True` the request is handled first, so a POST did create (and bill) a task.
        """
        self._queue(endpoint, Fault("drop_connection", _positive("count", count), processed=processed))

    def delay(self, endpoint: str, seconds: float, count: int | None = None) -> None:
        """Answer `seconds` late; for the next `count` requests, or until cleared when None."""
        _check_endpoint(endpoint)
        if seconds < 0:
            raise ValidationError("seconds", seconds, "a number >= 0")
        with self._lock:
            self._delays[endpoint] = (float(seconds), None if count is None else _positive("count", count))

    # ------------------------------------------------------------------ tasks

    def task_outcome(self, status: str, count: int = 1) -> None:
        """The next `count` tasks end with `status` ("failed", "nsfw", "canceled"), or, for any
        other status such as "postprocessing", show it after in_progress and never finish."""
        if not isinstance(status, str) or not status or status in ("queued", "in_progress", "completed"):
            raise ValidationError("status", status, "failed, nsfw, canceled or an unknown status")
        with self._lock:
            self._outcomes.append(_QueuedOutcome(status, _positive("count", count)))

    def stall_tasks(self, count: int = 1) -> None:
        """The next `count` tasks stay in_progress forever."""
        with self._lock:
            self._outcomes.append(_QueuedOutcome("stalled", _positive("count", count)))

    def jobs_per_task(self, jobs: int) -> None:
        """Every new task gets `jobs` jobs (1 by default)."""
        with self._lock:
            self._jobs = _positive("jobs", jobs)

    # ------------------------------------------------------------------ video links

    def expire_links(self, after: float | None) -> None:
        """Video links answer 404 `after` seconds after their task completed (None: never)."""
        if after is not None and (
            isinstance(after, bool) or not isinstance(after, (int, float)) or not after >= 0
        ):
            raise ValidationError("after", after, "a number of seconds >= 0, or None (links never expire)")
        with self._lock:
            self._link_ttl = None if after is None else float(after)

    @property
    def link_ttl(self) -> float | None:
        """Seconds a video link works after its task completed (None: forever)."""
        with self._lock:
            return self._link_ttl

    def link_expired(self, completed_at: float, now: float) -> bool:
        """True when the link of a video completed at `completed_at` no longer works at `now`."""
        ttl = self.link_ttl
        return ttl is not None and now - completed_at >= ttl

    # ------------------------------------------------------------------ account and proxy

    @property
    def credits(self) -> int | None:
        """Points left on the emulated account; None means unlimited."""
        with self._lock:
            return self._credits

    @credits.setter
    def credits(self, points: int | None) -> None:
        self.set_credits(points)

    def set_credits(self, points: int | None) -> None:
        """Give the account `points` credits (None: unlimited)."""
        if points is not None and (isinstance(points, bool) or not isinstance(points, int) or points < 0):
            raise ValidationError("points", points, "an int >= 0 or None")
        with self._lock:
            self._credits = points

    def max_requests_per_second(self, limit: float | None) -> None:
        """Answer 429 + Retry-After to API requests beyond `limit` per second (None: no limit)."""
        if limit is not None and limit <= 0:
            raise ValidationError("limit", limit, "a number > 0 or None")
        with self._lock:
            self._rps = limit

    @property
    def requests_per_second(self) -> float | None:
        """The global request rate limit, or None."""
        with self._lock:
            return self._rps

    def clear(self) -> None:
        """Remove every fault, restore unlimited credits, one job per task and no rate limit."""
        with self._lock:
            for queue in self._queues.values():
                queue.clear()
            self._delays.clear()
            self._outcomes.clear()
            self._jobs = 1
            self._credits = None
            self._rps = None
            self._link_ttl = _link_ttl_from_environment()

    # ------------------------------------------------------------------ used by the server

    def take(self, endpoint: str) -> Fault | None:
        """The fault for this request, if one is queued (consumes one use of it)."""
        with self._lock:
            queue = self._queues.get(endpoint)
            if not queue:
                return None
            fault = queue[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                queue.popleft()
            return Fault(fault.kind, 1, fault.status, fault.retry_after, fault.processed, fault.variant)

    def take_delay(self, endpoint: str) -> float:
        """Seconds to wait before answering this request (consumes one use of a counted delay)."""
        with self._lock:
            if endpoint not in self._delays:
                return 0.0
            seconds, remaining = self._delays[endpoint]
            if remaining is not None:
                if remaining <= 1:
                    del self._delays[endpoint]
                else:
                    self._delays[endpoint] = (seconds, remaining - 1)
            return seconds

    def take_fate(self) -> TaskFate:
        """How the task being created will end (consumes one queued outcome)."""
        with self._lock:
            outcome = "completed"
            if self._outcomes:
                entry = self._outcomes[0]
                outcome = entry.outcome
                entry.remaining -= 1
                if entry.remaining <= 0:
                    self._outcomes.popleft()
            return TaskFate(outcome=outcome, jobs=self._jobs)

    def admit(self) -> float | None:
        """Count an API request against the requests-per-second limit; seconds to wait when over it."""
        limit = self.requests_per_second
        if limit is None:
            return None
        now = time.monotonic()
        with self._lock:
            while self._recent and now - self._recent[0] >= 1.0:
                self._recent.popleft()
            if len(self._recent) >= limit:
                return max(0.0, self._recent[0] + 1.0 - now)
            self._recent.append(now)
            return None

    def charge(self, points: int) -> int | None:
        """Take `points` from the credits; returns None when charged, else the points left."""
        with self._lock:
            if self._credits is None:
                return None
            if points > self._credits:
                return self._credits
            self._credits -= points
            return None

    def _queue(self, endpoint: str, fault: Fault) -> None:
        _check_endpoint(endpoint)
        with self._lock:
            self._queues[endpoint].append(fault)

    def __repr__(self) -> str:
        with self._lock:
            queued = {name: [f"{f.kind}x{f.remaining}" for f in q] for name, q in self._queues.items() if q}
            outcomes = [(o.outcome, o.remaining) for o in self._outcomes]
            return (
                f"Faults(queued={queued}, delays={dict(self._delays)}, outcomes={outcomes}, "
                f"jobs_per_task={self._jobs}, credits={self._credits}, max_rps={self._rps}, "
                f"link_ttl={self._link_ttl})"
            )


class ConnectionDropped(Exception):
    """Raised on purpose to make the server abort a connection mid-answer (a fault knob)."""


def endpoint_of(scope: Scope) -> str:
    """The counter and fault name of a request: an API endpoint, "files", "previews", ... or "other"."""
    path: str = scope.get("path", "")
    method: str = scope.get("method", "GET")
    if method == "POST" and path == "/higgsfield/generate":
        return "generate"
    if method == "POST" and path == "/higgsfield/ads":
        return "ads"
    if path.startswith("/higgsfield/feed/"):
        return "feed"
    if path == "/motions":
        return "motions"
    for prefix in ("files", "previews", "samples", "inputs"):
        if path.startswith(f"/{prefix}/"):
            return prefix
    return "other"


class FaultInjector:
    """ASGI middleware: counts requests (`count(endpoint)`), then applies the rate limit, delays
    and queued faults of `faults`."""

    def __init__(self, app: ASGIApp, faults: Faults, count: Callable[[str], None]) -> None:
        self.app = app
        self.faults = faults
        self.count = count

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        endpoint = endpoint_of(scope)
        self.count(endpoint)
        faults = self.faults
        if endpoint in ENDPOINTS:
            wait = faults.admit()
            if wait is not None:
                seconds = str(max(1, math.ceil(wait)))
                body = {"detail": "rate limit exceeded: too many requests per second"}
                await JSONResponse(body, 429, headers={"Retry-After": seconds})(scope, receive, send)
                return
        delay = faults.take_delay(endpoint)
        if delay > 0:
            await asyncio.sleep(delay)
        fault = faults.take(endpoint)
        if fault is None:
            await self.app(scope, receive, send)
        elif fault.kind == "drop_connection":
            await self._drop(fault, scope, receive, send)
        elif fault.kind == "bad_answer":
            await self._bad_answer(fault, scope, receive, send)
        else:
            await _fault_response(fault)(scope, receive, send)

    async def _handled(self, scope: Scope, receive: Receive) -> bytes:
        """Run the request through the app and return the body it answered."""
        captured: list[Message] = []

        async def capture(message: Message) -> None:
            captured.append(message)

        await self.app(scope, receive, capture)
        return b"".join(m.get("body", b"") for m in captured if m["type"] == "http.response.body")

    async def _bad_answer(self, fault: Fault, scope: Scope, receive: Receive, send: Send) -> None:
        if fault.processed:
            body = await self._handled(scope, receive)
        else:
            while (await receive()).get("more_body", False):
                pass
            body = b'{"id": "3f6c1e2a-9b7d-4c1e-8f0a-000000000000", "status": "queued"}'
        headers = [(b"content-type", b"application/json")]
        if fault.variant == "gzip_lie":
            headers.append((b"content-encoding", b"gzip"))
        elif fault.variant == "invalid_utf8":
            body = b'{"id": "\xff\xfe\xfd", "status": "queued"}'
        elif fault.variant == "deep_json":
            body = b"[" * 100_000
        elif fault.variant == "no_id":
            body = b'{"status": "queued", "jobs": []}'
        elif fault.variant == "numeric_id":
            body = b'{"id": 12345, "status": "queued"}'
        elif fault.variant in ("slash_id", "dot_id"):
            bad_id = "../../motions" if fault.variant == "slash_id" else ".."
            body = json.dumps({"id": bad_id, "status": "queued", "jobs": [{"status": "queued"}]}).encode()
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        if fault.variant != "slow_loris":
            await send({"type": "http.response.body", "body": body})
            return
        for index in range(len(body)):  # a server trickling its answer: never idle long enough to time out
            await send({"type": "http.response.body", "body": body[index : index + 1], "more_body": True})
            await asyncio.sleep(SLOW_LORIS_GAP)
        await send({"type": "http.response.body", "body": b""})

    async def _drop(self, fault: Fault, scope: Scope, receive: Receive, send: Send) -> None:
        start: Message = {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
        body = b'{"id": "a-task-id-that-never-arrives", "detail": "this answer is cut short"}'
        if fault.processed:
            captured: list[Message] = []

            async def capture(message: Message) -> None:
                captured.append(message)

            await self.app(scope, receive, capture)
            start = next(m for m in captured if m["type"] == "http.response.start")
            body = b"".join(m.get("body", b"") for m in captured if m["type"] == "http.response.body")
        else:
            while (await receive()).get("more_body", False):
                pass
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": start["status"], "headers": headers})
        await send({"type": "http.response.body", "body": body[: max(1, len(body) // 2)], "more_body": True})
        raise ConnectionDropped("connection dropped on purpose by a fault knob")


def _fault_response(fault: Fault) -> Response:
    if fault.kind == "rate_limit":
        headers = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
        return JSONResponse({"detail": "rate limited: too many requests"}, 429, headers=headers)
    if fault.kind == "server_error":
        reasons = {
            500: "internal server error",
            502: "bad gateway",
            503: "service unavailable",
            504: "gateway timeout",
        }
        return JSONResponse({"detail": reasons.get(fault.status, "server error")}, fault.status)
    if fault.kind == "html_error":
        page = (
            f"<!DOCTYPE html><html><head><title>{fault.status} Error</title></head>"
            f"<body><center><h1>{fault.status} Error</h1></center><hr><center>nginx</center></body></html>"
        )
        return Response(page, fault.status, media_type="text/html")
    # malformed_json: a 200 whose JSON was cut off
    return Response(b'{"id": "3f6c1e2a-9b7d-4c1e-8f0a-', 200, media_type="application/json")


class DropFilter(logging.Filter):
    """Keeps the server's log free of the tracebacks of connections dropped on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))


def _check_endpoint(endpoint: str) -> None:
    if endpoint not in FAULT_ENDPOINTS:
        raise ValidationError("endpoint", endpoint, f"one of {', '.join(FAULT_ENDPOINTS)}")


def _link_ttl_from_environment() -> float | None:
    text = os.environ.get(LINK_TTL_ENV, "").strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0 or math.isinf(seconds):
        raise ValidationError(LINK_TTL_ENV, text, "a number of seconds >= 0 (unset: links never expire)")
    return seconds


def _positive(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(name, value, "an int >= 1")
    return value
