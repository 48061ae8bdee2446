"""The blocking facade: `hfwidgets.run(...)` and `hfwidgets.resume()`.

They work the same in a plain script and inside a Jupyter cell, where an event
loop is already running in the caller's thread. Nothing global is patched: the
coroutines run on a private event loop in a daemon thread
(`asyncio.run_coroutine_threadsafe`; a forked child starts its own), and the
caller's thread waits on the future while it refreshes a tqdm progress bar
(`tqdm.auto`: a widget in Jupyter, text in a terminal): for `run()` a bar of seconds
against the core's estimate (`Client.estimate`), with "about N s left" or "taking
longer than usual". Ctrl-C (KeyboardInterrupt) stops waiting and says which task
continues on the server.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ._client import Submission
from ._default_client import default_client
from ._errors import BlockingCallError
from ._options import GenerateOptions, Unpack, spell_out_options
from ._requests import GenerateRequest
from ._session import nothing_to_resume

if TYPE_CHECKING:
    from ._client import Client
    from ._eta import Estimate
    from ._models import Feed, Motion

__all__ = ["resume", "run"]

logger = logging.getLogger("hfwidgets")

T = TypeVar("T")

_REFRESH_SECONDS = 0.25
_SETTLE_SECONDS = 5.0
"""After Ctrl-C, how long to let a submission being sent book its outcome before saying what it was."""


class _LoopThread:
    """One event loop running forever in a daemon thread, started on first use.

    A fork copies the loop but not its thread: the child forgets the parent's loop
    (`os.register_at_fork`) and starts its own on first use, instead of waiting forever
    on a loop nothing runs.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        """In a forked child: the parent's loop thread did not come along (nor may its lock be free)."""
        self._lock = threading.Lock()
        self._loop = None

    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._loop.is_closed():
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="hfwidgets-loop", daemon=True)
                thread.start()
                self._loop = loop
            return self._loop

    def __repr__(self) -> str:
        return f"_LoopThread(started={self._loop is not None})"


_runner = _LoopThread()


@dataclass
class _Progress:
    """What the caller's thread shows; written by the loop thread (plain attribute writes)."""

    task_id: str | None = None
    status: str = "submitting"
    finished: int = 0
    total: int | None = None
    submission: Submission | None = None
    """The billable POST of `run()`, filled in by the client (None for `resume()`)."""
    picked_up_by: str = "hfwidgets.resume()"
    """The call that takes over what Ctrl-C stopped waiting for."""
    label: str = "hfwidgets"
    """What the progress line starts with: the motion and model of `run()`, or "hfwidgets resume"."""
    estimate: Estimate | None = None
    """How long the task of `run()` usually takes (`Client.estimate`), once submitted."""
    submitted: float | None = None
    """When it was submitted (`time.time()`)."""

    def elapsed(self) -> float:
        return max(0.0, time.time() - self.submitted) if self.submitted is not None else 0.0

    def describe(self) -> str:
        where = f"task {self.task_id} " if self.task_id else ""
        counts = f" ({self.finished}/{self.total} finished)" if self.total is not None else ""
        eta = ""
        if self.estimate is not None and self.status in ("queued", "in_progress"):
            eta = f" · {self.estimate.describe(self.elapsed())}"
        return f"{where}{self.status}{counts}{eta}"


@spell_out_options
def run(
    image: Any,
    motion: Motion | str | None = None,
    prompt: str = "",
    *,
    client: Client | None = None,
    timeout: float = 600,
    progress: bool = True,
    **options: Unpack[GenerateOptions],
) -> Feed:
    """Submit an image-to-video task and wait for its video; blocking. Returns the final Feed.

    Takes a `GenerateRequest`, or the arguments of one (as `Client.generate`).
    Without `client`, uses the process's default client (the real service when
    OPENAI_HK_API_KEY is set, else the local emulator), the one the widgets built
    without a client share: one pace, one ledger, one budget. Raises like
    `Client.generate`/`Client.wait` (ValidationError, TaskFailed, TaskTimeout...).
    """
    request = GenerateRequest.from_args(image, motion, prompt, **options)
    chosen = client if client is not None else default_client()
    state = _Progress(submission=Submission(), picked_up_by=_picked_up_by(chosen, client is None))

    async def submit_and_wait() -> Feed:
        assert state.submission is not None
        task = await chosen.generate(request, submission=state.submission)
        state.estimate = chosen.estimate(request.model)
        state.submitted = task.created_at.timestamp()
        state.task_id, state.status = task.id, "queued"

        def note(feed: Feed) -> None:
            state.status = feed.status

        feed = await chosen.wait(task, timeout=timeout, on_update=note)
        state.status = "keeping the video"
        await chosen.wait_kept()  # the copy exists before a script can exit
        return feed

    label = f"hfwidgets {request.motion.name} ({request.model})"
    return _block_on(submit_and_wait(), state, label=label, progress=progress)


def resume(*, client: Client | None = None, timeout: float = 600, progress: bool = True) -> list[Feed]:
    """Wait for every unfinished task in the journal (this base URL); blocking. One Feed per task.

    Without `client`, and with nothing unfinished for the embedded emulator, returns [] at once:
    no emulator is started and nothing is printed.
    """
    if client is None and nothing_to_resume():
        return []
    chosen = client if client is not None else default_client()
    state = _Progress(status="resuming", picked_up_by=_picked_up_by(chosen, client is None))

    async def wait_all() -> list[Feed]:
        journal = chosen.journal
        state.total = len(journal.pending(chosen.base_url)) if journal is not None else 0
        seen: set[str] = set()

        def note(feed: Feed) -> None:
            if feed.done and feed.id not in seen:
                seen.add(feed.id)
                state.finished = len(seen)

        feeds = await chosen.resume(timeout=timeout, on_update=note)
        await chosen.wait_kept()  # the copies exist before a script can exit
        return feeds

    return _block_on(wait_all(), state, label="hfwidgets resume", progress=progress)


def _block_on(coro: Coroutine[Any, Any, T], state: _Progress, *, label: str, progress: bool) -> T:
    """Run `coro` on the private loop; wait for it here, refreshing a progress bar when asked."""
    state.label = label
    return _block_on_with_bar(coro, state, _make_bar(label) if progress else None)


def _block_on_with_bar(coro: Coroutine[Any, Any, T], state: _Progress, bar: Any) -> T:
    """Run `coro` on the private loop and wait for it in this thread; Ctrl-C cancels the wait."""
    loop = _runner.loop()
    if threading.current_thread().name == "hfwidgets-loop":
        coro.close()
        if bar is not None:
            bar.close()
        raise BlockingCallError()
    future = asyncio.run_coroutine_threadsafe(coro, loop)
    started = time.monotonic()
    try:
        while True:
            try:
                result = future.result(timeout=_REFRESH_SECONDS)
            except concurrent.futures.TimeoutError:
                if bar is not None:
                    _show(bar, state)
                    bar.refresh()
                continue
            if bar is not None:
                state.status = "done"
                _show(bar, state)
                bar.n = bar.total  # the end: a full bar
                bar.refresh()
            return result
    except KeyboardInterrupt:
        future.cancel()
        message = _interrupted(state, time.monotonic() - started)
        logger.warning(message)
        raise KeyboardInterrupt(message) from None
    finally:
        if bar is not None:
            bar.close()


def _picked_up_by(client: Client, owned: bool) -> str:
    """The call that picks up a task of `client` later, in this process or another."""
    if owned:  # the default client: the same service (or the same home's emulator) everywhere
        return "hfwidgets.resume()"
    return f"hfwidgets.resume(client=...) with a client on {client.base_url}"


def _interrupted(state: _Progress, elapsed: float) -> str:
    """What Ctrl-C stopped, as the client booked it: the message must be true."""
    submission = state.submission
    if submission is not None and submission.phase == "sending":
        submission.settled.wait(_SETTLE_SECONDS)  # the cancelled coroutine books its outcome first
    task_id = state.task_id or (submission.task_id if submission is not None else None)
    if task_id:
        return (
            f"stopped waiting after {elapsed:.0f} s; task {task_id} continues on the server and is in the "
            f"journal: {state.picked_up_by} picks it up"
        )
    if submission is None:  # resume()
        return (
            f"stopped waiting after {elapsed:.0f} s; the unfinished tasks continue on the server and stay in "
            f"the journal: {state.picked_up_by} waits for them again"
        )
    if submission.phase in ("preparing", "not sent"):
        return "stopped before the submission was sent: nothing was charged"
    journalled = (
        f"it is journalled as {submission.journal_id} (see hfwidgets.history())"
        if submission.journal_id and not submission.journal_problem
        else f"it could not be journalled ({submission.journal_problem or 'journal off'})"
    )
    if submission.phase == "uncertain":
        return (
            f"stopped after the submission was sent, before the service answered: the task may exist and "
            f"may have been charged ({submission.cost} points counted as uncertain); {journalled}, status "
            f"'uncertain'. It was "
            "NOT resubmitted: check the provider's dashboard before trying again"
        )
    return (  # still sending after the grace period
        "stopped while the submission was being sent: the task may exist and may have been charged; "
        f"{journalled}. It was NOT resubmitted: check the provider's dashboard before trying again"
    )


def _make_bar(label: str) -> Any:
    from tqdm.auto import tqdm

    # The state goes in the description: tqdm puts ", " before a postfix. The bar counts seconds:
    # its total becomes the estimated duration once the task is submitted.
    return tqdm(total=1, desc=label, bar_format="{desc} {percentage:3.0f}%|{bar:20}| [{elapsed}]", leave=True)


def _show(bar: Any, state: _Progress) -> None:
    """The bar's line: "hfwidgets Face Punch (lite): task 3f2a… in_progress · about 12 s left",
    and with an estimate a bar of seconds against it (corrected as time passes)."""
    if state.estimate is not None and state.status in ("queued", "in_progress"):
        elapsed = state.elapsed()
        bar.total = max(1, round(state.estimate.total(elapsed)))
        bar.n = min(round(elapsed), bar.total)
    bar.set_description_str(f"{state.label}: {state.describe()}", refresh=False)
