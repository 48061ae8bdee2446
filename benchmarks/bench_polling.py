"""P1: how soon `wait()` sees a finished task, and how many requests it spends, next to fixed pollers.

One emulator in its "realistic" timing mode (each job's duration drawn from a
per-model distribution, 20–120 s; see `hfwidgets.emulator`) serves every
poller at once. Every poller submits the same tasks (same models, same seeds,
so the same durations) and none is told a task's true duration:

- `adaptive + history`: `Client.wait()` with a journal that already holds
  durations of earlier tasks on this base URL (what a user has after a day of
  use). They are drawn from the emulator's distribution with a different seed;
- `adaptive, priors`: `Client.wait()` with an empty journal (first use);
- `fixed 0.5 s`, `fixed 2 s`, `fixed 6 s`: `client.feed()` in a loop with a fixed
  sleep, what other clients do.

Each poller has its own emulator process (all with the same seed, so every
poller's n-th task of a model lasts as long), so the servers never compete with
the clients for this process's interpreter. Delay = the moment `wait()` (or the
loop) returns minus the emulator's `completed_at` for the task (`time.time()`,
the same clock on one machine). Requests per task = feed reads counted by each
client's own transport, which also times every request (the latency column).

The adaptive pollers wait on 200 tasks each (cold journal, and with history);
the fixed pollers on the first 36 only, since their hundreds of requests per
second would otherwise load the one event loop everyone shares. The headline
request ratio compares each adaptive poller with a 0.5 s poller on the same
tasks counted from their durations (`ceil(d / 0.5) + 1`): a measured fixed
poller sends fewer requests the busier the machine is.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._common import Figure, Result, format_table, median, percentile, script_main
from ._emulator_proc import EmulatorProcess
from ._harness import CountingTransport

if TYPE_CHECKING:
    from hfwidgets import Client, Task

KEY, TITLE = "P1", "completion-detection delay and requests per task"
MODELS = ("lite", "turbo", "standard")
FIXED_INTERVALS = (0.5, 2.0, 6.0)
HISTORY_SAMPLES = 30  # per model
TARGET_P95 = 1.0
TARGET_REQUEST_SHARE = 1 / 3
ADAPTIVE_TASKS = 200
FIXED_TASKS = 36


@dataclass
class Poller:
    """One way of waiting, with its own client, transport and per-task outcomes."""

    name: str
    interval: float | None  # None: the client's adaptive wait()
    tasks: int = 0
    """How many tasks of the plan this poller waits on (its first `tasks`)."""
    client: Any = None
    server: Any = None
    transport: CountingTransport = field(default_factory=CountingTransport)
    delays: list[float] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    seen: dict[str, float] = field(default_factory=dict)
    """task id -> time.time() when waiting returned."""
    order: list[str] = field(default_factory=list)
    """task ids in plan order."""

    def __repr__(self) -> str:
        return f"Poller({self.name!r}, tasks={len(self.delays)})"


def past_durations(model: str, count: int, seed: int) -> list[float]:
    """Durations of earlier tasks: the emulator's documented distribution, drawn with another seed."""
    from hfwidgets.emulator import Timing
    from hfwidgets.emulator._tasks import DurationSampler

    sampler = DurationSampler(Timing.realistic(seed=seed))
    return [sum(sampler.draw(model)) for _ in range(count)]


def seeded_journal(path: Path, base_url: str, history: dict[str, list[float]]) -> Any:
    """A journal that already holds completed tasks with these durations for `base_url`."""
    from datetime import datetime, timezone

    from hfwidgets._journal import Journal
    from hfwidgets._models import PRICES, Feed, Task

    journal = Journal(path)
    now = time.time()
    for model, durations in history.items():
        for index, duration in enumerate(durations):
            task_id = f"past-{model}-{index}"
            created = datetime.fromtimestamp(now - duration, tz=timezone.utc)
            task = Task(id=task_id, kind="image2video", cost=PRICES[model], model=model, created_at=created)
            journal.record(task, base_url=base_url)
            feed = Feed.from_json(
                {"id": task_id, "jobs": [{"status": "completed"}], "params": {"model": model}}
            )
            journal.update(task_id, feed)
    return journal


async def _fixed_wait(client: Client, task: Task, interval: float, deadline: float) -> None:
    while time.monotonic() < deadline:
        feed = await client.feed(task)
        if feed.done:
            return
        await asyncio.sleep(interval)
    raise TimeoutError(task.id)


async def _measure(pollers: list[Poller], plan: list[tuple[str, int]]) -> None:
    """Each poller submits the plan in order to its own server, waiting on each task as soon as it exists.

    In-order submission matters: the emulator draws the n-th task of a model from
    a seeded sequence, so every poller's n-th task lasts exactly as long.
    """
    deadline = time.monotonic() + 400

    async def wait_one(poller: Poller, task: Task) -> None:
        try:
            if poller.interval is None:
                await poller.client.wait(task, timeout=400)
            else:
                await _fixed_wait(poller.client, task, poller.interval, deadline)
        except Exception as exc:  # a lost task is a figure, not a crash
            poller.failures.append(f"{task.id}: {type(exc).__name__}: {exc}"[:160])
            return
        poller.seen[task.id] = time.time()

    async def submit_all(poller: Poller) -> None:
        image_url = f"{poller.server.base_url}/samples/portrait.jpg"
        waits = []
        for model, seed in plan[: poller.tasks]:
            task = await poller.client.generate(
                image_url, "Eyes In", "a slow push in", model=model, seed=seed, width=736, height=1312
            )
            poller.order.append(task.id)
            waits.append(asyncio.create_task(wait_one(poller, task)))
        await asyncio.gather(*waits)

    await asyncio.gather(*(submit_all(poller) for poller in pollers))


def _collect(poller: Poller, states: dict[str, dict[str, Any]]) -> list[float]:
    """Delays and request counts from the server's records; the jobs' durations in plan order."""
    durations = []
    for task_id in poller.order:
        state = states.get(task_id, {})
        done, start = state.get("completed_at"), state.get("created_at")
        if isinstance(done, (int, float)) and isinstance(start, (int, float)):
            durations.append(done - start)
        if task_id not in poller.seen:
            continue
        if not isinstance(done, (int, float)):
            poller.failures.append(f"{task_id}: seen done but the emulator has no completed_at")
            continue
        poller.delays.append(poller.seen[task_id] - done)
        poller.requests.append(poller.transport.feed_reads[task_id])
    return durations


def run(quick: bool) -> Result:
    """Every poller waits for the same tasks on one realistic emulator, concurrently."""
    import tempfile

    from hfwidgets import Client
    from hfwidgets._journal import Journal
    from hfwidgets._polling import PollPolicy

    # The adaptive pollers wait on the whole plan; the fixed ones, which send far more requests,
    # on its first tasks only, so their load does not distort the adaptive figures.
    adaptive_tasks, fixed_tasks = (24, 12) if quick else (ADAPTIVE_TASKS, FIXED_TASKS)
    rng = random.Random(20_240)
    plan = [(MODELS[i % len(MODELS)], rng.randrange(1, 1_000_000)) for i in range(adaptive_tasks)]
    history = {model: past_durations(model, HISTORY_SAMPLES, seed=7 + i) for i, model in enumerate(MODELS)}
    pollers = [
        Poller("adaptive + history", None, adaptive_tasks),
        Poller("adaptive, priors", None, adaptive_tasks),
    ]
    pollers += [Poller(f"fixed {interval:g} s", interval, fixed_tasks) for interval in FIXED_INTERVALS]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hfwidgets-p1-") as tmp, ExitStack() as servers:
        for poller in pollers:
            # One server per poller, all with the same seed: the same durations for everyone.
            poller.server = server = servers.enter_context(EmulatorProcess(realistic=True, seed=11))
            if poller.name == "adaptive + history":
                journal = seeded_journal(Path(tmp) / "history.sqlite3", server.base_url, history)
            else:
                journal = Journal(Path(tmp) / f"{poller.name.replace(' ', '_')}.sqlite3")
            poller.client = Client(
                api_key="hk-emulator",
                base_url=server.base_url,
                motions_url=server.motions_url,
                emulated=True,
                journal=journal,
                transport=poller.transport,
            )

        async def main() -> None:
            try:
                await _measure(pollers, plan)
            finally:
                for poller in pollers:
                    await poller.client.aclose()

        asyncio.run(main())
        runs = [_collect(poller, poller.server.tasks()) for poller in pollers]
        durations = runs[0]
    wall = time.perf_counter() - started

    reference = pollers[2]  # fixed 0.5 s
    reference_requests = sum(reference.requests) / max(len(reference.requests), 1)
    rows = []
    for poller in pollers:
        mean_requests = sum(poller.requests) / max(len(poller.requests), 1)
        rows.append(
            (
                poller.name,
                len(poller.delays),
                len(poller.failures),
                median(poller.delays),
                percentile(poller.delays, 95),
                max(poller.delays, default=float("nan")),
                mean_requests,
                mean_requests / reference_requests if reference_requests else float("nan"),
                median(poller.transport.latencies) * 1e3,
                percentile(poller.transport.latencies, 95) * 1e3,
            )
        )
    result = Result(KEY, TITLE)
    result.details = format_table(
        (
            "poller",
            "tasks",
            "lost",
            "median delay (s)",
            "p95 delay (s)",
            "max delay (s)",
            "requests/task",
            "× fixed 0.5 s",
            "request median (ms)",
            "request p95 (ms)",
        ),
        rows,
    )
    if any(
        len(run) > len(durations) or any(abs(a - b) > 0.05 for a, b in zip(run, durations, strict=False))
        for run in runs[1:]
    ):
        result.notes.append("the pollers' servers drew different durations: compare with care")
    if durations:
        result.details += [
            "",
            "Job durations drawn by the emulator (s): "
            + ", ".join(
                f"{label} {value:.1f}"
                for label, value in (
                    ("min", min(durations)),
                    ("median", median(durations)),
                    ("p95", percentile(durations, 95)),
                    ("max", max(durations)),
                )
            ),
        ]
        result.details += _policy_only(PollPolicy(), plan, durations, history)
    result.details += policy_sweep(history)
    nominal = _nominal_requests(durations)
    for poller in pollers[:2]:
        # Against a 0.5 s poller on the same tasks, counted from the durations: a measured fixed
        # poller sends fewer requests the busier the machine is (each loop is 0.5 s + latency).
        share = (sum(poller.requests) / max(len(poller.requests), 1)) / nominal
        p95 = percentile(poller.delays, 95)
        result.figures += [
            Figure(
                f"p95 delay, {poller.name}",
                p95,
                "s",
                f"≤ {TARGET_P95:g} s",
                p95 <= TARGET_P95 and not poller.failures,
            ),
            Figure(
                f"requests vs fixed 0.5 s, {poller.name}",
                share,
                "×",
                "≤ 0.333 ×",
                share <= TARGET_REQUEST_SHARE,
            ),
        ]
    result.figures.append(Figure("p95 delay, fixed 0.5 s", percentile(reference.delays, 95), "s"))
    adaptive = sum(pollers[0].requests[:fixed_tasks]) / max(len(pollers[0].requests[:fixed_tasks]), 1)
    result.figures.append(
        Figure(
            f"requests vs the measured fixed 0.5 s, adaptive + history, first {fixed_tasks} tasks",
            adaptive / reference_requests if reference_requests else float("nan"),
            "×",
        )
    )
    result.notes.append(
        f"{adaptive_tasks} tasks per adaptive poller, {fixed_tasks} per fixed one ({', '.join(MODELS)} in "
        f"turn, same seeds for every poller), {2 * adaptive_tasks + 3 * fixed_tasks} tasks in flight at "
        f"once; {wall:.0f} s wall."
    )
    for poller in pollers:
        for failure in poller.failures[:3]:
            result.notes.append(f"{poller.name} lost a task: {failure}")
    return result


def _nominal_requests(durations: list[float]) -> float:
    """Requests per task a fixed 0.5 s poller sends on these durations (the last one sees it done)."""
    return sum(math.ceil(d / 0.5) + 1 for d in durations) / len(durations) if durations else float("nan")


def _policy_only(
    policy: Any, plan: list[tuple[str, int]], durations: list[float], history: dict[str, list[float]]
) -> list[str]:
    """The policy's own schedule on the measured durations (no network): where the delay comes from."""
    if len(durations) != len(plan):
        return []
    lines = [
        "",
        "The policy's schedule alone on these durations (no latency, `PollPolicy.detection_delay`):",
        "",
    ]
    rows = []
    for label, hist in (("adaptive + history", history), ("adaptive, priors", {})):
        delays, counts = [], []
        for (model, _), duration in zip(plan, durations, strict=True):
            past = hist.get(model, [])
            delays.append(policy.detection_delay(model, duration, past))
            counts.append(policy.count_polls(model, duration, past))
        windows = "; ".join(
            f"{m} {policy.window(m, hist.get(m, []))[0]:.0f}–{policy.window(m, hist.get(m, []))[1]:.0f} s"
            for m in MODELS
        )
        rows.append((label, percentile(delays, 95), max(delays), sum(counts) / len(counts), windows))
    fixed = [sum(math.ceil(d / 0.5) + 1 for d in durations) / len(durations)]
    lines += format_table(("policy", "p95 delay (s)", "max delay (s)", "requests/task", "windows"), rows)
    lines.append(f"(a fixed 0.5 s poller needs {fixed[0]:.1f} requests/task on these durations)")
    return lines


def policy_sweep(history: dict[str, list[float]], samples: int = 300) -> list[str]:
    """The policy's trade-off on many durations from the emulator's distribution (no network).

    How p95 delay and requests move with the in-window interval: what a change to
    `PollPolicy.window_interval` would buy or cost, before any latency is added.
    """
    from hfwidgets._polling import PollPolicy
    from hfwidgets.emulator import Timing
    from hfwidgets.emulator._tasks import DurationSampler

    sampler = DurationSampler(Timing.realistic(seed=99))
    drawn = [(model, sum(sampler.draw(model))) for _ in range(samples) for model in MODELS]
    nominal = sum(math.ceil(duration / 0.5) + 1 for _, duration in drawn) / len(drawn)
    rows = []
    for interval in (0.9, 0.8, 0.7):
        policy = PollPolicy(window_interval=interval)
        for label, past in (("history", history), ("priors", {})):
            delays = [policy.detection_delay(m, d, past.get(m, [])) for m, d in drawn]
            counts = [policy.count_polls(m, d, past.get(m, [])) for m, d in drawn]
            mean = sum(counts) / len(counts)
            rows.append(
                (
                    f"{interval:g} s",
                    label,
                    percentile(delays, 95),
                    percentile(delays, 99),
                    mean,
                    mean / nominal,
                )
            )
    lines = [
        "",
        f"Policy sweep on {len(drawn)} durations drawn from the emulator's distribution (no latency; "
        "a fixed 0.5 s poller would need "
        f"{nominal:.1f} requests/task):",
        "",
    ]
    lines += format_table(
        (
            "window interval",
            "window from",
            "p95 delay (s)",
            "p99 delay (s)",
            "requests/task",
            "× fixed 0.5 s (nominal)",
        ),
        rows,
    )
    return lines


if __name__ == "__main__":
    script_main(KEY, TITLE, run)
