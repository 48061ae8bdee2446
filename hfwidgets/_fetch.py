"""One media fetch: every GET of a video or a picture outside the API goes through here.

Media live outside the API: on the provider's CDN, in the emulator's files, at an
image URL given as input. Downloads and kept copies (`_video`), posters and
embeds (`_static`), the widgets' media channel (`_media`) and image sizes
(`_images`, `Client.image_size`) all fetch with `fetch_async` (or `fetch_sync`,
the same run on a private loop in a worker thread), so the rules are set once:

- the API key is never sent: the request carries no credentials, whatever host the
  URL names (an `Authorization` header or auth a borrowed client carries is removed);
- redirects are followed, at most `MAX_REDIRECTS` of them;
- proxies come from the environment (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`,
  `NO_PROXY`), as httpx reads them, checked by `_proxies` like the Client's requests;
- time: `timeout` seconds for the whole fetch, and at most `wait` seconds for any one
  step (connecting, each read), never more than `timeout`;
- size: at most `max_bytes` (a declared `Content-Length` above it is refused before
  anything is read).

Errors come from `_errors` and name what was fetched (`what` in the message, the URL
without its query string as `endpoint`, the task as `task_id` when there is one) and why:

- not an http(s) URL: `ValidationError` on the field "url" (nothing is sent);
- an HTTP error status: `APIError` with the status and an excerpt of the answer;
- no answer (refused, dropped, a step past `wait`, too many redirects): `NetworkError`
  (status None);
- past `timeout` in all: `DownloadTimeout` (a `NetworkError` and a `TimeoutError`);
- more than `max_bytes`: `LimitExceeded` (`limit` is `max_bytes`);
- a text or JSON page where media was expected (a proxy's page answered 200), or no
  bytes at all: `MalformedResponse`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Final, ParamSpec, TypeVar

import httpx

from ._errors import (
    APIError,
    DownloadTimeout,
    LimitExceeded,
    MalformedResponse,
    NetworkError,
    ValidationError,
)
from ._proxies import check_proxy_environment, proxy_refused
from ._timeouts import within

__all__ = [
    "CHUNK_BYTES",
    "MAX_REDIRECTS",
    "Fetched",
    "fetch_async",
    "fetch_sync",
    "in_worker_thread",
    "shown_url",
]

P = ParamSpec("P")
R = TypeVar("R")
E = TypeVar("E", bound=APIError)

CHUNK_BYTES: Final = 256 * 1024
MAX_REDIRECTS: Final = 10
"""A CDN redirects once or twice (a signed link to a storage host); more is a loop."""
CONNECT_S: Final = 10.0
"""At most this long to connect (and to wait for a pooled connection), whatever `wait` is."""
WAIT_S: Final = 60.0
"""Default longest step: a large video may take minutes in all, but a stalled read fails in 60 s."""

Sink = Callable[[bytes], Awaitable[bool]]
"""Takes each chunk as it arrives; returns True when it needs no more (the rest is not read)."""


@dataclass(frozen=True, repr=False)
class Fetched:
    """What a fetch got: `data` (empty when a sink took the chunks), its media type and size."""

    data: bytes
    mime: str
    size: int
    """Bytes received (those a sink took included)."""

    def __repr__(self) -> str:
        return f"Fetched({self.mime}, {self.size} bytes)"


def shown_url(url: str) -> str:
    """The request as `GET scheme://host/path`: recognisable, without the signed query tokens."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        return "GET media"
    return f"GET {parsed.scheme}://{parsed.netloc.decode('ascii', 'replace')}{parsed.path}"


async def fetch_async(
    url: str,
    *,
    what: str,
    max_bytes: int,
    timeout: float,
    wait: float = WAIT_S,
    expected: str = "media",
    task_id: str | None = None,
    sink: Sink | None = None,
    http: httpx.AsyncClient | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Fetched:
    """GET `url` under the rules above; `what` names it in errors ("the video's link", "it").

    `expected` says what a text or JSON answer is not ("a video", "an image"). `sink`
    takes the chunks instead of `data`. `http`: send with these connections (the
    caller's; left open); else a client of its own is made, on `transport` when given
    (the caller's, left open: tests plug in there).
    """
    try:
        valid = url.startswith(("http://", "https://")) and bool(httpx.URL(url).host)
    except (httpx.InvalidURL, ValueError):
        valid = False
    if not valid:
        raise ValidationError("url", url, "a valid http(s) URL", hint=f"{what} cannot be fetched from it")
    fetch = _Fetch(url, what, max_bytes, expected, task_id)
    step = httpx.Timeout(min(wait, timeout), connect=min(CONNECT_S, wait, timeout))
    try:
        return await within(fetch.run(sink, step, http, transport), timeout)
    except asyncio.TimeoutError:
        raise DownloadTimeout(
            f"{what} did not finish within {timeout:g} s; try again, or allow a longer timeout",
            task_id=task_id,
            endpoint=shown_url(url),
        ) from None


def in_worker_thread(function: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, R]:
    """`function` made blocking: run on a private loop in a worker thread, so one implementation
    serves both, and its deadline holds even while a read is stalled (works inside Jupyter's
    running loop too)."""

    @functools.wraps(function)
    def blocking(*args: P.args, **kwargs: P.kwargs) -> R:
        with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="hfwidgets-fetch") as pool:
            return pool.submit(asyncio.run, function(*args, **kwargs)).result()

    return blocking


fetch_sync = in_worker_thread(fetch_async)
fetch_sync.__name__ = fetch_sync.__qualname__ = "fetch_sync"
fetch_sync.__doc__ = "`fetch_async`, blocking (for code without a loop of its own, or inside Jupyter's)."


class _Fetch:
    """One fetch: its request, the checks on the answer, the errors naming it."""

    def __init__(self, url: str, what: str, max_bytes: int, expected: str, task_id: str | None) -> None:
        self.url, self.what, self.max_bytes, self.expected, self.task_id = (
            url,
            what,
            max_bytes,
            expected,
            task_id,
        )

    async def run(
        self,
        sink: Sink | None,
        step: httpx.Timeout,
        http: httpx.AsyncClient | None,
        transport: httpx.AsyncBaseTransport | None,
    ) -> Fetched:
        try:
            if http is not None:
                return await self._send(http, sink, step)
            async with _own_client(transport) as own:
                return await self._send(own, sink, step)
        except httpx.TimeoutException as error:
            seconds = step.connect if isinstance(error, httpx.ConnectTimeout) else step.read
            why = f"gave no answer within {seconds:g} s ({type(error).__name__})"
            raise self._error(NetworkError, why) from None
        except httpx.TooManyRedirects:
            raise self._error(NetworkError, f"redirected more than {MAX_REDIRECTS} times") from None
        except httpx.HTTPError as error:
            detail = f": {error}" if str(error) else ""
            raise self._error(
                NetworkError, f"could not be reached ({type(error).__name__}){detail}"
            ) from None

    async def _send(self, http: httpx.AsyncClient, sink: Sink | None, step: httpx.Timeout) -> Fetched:
        response = await self._follow(http, http.build_request("GET", self.url, timeout=step))
        try:
            if response.is_error:
                await response.aread()
                phrase = f" {response.reason_phrase}" if response.reason_phrase else ""
                excerpt = response.text[:200] if response.content else ""
                why = f"answered HTTP {response.status_code}{phrase}"
                raise self._error(APIError, why, status=response.status_code, body=excerpt)
            mime = response.headers.get("content-type", "").split(";")[0].strip().lower()
            self._check_media_type(response, mime)
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise self._too_large(int(declared))
            chunks: list[bytes] = []
            received = 0
            async for chunk in response.aiter_bytes():  # as they arrive: a sink may stop early
                received += len(chunk)
                if received > self.max_bytes:
                    raise self._too_large(received)
                if sink is None:
                    chunks.append(chunk)
                elif await sink(chunk):
                    return Fetched(b"", mime, received)
        finally:
            await response.aclose()
        if received == 0:
            raise self._error(MalformedResponse, "answered with no bytes at all", status=response.status_code)
        return Fetched(b"".join(chunks), mime, received)

    async def _follow(self, http: httpx.AsyncClient, request: httpx.Request) -> httpx.Response:
        """The answer after at most MAX_REDIRECTS redirects (whatever `http` would follow); no
        request carries credentials."""
        for _ in range(MAX_REDIRECTS + 1):
            request.headers.pop("Authorization", None)
            response = await http.send(request, auth=None, stream=True, follow_redirects=False)
            if response.next_request is None:
                return response
            await response.aclose()
            request = response.next_request
        raise httpx.TooManyRedirects(f"more than {MAX_REDIRECTS} redirects", request=request)

    def _check_media_type(self, response: httpx.Response, mime: str) -> None:
        """A proxy's HTML or JSON page answered with 200 is not media."""
        if mime.startswith("text/") or mime.endswith("json"):
            why = f"did not answer with {self.expected} ({mime})"
            raise self._error(MalformedResponse, why, status=response.status_code)

    def _too_large(self, size: int) -> LimitExceeded:
        return LimitExceeded(
            f"{self.what} sent more than max_bytes={self.max_bytes} ({size} bytes or more); nothing was "
            "kept. Allow a larger max_bytes if this is expected",
            limit=self.max_bytes,
            task_id=self.task_id,
            endpoint=shown_url(self.url),
        )

    def _error(self, kind: type[E], why: str, *, status: int | None = None, body: str = "") -> E:
        return kind(
            f"{self.what} {why}", status=status, body=body, task_id=self.task_id, endpoint=shown_url(self.url)
        )


@contextlib.asynccontextmanager
async def _own_client(transport: httpx.AsyncBaseTransport | None) -> AsyncIterator[httpx.AsyncClient]:
    """A client of this fetch's own (proxies from the environment), on the caller's `transport`
    when given (left open)."""
    borrowed = _Borrowed(transport) if transport is not None else None
    if borrowed is None:
        check_proxy_environment()
    try:
        client = httpx.AsyncClient(transport=borrowed)
    except (ImportError, ValueError) as error:  # proxy settings httpx cannot use after all
        raise proxy_refused(error) from None
    async with client:
        yield client


class _Borrowed(httpx.AsyncBaseTransport):
    """Another client's transport, used without closing it (its owner does)."""

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self._transport = transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._transport.handle_async_request(request)

    async def aclose(self) -> None:
        pass
