"""The one estimate of a task's duration (`_eta.Estimate`, `Client.estimate`), as the Studio, run()
and the CLI show it."""

from __future__ import annotations

import asyncio
import io
import re
import statistics
from pathlib import Path

import pytest
from PIL import Image

from hfwidgets._eta import Estimate
from hfwidgets._journal import Journal
from hfwidgets._polling import PollPolicy
from hfwidgets.emulator import EmulatorServer, Timing, serve


def test_at_submission_the_estimate_is_the_middle_of_the_window() -> None:
    estimate = Estimate(20.0, 60.0)
    assert estimate.median == pytest.approx((20 * 60) ** 0.5)
    assert estimate.remaining(0.0) == pytest.approx(estimate.median)
    assert estimate.usually() == "usually 20–60 s"
    assert estimate.describe(0.0) == f"about {round(estimate.median)} s left"


def test_the_time_left_shrinks_but_is_corrected_upwards_for_a_long_task() -> None:
    estimate = Estimate(20.0, 60.0)
    times = [0.0, 5.0, 15.0, 25.0, 35.0, 45.0, 55.0, 59.0]
    left = [estimate.remaining(t) or 0.0 for t in times]
    totals = [estimate.total(t) for t in times]
    assert all(value > 0 for value in left)
    assert left == sorted(left, reverse=True)  # counts down...
    assert totals == sorted(totals)  # ...while the expected total grows once the median is passed
    assert totals[-1] > estimate.median + 15
    assert all(total >= t for total, t in zip(totals, times, strict=True))
    assert all(0 <= estimate.fraction(t) < 1 for t in times)


def test_past_the_window_it_says_longer_than_usual_not_a_number() -> None:
    estimate = Estimate(20.0, 60.0)
    assert estimate.overdue(61.0) and estimate.remaining(61.0) is None
    assert estimate.describe(61.0) == "taking longer than usual (usually 20–60 s)"


def test_with_enough_history_the_median_duration_is_the_estimate() -> None:
    durations = [30.0, 31.0, 33.0, 40.0, 52.0]
    assert Estimate.from_history((20.0, 60.0), durations).median == statistics.median(durations)
    assert Estimate.from_history((20.0, 60.0), durations[:4]).median == pytest.approx((20 * 60) ** 0.5)
    # Never outside its own window.
    assert Estimate.from_history((20.0, 60.0), [90.0] * 5).median == 60.0


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (40, 90, 160)).save(buffer, "PNG")
    return buffer.getvalue()


def test_client_estimate_learns_from_the_journal_of_its_base_url(tmp_path: Path) -> None:
    """Priors first; after five tasks on this emulator, their median; another base URL's
    history is not this one's."""
    journal = Journal(tmp_path / "journal.sqlite3")
    policy = PollPolicy(priors={"lite": (20.0, 60.0)}, first_delay=0.1, window_interval=0.1)

    with serve(timing=Timing(queued=0.1, in_progress=0.5), render=False) as server:
        client = server.client(journal=journal, poll=policy)
        before = client.estimate("lite")
        assert (before.low, before.high) == (20.0, 60.0)

        async def run() -> None:
            tasks = await asyncio.gather(*(client.generate(png(), "Face Punch") for _ in range(5)))
            await asyncio.gather(*(client.wait(task, timeout=30) for task in tasks))
            await client.aclose()

        asyncio.run(run())
        after = client.estimate("lite")
        durations = [seconds for _, seconds in journal.completions("lite", server.base_url)]
        assert len(durations) == 5
        assert after.median == pytest.approx(statistics.median(durations))
        assert after.high < 20.0  # the window learned from them, not the prior

    with serve(timing=Timing(queued=0.1, in_progress=0.5), render=False) as other:
        elsewhere = other.client(journal=journal, poll=policy).estimate("lite")
        assert (elsewhere.low, elsewhere.high) == (20.0, 60.0)


def test_run_shows_the_same_estimate_in_its_progress_bar(
    private_quick_emulator: EmulatorServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import hfwidgets

    client = private_quick_emulator.client(journal=Journal(tmp_path / "journal.sqlite3"))
    estimate = client.estimate("lite")
    feed = hfwidgets.run(png(), "Face Punch", client=client, progress=True, timeout=60)
    assert feed.status == "completed"
    shown = capsys.readouterr().err
    assert re.search(r"about \d+ s left", shown), shown
    assert "100%" in shown  # the bar ends full
    assert estimate.describe(0.0) in shown  # the estimate made at submission, as the core says it
