"""Sending one API request: retries for reads, no blind retries for billable POSTs, typed errors.

Reads (GET feed, GET motions) are idempotent, so 429, 5xx and transport errors
are retried with jittered exponential backoff, honouring `Retry-After`.

Billable POSTs (generate, ads) create a task and charge for it. They are retried
only when the request provably never reached the service:

- `httpx.ConnectError` / `httpx.ConnectTimeout`: no connection was established,
  so not one byte of the request was written;
- `httpx.PoolTimeout`: the request waited for a free connection of the client's
  own pool longer than the timeout, and was never handed to a connection, so
  nothing of it was written either;
- HTTP 429: the service (or its proxy) answered that it refused the request
  before doing anything with it.

Anything else after the request may have been written — a read timeout, a
dropped connection, a 5xx from a proxy that may have forwarded it, a 2xx whose
body cannot be read — raises `SubmissionUncertain`: the task may exist and may
have been charged, and it is never resubmitted.

Rate limits are handled in two ways. Every 429 makes the requester pace itself
(`Pacer`): its request rate is cut to 85 % of what it was sending, then grows
again by 10 % a second (at least 1 request/s): a throttled service sees the
client settle near what it accepts, not a retry storm. The refused request
itself waits out its `Retry-After`. A long `Retry-After` (at least
`SHARED_PAUSE_MIN` seconds: the service asks everyone to back off, not just to
slow down) also holds back every other request of this `Requester` (one per
Client) until then; they are released spread over up to `RELEASE_SPREAD`
seconds, so they do not all arrive again in the same instant. Short ones (a
per-second limit) are left to the pacer: pausing everybody for each of them
starves the client.

`limit` (an `asyncio.Semaphore`, one per event loop) bounds how many requests
are on the wire at once; the waits for a retry or a rate-limit pause happen
outside it, so a sleeping retry never holds a slot.

The `Authorization` header is attached only to URLs under the configured base
URL, and redirects are never followed on API calls. Log lines (logger
"hfwidgets", DEBUG) carry method, path, status and timing, never headers.
"""

from __future__ import annotations

import asyncio
import email.utils
import html
import json
import logging
import math
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx

from ._config import ApiKey
from ._errors import (
    APIError,
    AuthError,
    InsufficientCredits,
    MalformedResponse,
    RateLimited,
    SubmissionUncertain,
    redact,
)

__all__ = [
    "MAX_BODY_EXCERPT",
    "MAX_RETRY_AFTER",
    "RELEASE_SPREAD",
    "SHARED_PAUSE_MIN",
    "Backoff",
    "MalformedSubmission",
    "Pacer",
    "Requester",
    "error_message",
    "is_transient",
    "map_error",
    "parse_retry_after",
]

logger = logging.getLogger("hfwidgets")

MAX_BODY_EXCERPT = 300
"""Longest excerpt of a raw answer kept on an APIError."""

MAX_MESSAGE = 200
"""Longest message extracted from an error answer."""

MAX_RETRY_AFTER = 60.0
"""A Retry-After longer than this is capped: a notebook user should not wait minutes silently."""

SHARED_PAUSE_MIN = 2.0
"""A Retry-After at least this long pauses every request of the client, not just the refused one."""

RELEASE_SPREAD = 1.0
"""Seconds over which requests held back by a rate-limit pause are released (at random)."""

Sleep = Callable[[float], Awaitable[None]]

_API_URL_CACHE_SIZE = 4096

_CREDITS = re.compile(r"credit|balance|quota|insufficient[ _]funds|payment required|额度|余额", re.IGNORECASE)


class MalformedSubmission(SubmissionUncertain, MalformedResponse):
    """A billable POST was answered 2xx but the answer holds no task id.

    The service most likely created (and charged) the task; it is not resubmitted.
    """


class Pacer:
    """Spaces requests once the service has refused some (429).

    Until the first 429 it does nothing (no rate is known to be too high). Then
    `rate` is `cut` times the rate sent over the last second, at least `floor`,
    and grows each second by `growth` of itself (at least `recovery` requests/s),
    so it climbs back to a high limit in seconds, not minutes; one cut per second
    at most, since a burst of 429s reports one overload.
    """

    def __init__(
        self, *, floor: float = 1.0, recovery: float = 1.0, cut: float = 0.85, growth: float = 0.1
    ) -> None:
        self.floor = floor
        self.recovery = recovery
        self.cut = cut
        self.growth = growth
        self.rate: float | None = None
        """Requests per second allowed (None: not pacing)."""
        self._rate_at = 0.0
        self._next_slot = 0.0
        self._last_cut = -math.inf
        self._second = 0
        self._this_second = 0
        self._last_second = 0

    def reserve(self, now: float) -> float:
        """Count one request sent at `now`; seconds it must wait for its slot first (0: none)."""
        second = int(now)
        if second != self._second:
            self._last_second = self._this_second if second == self._second + 1 else 0
            self._second, self._this_second = second, 0
        self._this_second += 1
        if self.rate is None:
            return 0.0
        self.rate += max(self.recovery, self.growth * self.rate) * max(now - self._rate_at, 0.0)
        self._rate_at = now
        slot = max(now, self._next_slot)
        self._next_slot = slot + 1.0 / self.rate
        return slot - now

    def refused(self, now: float) -> None:
        """The service answered 429 at `now`: slow down (once per second)."""
        if now - self._last_cut < 1.0:
            return
        self._last_cut = now
        sent = max(self._this_second, self._last_second)
        current = sent if self.rate is None else min(self.rate, max(sent, self.floor))
        self.rate = max(self.floor, self.cut * current)
        self._rate_at = now

    def __repr__(self) -> str:
        rate = "off" if self.rate is None else f"{self.rate:.1f}/s"
        return f"Pacer(rate={rate})"


class Backoff:
    """Jittered exponential backoff: attempt n waits about `base * 2**n`, at most `cap` seconds.

    The jitter (a random factor in [0.5, 1]) keeps many clients from retrying in step.
    """

    def __init__(self, base: float = 0.5, cap: float = 8.0, rng: Callable[[], float] = random.random):
        self.base = base
        self.cap = cap
        self._rng = rng

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number `attempt` (0-based); a Retry-After wins when given."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), MAX_RETRY_AFTER)
        ceiling = min(self.cap, self.base * 2**attempt)
        return float(ceiling * (0.5 + 0.5 * self._rng()))

    def __repr__(self) -> str:
        return f"Backoff(base={self.base:g}, cap={self.cap:g})"


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta seconds or an HTTP date), capped; None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def error_message(response: httpx.Response) -> str:
    """A short readable message from an error answer: JSON, plain text or a proxy's HTML page."""
    text = _body_text(response)
    message = ""
    try:
        payload = json.loads(text) if text.strip() else None
    except ValueError:
        payload = None
    if payload is not None:
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
) -> APIError:
    """The typed error for a 4xx/5xx answer, with the key scrubbed from message and body."""
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
        retry_after = parse_retry_after(response.headers.get("retry-after"))
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
    """Sends the client's requests and turns answers into JSON or typed errors.

    `sleep` is injectable so tests can see the delays asked for without waiting.
    """

    def __init__(
        self,
        *,
        key: ApiKey,
        base_url: str,
        max_retries: int = 4,
        sleep: Sleep | None = None,
        backoff: Backoff | None = None,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._key = key
        self.base_url = base_url.rstrip("/")
        self.max_retries = max_retries
        self.sleep: Sleep = sleep or asyncio.sleep
        self.backoff = backoff or Backoff()
        self._rng = rng
        parsed = httpx.URL(self.base_url)
        self._origin = (parsed.scheme, parsed.host, parsed.port)
        self._base_path = parsed.path.rstrip("/")
        self._api_urls: dict[str, bool] = {}
        """`is_api_url` answers by URL: parsing a URL costs more than the rest of a header build."""
        self._not_before = 0.0
        """`time.monotonic()` before which no request is sent (set by a 429)."""
        self.pacer = Pacer()

    def __repr__(self) -> str:
        return f"Requester(base_url={self.base_url!r}, max_retries={self.max_retries})"

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

    # ------------------------------------------------------------------ reads

    async def get_json(
        self,
        http: httpx.AsyncClient,
        url: str,
        *,
        endpoint: str,
        params: Mapping[str, str | int] | None = None,
        task_id: str | None = None,
        max_retries: int | None = None,
        deadline: float | None = None,
        limit: asyncio.Semaphore | None = None,
    ) -> Any:
        """GET `url` and return its JSON, retrying transient failures.

        `deadline` (a `time.monotonic()` value) stops retrying when the next wait would pass it.
        `limit` bounds the requests in flight (see the module documentation).
        """
        retries = self.max_retries if max_retries is None else max_retries
        attempt = 0
        own_pause: float | None = None
        while True:
            await self._wait_for_pause(own_pause)
            try:
                response = await self._send(http, "GET", url, params=params, endpoint=endpoint, limit=limit)
                if response.is_success:
                    return self._json(response, endpoint=endpoint, task_id=task_id)
                error: Exception = map_error(
                    response, endpoint=endpoint, task_id=task_id, secrets=self._secrets()
                )
            except httpx.TransportError as exc:
                error = self._network_error(exc, endpoint=endpoint, task_id=task_id)
            if not is_transient(error) or isinstance(error, MalformedResponse) or attempt >= retries:
                raise error
            retry_after = error.retry_after if isinstance(error, RateLimited) else None
            delay = self.backoff.delay(attempt, retry_after)
            if deadline is not None and time.monotonic() + delay > deadline:
                raise error
            if isinstance(error, RateLimited):
                own_pause = self.pause(delay)
            logger.debug("retrying %s in %.2f s (%s)", endpoint, delay, type(error).__name__)
            await self.sleep(delay)
            attempt += 1

    # ------------------------------------------------------------------ billable posts

    async def post_json(
        self,
        http: httpx.AsyncClient,
        url: str,
        body: Mapping[str, Any],
        *,
        endpoint: str,
        limit: asyncio.Semaphore | None = None,
    ) -> Any:
        """POST a billable request; return its JSON. Never resent once it may have arrived."""
        attempt = 0
        own_pause: float | None = None
        while True:
            await self._wait_for_pause(own_pause)
            try:
                response = await self._send(http, "POST", url, json=body, endpoint=endpoint, limit=limit)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                # Not connected, or never given a connection: nothing was written, so sending
                # again cannot double-charge.
                error: APIError = self._network_error(exc, endpoint=endpoint)
                retry_after = None
            except httpx.TransportError as exc:
                raise SubmissionUncertain(
                    redact(
                        f"{_describe_transport_error(exc)} after the request was sent; the task may "
                        "exist and may have been charged. It was NOT resubmitted: check "
                        "hfwidgets.history() or the provider's dashboard before trying again",
                        self._secrets(),
                    ),
                    endpoint=endpoint,
                ) from None
            else:
                if response.is_success:
                    return self._submission_json(response, endpoint=endpoint)
                error = map_error(response, endpoint=endpoint, secrets=self._secrets())
                if isinstance(error, RateLimited):
                    retry_after = error.retry_after  # refused before any work: safe to send again
                elif response.status_code >= 500 and not isinstance(error, InsufficientCredits):
                    raise SubmissionUncertain(
                        f"{error.message} — the service may have accepted the task before failing: it may "
                        "exist and may have been charged. It was NOT resubmitted: check "
                        "hfwidgets.history() or the provider's dashboard before trying again",
                        status=error.status,
                        body=error.body,
                        endpoint=endpoint,
                    ) from None
                else:
                    raise error
            if attempt >= self.max_retries:
                raise error
            delay = self.backoff.delay(attempt, retry_after)
            if isinstance(error, RateLimited):
                own_pause = self.pause(delay)
            logger.debug(
                "resending %s in %.2f s (%s, never delivered)", endpoint, delay, type(error).__name__
            )
            await self.sleep(delay)
            attempt += 1

    # ------------------------------------------------------------------ shared rate-limit pause

    def pause(self, seconds: float) -> float:
        """A 429 asked for `seconds`: slow the pace (`Pacer`) and, when `seconds` is at least
        `SHARED_PAUSE_MIN`, hold every request of this requester back until then.

        Returns when the refused request may go again. A longer pause already in force is kept.
        """
        now = time.monotonic()
        self.pacer.refused(now)
        until = now + max(seconds, 0.0)
        if seconds >= SHARED_PAUSE_MIN:
            self._not_before = max(self._not_before, until)
        return max(self._not_before, until)

    @property
    def paused_for(self) -> float:
        """Seconds left of the current rate-limit pause (0 when none)."""
        return max(self._not_before - time.monotonic(), 0.0)

    async def _wait_for_pause(self, own_pause: float | None) -> None:
        """Sleep out a pause another request was told to take; `own_pause` is one already slept."""
        if own_pause is not None and self._not_before <= own_pause:
            return
        remaining = self._not_before - time.monotonic()
        if remaining > 0:
            # Released at a random moment within RELEASE_SPREAD: the held requests do not return in step.
            await self.sleep(remaining + RELEASE_SPREAD * self._rng())

    # ------------------------------------------------------------------ helpers

    async def _send(
        self,
        http: httpx.AsyncClient,
        method: str,
        url: str,
        *,
        endpoint: str,
        params: Mapping[str, str | int] | None = None,
        json: Mapping[str, Any] | None = None,
        limit: asyncio.Semaphore | None = None,
    ) -> httpx.Response:
        headers = self._headers(url)
        wait = self.pacer.reserve(time.monotonic())
        if wait > 0:
            await self.sleep(wait)
        if limit is None:
            return await self._request(http, method, url, params=params, json=json, headers=headers)
        async with limit:
            return await self._request(http, method, url, params=params, json=json, headers=headers)

    async def _request(
        self,
        http: httpx.AsyncClient,
        method: str,
        url: str,
        *,
        params: Mapping[str, str | int] | None,
        json: Mapping[str, Any] | None,
        headers: dict[str, str],
    ) -> httpx.Response:
        debug = logger.isEnabledFor(logging.DEBUG)  # the path is parsed only for a log line that shows
        started = time.perf_counter()
        try:
            response = await http.request(
                method, url, params=params, json=json, headers=headers, follow_redirects=False
            )
        except httpx.TransportError as exc:
            if debug:
                logger.debug(
                    "%s %s failed after %.0f ms: %s",
                    method,
                    httpx.URL(url).path,
                    1000 * (time.perf_counter() - started),
                    type(exc).__name__,
                )
            raise
        if debug:
            logger.debug(
                "%s %s -> %d in %.0f ms",
                method,
                httpx.URL(url).path,
                response.status_code,
                1000 * (time.perf_counter() - started),
            )
        return response

    def _json(self, response: httpx.Response, *, endpoint: str, task_id: str | None) -> Any:
        try:
            return response.json()
        except ValueError:
            kind = response.headers.get("content-type", "no content type")
            raise MalformedResponse(
                f"answer is not JSON ({kind}): {redact(error_message(response), self._secrets())}",
                status=response.status_code,
                body=redact(_body_text(response)[:MAX_BODY_EXCERPT], self._secrets()),
                task_id=task_id,
                endpoint=endpoint,
            ) from None

    def _submission_json(self, response: httpx.Response, *, endpoint: str) -> dict[str, Any]:
        excerpt = redact(_body_text(response)[:MAX_BODY_EXCERPT], self._secrets())
        try:
            payload = response.json()
        except ValueError:
            payload = None
        task_id = payload.get("id") if isinstance(payload, dict) else None
        if not isinstance(task_id, str) or not task_id.strip():
            raise MalformedSubmission(
                "the service answered the submission without a task id; the task may exist and may "
                "have been charged. It was NOT resubmitted: check the provider's dashboard",
                status=response.status_code,
                body=excerpt,
                endpoint=endpoint,
            )
        assert isinstance(payload, dict)
        return payload

    def _network_error(
        self, exc: httpx.TransportError, *, endpoint: str, task_id: str | None = None
    ) -> APIError:
        return APIError(
            redact(_describe_transport_error(exc), self._secrets()), task_id=task_id, endpoint=endpoint
        )


def _describe_transport_error(exc: httpx.TransportError) -> str:
    detail = str(exc).strip()
    return f"network error ({type(exc).__name__}{': ' + detail[:120] if detail else ''})"


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
