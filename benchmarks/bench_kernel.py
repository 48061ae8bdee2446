"""P3: does a kernel stay responsive while 50 generations are waited on in its event loop?

A real ipykernel (started with jupyter_client, as Jupyter does) submits 50 tasks
to an emulator (own process, realistic durations) and starts `client.wait()` on
each as a background task of the kernel's own loop — what the widgets do.
Meanwhile this process times many trivial `execute` round trips (request sent
→ reply received and the kernel idle again), spaced a little apart so they
sample the whole span of polling. The same round trips are timed first on the
idle kernel: the side-by-side baseline.
"""

from __future__ import annotations

import os
import time
from typing import Any

from ._common import REPO_ROOT, Figure, Result, format_table, median, percentile, script_main
from ._emulator_proc import EmulatorProcess

KEY, TITLE = "P3", "kernel responsiveness with 50 waits in the kernel's loop"
WAITS = 50
TARGET_P95_MS = 50.0

_START_WAITS = """
import asyncio, hfwidgets
bench_client = hfwidgets.Client(api_key="hk-emulator", base_url={base_url!r}, emulated=True)
bench_tasks = await asyncio.gather(*(
    bench_client.generate({image!r}, "Eyes In", "benchmark", model="lite", seed=index + 1,
                          width=736, height=1312)
    for index in range({waits})
))
bench_waits = [asyncio.ensure_future(bench_client.wait(task, timeout=300)) for task in bench_tasks]
"""

_WAIT_STATE = (
    "print(sum(w.done() for w in bench_waits), sum(1 for w in bench_waits if w.done() and w.exception()))"
)


def _execute(client: Any, code: str, timeout: float = 120.0) -> tuple[float, str]:
    """Run `code`; (seconds from request to reply-and-idle, captured stdout)."""
    output: list[str] = []

    def hook(message: dict[str, Any]) -> None:
        if message["msg_type"] == "stream":
            output.append(message["content"]["text"])

    started = time.perf_counter()
    reply = client.execute_interactive(code, timeout=timeout, output_hook=hook, store_history=False)
    elapsed = time.perf_counter() - started
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"kernel error: {reply['content'].get('ename')}: {reply['content'].get('evalue')}")
    return elapsed, "".join(output)


def _round_trips(client: Any, seconds: float, gap: float = 0.1) -> list[float]:
    """Trivial executes, one every `gap` seconds, for `seconds`; their round-trip times."""
    timings: list[float] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        elapsed, _ = _execute(client, "bench_probe = 1 + 1")
        timings.append(elapsed)
        time.sleep(gap)
    return timings


def run(quick: bool) -> Result:
    """Baseline round trips on an idle kernel, then the same while 50 waits poll the emulator."""
    from jupyter_client.manager import KernelManager

    baseline_seconds, loaded_seconds = (10.0, 30.0) if quick else (20.0, 70.0)
    result = Result(KEY, TITLE)
    with EmulatorProcess(realistic=True, seed=5) as emulator:
        manager = KernelManager(kernel_name="python3")
        manager.start_kernel(env=dict(os.environ), cwd=str(REPO_ROOT))
        client = manager.client()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=120)
            _execute(client, "import hfwidgets, asyncio")  # imports are not what is measured
            idle = _round_trips(client, baseline_seconds)
            feed_before = emulator.counters().get("feed", 0)
            submit_seconds, _ = _execute(
                client,
                _START_WAITS.format(
                    base_url=emulator.base_url, image=f"{emulator.base_url}/samples/portrait.jpg", waits=WAITS
                ),
            )
            loaded = _round_trips(client, loaded_seconds)
            polls = emulator.counters().get("feed", 0) - feed_before
            _, state = _execute(client, _WAIT_STATE)
            _execute(client, "for w in bench_waits: w.cancel()\nawait bench_client.aclose()")
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=True)
    done, failed = (int(part) for part in state.split())
    rows = []
    for label, values in (("idle kernel (baseline)", idle), (f"{WAITS} waits in the loop", loaded)):
        ms = [value * 1e3 for value in values]
        rows.append((label, len(ms), median(ms), percentile(ms, 95), percentile(ms, 99), max(ms)))
    result.details = format_table(
        ("kernel", "executes", "median (ms)", "p95 (ms)", "p99 (ms)", "max (ms)"), rows
    )
    p95 = percentile(loaded, 95) * 1e3
    idle_p95 = percentile(idle, 95) * 1e3
    result.figures = [
        Figure(
            f"trivial execute p95, {WAITS} waits running",
            p95,
            "ms",
            f"≤ {TARGET_P95_MS:g} ms",
            p95 <= TARGET_P95_MS,
        ),
        Figure("trivial execute p95, idle kernel", idle_p95, "ms"),
        Figure("ratio loaded / idle (p95)", p95 / idle_p95 if idle_p95 else float("nan"), "×"),
    ]
    result.notes.append(
        f"{WAITS} lite tasks (realistic durations, 20–120 s) submitted in one cell ({submit_seconds:.1f} s), "
        f"then {loaded_seconds:.0f} s of executes every 0.1 s: {polls} feed polls were served meanwhile "
        f"({polls / loaded_seconds:.1f}/s); {done} waits had finished, {failed} with an error."
    )
    return result


if __name__ == "__main__":
    script_main(KEY, TITLE, run)
