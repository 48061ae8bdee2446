"""P12: how good the ETA made at submission is, on the emulator's tasks.

The emulator runs with its realistic timing (each task's duration drawn from a lognormal
around the model's median, spread 0.35, clipped) scaled down by `SCALE` so the run takes
minutes, not an hour: the ratio measured below does not depend on the scale. A Client with
a private journal submits lite tasks in waves; each task's estimate is the one made at its
submission (`Client.estimate("lite").median`: the emulator's own window as the prior for
the first wave, the journal's history of the earlier waves after that), and its actual
duration is the journal's (submission to the poll that saw it completed).

Figure: the median of |actual − estimate| / actual, goal ≤ 20 %. Printed beside it: the
same for the first wave (priors only) and the later ones (history), and the floor no
estimate made at submission can beat here: the best single value in hindsight for these
very tasks (the emulator draws each duration independently, so nothing known at submission
tells one task from another).
"""

from __future__ import annotations

import asyncio
import io
import statistics
import time
from pathlib import Path

from ._common import Figure, Result, format_table, median, script_main

KEY, TITLE = "P12", "ETA at submission vs actual duration, emulator tasks"
SCALE = 6.0
"""The emulator's realistic durations divided by this (35 s lite median -> about 6 s)."""
TARGET = 0.20


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (96, 64), (60, 110, 170)).save(buffer, "PNG")
    return buffer.getvalue()


def _floor(actuals: list[float]) -> tuple[float, float]:
    """(guess, error): the one constant estimate that, in hindsight, has the smallest median
    relative error on these very tasks, and that error. Any estimate made at submission that
    cannot tell these tasks apart (nothing known then does) does no better."""

    def error(guess: float) -> float:
        return statistics.median(abs(actual - guess) / actual for actual in actuals)

    middle = statistics.median(actuals)
    best = min((middle * (0.6 + 0.005 * step) for step in range(161)), key=error)
    return best, error(best)


def run(quick: bool) -> Result:
    from hfwidgets._journal import Journal
    from hfwidgets._polling import PollPolicy
    from hfwidgets.emulator import Timing, serve
    from hfwidgets.emulator._tasks import REALISTIC_MEDIANS

    waves, per_wave = (3, 6) if quick else (6, 8)
    realistic = Timing.realistic(seed=24)
    timing = Timing(
        queued=realistic.queued / SCALE,
        medians={model: seconds / SCALE for model, seconds in REALISTIC_MEDIANS.items()},
        spread=realistic.spread,
        bounds=(realistic.bounds[0] / SCALE, realistic.bounds[1] / SCALE),
        seed=24,
    )
    result = Result(KEY, TITLE)
    rows: list[tuple[int, float, float]] = []  # (wave, estimate, actual)
    with serve(timing=timing, render=False) as server:
        # The server's own poll schedule, its in-window interval scaled like the durations.
        policy = PollPolicy(
            priors=timing.windows(), window_interval=0.9 / SCALE, first_delay=1.0 / SCALE, hold=1.0
        )
        journal = Journal(Path(server.state.directory) / "bench-journal.sqlite3")
        client = server.client(poll=policy, journal=journal)
        image = _png()

        async def wave(number: int) -> None:
            async def one() -> None:
                task = await client.generate(image, "Face Punch", model="lite", width=256, height=256)
                estimate = client.estimate("lite").median
                await client.wait(task, timeout=120)
                # What the user waited: from the submission to the read that saw the video.
                rows.append((number, estimate, time.time() - task.created_at.timestamp()))

            await asyncio.gather(*(one() for _ in range(per_wave)))

        async def all_waves() -> None:
            try:
                for number in range(1, waves + 1):
                    await wave(number)
            finally:
                await client.aclose()

        asyncio.run(all_waves())

    def error(selected: list[tuple[int, float, float]]) -> float:
        return median([abs(actual - estimate) / actual for _, estimate, actual in selected])

    overall = error(rows)
    first = error([row for row in rows if row[0] == 1])
    later = error([row for row in rows if row[0] > 1])
    best, floor = _floor([actual for _, _, actual in rows])
    actuals = [actual for _, _, actual in rows]
    result.details = format_table(
        (
            "wave",
            "tasks",
            "estimate at submission (s, median)",
            "actual (s, median)",
            "median |error| / actual",
        ),
        [
            (
                number,
                len(selected),
                median([estimate for _, estimate, _ in selected]),
                median([actual for _, _, actual in selected]),
                f"{100 * error(selected):.1f} %",
            )
            for number in range(1, waves + 1)
            for selected in [[row for row in rows if row[0] == number]]
        ],
    )
    result.details += [
        "",
        f"{len(rows)} lite tasks in {waves} waves of {per_wave}; durations ÷ {SCALE:g} "
        f"(median {median(actuals):.2f} s, range {min(actuals):.2f}–{max(actuals):.2f} s).",
        f"Floor: the best single estimate in hindsight for these tasks ({best:.2f} s) has a median "
        f"error of {100 * floor:.1f} %: the emulator draws each duration independently (lognormal, "
        f"spread {timing.spread}), so no estimate made at submission can tell its tasks apart.",
    ]
    result.figures = [
        Figure(
            "median |actual − estimate| / actual, all",
            100 * overall,
            "%",
            f"≤ {100 * TARGET:g} %",
            overall <= TARGET,
        ),
        Figure("the same, first wave (priors)", 100 * first, "%"),
        Figure("the same, later waves (journal history)", 100 * later, "%"),
        Figure("floor: best single estimate in hindsight", 100 * floor, "%"),
    ]
    if overall > TARGET:
        result.notes.append(
            f"The goal of {100 * TARGET:g} % is out of reach on these tasks: the emulator draws every "
            f"duration independently (lognormal, spread {timing.spread}), so nothing known at submission "
            "tells a short task from a long one, and even the best single value in hindsight is off by "
            f"{100 * floor:.1f} % in the median. The estimate narrows as the task runs (`Estimate.total`)."
        )
    return result


if __name__ == "__main__":
    script_main(KEY, TITLE, run)
