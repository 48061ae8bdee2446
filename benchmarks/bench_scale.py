"""P2: 1,000 tasks submitted and waited on concurrently by one Client in one process.

The emulator runs in its own process (`benchmarks._emulator_proc`, realistic
durations, one shared clip instead of rendering), so the CPU time and peak RSS
measured here (`resource.getrusage` of this process, every thread included)
are the client's alone: HTTP, JSON, the journal's SQLite writes, asyncio.

Two runs:

1. no server limit: every task's result must be detected; client CPU as a
   share of one core over the whole run (submission + waiting), peak RSS;
2. the emulator limited to N requests/s (429 + Retry-After beyond it): no task
   may be lost, and the client must not turn 429s into a retry storm — judged
   by the share of requests the server refused (a client that honours
   Retry-After keeps it low; one that retries at once drives it towards 100 %).
"""

from __future__ import annotations

import asyncio
import resource
import time
from dataclasses import dataclass, field

from ._common import Figure, Result, format_table, median, percentile, script_main
from ._emulator_proc import EmulatorProcess
from ._harness import CountingTransport

KEY, TITLE = "P2", "1,000 concurrent tasks in one process"
MODELS = ("lite", "turbo", "standard")
TARGET_CPU_SHARE = 0.05
TARGET_RSS_MB = 300
MAX_REFUSED_SHARE = 1 / 3


@dataclass
class Run:
    """What one run of N concurrent tasks measured."""

    label: str
    tasks: int
    detected: int = 0
    lost: list[str] = field(default_factory=list)
    wall: float = 0.0
    submit_wall: float = 0.0
    cpu: float = 0.0
    submit_cpu: float = 0.0
    peak_rss_mb: float = 0.0
    requests: int = 0
    refused: int = 0
    server_counters: dict[str, int] = field(default_factory=dict)
    peak_rate: int = 0
    """Most requests sent within one second of the run."""
    delays: list[float] = field(default_factory=list)

    @property
    def cpu_share(self) -> float:
        return self.cpu / self.wall if self.wall else float("nan")

    def __repr__(self) -> str:
        return f"Run({self.label!r}, detected={self.detected}/{self.tasks}, cpu={self.cpu_share:.1%})"


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


async def _run(emulator: EmulatorProcess, run: Run, seed: int) -> None:
    from hfwidgets import Client

    transport = CountingTransport()
    client = Client(
        api_key="hk-emulator",
        base_url=emulator.base_url,
        motions_url=emulator.motions_url,
        emulated=True,
        transport=transport,
    )
    image_url = f"{emulator.base_url}/samples/portrait.jpg"
    seen: dict[str, float] = {}

    started, cpu_started = time.perf_counter(), _cpu_seconds()
    unsubmitted = run.tasks

    def submission_over() -> None:
        nonlocal unsubmitted
        unsubmitted -= 1
        if unsubmitted == 0:
            run.submit_wall = time.perf_counter() - started
            run.submit_cpu = _cpu_seconds() - cpu_started

    async def one(index: int) -> None:
        """Submit, then wait at once: what a user's code (or the Studio) does per task."""
        try:
            task = await client.generate(
                image_url,
                "Eyes In",
                "benchmark",
                model=MODELS[index % 3],
                seed=seed + index,
                width=736,
                height=1312,
            )
        except Exception as exc:  # a refused submission is a lost task
            run.lost.append(f"submit #{index}: {type(exc).__name__}: {exc}"[:160])
            return
        finally:
            submission_over()
        try:
            feed = await client.wait(task, timeout=600)
        except Exception as exc:
            run.lost.append(f"{task.id}: {type(exc).__name__}: {exc}"[:160])
            return
        seen[task.id] = time.time()
        if feed.status == "completed" and feed.video_url:
            run.detected += 1
        else:
            run.lost.append(f"{task.id}: ended {feed.status} without a video")

    try:
        await asyncio.gather(*(one(index) for index in range(run.tasks)))
    finally:
        run.wall = time.perf_counter() - started
        run.cpu = _cpu_seconds() - cpu_started
        run.peak_rss_mb = _peak_rss_mb()
        await client.aclose()
    run.peak_rate = transport.peak_rate()
    run.requests = transport.total
    run.refused = transport.statuses.get(429, 0)
    run.server_counters = emulator.counters()
    states = emulator.tasks()
    for task_id, when in seen.items():
        done = states.get(task_id, {}).get("completed_at")
        if isinstance(done, (int, float)):
            run.delays.append(when - done)


def run(quick: bool) -> Result:
    """Unlimited, then rate-limited: detection, CPU share, peak RSS, refusals."""
    count = 300 if quick else 1000
    limit = 30.0 if quick else 100.0
    baseline_rss = _peak_rss_mb()  # nothing has run yet: the peak so far is the imports' footprint
    runs = [Run("no limit", count), Run(f"limited to {limit:g} req/s", count)]
    with EmulatorProcess(realistic=True, seed=3) as emulator:
        asyncio.run(_run(emulator, runs[0], seed=1))
    with EmulatorProcess(realistic=True, seed=3, rps=limit) as emulator:
        asyncio.run(_run(emulator, runs[1], seed=1))
    result = Result(KEY, TITLE)
    result.details = format_table(
        (
            "run",
            "tasks",
            "detected",
            "lost",
            "wall (s)",
            "submit (s)",
            "client CPU (s)",
            "CPU / wall",
            "requests",
            "req/s",
            "peak req/s",
            "429s",
            "p95 delay (s)",
        ),
        [
            (
                r.label,
                r.tasks,
                r.detected,
                len(r.lost),
                r.wall,
                r.submit_wall,
                r.cpu,
                f"{r.cpu_share:.1%}",
                r.requests,
                r.requests / r.wall if r.wall else 0.0,
                r.peak_rate,
                r.refused,
                percentile(r.delays, 95),
            )
            for r in runs
        ],
    )
    free, limited = runs
    waiting_share = (free.cpu - free.submit_cpu) / max(free.wall - free.submit_wall, 1e-9)
    refused_share = limited.refused / limited.requests if limited.requests else float("nan")
    result.figures = [
        Figure(f"results detected ({count} tasks)", free.detected, "", f"= {count}", free.detected == count),
        Figure(
            "client CPU over the run, share of one core",
            free.cpu_share * 100,
            "%",
            f"≤ {TARGET_CPU_SHARE:.0%}",
            free.cpu_share <= TARGET_CPU_SHARE,
        ),
        Figure("client CPU after the last submission", waiting_share * 100, "%"),
        Figure(
            "peak RSS of the process",
            free.peak_rss_mb,
            "MB",
            f"≤ {TARGET_RSS_MB} MB",
            free.peak_rss_mb <= TARGET_RSS_MB,
        ),
        Figure(f"lost tasks at {limit:g} req/s", len(limited.lost), "", "0", not limited.lost),
        Figure(
            f"share of requests refused (429) at {limit:g} req/s",
            refused_share * 100,
            "%",
            f"≤ {MAX_REFUSED_SHARE:.0%} (no retry storm)",
            refused_share <= MAX_REFUSED_SHARE,
        ),
    ]
    result.notes.append(
        f"RSS after imports, before any task: {baseline_rss:.0f} MB; "
        f"median detection delay {median(free.delays):.2f} s unlimited, "
        f"{median(limited.delays):.2f} s limited."
    )
    result.notes.append(f"server counters, limited run: {limited.server_counters}")
    pool_timeouts = sum("PoolTimeout" in failure for r in runs for failure in r.lost)
    if pool_timeouts:
        result.notes.append(
            f"{pool_timeouts} submissions failed with httpx's PoolTimeout: they waited longer than the "
            "client's timeout for one of the pool's connections (nothing was sent)."
        )
    for r in runs:
        for failure in r.lost[:3]:
            result.notes.append(f"{r.label}: lost {failure}")
    return result


if __name__ == "__main__":
    script_main(KEY, TITLE, run)
