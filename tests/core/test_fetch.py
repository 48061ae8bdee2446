"""The one media fetch (`_fetch`) against a real local HTTP server: size and time limits,
redirects, error statuses, hosts that cannot be reached, proxies, and no credentials ever sent.
MockTransport only for a failure a real server cannot be made to show on demand."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import io
import socket
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from hfwidgets import _fetch
from hfwidgets._errors import (
    APIError,
    DownloadTimeout,
    ImageSizeUnknown,
    LimitExceeded,
    MalformedResponse,
    NetworkError,
    ValidationError,
)
from hfwidgets._fetch import MAX_REDIRECTS, fetch_async, fetch_sync
from hfwidgets._images import url_image_size
from hfwidgets._media import fetch_media
from hfwidgets._models import Feed
from hfwidgets._static import StaticResult
from hfwidgets._video import download_sync

from .local_server import LocalServer, answer, stall

BODY = bytes(range(256)) * 64  # 16 KB
TASK_ID = "task-fetch-1"


def picture() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 40), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


class MediaServer(LocalServer):
    """A CDN (and, when asked, a proxy) with one route per behaviour a fetch must handle."""

    def respond(self, handler: BaseHTTPRequestHandler, path: str) -> None:
        if path.startswith("http://"):  # asked as a proxy: the absolute URL
            answer(handler, 200, {"Content-Type": "application/octet-stream"}, BODY)
        elif path == "/clip.bin":
            answer(handler, 200, {"Content-Type": "video/mp4"}, BODY)
        elif path == "/picture.png":
            answer(handler, 200, {"Content-Type": "image/png"}, picture())
        elif path.startswith("/hop/"):  # /hop/3 -> /hop/2 -> /hop/1 -> /clip.bin
            left = int(path.rsplit("/", 1)[1])
            answer(handler, 302, {"Location": f"/hop/{left - 1}" if left > 1 else "/clip.bin"}, b"")
        elif path == "/elsewhere":  # another origin: the same server under another name
            port = self.httpd.server_address[1]
            answer(handler, 302, {"Location": f"http://localhost:{port}/clip.bin"}, b"")
        elif path == "/loop":
            answer(handler, 302, {"Location": "/loop"}, b"")
        elif path == "/gone":
            answer(handler, 404, {"Content-Type": "application/json"}, b'{"error": "no such object"}')
        elif path == "/page":
            answer(handler, 200, {"Content-Type": "text/html"}, b"<html>please log in</html>")
        elif path == "/empty":
            answer(handler, 200, {"Content-Type": "video/mp4"}, b"")
        elif path == "/declared-large":  # says how large it is up front, then sends nothing
            stall(self, handler, "video/mp4", b"", 10 * len(BODY))
        elif path == "/stalled":  # a first chunk, then nothing until released
            stall(self, handler, "video/mp4", BODY, 2 * len(BODY))
        elif path == "/endless":  # no length said: bytes until the reader stops
            handler.send_response(200)
            handler.send_header("Content-Type", "video/mp4")
            handler.end_headers()
            with contextlib.suppress(OSError):
                while not self.release.is_set():
                    handler.wfile.write(BODY)
        else:
            super().respond(handler, path)


@pytest.fixture
def server() -> Iterator[MediaServer]:
    media = MediaServer()
    yield media
    media.close()


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def closed_port_url() -> str:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/clip.bin"


def fetch(url: str, **options: Any) -> _fetch.Fetched:
    settings: dict[str, Any] = {"what": "the video's link", "max_bytes": 1 << 20, "timeout": 30.0}
    return fetch_sync(url, **{**settings, **options})


# --------------------------------------------------------------------------- answers


def test_fetches_the_bytes_and_their_media_type(server: MediaServer, no_proxy: None) -> None:
    fetched = fetch(f"{server.base_url}/clip.bin")
    assert fetched.data == BODY and fetched.size == len(BODY) and fetched.mime == "video/mp4"
    assert repr(fetched) == f"Fetched(video/mp4, {len(BODY)} bytes)"


async def test_the_async_form_gives_the_same_and_a_sink_may_stop_early(
    server: MediaServer, no_proxy: None
) -> None:
    whole = await fetch_async(f"{server.base_url}/clip.bin", what="it", max_bytes=1 << 20, timeout=30)
    assert whole.data == BODY
    taken: list[bytes] = []

    async def first_chunk_only(chunk: bytes) -> bool:
        taken.append(chunk)
        return True

    # The server would go on for ever: the sink stopping is what ends the fetch.
    stopped = await fetch_async(
        f"{server.base_url}/endless", what="it", max_bytes=1 << 30, timeout=30, sink=first_chunk_only
    )
    assert stopped.data == b"" and len(taken) == 1 and stopped.size == len(taken[0]) > 0


async def test_the_blocking_form_works_inside_a_running_loop(server: MediaServer, no_proxy: None) -> None:
    assert fetch(f"{server.base_url}/clip.bin").data == BODY  # as in a Jupyter cell


def test_redirects_are_followed_up_to_the_limit(server: MediaServer, no_proxy: None) -> None:
    assert fetch(f"{server.base_url}/hop/3").data == BODY
    assert server.paths() == ["/hop/3", "/hop/2", "/hop/1", "/clip.bin"]
    server.requests.clear()
    with pytest.raises(NetworkError) as caught:
        fetch(f"{server.base_url}/loop", task_id=TASK_ID)
    assert len(server.paths()) == MAX_REDIRECTS + 1
    assert f"redirected more than {MAX_REDIRECTS} times" in str(caught.value)
    assert caught.value.task_id == TASK_ID and caught.value.status is None


def test_an_error_status_is_an_api_error_naming_what_and_why(server: MediaServer, no_proxy: None) -> None:
    with pytest.raises(APIError) as caught:
        fetch(f"{server.base_url}/gone?token=secret-signature", task_id=TASK_ID)
    error = caught.value
    assert type(error) is APIError and error.status == 404 and error.task_id == TASK_ID
    assert error.message == "the video's link answered HTTP 404 Not Found"
    assert error.endpoint == f"GET {server.base_url}/gone" and "no such object" in error.body
    assert "secret-signature" not in str(error)  # signed query strings stay out of messages


def test_a_host_that_cannot_be_reached_is_a_network_error(no_proxy: None) -> None:
    with pytest.raises(NetworkError) as caught:
        fetch(closed_port_url(), task_id=TASK_ID)
    assert caught.value.status is None and caught.value.task_id == TASK_ID
    assert caught.value.message.startswith("the video's link could not be reached (ConnectError)")


@pytest.mark.parametrize(
    ("path", "why"),
    [("/page", "did not answer with a video (text/html)"), ("/empty", "answered with no bytes at all")],
)
def test_a_page_or_nothing_where_media_was_expected_is_malformed(
    server: MediaServer, no_proxy: None, path: str, why: str
) -> None:
    with pytest.raises(MalformedResponse) as caught:
        fetch(server.base_url + path, expected="a video")
    assert caught.value.message == f"the video's link {why}" and caught.value.status == 200


@pytest.mark.parametrize(
    "url", ["ftp://example.com/clip.mp4", "file:///etc/passwd", "http://[::1", "clip.mp4"]
)
def test_only_http_urls_are_fetched(url: str) -> None:
    with pytest.raises(ValidationError) as caught:
        fetch(url)
    assert caught.value.field == "url"


# --------------------------------------------------------------------------- limits


def test_a_declared_size_over_the_limit_is_refused_before_reading(
    server: MediaServer, no_proxy: None
) -> None:
    # The body never comes: only a fetch that reads the declared length gets an answer.
    with pytest.raises(LimitExceeded) as caught:
        fetch(f"{server.base_url}/declared-large", max_bytes=len(BODY), task_id=TASK_ID)
    assert caught.value.limit == len(BODY) and caught.value.task_id == TASK_ID
    assert f"more than max_bytes={len(BODY)} ({10 * len(BODY)} bytes" in caught.value.message


def test_an_endless_answer_stops_at_the_limit(server: MediaServer, no_proxy: None) -> None:
    with pytest.raises(LimitExceeded) as caught:
        fetch(f"{server.base_url}/endless", max_bytes=5 * len(BODY))
    assert caught.value.limit == 5 * len(BODY)


def test_a_fetch_past_its_deadline_is_a_download_timeout(server: MediaServer, no_proxy: None) -> None:
    # Each read is within `wait`, but the whole does not finish in `timeout`: the server stalls.
    with pytest.raises(DownloadTimeout) as caught:
        fetch(f"{server.base_url}/stalled", timeout=0.5, wait=30.0, task_id=TASK_ID)
    assert isinstance(caught.value, TimeoutError) and isinstance(caught.value, NetworkError)
    assert caught.value.task_id == TASK_ID and "did not finish within 0.5 s" in caught.value.message


def test_a_stalled_step_is_a_network_error(server: MediaServer, no_proxy: None) -> None:
    with pytest.raises(NetworkError) as caught:
        fetch(f"{server.base_url}/stalled", timeout=30.0, wait=0.3)
    assert type(caught.value) is NetworkError
    assert "gave no answer within 0.3 s (ReadTimeout)" in caught.value.message


# --------------------------------------------------------------------------- secrets and proxies


async def test_no_credentials_are_sent_even_when_the_connections_carry_some(
    server: MediaServer, no_proxy: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_HK_API_KEY", "hk-must-never-travel")
    headers = {"Authorization": "Bearer hk-must-never-travel"}
    async with httpx.AsyncClient(headers=headers, auth=("user", "password")) as http:
        fetched = await fetch_async(
            f"{server.base_url}/elsewhere", what="it", max_bytes=1 << 20, timeout=30, http=http
        )
    assert fetched.data == BODY
    fetch(f"{server.base_url}/clip.bin")
    assert server.paths() == ["/elsewhere", "/clip.bin", "/clip.bin"]
    for _, sent in server.requests:
        assert "authorization" not in sent and "hk-must-never-travel" not in str(sent)


def test_proxies_come_from_the_environment(server: MediaServer, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "https_proxy",
        "all_proxy",
        "no_proxy",
        "http_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", server.base_url)
    assert fetch("http://media.example/clip.bin").data == BODY
    assert server.paths() == ["http://media.example/clip.bin"]  # asked of the proxy, as the Client's are


def test_proxy_settings_httpx_cannot_use_are_a_validation_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALL_PROXY", "gopher://user:pass@proxy.example:70")
    with pytest.raises(ValidationError) as caught:
        fetch("http://media.example/clip.bin")
    assert caught.value.field == "ALL_PROXY" and "gopher://" in str(caught.value)
    assert "user" not in str(caught.value) and "pass" not in str(caught.value)  # credentials stay out


# --------------------------------------------------------------------------- error paths on a transport


async def test_a_connection_dropped_mid_answer_is_a_network_error_and_the_transport_stays_open() -> None:
    def drop(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("connection reset by peer", request=request)

    transport = httpx.MockTransport(drop)
    with pytest.raises(NetworkError) as caught:
        await fetch_async(
            "https://cdn.example/clip.mp4?sig=x", what="it", max_bytes=100, timeout=5, transport=transport
        )
    assert caught.value.message == "it could not be reached (ReadError): connection reset by peer"
    assert caught.value.endpoint == "GET https://cdn.example/clip.mp4"
    async with httpx.AsyncClient(transport=transport) as still_usable:  # borrowed, never closed
        with pytest.raises(httpx.ReadError):
            await still_usable.get("https://cdn.example/again")


# --------------------------------------------------------------------------- every caller


def test_every_media_caller_fetches_through_the_one_fetch(
    server: MediaServer, no_proxy: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """One setting changed in `_fetch` (here the redirect limit) changes downloads, embeds,
    the widgets' media channel and image sizes alike, each with its own error type."""
    monkeypatch.setattr(_fetch, "MAX_REDIRECTS", 2)
    three_hops = f"{server.base_url}/hop/3"
    job = {"id": "job-1", "status": "completed", "result": {"type": "video", "url": three_hops}}
    feed = Feed.from_json({"id": TASK_ID, "params": {}, "jobs": [job]})
    why = "redirected more than 2 times"

    with pytest.raises(NetworkError, match=why):
        download_sync(feed, tmp_path)
    with pytest.raises(NetworkError, match=why):
        StaticResult(feed, "video")
    with pytest.raises(NetworkError, match=why):
        fetch_media(three_hops)

    async def size() -> tuple[int, int]:
        async with httpx.AsyncClient() as http:
            return await url_image_size(three_hops, http)

    with pytest.raises(ImageSizeUnknown, match=why):
        asyncio.run(size())
    assert len(server.paths()) == 4 * 3  # each asked /hop/3, /hop/2 and /hop/1, never /clip.bin

    monkeypatch.setattr(_fetch, "MAX_REDIRECTS", 3)  # now all of them arrive
    assert download_sync(feed, tmp_path).read_bytes() == BODY
    assert StaticResult(feed, "video").media == BODY
    assert fetch_media(three_hops).data == BODY
    server.requests.clear()

    async def png_size() -> tuple[int, int]:
        async with httpx.AsyncClient() as http:
            return await url_image_size(f"{server.base_url}/picture.png", http)

    assert asyncio.run(png_size()) == (64, 40)


MEDIA_MODULES = ("_video", "_static", "_media", "_images", "_keep", "_kept", "_feed_media")
"""Everything that reads media besides `_fetch` itself."""


def test_nothing_else_in_the_media_modules_speaks_http() -> None:
    """No HTTP client, request or socket of their own: limits, redirects and proxies stay in `_fetch`."""
    package = Path(_fetch.__file__).parent
    speaking = ("AsyncClient", "httpx.Client", "ClientSession", "urlopen", "create_connection")
    for name in MEDIA_MODULES:
        tree = ast.parse((package / f"{name}.py").read_text("utf-8"))
        calls = [ast.unparse(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)]
        assert "fetch_async" in calls or "fetch_sync" in calls or name in ("_keep", "_kept", "_feed_media")
        assert not [c for c in calls if c.endswith(speaking) or c.endswith((".send", ".stream"))], name
