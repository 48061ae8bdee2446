"""When to ask the service about a task again: an adaptive poll schedule.

A fixed fast loop wastes requests while a video cannot possibly be ready yet, and
a fixed slow one makes the user wait after it is. `PollPolicy` uses what is known
about how long a task of this kind takes:

1. **Early polls** come quickly (after ≈1 s, then 2 s, 4 s, ...: the gap doubles),
   so a fast task, or the emulator's short test tasks, are still seen promptly.
2. **Before the expected window**, polls stay sparse (the gap keeps doubling, up to
   `sparse_cap`), and one poll always lands when the window opens.
3. **Inside the window** `[low, high]` — where tasks of this kind usually finish —
   polls come every `window_interval` (0.9 s), so a finished task is seen within
   about a second, request latency included.
4. **Just past the window**, for `hold` seconds (5 s), polls keep the in-window
   interval: a task slightly slower than usual is still seen within a second.
5. **Then** the gap grows by `backoff` (×1.5) per poll, up to `cap` (10 s).

The schedule is a time grid measured from submission: the client subtracts the
time a read took from the next wait, so latency does not add up poll after poll.
Each gap is stretched or shrunk at random by up to `jitter` (±10 %) when waiting
(`jittered`), so tasks submitted together do not poll in lockstep;
`poll_times` and friends describe the schedule without jitter.

The window comes from priors per model (lite 20–60 s, turbo 25–80 s, standard
40–120 s, ads 30–120 s) unless the journal holds at least `min_samples`
observed durations for this model and base URL: then their `quantiles` are used,
estimated with the tasks still running counted as "longer than their age so far"
(in a batch the quick tasks finish first, and a window learned from them alone
would be too short for the rest).
A client of the emulator (`server.client()`, or `Client()` without a key) gets
the emulator's own timings as priors instead (`EmulatorServer.poll_policy()`).

The in-window interval was chosen with the benchmark's sweep (P1): 0.9 s keeps
the detection delay's p95 under a second with under a third of the requests of
a fixed 0.5 s poller.

`delays(...)` prints the whole schedule and `count_polls(...)` counts requests
for a simulated duration, which is how the benchmark compares it with a fixed poller.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from ._errors import ValidationError

__all__ = ["DEFAULT_PRIORS", "PollPolicy"]

DEFAULT_PRIORS: Mapping[str, tuple[float, float]] = MappingProxyType(
    {
        "lite": (20.0, 60.0),
        "turbo": (25.0, 80.0),
        "standard": (40.0, 120.0),
        "ads": (30.0, 120.0),
    }
)
"""Expected seconds to completion (low, high) per model, before any durations are observed."""

_FALLBACK_WINDOW = (20.0, 120.0)


@dataclass(frozen=True)
class PollPolicy:
    """Adaptive poll schedule; see the module documentation for the phases.

    ```pycon
    >>> policy = PollPolicy()
    >>> [round(t) for t in policy.poll_times("lite", until=24)]
    [1, 3, 7, 20, 21, 22, 22, 23, 24]
    ```
    """

    priors: Mapping[str, tuple[float, float]] = field(default_factory=lambda: dict(DEFAULT_PRIORS))
    """Expected completion window (low, high) in seconds per model (or "ads")."""
    first_delay: float = 1.0
    """Gap before the first poll; early gaps then double."""
    sparse_cap: float = 15.0
    """Longest gap before the window opens (nothing is expected to finish then)."""
    window_interval: float = 0.9
    """Gap between polls inside the expected window."""
    hold: float = 5.0
    """Seconds past the window during which polls keep the in-window interval."""
    backoff: float = 1.5
    """Growth of the gap per poll once the window has passed."""
    cap: float = 10.0
    """Longest gap once the window has passed."""
    min_samples: int = 5
    """Observed durations needed before they replace the priors."""
    quantiles: tuple[float, float] = (0.03, 0.97)
    """Quantiles of observed durations that bound the window."""
    margin: float = 0.5
    """Seconds added on each side of an observed window (clock and latency slack)."""
    jitter: float = 0.1
    """Largest relative change `jittered` makes to a gap (0.1: ±10 %)."""

    def __post_init__(self) -> None:
        rules = [
            ("window_interval", self.window_interval, 0 < self.window_interval <= self.cap, "> 0 and <= cap"),
            ("first_delay", self.first_delay, self.first_delay > 0, "> 0"),
            ("backoff", self.backoff, self.backoff >= 1, ">= 1"),
            ("hold", self.hold, self.hold >= 0, ">= 0"),
            ("jitter", self.jitter, 0 <= self.jitter < 0.5, ">= 0 and < 0.5"),
        ]
        for name, value, ok, allowed in rules:
            if not ok:
                raise ValidationError(name, value, f"a number {allowed}")

    @classmethod
    def for_emulator(cls, windows: Mapping[str, tuple[float, float]], *, realistic: bool) -> PollPolicy:
        """The schedule for a local emulator: its own task windows as the priors. Short fixed
        timings are polled often near their end (localhost answers in a millisecond), so a
        default 1.2 s task is seen about 0.1 s after it finishes."""
        if realistic:
            return cls(priors=dict(windows))
        return cls(priors=dict(windows), window_interval=0.1, first_delay=0.25)

    def jittered(self, delay: float, rng: Callable[[], float] = random.random) -> float:
        """`delay` changed at random by at most `jitter` of itself (`rng()` in [0, 1))."""
        return delay * (1.0 + self.jitter * (2.0 * rng() - 1.0))

    def window(
        self, model: str | None, durations: Iterable[float] = (), running: Iterable[float] = ()
    ) -> tuple[float, float]:
        """The expected completion window (low, high) in seconds for `model`.

        `durations` holds observed seconds to completion (journal); with at least `min_samples`
        of them their quantiles replace the prior. `running` holds the ages (seconds since
        submission) of tasks of `model` still running: the durations are then a biased sample
        (in a batch the quick tasks finish first). The quantiles are Kaplan-Meier estimates,
        which count each running task as "longer than its age" (with none running they are the
        plain empirical quantiles); a bound the finished tasks cannot establish yet keeps the
        prior's value.
        """
        prior_low, prior_high = self.priors.get(model or "", _FALLBACK_WINDOW)
        samples = [d for d in durations if math.isfinite(d) and d >= 0]
        if len(samples) < self.min_samples:
            return prior_low, prior_high
        ages = [a for a in running if math.isfinite(a) and a >= 0]
        first, last = _censored_quantiles(samples, ages, self.quantiles)
        low = prior_low if first is None else first - self.margin
        high = max(prior_high, max(samples) + self.margin) if last is None else last + self.margin
        return max(low, 0.0), max(high, low + self.window_interval)

    def next_delay(self, elapsed: float, window: tuple[float, float]) -> float:
        """Seconds to wait before the next poll, `elapsed` seconds after submission."""
        low, high = window
        elapsed = max(elapsed, 0.0)
        if elapsed < low:
            # Doubling gaps (1, 2, 4, ...) from submission, never skipping the window's start.
            delay = min(max(self.first_delay, elapsed + self.first_delay), self.sparse_cap)
            to_window = low - elapsed
            if to_window - delay < delay and to_window <= self.sparse_cap:
                # A poll between here and the window would tell little: go straight to it.
                return max(to_window, self.window_interval)
            return min(delay, max(to_window, self.window_interval))
        if elapsed < high + self.hold:
            return self.window_interval
        # Past the window and the hold: each gap is (backoff - 1) times the time since the hold ended.
        overdue = elapsed - high - self.hold
        return min(max(self.window_interval, overdue * (self.backoff - 1)), self.cap)

    def poll_times(self, model: str | None, durations: Iterable[float] = (), *, until: float) -> list[float]:
        """Seconds after submission at which polls happen, up to and including `until`'s poll."""
        window = self.window(model, durations)
        times: list[float] = []
        elapsed = 0.0
        while True:
            elapsed += self.next_delay(elapsed, window)
            times.append(elapsed)
            if elapsed >= until:
                return times

    def delays(
        self, model: str | None, durations: Iterable[float] = (), *, until: float = 180.0
    ) -> list[float]:
        """The gaps between consecutive polls for a task still running at `until` seconds."""
        times = self.poll_times(model, durations, until=until)
        return [b - a for a, b in zip([0.0, *times[:-1]], times, strict=True)]

    def count_polls(self, model: str | None, duration: float, durations: Iterable[float] = ()) -> int:
        """Requests made for a task that finishes after `duration` seconds (the last one sees it)."""
        return len(self.poll_times(model, durations, until=duration))

    def detection_delay(self, model: str | None, duration: float, durations: Iterable[float] = ()) -> float:
        """Seconds between a task finishing at `duration` and the poll that sees it (no latency)."""
        return self.poll_times(model, durations, until=duration)[-1] - duration

    def describe(self, model: str | None, durations: Sequence[float] = ()) -> str:
        """A one-line summary of the schedule for `model`."""
        low, high = self.window(model, durations)
        source = f"{len(durations)} observed" if len(durations) >= self.min_samples else "prior"
        return (
            f"{model}: window {low:.1f}-{high:.1f} s ({source}), every {self.window_interval:g} s inside "
            f"and {self.hold:g} s past it, then x{self.backoff:g} up to {self.cap:g} s"
        )


def _censored_quantiles(
    durations: Sequence[float], ages: Sequence[float], quantiles: Sequence[float]
) -> list[float | None]:
    """Kaplan-Meier quantiles of durations with right-censored observations (`ages` of running tasks).

    None for a quantile the estimate does not reach (too many tasks still running past the
    last finished one). A task running for exactly a finished one's duration counts as at risk.
    """
    events = sorted([(d, 1) for d in durations] + [(a, 0) for a in ages])
    at_risk, survival = len(events), 1.0
    found: list[float | None] = [None] * len(quantiles)
    index = 0
    while index < len(events):
        moment, finished, censored = events[index][0], 0, 0
        while index < len(events) and events[index][0] == moment:
            finished += events[index][1]
            censored += 1 - events[index][1]
            index += 1
        if finished:
            survival *= 1.0 - finished / at_risk
            for position, q in enumerate(quantiles):
                if found[position] is None and 1.0 - survival >= q - 1e-12:
                    found[position] = moment
        at_risk -= finished + censored
    return found
