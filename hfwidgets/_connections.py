"""A Client's connections: the transport chosen, and its clients and sessions per event loop.

One Client serves several event loops (a Jupyter kernel's loop and the blocking
facade's private loop thread): its connections are made lazily per running loop.
Each loop gets a sender for reads and one for billable POSTs (`_transport.Sender`):

- httpx (the default): reads on a pooled `httpx.AsyncClient`; billable POSTs on a
  client of their own that keeps no idle connection, so a POST never goes out on a
  pooled connection the server may be closing at that instant (its idle timeout),
  which would fail it after sending it and make the submission uncertain;
- aiohttp (`pip install "hfwidgets[aiohttp]"`, `transport="aiohttp"` or
  `HFWIDGETS_TRANSPORT=aiohttp`): billable POSTs through `httpx-aiohttp`, reads on an
  aiohttp session of their own (`_aiohttp`), unless a proxy is configured (httpx is
  what reads proxy settings);
- a transport object (`httpx.MockTransport` in tests): everything through it.

At most `MAX_IN_FLIGHT` connections per loop (the `Throttle` keeps as many requests
on the wire), each kept idle `KEEPALIVE_EXPIRY` seconds. Proxies come from the
environment as httpx reads them; an unusable setting is a ValidationError naming
the variable, raised on the first request (`_proxies`, as for the media fetch).
After a fork the child makes its own (`after_fork`): the parent's are kept
referenced, never used nor closed.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import httpx

from ._errors import ValidationError
from ._extras import require
from ._http import MAX_IN_FLIGHT
from ._proxies import check_proxy_environment, proxy_configured, proxy_refused
from ._transport import HTTPX_EVENT_HOOKS, HttpxSender, Sender

__all__ = ["KEEPALIVE_EXPIRY", "TRANSPORTS", "TRANSPORT_ENV", "Connections", "short_reason"]

KEEPALIVE_EXPIRY = 2.0
"""Seconds an idle pooled connection is kept for reuse."""
TRANSPORT_ENV = "HFWIDGETS_TRANSPORT"
"""Environment variable choosing the default transport: "httpx" (default) or "aiohttp"."""
TRANSPORTS = ("httpx", "aiohttp")


@dataclass
class _LoopConnections:
    """One event loop's connections: the httpx client, its senders, and what closes them."""

    http: httpx.AsyncClient
    writer: Sender
    reads: Sender
    closers: list[Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=list)


class Connections:
    """The transport of a Client (`name`: "httpx", "aiohttp" or the transport object's class)
    and its connections on each event loop, made on first use there."""

    def __init__(self, transport: httpx.AsyncBaseTransport | str | None, *, timeout: float) -> None:
        self.custom, self.name = _choose_transport(transport)
        self.timeout = timeout
        self._by_loop: dict[tuple[asyncio.AbstractEventLoop, bool], _LoopConnections] = {}
        self._lock = threading.Lock()
        self._inherited: list[object] = []

    def __repr__(self) -> str:
        return f"Connections({self.name!r}, loops={len({loop for loop, _ in self._by_loop})})"

    def http(self, *, billable: bool = False) -> httpx.AsyncClient:
        """The httpx client of the running event loop (the one billable POSTs use, with `billable`)."""
        return self._of_loop(billable=billable).http

    def writer(self) -> Sender:
        """Where the running loop's billable POSTs go."""
        return self._of_loop(billable=True).writer

    def reads(self) -> Sender:
        """Where the running loop's API reads go."""
        return self._of_loop(billable=False).reads

    def _of_loop(self, *, billable: bool) -> _LoopConnections:
        # Only httpx's own transport gets a client apart for billable POSTs (see the module's doc).
        key = (asyncio.get_running_loop(), billable and self.custom is None and self.name == "httpx")
        connections = self._by_loop.get(key)
        if connections is not None and not connections.http.is_closed:
            return connections
        with self._lock:
            for stale in [known for known in self._by_loop if known[0].is_closed()]:
                del self._by_loop[stale]
            connections = self._by_loop.get(key)
            if connections is None or connections.http.is_closed:
                connections = self._by_loop[key] = self._new(fresh_connections=key[1])
            return connections

    def _new(self, *, fresh_connections: bool) -> _LoopConnections:
        # No default headers: the key is added per request, and only for the base URL.
        limits = httpx.Limits(
            max_connections=MAX_IN_FLIGHT,
            max_keepalive_connections=0 if fresh_connections else MAX_IN_FLIGHT,
            # Below the 5 s idle timeout common servers use, so a pooled connection is rarely
            # reused just as the server closes it.
            keepalive_expiry=KEEPALIVE_EXPIRY,
        )
        options: dict[str, Any] = {
            "timeout": self.timeout,
            "follow_redirects": False,
            "event_hooks": HTTPX_EVENT_HOOKS,  # tells a submission when its request leaves
            "limits": limits,
        }
        if self.custom is not None:
            return _on_httpx(httpx.AsyncClient(transport=self.custom, **options))
        check_proxy_environment(self.name)
        try:
            if self.name == "aiohttp":
                return self._new_aiohttp(options)
            return _on_httpx(httpx.AsyncClient(**options))
        except (ImportError, ValueError) as exc:  # a proxy setting httpx cannot use after all
            raise proxy_refused(exc) from None

    def _new_aiohttp(self, options: dict[str, Any]) -> _LoopConnections:
        """httpx's API on aiohttp (billable POSTs, and everything when a proxy is configured),
        and an aiohttp session of its own for reads."""
        from ._aiohttp import AiohttpReads, new_session, writer  # aiohttp: only on its transport

        http, sender = writer(options)
        if proxy_configured():
            return _LoopConnections(http, sender, sender, [http.aclose])
        reads = AiohttpReads(
            new_session(limit=MAX_IN_FLIGHT, keepalive=KEEPALIVE_EXPIRY, timeout=self.timeout)
        )
        return _LoopConnections(http, sender, reads, [http.aclose, reads.aclose])

    async def aclose(self) -> None:
        """Close the connections of the running loop, and of other loops that are still running."""
        current = asyncio.get_running_loop()
        with self._lock:
            by_loop = list(self._by_loop.items())
            self._by_loop.clear()
        for (loop, _), connections in by_loop:
            for close in connections.closers:
                if loop is current:
                    await close()
                elif loop.is_running():
                    asyncio.run_coroutine_threadsafe(close(), loop)

    def after_fork(self) -> None:
        """In a forked child: the parent's connections stay the parent's (their sockets are)."""
        self._inherited.append(self._by_loop)
        self._by_loop = {}
        self._lock = threading.Lock()


def _on_httpx(http: httpx.AsyncClient) -> _LoopConnections:
    sender = HttpxSender(http)
    return _LoopConnections(http, sender, sender, [http.aclose])


def _choose_transport(
    transport: httpx.AsyncBaseTransport | str | None,
) -> tuple[httpx.AsyncBaseTransport | None, str]:
    """(a transport object, or None to build one) and the transport's name."""
    if isinstance(transport, httpx.AsyncBaseTransport):
        return transport, type(transport).__name__
    choice = transport if transport is not None else (os.environ.get(TRANSPORT_ENV) or "httpx")
    field = "transport" if transport is not None else TRANSPORT_ENV
    if choice not in TRANSPORTS:
        raise ValidationError(field, choice, '"httpx", "aiohttp" or an httpx.AsyncBaseTransport')
    if choice == "aiohttp":
        require("aiohttp", 'Client(transport="aiohttp")')
    return None, choice


def short_reason(exc: BaseException) -> str:
    """An exception in at most 160 characters, for a log line or a hint."""
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."
