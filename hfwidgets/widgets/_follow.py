"""Waiting for a task inside a widget: feed updates, elapsed time and a progress estimate.

The estimate is the core's (`Client.estimate`, see `hfwidgets._eta`): the window the
client expects tasks of this model to finish in (its poll policy's priors, or the
durations the journal observed) and the typical duration; an emulator's client has the
emulator's own durations as priors.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .._eta import Estimate
from .._models import Feed, Task
from ._i18n import tr
from ._status import status_label

if TYPE_CHECKING:
    from .._client import Client

__all__ = [
    "ANNOUNCE_SECONDS",
    "TICK_SECONDS",
    "WAIT_TIMEOUT",
    "Announcer",
    "eta_text",
    "finished_bar",
    "follow",
    "progress_bar",
    "progress_text",
    "usually_text",
]

TICK_SECONDS = 0.5
"""How often the elapsed time and progress estimate are refreshed while waiting."""
ANNOUNCE_SECONDS = 10.0
"""Least time between two progress announcements of one status in a widget's live region."""
WAIT_TIMEOUT = 600.0
"""Seconds a widget waits for one task before saying it is still running."""


def eta_text(estimate: Estimate, elapsed: float, *, lang: str = "en") -> str:
    """ "about 12 s left", or "taking longer than usual (usually 20–60 s)" past the window."""
    left = estimate.remaining(elapsed)
    if left is None:
        return tr(lang, "eta_over", usually=usually_text(estimate, lang=lang))
    return tr(lang, "eta_left", n=max(1, round(left)))


def usually_text(estimate: Estimate, *, lang: str = "en") -> str:
    """ "usually 20–60 s": the window tasks of the model finish in here."""
    return tr(lang, "usually", low=f"{estimate.low:.0f}", high=f"{estimate.high:.0f}")


def progress_text(label: str, status: str, elapsed: float, estimate: Estimate, *, lang: str = "en") -> str:
    """The progress line, e.g. "#1 in progress · 12 s elapsed · about 18 s left"."""
    return tr(
        lang,
        "progress_line",
        label=label,
        status=status_label(status, lang),
        elapsed=f"{elapsed:.0f}",
        eta=eta_text(estimate, elapsed, lang=lang),
    )


def progress_bar(estimate: Estimate, elapsed: float, *, lang: str = "en") -> dict[str, Any]:
    """What the view's progress bar shows: {"value", "max", "text"} in whole seconds; the maximum
    is the estimated duration, corrected as time passes (`Estimate.total`)."""
    total = max(estimate.total(elapsed), elapsed + 1.0)
    return {
        "value": round(elapsed),
        "max": max(1, round(total)),
        "text": eta_text(estimate, elapsed, lang=lang),
    }


def finished_bar(bar: Mapping[str, Any], *, lang: str = "en") -> dict[str, Any]:
    """The bar at its maximum once the task has ended."""
    top = max(int(bar.get("max") or 1), int(bar.get("value") or 0))
    return {"value": top, "max": top, "text": tr(lang, "eta_done")}


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
    on_progress: Callable[[dict[str, Any]], None] | None = None,
    timeout: float = WAIT_TIMEOUT,
) -> Feed:
    """Wait for `task`: every feed read goes to `on_feed`, the progress line (twice a second)
    to `on_status`, the same line, calmly (`Announcer`), to `on_announce` (a live region;
    `announced`: the status the caller has announced already, e.g. "queued" as "submitted"),
    and the progress bar's values (`progress_bar`) to `on_progress`. A failed task's feed is
    given to `on_feed` before TaskFailed propagates. Elapsed time counts from the submission,
    as the estimate does."""
    kind = "ads" if task.kind == "ads" else task.model or "lite"
    estimate = client.estimate(kind)
    submitted = task.created_at.timestamp() if task.created_at is not None else time.time()
    status = "queued"
    announce = Announcer(on_announce, said=announced) if on_announce is not None else None

    def tick() -> None:
        elapsed = max(0.0, time.time() - submitted)
        text = progress_text(label, status, elapsed, estimate, lang=lang)
        on_status(text)
        if announce is not None:
            announce(status, text)
        if on_progress is not None:
            on_progress(progress_bar(estimate, elapsed, lang=lang))

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
