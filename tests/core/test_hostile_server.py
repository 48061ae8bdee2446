"""Broken and hostile answers from a real local server, on both transports.

A small scripted HTTP server (raw asyncio TCP on 127.0.0.1) answers each request
with bytes no well-behaved service would send. Every row asserts the typed
outcome, how many billable POSTs reached the server, and that the key is
nowhere in the error, its cause/context chain or their attributes.
"""

from __future__ import annotations

import asyncio
import gzip
import importlib.util
import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import pytest
from PIL import Image

from hfwidgets import (
    APIError,
    Client,
    MalformedResponse,
    NetworkError,
    RateLimited,
    SubmissionUncertain,
    ValidationError,
)

pytestmark = [pytest.mark.usefixtures("both_transports"), pytest.mark.timeout(60)]

KEY = "hk-HOSTILE-0f1e2d3c4b5a69788796a5b4c3d2e1f0"
Answer = Callable[[asyncio.StreamWriter], Awaitable[None]]


def raw(head: str, body: bytes = b"") -> Answer:
    """Answer `head` (status line and headers, without the blank line) then `body`, and close.
    An empty `head` closes without answering."""

    async def answer(writer: asyncio.StreamWriter) -> None:
        if head:
            writer.write(head.replace("\n", "\r\n").encode() + b"\r\n\r\n" + body)
            await writer.drain()

    return answer


def json_200(body: bytes, *headers: str) -> Answer:
    extra = "".join(f"\n{header}" for header in headers)
    return raw(f"HTTP/1.1 200 OK\nContent-Type: application/json\nContent-Length: {len(body)}{extra}", body)


TRUNCATED = raw(
    "HTTP/1.1 200 OK\nContent-Type: application/json\nContent-Length: 200",
    b'{"id": "3f6c1e2a-9b7d-4c1e',
)


@dataclass
class ScriptedServer:
    """Reads each request whole, records its request line, answers with `answer`, closes."""

    answer: Answer
    requests: list[str] = field(default_factory=list)
    heads: list[str] = field(default_factory=list)
    """Each request's head (request line and headers), lower-cased."""
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def posts(self) -> int:
        return sum(line.startswith("POST ") for line in self.requests)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            self.requests.append(lines[0])
            self.heads.append(head.decode("latin-1").lower())
            length = next(
                (int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:")),
                0,
            )
            await reader.readexactly(length)
            await self.answer(writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def scripted() -> AsyncIterator[Callable[[Answer], Awaitable[ScriptedServer]]]:
    servers: list[asyncio.Server] = []

    async def start(answer: Answer) -> ScriptedServer:
        script = ScriptedServer(answer)
        server = await asyncio.start_server(script.handle, "127.0.0.1", 0)
        script.port = server.sockets[0].getsockname()[1]
        servers.append(server)
        return script

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 96), (200, 80, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def assert_key_nowhere(error: BaseException) -> None:
    """Walk the error, its __cause__/__context__ chain and every attribute of each."""
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        assert not isinstance(current, httpx.HTTPError), f"raw httpx error in the chain: {current!r}"
        texts = [str(current), repr(current)]
        for value in vars(current).values():
            texts.append(repr(value))
            if isinstance(value, (httpx.Request, httpx.Response)):
                texts.append(repr(dict(value.headers)))
        assert not any(KEY in text for text in texts), f"the key is carried by {current!r}"
        current = current.__cause__ or current.__context__


async def generate(client: Client) -> None:
    await client.generate(png(), "Face Punch", "a cat", seed=1, width=64, height=96)


async def slow_loris(writer: asyncio.StreamWriter) -> None:
    """The right answer, one byte every 0.2 s: never idle long enough for a read timeout."""
    body = b'{"id": "t-1", "status": "queued"}'
    writer.write(f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode())
    for index in range(len(body)):
        writer.write(body[index : index + 1])
        await writer.drain()
        await asyncio.sleep(0.2)


# Answers to a billable POST that may have created (and charged) a task: always uncertain, sent once.
AFTER_SENDING = {
    "gzip lie": json_200(b'{"id": "t-1"}', "Content-Encoding: gzip"),
    "truncated body": TRUNCATED,
    "invalid UTF-8": json_200(b'{"id": "\xff\xfe\xfd"}'),
    "invalid JSON": json_200(b'{"id": "t-1",'),
    "deeply nested JSON": json_200(b"[" * 100_000),
    "200 without an id": json_200(b'{"status": "queued"}'),
    "non-string id": json_200(b'{"id": 12345}'),
    "empty id": json_200(b'{"id": "  "}'),
    "HTML 200": raw("HTTP/1.1 200 OK\nContent-Type: text/html\nContent-Length: 13", b"<html></html>"),
    "connection closed without an answer": raw("", b""),
    "slow-loris answer": slow_loris,  # cut off by the overall deadline of a request
}


@pytest.mark.parametrize("name", list(AFTER_SENDING))
async def test_a_billable_post_answered_badly_is_uncertain_and_sent_once(
    name: str, scripted: Callable[[Answer], Awaitable[ScriptedServer]]
) -> None:
    server = await scripted(AFTER_SENDING[name])
    client = Client(
        api_key=KEY, base_url=server.base_url, journal=False, timeout=0.3 if "slow" in name else 5
    )
    try:
        with pytest.raises(SubmissionUncertain) as caught:
            await generate(client)
    finally:
        await client.aclose()
    assert server.posts() == 1
    assert client.uncertain == 5 and client.spent == 0
    assert "NOT resubmitted" in str(caught.value)
    assert_key_nowhere(caught.value)


READ_ANSWERS = {
    "gzip lie": json_200(b'{"id": "t-1"}', "Content-Encoding: gzip"),
    "invalid UTF-8": json_200(b'{"id": "\xff\xfe\xfd"}'),
    "deeply nested JSON": json_200(b"[" * 100_000),
    "invalid JSON": json_200(b'{"id": '),
}


@pytest.mark.parametrize("name", list(READ_ANSWERS))
async def test_a_read_answered_badly_is_malformed_and_names_the_task(
    name: str, scripted: Callable[[Answer], Awaitable[ScriptedServer]]
) -> None:
    server = await scripted(READ_ANSWERS[name])
    client = Client(api_key=KEY, base_url=server.base_url, journal=False, timeout=5)
    try:
        with pytest.raises(MalformedResponse) as caught:
            await client.feed("task-42")
    finally:
        await client.aclose()
    assert caught.value.task_id == "task-42" and "task-42" in str(caught.value)
    assert not isinstance(caught.value, SubmissionUncertain)
    assert_key_nowhere(caught.value)


# Reads cut short in transit: a network error, retried (reads are free), then raised naming the task.
CUT_SHORT = {
    "truncated body": TRUNCATED,
    "connection closed without an answer": raw("", b""),
    "slow-loris answer": slow_loris,  # cut off by the overall deadline of a request
}


async def no_sleep(seconds: float) -> None:
    await asyncio.sleep(0)


@pytest.mark.parametrize("name", list(CUT_SHORT))
async def test_a_read_cut_short_is_retried_then_a_network_error_naming_the_task(
    name: str, scripted: Callable[[Answer], Awaitable[ScriptedServer]], both_transports: str
) -> None:
    server = await scripted(CUT_SHORT[name])
    client = Client(
        api_key=KEY,
        base_url=server.base_url,
        journal=False,
        max_retries=2,
        sleep=no_sleep,
        timeout=0.3 if "slow" in name else 5,
    )
    try:
        with pytest.raises(NetworkError, match="network error") as caught:
            await client.feed("task-42")
    finally:
        await client.aclose()
    assert type(caught.value) is NetworkError and caught.value.task_id == "task-42"
    assert caught.value.status is None  # no answer arrived
    # aiohttp itself sends an idempotent request once more when the connection drops before the
    # answer starts (its handling of a pooled connection the server closed), then our retries.
    resent_by_aiohttp = both_transports == "aiohttp" and "closed" in name
    assert server.requests == ["GET /higgsfield/feed/task-42 HTTP/1.1"] * (6 if resent_by_aiohttp else 3)
    assert_key_nowhere(caught.value)


def answer(status: str, content_type: str, body: bytes, *headers: str) -> Answer:
    extra = "".join(f"\n{header}" for header in headers)
    return raw(f"HTTP/1.1 {status}\nContent-Type: {content_type}\nContent-Length: {len(body)}{extra}", body)


NOT_FOUND = json.dumps({"detail": "task not found"}).encode()
PROXY_PAGE = b"<html><head><title>502 Bad Gateway</title></head><body><hr>nginx</body></html>"

# Error answers to a read: (answer, error type, status, words of the message).
ERROR_ANSWERS = {
    "JSON error": (answer("404 Not Found", "application/json", NOT_FOUND), APIError, 404, "task not found"),
    "gzipped JSON error": (
        answer("404 Not Found", "application/json", gzip.compress(NOT_FOUND), "Content-Encoding: gzip"),
        APIError,
        404,
        "task not found",
    ),
    "a proxy's HTML page": (
        answer("502 Bad Gateway", "text/html", PROXY_PAGE),
        APIError,
        502,
        "502 Bad Gateway",
    ),
    "a redirect (never followed)": (
        answer("302 Found", "text/plain", b"", "Location: http://127.0.0.1:9/elsewhere"),
        APIError,
        302,
        "Found",
    ),
    "rate limited": (
        answer("429 Too Many Requests", "text/plain", b"slow down", "Retry-After: 0"),
        RateLimited,
        429,
        "slow down",
    ),
}


@pytest.mark.parametrize("name", list(ERROR_ANSWERS))
async def test_an_error_answer_to_a_read_is_typed_with_status_message_and_task(
    name: str, scripted: Callable[[Answer], Awaitable[ScriptedServer]]
) -> None:
    script, kind, status, words = ERROR_ANSWERS[name]
    server = await scripted(script)
    client = Client(api_key=KEY, base_url=server.base_url, journal=False, max_retries=1, sleep=no_sleep)
    try:
        with pytest.raises(APIError) as caught:
            await client.feed("task-42")
    finally:
        await client.aclose()
    error = caught.value
    assert type(error) is kind and error.status == status and error.task_id == "task-42"
    assert words in str(error)
    assert len(server.requests) == (2 if status >= 429 else 1)  # transient ones once more
    assert_key_nowhere(error)


FEED = json.dumps(
    {"id": "task-42", "status": "completed", "jobs": [{"id": "j", "status": "completed"}]}
).encode()
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


@pytest.mark.parametrize("proxy", [False, True], ids=["no proxy", "proxy configured"])
async def test_reads_go_on_aiohttp_itself_unless_a_proxy_is_configured(
    proxy: bool,
    scripted: Callable[[Answer], Awaitable[ScriptedServer]],
    both_transports: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable in PROXY_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    if proxy:  # configured, but not for this host: httpx decides that, so reads go through httpx
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    server = await scripted(json_200(FEED))
    client = Client(api_key=KEY, base_url=server.base_url, journal=False)
    try:
        feed = await client.feed("task-42")
    finally:
        await client.aclose()
    assert feed.id == "task-42" and feed.done
    (head,) = server.heads
    agent = next(line for line in head.split("\r\n") if line.startswith("user-agent:"))
    library = "aiohttp" if both_transports == "aiohttp" and not proxy else "python-httpx"
    assert library in agent
    assert f"authorization: bearer {KEY.lower()}" in head


async def test_a_refused_connection_is_never_uncertain() -> None:
    closed = await asyncio.start_server(lambda reader, writer: None, "127.0.0.1", 0)
    dead_port = closed.sockets[0].getsockname()[1]
    closed.close()
    await closed.wait_closed()  # nothing listens there any more: connections are refused
    client = Client(api_key=KEY, base_url=f"http://127.0.0.1:{dead_port}", journal=False, max_retries=2)
    try:
        with pytest.raises(APIError, match="network error") as caught:
            await generate(client)
    finally:
        await client.aclose()
    assert not isinstance(caught.value, SubmissionUncertain)
    assert client.uncertain == 0 and client.spent == 0
    assert_key_nowhere(caught.value)


async def test_a_refused_connect_through_a_proxy_is_resent_and_never_uncertain(
    scripted: Callable[[Answer], Awaitable[ScriptedServer]], monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = await scripted(raw("HTTP/1.1 403 Forbidden\nContent-Length: 0"))
    monkeypatch.setenv("HTTPS_PROXY", proxy.base_url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    client = Client(api_key=KEY, base_url="https://api.example.test", journal=False, max_retries=2)
    try:
        with pytest.raises(APIError) as caught:
            await generate(client)
    finally:
        await client.aclose()
    # Three attempts (max_retries=2), each stopped at the proxy: nothing reached the service.
    assert proxy.requests == ["CONNECT api.example.test:443 HTTP/1.1"] * 3
    assert not isinstance(caught.value, SubmissionUncertain)
    assert client.uncertain == 0
    assert_key_nowhere(caught.value)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ALL_PROXY", "socks5://user:secret@127.0.0.1:1080"),
        ("HTTP_PROXY", "ftp://user:secret@127.0.0.1:21"),
        ("https_proxy", "gopher://127.0.0.1:70"),
    ],
)
async def test_unusable_proxy_settings_name_the_variable(
    variable: str, value: str, monkeypatch: pytest.MonkeyPatch, both_transports: str
) -> None:
    if value.startswith("socks") and both_transports == "httpx" and importlib.util.find_spec("socksio"):
        pytest.skip("the socks extra is installed here: this proxy setting is usable")
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, value)
    client = Client(api_key=KEY, base_url="http://127.0.0.1:9", journal=False)
    try:
        with pytest.raises(ValidationError) as caught:
            await client.feed("t-1")
    finally:
        await client.aclose()
    assert caught.value.field == variable
    assert "secret" not in str(caught.value)
    assert_key_nowhere(caught.value)
