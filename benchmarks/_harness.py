"""Pieces the client-side benchmarks share: a request-counting transport, a tiny input image,
and the emulator-facing helpers (start it, read when a task completed).
"""

from __future__ import annotations

import io
import threading
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from hfwidgets.emulator import EmulatorServer

__all__ = ["CountingTransport", "completed_at", "small_jpeg", "task_state"]


class CountingTransport(httpx.AsyncHTTPTransport):
    """An ordinary transport that also counts requests per (method, endpoint) and feed reads per task.

    Given to `Client(transport=...)`, it counts exactly what one client sends,
    even when several clients share one emulator.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.by_endpoint: Counter[str] = Counter()
        self.feed_reads: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.sent_at: list[float] = []
        """time.monotonic() of every request, in order."""
        self.latencies: list[float] = []
        """Seconds from sending each request to its response headers."""
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


def small_jpeg(size: tuple[int, int] = (368, 656)) -> bytes:
    """A small generated JPEG: cheap to prepare, so benchmarks measure waiting, not encoding."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, (40, 90, 160))
    draw = ImageDraw.Draw(image)
    draw.ellipse((size[0] // 4, size[1] // 4, 3 * size[0] // 4, size[1] // 2), fill=(230, 200, 120))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def task_state(server: EmulatorServer, task_id: str) -> Any:
    """The emulator's record of a task (whatever shape it has), or None."""
    tasks: Any = server.tasks
    try:
        return tasks[task_id]
    except (KeyError, IndexError, TypeError):
        return None


def completed_at(server: EmulatorServer, task_id: str) -> float | None:
    """Wall time (time.time()) at which the emulator marked the task completed, if it has."""
    state = task_state(server, task_id)
    if state is None:
        return None
    value = state.get("completed_at") if isinstance(state, dict) else getattr(state, "completed_at", None)
    return float(value) if isinstance(value, (int, float)) else None


def created_at(server: EmulatorServer, task_id: str) -> float | None:
    """Wall time at which the emulator accepted the task, if it records it."""
    state = task_state(server, task_id)
    if state is None:
        return None
    for name in ("created_at", "submitted_at", "accepted_at"):
        value = state.get(name) if isinstance(state, dict) else getattr(state, name, None)
        if isinstance(value, (int, float)):
            return float(value)
    return None
