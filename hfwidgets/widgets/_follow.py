"""Waiting for a task inside a widget: feed updates, elapsed time and a progress estimate.

The estimate comes from the window the client expects tasks of this model to
finish in (`Client.expected_window`: its poll policy's priors, or the durations
the journal observed); an emulator's client has the emulator's own durations as priors.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from .._models import Feed, Task
from ._i18n import tr

if TYPE_CHECKING:
    from .._client import Client

__all__ = ["ANNOUNCE_SECONDS", "TICK_SECONDS", "WAIT_TIMEOUT", "Announcer", "follow", "progress_text"]

TICK_SECONDS = 0.5
"""How often the elapsed time and progress estimate are refreshed while waiting."""
ANNOUNCE_SECONDS = 10.0
"""Least time between two progress announcements of one status in a widget's live region."""
WAIT_TIMEOUT = 600.0
"""Seconds a widget waits for one task before saying it is still running."""


def progress_text(
    label: str,
    status: str,
    elapsed: float,
    window: tuple[float, float],
    *,
    lang: str = "en",
    emulated: bool = False,
) -> str:
    """The progress line, e.g. "#1 in progress · 12 s elapsed · ~30% (usually 20–60 s)"."""
    low, high = window
    expected = (low + high) / 2
    percent = min(99, int(100 * elapsed / expected)) if expected > 0 else 0
    return tr(
        lang,
        "progress_emulated" if emulated else "progress",
        label=label,
        status=tr(lang, f"st_{status}") if f"st_{status}" in _STATUS_KEYS else status,
        elapsed=f"{elapsed:.0f}",
        percent=percent,
        low=f"{low:.0f}",
        high=f"{high:.0f}",
    )


_STATUS_KEYS = {f"st_{s}" for s in ("queued", "in_progress", "completed", "failed", "nsfw", "canceled")}


class Announcer:
    """What a widget's live region (its `status` line, read out by screen readers) is told while
    a task runs: each new status once, and the progress of one status at most every
    `every` seconds. The visible progress line elsewhere keeps every tick."""

    def __init__(
        self,
        say: Callable[[str], None],
        *,
        every: float = ANNOUNCE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        said: str | None = None,
    ) -> None:
        """`said`: a status the caller has announced already (in its own words)."""
        self._say = say
        self._every = every
        self._clock = clock
        self._status = said
        self._said_at = clock() if said is not None else 0.0

    def __call__(self, status: str, text: str) -> None:
        """Pass `text` on when `status` is new or the last announcement is `every` seconds old."""
        now = self._clock()
        if status == self._status and now - self._said_at < self._every:
            return
        self._status = status
        self._said_at = now
        self._say(text)

    def __repr__(self) -> str:
        return f"Announcer(status={self._status!r}, every={self._every:g})"


async def follow(
    client: Client,
    task: Task,
    *,
    label: str,
    lang: str = "en",
    on_feed: Callable[[Feed], None],
    on_status: Callable[[str], None],
    on_announce: Callable[[str], None] | None = None,
    announced: str | None = None,
    timeout: float = WAIT_TIMEOUT,
) -> Feed:
    """Wait for `task`: every feed read goes to `on_feed`, the progress line (twice a second)
    to `on_status`, and the same line, calmly (`Announcer`), to `on_announce` (a live region;
    `announced`: the status the caller has announced already, e.g. "queued" as "submitted").
    A failed task's feed is given to `on_feed` before TaskFailed propagates."""
    kind = "ads" if task.kind == "ads" else task.model or "lite"
    window = client.expected_window(kind)
    emulated = bool(getattr(client, "emulated", False))
    started = time.monotonic()
    status = "queued"
    announce = Announcer(on_announce, said=announced) if on_announce is not None else None

    def tick() -> None:
        text = progress_text(label, status, time.monotonic() - started, window, lang=lang, emulated=emulated)
        on_status(text)
        if announce is not None:
            announce(status, text)

    def on_update(feed: Feed) -> None:
        nonlocal status
        status = feed.status
        on_feed(feed)
        if not feed.done:
            tick()

    async def ticker() -> None:
        while True:
            tick()
            await asyncio.sleep(TICK_SECONDS)

    ticking = asyncio.get_running_loop().create_task(ticker(), name=f"hfwidgets-ticker-{task.id}")
    try:
        feed = await client.wait(task, timeout=timeout, on_update=on_update)
    finally:
        ticking.cancel()
    on_feed(feed)
    return feed
