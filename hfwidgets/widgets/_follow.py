"""Waiting for a task inside a widget: feed updates, elapsed time and a progress estimate.

The estimate comes from the window the client's `PollPolicy` expects tasks of
this model to finish in (its priors, or the durations the journal observed).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from .._errors import TaskFailed
from .._models import Feed, Task
from ._result_view import ResultView

if TYPE_CHECKING:
    from .._client import Client

__all__ = ["TICK_SECONDS", "WAIT_TIMEOUT", "expected_window", "follow", "progress_text"]

TICK_SECONDS = 0.5
"""How often the elapsed time and progress estimate are refreshed while waiting."""
WAIT_TIMEOUT = 600.0
"""Seconds a widget waits for one task before saying it is still running."""


def expected_window(client: Client, kind: str) -> tuple[float, float]:
    """When tasks of `kind` (a model or "ads") usually finish, in seconds after submission."""
    journal = client.journal
    try:
        history = journal.durations(kind, client.base_url) if journal is not None else []
    except Exception:  # the estimate is a nicety: a journal problem must not stop the wait
        history = []
    return client.poll.window(kind, history)


def progress_text(label: str, status: str, elapsed: float, window: tuple[float, float]) -> str:
    """The progress line, e.g. "#1 in progress · 12 s elapsed · ~30% (usually 20–60 s)"."""
    low, high = window
    expected = (low + high) / 2
    percent = min(99, int(100 * elapsed / expected)) if expected > 0 else 0
    return (
        f"{label} {status.replace('_', ' ')} · {elapsed:.0f} s elapsed · "
        f"~{percent}% (usually {low:.0f}–{high:.0f} s)"
    )


async def follow(
    client: Client,
    task: Task,
    view: ResultView,
    *,
    label: str,
    on_status: Callable[[str], None] | None = None,
    on_feed: Callable[[Feed], None] | None = None,
    timeout: float = WAIT_TIMEOUT,
) -> Feed:
    """Wait for `task`, showing each feed in `view` and the progress in `view.status_text`
    (and through `on_status`). A failed task's feed is shown before TaskFailed propagates."""
    kind = "ads" if task.kind == "ads" else task.model or "lite"
    window = expected_window(client, kind)
    started = time.monotonic()
    status = "queued"

    def tick() -> None:
        text = progress_text(label, status, time.monotonic() - started, window)
        view.status_text = text
        if on_status is not None:
            on_status(text)

    def on_update(feed: Feed) -> None:
        nonlocal status
        status = feed.status
        view.feed = feed
        if on_feed is not None:
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
    except TaskFailed as failure:
        view.feed = failure.feed
        raise
    finally:
        ticking.cancel()
    view.feed = feed
    return feed
