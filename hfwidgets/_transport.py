"""The seam between the request loop and an HTTP library: one method, `Sender.send`.

The request loop (`_http.Requester`) hands a sender an `Outgoing` request and gets
back an `Answer`, or a `SendFailed` saying what went wrong and what is known of
delivery, judged by the sender that knows its library. Like httpx's one-method
transport, the loop never looks at which library is underneath: two senders, one
contract.

- `HttpxSender`: an `httpx.AsyncClient` (httpx's own transport, a test's
  `MockTransport`, or httpx's API on aiohttp's connections, whose errors
  `_aiohttp` judges);
- `_aiohttp.AiohttpReads`: reads on an aiohttp session of their own.

A billable POST carries its `Delivery`: the sender tells it when the request is
handed to the connection (from then on it may have arrived; httpx's request hook,
`HTTPX_EVENT_HOOKS`), and the loop tells it when a 429 refused it after all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from ._answer import Answer
from ._timeouts import within

__all__ = [
    "HTTPX_EVENT_HOOKS",
    "Delivery",
    "HttpxSender",
    "Outgoing",
    "SendFailed",
    "Sender",
    "describe",
    "judge_httpx",
]

DELIVERY_EXTENSION = "hfwidgets.delivery"
"""The httpx request extension carrying a billable POST's `Delivery` to the request hook."""


class Delivery(Protocol):
    """What a billable POST tells its submission record about its way out."""

    def on_sent(self) -> None:
        """The request was handed to the connection: from now on it may have arrived."""

    def on_refused(self) -> None:
        """The service answered 429: refused before any work, it did not arrive as a task."""


@dataclass(frozen=True)
class Outgoing:
    """One attempt to send: what to send, how long it may take in all, whom to tell it left."""

    method: str
    url: str
    headers: Mapping[str, str]
    params: Mapping[str, str | int] | None = None
    json: Mapping[str, Any] | None = None
    timeout: float | None = None
    """Seconds for the whole attempt (connecting, sending, every byte of the answer)."""
    delivery: Delivery | None = None

    @property
    def contents(self) -> dict[str, Any]:
        """The query, body and headers, as keyword arguments of httpx's and aiohttp's `request`."""
        return {"params": self.params, "json": self.json, "headers": self.headers}


class SendFailed(Exception):
    """No usable answer, judged by the sender: what happened (no request details, no headers),
    whether not one byte can have reached the service, and whether the answer arrived but its
    body could not be decoded (a Content-Encoding lie)."""

    def __init__(self, description: str, *, never_sent: bool, undecodable: bool = False) -> None:
        super().__init__(description)
        self.description = description
        self.never_sent = never_sent
        self.undecodable = undecodable


class Sender(Protocol):
    """Sends one attempt: its whole answer, or `SendFailed` (nothing else but cancellation)."""

    async def send(self, outgoing: Outgoing) -> Answer: ...


def _short(exc: BaseException) -> str:
    detail = " ".join(str(exc).split())
    return f"{type(exc).__name__}{': ' + detail[:120] if detail else ''}"


def describe(exc: BaseException, *, undecodable: bool = False) -> str:
    """What a failure to get an answer was, in words (the exception itself holds the request)."""
    if undecodable:
        return f"the answer's body could not be decoded ({_short(exc)})"
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        return "network error (the answer did not arrive in time)"
    return f"network error ({_short(exc)})"


_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)
"""httpx's failures that prove not one byte reached the service: no connection (a refused
CONNECT through a proxy too), or none of the client's own pool."""


def judge_httpx(exc: Exception) -> SendFailed:
    """httpx's judgement of one of its failures (or of a timeout of the whole attempt)."""
    undecodable = isinstance(exc, httpx.DecodingError)
    return SendFailed(
        describe(exc, undecodable=undecodable),
        never_sent=isinstance(exc, _NEVER_SENT),
        undecodable=undecodable,
    )


async def _mark_sent(request: httpx.Request) -> None:
    """httpx request hook: the billable POST is handed to the connection now."""
    delivery = request.extensions.get(DELIVERY_EXTENSION)
    if delivery is not None:
        delivery.on_sent()


HTTPX_EVENT_HOOKS: dict[str, list[Callable[..., Any]]] = {"request": [_mark_sent]}
"""The event hooks of every httpx client a Client makes (`HttpxSender` needs them for `Delivery`)."""


class HttpxSender:
    """Sends on an `httpx.AsyncClient` (made with `HTTPX_EVENT_HOOKS` for deliveries to be told);
    `judge` types its failures (`judge_httpx`, or `_aiohttp`'s for httpx on aiohttp)."""

    def __init__(
        self, http: httpx.AsyncClient, judge: Callable[[Exception], SendFailed] = judge_httpx
    ) -> None:
        self.http = http
        self._judge = judge

    def __repr__(self) -> str:
        return f"HttpxSender({type(self.http).__name__}, closed={self.http.is_closed})"

    async def send(self, outgoing: Outgoing) -> Answer:
        extensions = {} if outgoing.delivery is None else {DELIVERY_EXTENSION: outgoing.delivery}
        try:
            sending = self.http.request(
                outgoing.method,
                outgoing.url,
                **outgoing.contents,
                follow_redirects=False,
                extensions=extensions,
            )
            response = await (sending if outgoing.timeout is None else within(sending, outgoing.timeout))
        except Exception as exc:  # typed in one place; the exception holds the request (its headers)
            failed = self._judge(exc)
        else:
            return Answer.of(response)
        raise failed
