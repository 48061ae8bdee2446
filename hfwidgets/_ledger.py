"""A Client's money: the budget and the three tallies it is held against, and who watches them.

`spent` (points the service charged for accepted submissions), `uncertain` (points
of submissions that may have been charged: SubmissionUncertain) and `in_flight`
(points of submissions being sent). One budget rule: `remaining` = budget − spent −
uncertain − in flight; `check_budget` refuses a cost above it, and the widgets' cost
lines and the command line's messages show it. One lock keeps the books whole across
the event loops (threads) of a Client; watchers hear every change.
"""

from __future__ import annotations

import inspect
import logging
import threading
import weakref
from collections.abc import Callable
from typing import Any

from ._errors import BudgetExceeded, ValidationError
from ._models import PRICES

__all__ = ["Ledger", "price"]

logger = logging.getLogger("hfwidgets")

OUTCOMES = ("accepted", "uncertain", "not sent")
"""What became of a submission, as `Ledger.settle` books it."""


def price(model: str) -> int:
    """Points one call costs with `model`: "lite", "turbo", "standard", or "ads" for an ad task."""
    if model not in PRICES:
        raise ValidationError("model", model, f"one of {', '.join(map(repr, PRICES))}")
    return PRICES[model]


class Ledger:
    """The budget (points, or None) and the points spent, uncertain and in flight."""

    def __init__(self, budget: int | None = None) -> None:
        if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int) or budget < 0):
            raise ValidationError("budget", budget, "None or an int >= 0 (points)")
        self.budget = budget
        self.spent = 0
        """Points charged for submissions this client made (accepted by the service)."""
        self.uncertain = 0
        """Points of submissions that may have been charged (SubmissionUncertain); counted in the budget."""
        self.in_flight = 0
        """Points of submissions being sent right now (held against the budget until answered)."""
        self._lock = threading.Lock()
        self._watchers: list[weakref.WeakMethod[Any] | Callable[[], None]] = []

    def __repr__(self) -> str:
        budget = "" if self.budget is None else f", budget={self.budget}"
        return f"Ledger(spent={self.spent}, uncertain={self.uncertain}, in_flight={self.in_flight}{budget})"

    @property
    def remaining(self) -> int | None:
        """Points the budget still allows: budget − spent − uncertain − in flight (None without a budget)."""
        if self.budget is None:
            return None
        return self.budget - self.spent - self.uncertain - self.in_flight

    def check_budget(self, cost: int) -> None:
        """Raise BudgetExceeded when `cost` is more than `remaining`."""
        left = self.remaining
        if self.budget is None or left is None or cost <= left:
            return
        raise BudgetExceeded(
            cost, self.spent, self.budget, uncertain=self.uncertain, in_flight=self.in_flight, left=left
        )

    def hold(self, cost: int) -> None:
        """Check the budget and hold `cost` in flight while a submission is sent (one step, locked)."""
        with self._lock:
            self.check_budget(cost)
            self.in_flight += cost
        self._changed()

    def settle(self, cost: int, outcome: str) -> None:
        """Release a held `cost` as its submission's outcome (one of `OUTCOMES`) says."""
        with self._lock:
            self.in_flight -= cost
            if outcome == "accepted":
                self.spent += cost
            elif outcome == "uncertain":
                self.uncertain += cost
        self._changed()

    def watch(self, callback: Callable[[], None]) -> None:
        """Call `callback()` after each change of `spent`, `uncertain` or `in_flight` (see
        `Client.watch_ledger`); a bound method is held weakly."""
        held = weakref.WeakMethod(callback) if inspect.ismethod(callback) else callback
        with self._lock:
            self._watchers.append(held)

    def _changed(self) -> None:
        with self._lock:
            watchers = list(self._watchers)
        for held in watchers:
            callback = held() if isinstance(held, weakref.WeakMethod) else held
            if callback is None:
                with self._lock:
                    if held in self._watchers:
                        self._watchers.remove(held)
                continue
            try:
                callback()
            except Exception:  # a watcher's failure never touches the booking
                logger.debug("a ledger watcher failed", exc_info=True)

    def after_fork(self) -> None:
        """In a forked child: nothing of the parent's is being sent here."""
        self._lock = threading.Lock()
        self.in_flight = 0
