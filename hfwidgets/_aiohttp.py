"""API reads on aiohttp's own session, for `Client(transport="aiohttp")`.

On that transport billable POSTs go through httpx's API on aiohttp's connections
(`httpx-aiohttp`: httpx's request hooks tell a submission the moment it leaves),
and reads — feed polls, the motion listing — are sent on an aiohttp session
directly. httpx's client layer (its URL model, header merging, cookies, the
Response model) is most of a poll's CPU, and a thousand waiting tasks make
mostly polls. What an attempt got back, or the aiohttp exception it raised, is
typed by the same code as httpx's (`_http.Requester`).

The session keeps no cookies, follows no redirect and reads no proxy or netrc
setting; the client sends reads this way only when no proxy variable is set.
A read whose connection drops before the answer starts is sent once more by
aiohttp itself (its handling of a pooled connection the server just closed;
never a POST), inside the same attempt.
This module is imported only on the aiohttp transport.
"""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp
import httpx
from aiohttp.http_exceptions import ContentEncodingError

from ._answer import Answer

__all__ = ["AiohttpReads", "is_decoding_error", "never_sent", "new_session"]


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
    """Sends a read on `session` and returns the whole answer; aiohttp's exceptions pass through."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    def __repr__(self) -> str:
        return f"AiohttpReads(closed={self.session.closed})"

    async def aclose(self) -> None:
        await self.session.close()

    async def send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str | int] | None,
        headers: Mapping[str, str],
    ) -> Answer:
        async with self.session.request(
            method, url, params=params, headers=headers, allow_redirects=False
        ) as response:
            content = await response.read()
            return Answer(response.status, response.headers, content, response.reason or "")


def never_sent(exc: BaseException) -> bool:
    """True when aiohttp's `exc` proves the request never left: connecting failed (refused,
    DNS, TLS, a proxy refusing CONNECT) or timed out."""
    return isinstance(
        exc, (aiohttp.ClientConnectorError, aiohttp.ClientHttpProxyError, aiohttp.ConnectionTimeoutError)
    )


def is_decoding_error(exc: BaseException) -> bool:
    """True when the answer arrived but its body could not be decoded (a Content-Encoding lie)."""
    return isinstance(exc, aiohttp.ClientPayloadError) and isinstance(exc.__cause__, ContentEncodingError)
