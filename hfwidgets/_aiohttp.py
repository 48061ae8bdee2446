"""API reads on aiohttp's own session, for `Client(transport="aiohttp")`.

On that transport billable POSTs go through httpx's API on aiohttp's connections
(`httpx-aiohttp`: httpx's request hooks tell a submission the moment it leaves),
and reads — feed polls, the motion listing — are sent on an aiohttp session
directly. httpx's client layer (its URL model, header merging, cookies, the
Response model) is most of a poll's CPU, and a thousand waiting tasks make
mostly polls. Both are senders of `_transport` (`AiohttpReads`, and
`_transport.HttpxSender` judging with `judge_httpx_on_aiohttp`): aiohttp's
exceptions are judged here, by aiohttp's own classes, and reach the request loop
(`_http.Requester`) as `SendFailed`, like httpx's.

The session keeps no cookies, follows no redirect and reads no proxy or netrc
setting; the client sends reads this way only when no proxy variable is set.
A read whose connection drops before the answer starts is sent once more by
aiohttp itself (its handling of a pooled connection the server just closed;
never a POST), inside the same attempt.
This module is imported only on the aiohttp transport.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import httpx
from aiohttp.http_exceptions import ContentEncodingError
from httpx_aiohttp import HttpxAiohttpClient

from ._answer import Answer
from ._transport import HttpxSender, Outgoing, SendFailed, describe, judge_httpx

__all__ = [
    "AiohttpReads",
    "is_decoding_error",
    "judge",
    "judge_httpx_on_aiohttp",
    "never_sent",
    "new_session",
    "writer",
]


def writer(options: dict[str, Any]) -> tuple[httpx.AsyncClient, HttpxSender]:
    """httpx's API on aiohttp's connections (`httpx-aiohttp`; it refuses unusable proxy settings)
    and its sender: billable POSTs, and every request when a proxy is configured."""
    http = HttpxAiohttpClient(**options)
    return http, HttpxSender(http, judge_httpx_on_aiohttp)


def new_session(*, limit: int, keepalive: float, timeout: float) -> aiohttp.ClientSession:
    """One event loop's session for reads: `limit` connections, httpx's TLS settings, no cookies,
    and `timeout` seconds for a whole attempt (connecting, sending, every byte of the answer)."""
    connector = aiohttp.TCPConnector(
        limit=limit,
        keepalive_timeout=keepalive,
        ssl=httpx.create_ssl_context(),  # certifi or SSL_CERT_FILE, as httpx verifies
    )
    return aiohttp.ClientSession(
        connector=connector, cookie_jar=aiohttp.DummyCookieJar(), timeout=aiohttp.ClientTimeout(total=timeout)
    )


class AiohttpReads:
    """Sends a read on `session` and returns the whole answer (a `_transport.Sender`)."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    def __repr__(self) -> str:
        return f"AiohttpReads(closed={self.session.closed})"

    async def aclose(self) -> None:
        await self.session.close()

    async def send(self, outgoing: Outgoing) -> Answer:
        options: dict[str, Any] = {}
        if outgoing.timeout is not None:  # else the session's
            options["timeout"] = aiohttp.ClientTimeout(total=outgoing.timeout)
        try:
            if outgoing.delivery is not None:
                outgoing.delivery.on_sent()
            async with self.session.request(
                outgoing.method, outgoing.url, **outgoing.contents, allow_redirects=False, **options
            ) as response:
                content = await response.read()
                return Answer(response.status, response.headers, content, response.reason or "")
        except Exception as exc:  # typed in one place; the exception holds the request (its headers)
            failed = judge(exc)
        raise failed


def judge(exc: Exception) -> SendFailed:
    """aiohttp's judgement of a failure on its own session."""
    undecodable = is_decoding_error(exc)
    return SendFailed(
        describe(exc, undecodable=undecodable), never_sent=never_sent(exc), undecodable=undecodable
    )


def judge_httpx_on_aiohttp(exc: Exception) -> SendFailed:
    """httpx-aiohttp maps every `aiohttp.ClientConnectionError` (a reset mid-answer too) to
    `httpx.ConnectTimeout`: whether it was sent is judged by aiohttp's own exception."""
    judged = judge_httpx(exc)
    for candidate in (exc, exc.__cause__):
        if isinstance(candidate, aiohttp.ClientError):
            return SendFailed(
                judged.description, never_sent=never_sent(candidate), undecodable=judged.undecodable
            )
    return judged


def never_sent(exc: BaseException) -> bool:
    """True when aiohttp's `exc` proves the request never left: connecting failed (refused,
    DNS, TLS, a proxy refusing CONNECT) or timed out."""
    return isinstance(
        exc, (aiohttp.ClientConnectorError, aiohttp.ClientHttpProxyError, aiohttp.ConnectionTimeoutError)
    )


def is_decoding_error(exc: BaseException) -> bool:
    """True when the answer arrived but its body could not be decoded (a Content-Encoding lie)."""
    return isinstance(exc, aiohttp.ClientPayloadError) and isinstance(exc.__cause__, ContentEncodingError)
