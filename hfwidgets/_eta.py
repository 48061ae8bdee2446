"""How long a task will take: the one estimate the Studio, `run()`'s progress bar and the CLI show.

It reads the window in which the client expects tasks of a model to finish
(`Client.expected_window`: the journal's observed durations on this base URL, the
priors without them) as a lognormal distribution of durations: the window spans the
poll policy's quantiles (3 % to 97 %, so ±1.88 σ around the median). The median is
the journal's median duration when it has enough of them, else the window's
geometric middle.

- Before submitting: "usually N–M s" (the window).
- At submission the estimate is the median.
- While waiting, "about N s left" is the median of what remains for a task that has
  not finished after `elapsed` seconds (the distribution cut at `elapsed`): a task
  running long has its estimate corrected upwards rather than counting down to zero.
- Past the window's end: "taking longer than usual", never an invented number.

```pycon
>>> estimate = Estimate(20, 60)
>>> estimate.usually()
'usually 20–60 s'
>>> round(estimate.median), estimate.describe(0.0)
(35, 'about 35 s left')
>>> estimate.describe(65.0)
'taking longer than usual (usually 20–60 s)'
```
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist, median

__all__ = ["Estimate"]

_NORMAL = NormalDist()
_SHORTEST = 0.1  # seconds: a window's lower bound is at least this, so its logarithm exists


@dataclass(frozen=True)
class Estimate:
    """How long tasks of one model usually take here: the window (low, high) in seconds and the
    median; `remaining(elapsed)` corrects it as time passes."""

    low: float
    high: float
    median_seconds: float | None = None
    """The typical duration; None: the window's geometric middle."""
    coverage: tuple[float, float] = (0.03, 0.97)
    """The quantiles of the durations the window spans (those of `PollPolicy.quantiles`)."""

    @classmethod
    def from_history(
        cls,
        window: tuple[float, float],
        durations: Sequence[float] = (),
        *,
        min_samples: int = 5,
        coverage: tuple[float, float] = (0.03, 0.97),
    ) -> Estimate:
        """The estimate for `window`, its median from `durations` when there are `min_samples`."""
        low, high = window
        typical = median(durations) if len(durations) >= min_samples else None
        return cls(low, high, typical, coverage)

    @property
    def median(self) -> float:
        """The estimated duration at submission, in seconds (inside the window)."""
        low, high = self._bounds()
        if self.median_seconds is None:
            return math.sqrt(low * high)
        return min(max(self.median_seconds, low), high)

    def _bounds(self) -> tuple[float, float]:
        low = max(self.low, _SHORTEST)
        return low, max(self.high, low * 1.01)

    def _sigma(self) -> float:
        low, high = self._bounds()
        spread = _NORMAL.inv_cdf(self.coverage[1]) - _NORMAL.inv_cdf(self.coverage[0])
        return math.log(high / low) / spread

    def total(self, elapsed: float) -> float:
        """The estimated duration of a task still running after `elapsed` seconds: the median
        duration of such tasks (at least `elapsed`)."""
        mu, sigma = math.log(self.median), self._sigma()
        if elapsed <= 0:
            return self.median
        survival = 1.0 - _NORMAL.cdf((math.log(elapsed) - mu) / sigma)
        if survival <= 1e-9:  # far in the tail: as good as "any moment now"
            return elapsed
        return max(elapsed, math.exp(mu + sigma * _NORMAL.inv_cdf(1.0 - survival / 2)))

    def overdue(self, elapsed: float) -> bool:
        """True once `elapsed` is past the window: longer than usual."""
        return elapsed > self.high

    def remaining(self, elapsed: float) -> float | None:
        """Seconds left for a task running for `elapsed` seconds; None past the window."""
        if self.overdue(elapsed):
            return None
        return max(0.0, self.total(elapsed) - elapsed)

    def fraction(self, elapsed: float) -> float:
        """How far along a task running for `elapsed` seconds is, in 0..1 (never 1 before it ends)."""
        total = self.total(elapsed)
        return min(0.99, elapsed / total) if total > 0 else 0.0

    def usually(self) -> str:
        """E.g. "usually 20–60 s"."""
        return f"usually {self.low:.0f}–{self.high:.0f} s"

    def describe(self, elapsed: float) -> str:
        """E.g. "about 12 s left", or "taking longer than usual (usually 20–60 s)"."""
        left = self.remaining(elapsed)
        if left is None:
            return f"taking longer than usual ({self.usually()})"
        return f"about {max(1, round(left))} s left"

    def __repr__(self) -> str:
        return f"Estimate({self.low:.1f}–{self.high:.1f} s, median {self.median:.1f} s)"
