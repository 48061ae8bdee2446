"""The one path from a widget's button to its results, shared by Studio, Explorer and AdsPanel.

`SubmittingWidget.start_submission`: the double-click guard, the view's refused values,
validation, the budget check, then the work in a task on the kernel's loop (errors shown in the
widget, `busy` set while it runs). `SubmittingWidget.send_and_follow`: one task from its POST to
its result: send it, redraw the cost line and the notice, then wait for it (`_follow.follow`),
its feeds, progress line and announcements going where the widget shows them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import traitlets

from .._models import Feed, Task
from ._base import WidgetBase, start_task
from ._follow import follow
from ._status import Busy

__all__ = ["SubmittingWidget"]

R = TypeVar("R")
T = TypeVar("T")


class SubmittingWidget(WidgetBase):
    """A widget whose button sends billable tasks (Studio, AdsPanel, Explorer): the one path from a
    click to running submissions, with its double-click guard, budget check and error line."""

    busy = traitlets.Enum(list(Busy), Busy.IDLE).tag(sync=True)
    """What the button is doing (`Busy`): "" when idle, "submitting" or "waiting" while a Studio's or
    an AdsPanel's submission runs; "running", then "done" for the Explorer's one run."""

    _submitting = False
    """The double-click guard: set before anything can yield, cleared when the submission ends."""
    _submission: asyncio.Task[Any] | None = None

    def __init__(self, **kwargs: Any) -> None:
        self.refusal: Exception | None = None
        """Why the last press sent nothing (shown in the widget too); None once a submission starts."""
        self.waiting_stopped = False
        """True once `stop_waiting` cancelled a wait: it was asked for, not the widget's end."""
        self._following: set[asyncio.Task[Feed]] = set()
        super().__init__(**kwargs)

    def start_submission(
        self,
        validate: Callable[[], R],
        price: Callable[[R], int],
        run: Callable[[R], Coroutine[Any, Any, T]],
        *,
        name: str,
        on_error: Callable[[BaseException], None] | None = None,
        busy: Busy = Busy.SUBMITTING,
        ended: Busy = Busy.IDLE,
    ) -> asyncio.Task[T] | None:
        """Validate, check the budget, then `run` the request in a task; None when nothing was sent
        (a submission already running, or an error, shown in the widget and kept in `refusal`).
        `busy` is shown while it runs, `ended` once it ends."""
        if self._submitting:
            return None  # a second click while the first is in flight never submits twice
        self._submitting = True
        self.errors.clear()
        try:
            self.raise_view_refusal()
            request = validate()
            self.client.check_budget(price(request))
            task = start_task(self._guarded(run, request, ended), self.errors, name=name, on_error=on_error)
        except Exception as error:
            self._submitting = False
            self.refusal = error
            self.errors.show(error)
            self._refresh_cost()
            return None
        self.refusal = None
        self._submission = task
        self.busy = busy
        return task

    async def _guarded(self, run: Callable[[R], Coroutine[Any, Any, T]], request: R, ended: Busy) -> T:
        try:
            return await run(request)
        finally:
            self._submitting = False
            self.busy = ended

    async def send_and_follow(
        self,
        send: Awaitable[Task],
        *,
        label: str,
        on_feed: Callable[[Feed], None],
        on_status: Callable[[str], None],
        on_sent: Callable[[Task], None] | None = None,
        on_announce: Callable[[str], None] | None = None,
        announced: str | None = None,
        on_progress: Callable[[dict[str, Any]], None] | None = None,
    ) -> Feed:
        """Send one task (`send`: the client's generate or ads call) and wait for its result.

        The notice is redrawn whatever happened (the journal may have failed); once the id
        arrives, the cost line and `on_sent(task)` change the view at once (one announcement),
        `busy` says "waiting", and the wait runs in a task of its own, which `stop_waiting`
        cancels. The other callbacks are `follow`'s.
        """
        try:
            task = await send
        finally:
            self.refresh_notice()
        with self.hold_sync():
            self._refresh_cost()
            if on_sent is not None:
                on_sent(task)
        if self.busy == Busy.SUBMITTING:
            self.busy = Busy.WAITING
        waiting = asyncio.get_running_loop().create_task(
            follow(
                self.client,
                task,
                label=label,
                lang=self.lang,
                on_feed=on_feed,
                on_status=on_status,
                on_announce=on_announce,
                announced=announced,
                on_progress=on_progress,
            ),
            name=f"hfwidgets-wait-{task.id}",
        )
        self._following.add(waiting)
        try:
            return await waiting
        finally:
            self._following.discard(waiting)

    def stop_waiting(self) -> bool:
        """Stop waiting for the tasks being followed (they continue on the server); False when none."""
        running = [waiting for waiting in self._following if not waiting.done()]
        self.waiting_stopped = bool(running)
        for waiting in running:
            waiting.cancel()
        return bool(running)

    def _on_ledger(self) -> None:
        # While this widget sends its own task, its cost line is drawn anew with the "submitted"
        # status, in one change of the live region. Without a budget the line holds only what was
        # spent, which that redraw shows; with one, the points held meanwhile are shown at once
        # (what the budget check allows matters more than one announcement fewer).
        if self.busy != Busy.SUBMITTING or self.client.budget is not None:
            super()._on_ledger()

    async def submission_settled(self) -> None:
        """Wait for the running submission (its errors are shown in the widget, not raised)."""
        if self._submission is not None:
            await asyncio.gather(self._submission, return_exceptions=True)
