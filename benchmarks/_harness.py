"""What the client-side benchmarks share: an httpx transport that counts and times requests."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import httpx

__all__ = ["CountingTransport"]


class CountingTransport(httpx.AsyncHTTPTransport):
    """An ordinary transport that also counts requests per (method, endpoint) and feed reads per task.

    Given to `Client(transport=...)`, it counts exactly what one client sends,
    even when several clients share one emulator.
    """

    def __init__(self, **kwargs: Any) -> None:
        from hfwidgets._connections import KEEPALIVE_EXPIRY
        from hfwidgets._http import MAX_IN_FLIGHT

        # The client's own pool: as many connections as requests in flight, expiring before the
        # emulator's 5 s idle timeout. (Unlike the client's own transport, billable POSTs share it.)
        limits = httpx.Limits(
            max_connections=MAX_IN_FLIGHT,
            max_keepalive_connections=MAX_IN_FLIGHT,
            keepalive_expiry=KEEPALIVE_EXPIRY,
        )
        kwargs.setdefault("limits", limits)
        super().__init__(**kwargs)
        self.by_endpoint: Counter[str] = Counter()
        self.feed_reads: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.sent_at: list[float] = []
        """time.monotonic() of every request, in order."""
        self.latencies: list[float] = []
        """Seconds from sending each request to its response headers."""
        self.answered: list[tuple[float, int]] = []
        """(time.monotonic(), status) of every answer, in order."""
        self._lock = threading.Lock()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        parts = path.strip("/").split("/")
        endpoint = "/".join(parts[:2]) if parts[:1] == ["higgsfield"] else (parts[0] if parts else "")
        with self._lock:
            self.by_endpoint[f"{request.method} {endpoint}"] += 1
            if endpoint == "higgsfield/feed" and len(parts) >= 3:
                self.feed_reads[parts[2]] += 1
        started = time.perf_counter()
        self.sent_at.append(time.monotonic())
        response = await super().handle_async_request(request)
        with self._lock:
            self.latencies.append(time.perf_counter() - started)
            self.statuses[response.status_code] += 1
            self.answered.append((time.monotonic(), response.status_code))
        return response

    def peak_rate(self, window: float = 1.0) -> int:
        """The most requests sent within any `window` seconds (bursts show synchronized polls)."""
        times, best, first = self.sent_at, 0, 0
        for last, moment in enumerate(times):
            while moment - times[first] > window:
                first += 1
            best = max(best, last - first + 1)
        return best

    @property
    def total(self) -> int:
        """Every request sent through this transport."""
        return sum(self.by_endpoint.values())

    def __repr__(self) -> str:
        return f"CountingTransport({dict(self.by_endpoint)})"
