"""A real HTTP server on 127.0.0.1 standing in for a CDN or an image host (the media tests).

A subclass says what each GET gets (`respond`); the server records every request's
path and headers, and `release` ends the answers a test holds open (set on `close`).
"""

from __future__ import annotations

import contextlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class LocalServer:
    """Serves on a free port of 127.0.0.1 until `close`; `base_url` is its address."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                server.respond(self, self.path.split("?")[0])

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def respond(self, handler: BaseHTTPRequestHandler, path: str) -> None:
        """Answer one GET of `path` (its query string left out) through `handler`."""
        answer(handler, 404, {}, b"not found")

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]


def answer(handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes) -> None:
    """A whole answer with its length; a reader hanging up once it has what it needs is expected."""
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        handler.wfile.write(body)


def stall(
    server: LocalServer, handler: BaseHTTPRequestHandler, content_type: str, head: bytes, length: int
) -> None:
    """Announce `length` bytes, send `head`, then hold the connection until `server.release`."""
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(length))
    handler.end_headers()
    handler.wfile.write(head)
    handler.wfile.flush()
    server.release.wait(30)
