"""Properties of the adaptive poll schedule (figures are printed, never asserted as speed)."""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest

from hfwidgets import PollPolicy
from hfwidgets._polling import DEFAULT_PRIORS

MODELS = list(DEFAULT_PRIORS)


@pytest.mark.parametrize("model", MODELS)
def test_schedule_phases(model: str) -> None:
    policy = PollPolicy()
    low, high = policy.window(model)
    times = policy.poll_times(model, until=high + 120)
    gaps = policy.delays(model, until=high + 120)
    print(f"\n{policy.describe(model)}\n  first polls: {[round(t, 1) for t in times[:8]]}")
    # Early polls are quick: the first comes after first_delay, the next gap is short too.
    assert times[0] == pytest.approx(policy.first_delay)
    assert gaps[1] <= 2 * policy.first_delay + 1e-9
    # Early gaps grow (doubling) until the window opens, bounded by sparse_cap.
    before = [g for t, g in zip(times, gaps, strict=True) if t <= low]
    assert all(g <= policy.sparse_cap + 1e-9 for g in before)
    assert before[:3] == sorted(before[:3])
    # One poll lands exactly when the window opens.
    assert any(t == pytest.approx(low) for t in times)
    # Inside the window every gap is at most the window interval (<= 1 s).
    inside = [g for t, g in zip(times, gaps, strict=True) if low < t <= high]
    assert inside and max(inside) <= policy.window_interval + 1e-9 <= 1.0
    # Just past the window the in-window interval holds for `hold` seconds.
    held = [g for t, g in zip(times, gaps, strict=True) if high < t <= high + policy.hold]
    assert held and max(held) <= policy.window_interval + 1e-9
    # Then the gaps never shrink and never exceed the cap.
    after = [g for t, g in zip(times, gaps, strict=True) if t > high + policy.window_interval]
    assert all(later >= earlier - 1e-9 for earlier, later in itertools.pairwise(after))
    assert max(after) == pytest.approx(policy.cap)


def test_every_gap_respects_its_cap() -> None:
    policy = PollPolicy(cap=6.0, sparse_cap=12.0)
    for model in MODELS:
        low, _ = policy.window(model)
        for t, gap in zip(policy.poll_times(model, until=600), policy.delays(model, until=600), strict=True):
            assert gap <= (policy.sparse_cap if t <= low else policy.cap) + 1e-9


def test_history_replaces_the_priors_with_enough_samples() -> None:
    policy = PollPolicy()
    observed = [8.0, 9.0, 9.5, 10.0, 11.0, 12.0]
    low, high = policy.window("standard", observed)
    assert low < 9.0 and 11.5 < high < 13.0
    assert policy.window("standard", observed[:4]) == DEFAULT_PRIORS["standard"]
    # With history the polls concentrate where tasks finish: a 10 s task is seen within a second.
    assert policy.detection_delay("standard", 10.0, observed) <= policy.window_interval
    assert policy.detection_delay("standard", 10.0) > 1.0


def test_running_tasks_keep_a_batch_from_learning_a_window_of_its_quick_tasks_only() -> None:
    # 40 s into a batch: the five lite tasks that finished took 20-24 s, 60 others are still running.
    policy = PollPolicy()
    finished = [20.0, 21.0, 22.0, 23.0, 24.0]
    running = [40.0 - 0.5 * i for i in range(60)]  # ages 10.5-40 s
    _, uncensored_high = policy.window("lite", finished)
    assert uncensored_high < 25.0  # what the finished ones alone suggest
    low, high = policy.window("lite", finished, running)
    # The upper quantile cannot be known yet (most tasks outlived every finished one): the prior's stays.
    assert high == DEFAULT_PRIORS["lite"][1]
    # The lower one is known: the 3 % quantile is the second finished task (2 of 46 then at risk).
    assert low == pytest.approx(21.0 - policy.margin)


def test_the_censored_estimate_matches_a_hand_computed_kaplan_meier() -> None:
    # Durations 10, 20, 30, 40, 50; running for 25 and 35 s. At risk: 7 at 10 (S = 6/7),
    # 6 at 20 (S = 5/7), 4 at 30 (S = 15/28), 2 at 40 (S = 15/56), 1 at 50 (S = 0).
    policy = PollPolicy(quantiles=(0.1, 0.5), margin=0.0)
    low, high = policy.window("lite", [10, 20, 30, 40, 50], [25, 35])
    assert (low, high) == (10.0, 40.0)  # F(10) = 1/7 >= 0.1; F(30) = 13/28 < 0.5 <= F(40) = 41/56
    # A task running exactly as long as the longest finished one is still at risk then: F(5) = 5/6,
    # so the 90 % quantile is not reached and the prior's bound stays.
    policy = PollPolicy(quantiles=(0.5, 0.9), margin=0.0)
    assert policy.window("lite", [1, 2, 3, 4, 5], [5])[1] == DEFAULT_PRIORS["lite"][1]
    assert policy.window("lite", [1, 2, 3, 4, 5], [4.5])[1] == 5.0


def test_running_tasks_younger_than_every_duration_change_nothing() -> None:
    policy = PollPolicy(quantiles=(0.0, 1.0))
    observed = [30.0, 35.0, 40.0, 45.0, 50.0]
    assert policy.window("turbo", observed, [1.0, 2.0, 3.0]) == policy.window("turbo", observed)


def test_unknown_model_uses_a_wide_window() -> None:
    low, high = PollPolicy().window("mystery")
    assert low <= 20 and high >= 120


def test_short_tasks_are_seen_quickly() -> None:
    policy = PollPolicy()
    # The emulator's test tasks take a second or two: they are seen within a few seconds.
    assert policy.poll_times("lite", until=1.5)[-1] <= 3.0
    assert policy.count_polls("lite", 1.5) == 2


def test_invalid_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="window_interval"):
        PollPolicy(window_interval=0)


def test_poll_policy_repr_shows_every_setting() -> None:
    shown = repr(PollPolicy(first_delay=2.0, cap=12.0))
    assert shown.startswith("PollPolicy(priors={'lite': (20.0, 60.0), 'turbo': (25.0, 80.0), ")
    assert "first_delay=2.0, sparse_cap=15.0, window_interval=0.9, hold=5.0, backoff=1.5, cap=12.0" in shown
    assert "0x" not in shown  # nothing that changes from one process to the next


def test_print_requests_and_detection_delay_against_a_fixed_poller() -> None:
    """Printed figures for jobs whose durations spread over each model's window."""
    policy = PollPolicy()
    rng = random.Random(7)
    for model, (low, high) in DEFAULT_PRIORS.items():
        durations = [rng.uniform(low, high) for _ in range(500)]
        delays = sorted(policy.detection_delay(model, d) for d in durations)
        ours = sum(policy.count_polls(model, d) for d in durations)
        fixed = sum(int(d / 0.5) + 1 for d in durations)
        p95 = delays[int(0.95 * len(delays))]
        print(
            f"\n{model}: p95 detection delay {p95:.2f} s, requests {ours / fixed:.2f} of a fixed 0.5 s poller"
        )
        assert 0 <= delays[0] <= p95


def test_jitter_stays_within_its_bounds() -> None:
    policy = PollPolicy(jitter=0.12)
    # The extremes of the random source give the extremes of the range, and nothing beyond.
    assert policy.jittered(2.0, lambda: 0.0) == pytest.approx(2.0 * 0.88)
    assert policy.jittered(2.0, lambda: 1.0) == pytest.approx(2.0 * 1.12)
    rng = random.Random(5)
    spread = [policy.jittered(1.0, rng.random) for _ in range(2000)]
    assert all(0.88 - 1e-12 <= value <= 1.12 + 1e-12 for value in spread)
    # Both sides are used (it is a spread, not a constant offset).
    assert min(spread) < 0.9 and max(spread) > 1.1
    assert PollPolicy(jitter=0.0).jittered(1.5, rng.random) == 1.5


@pytest.mark.parametrize("options", [{"jitter": -0.1}, {"jitter": 0.5}, {"hold": -1.0}])
def test_bad_policy_options_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"jitter|hold"):
        PollPolicy(**options)


def test_a_task_a_little_past_its_window_is_still_seen_within_the_interval() -> None:
    policy = PollPolicy()
    _, high = policy.window("lite")
    # 3 s past the window: still inside the hold, so the in-window interval applies.
    assert policy.detection_delay("lite", high + 3.0) <= policy.window_interval + 1e-9
