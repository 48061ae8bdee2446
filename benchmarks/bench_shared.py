"""P10: two Studios and a `run()` in one process, against a service limited to 30 requests/s.

The widgets and `run()` built without a client share the process's default Client
(`hfwidgets._default_client.default_client`): one pacer for the Studios' loop and the
blocking facade's loop thread. This measures whether together they keep to the
limit the service sets, next to the same load from one Client on one loop.

Setup, per load: a fresh emulator process (`benchmarks._emulator_proc`, realistic
lite durations of 20–120 s, no rendering, at most 30 API requests/s: 429 +
Retry-After beyond it) and a fresh `HFWIDGETS_HOME`; an earlier "kernel" (a plain
Client, then closed) submits TASKS lite tasks, which stay in the journal as
unfinished. Once their expected window opens (20 s after submission, when the
poll policy polls each about every 0.9 s), the load starts:

- shared: two `Studio()`s (each resumes every unfinished task of the journal and
  loads the motion listing) and `hfwidgets.run(...)` in a worker thread (one new
  task, submitted and waited on from the facade's own loop), all without a client;
- one Client: the same requests from one `Client` on one loop (two waits per
  unfinished task, the listing twice, one generate and its wait);
- one Client each (context, the 0.2 behaviour, full run only): the two Studios and
  `run()` each given a Client of their own.

The demand (2 x TASKS polls per 0.9 s) is several times the limit. Every answer the
process receives from an endpoint the limit applies to (generate, ads, feed, the motion
listing; not the previews and files the Studios also fetch) is recorded by wrapping
httpx's transport (`handle_async_request`), whichever client and loop sent it.
Figures, over the saturated span (from 5 s after the load starts, the pacer's
learning time, for MEASURE seconds): accepted
requests/s (answers other than 429) and the share refused (429).
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from hfwidgets.emulator._faults import ENDPOINTS, endpoint_of

from ._common import Figure, Result, format_table, isolated_home, script_main
from ._emulator_proc import EmulatorProcess

KEY, TITLE = "P10", "two Studios and a run() sharing one client, 30 req/s limit"
LIMIT = 30.0
TARGET_ACCEPTED_SHARE = 0.85  # of the limit
TARGET_REFUSED = 0.10
LEARNING = 5.0
"""Seconds after the load starts before the measured span (the pacer learns the limit)."""
WINDOW_OPENS = 20.0
"""Seconds after submission when lite tasks enter their expected window (PollPolicy priors)."""
EMULATOR_KEY = "hk-emulator"


@dataclass
class Answers:
    """(time.monotonic(), status) of every answer httpx received in this process, from any thread."""

    seen: list[tuple[float, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def span(self, start: float, end: float) -> tuple[int, int]:
        """(accepted, refused) answers between `start` and `end`."""
        with self.lock:
            inside = [status for when, status in self.seen if start <= when <= end]
        refused = sum(status == 429 for status in inside)
        return len(inside) - refused, refused


_answers = Answers()


def _record_answers() -> None:
    """Wrap httpx's transport so every answer of the process to a request the limit applies to
    (the API's endpoints, not the previews and files) is recorded (once, for all loads)."""
    original = httpx.AsyncHTTPTransport.handle_async_request

    async def recorded(self: httpx.AsyncHTTPTransport, request: httpx.Request) -> httpx.Response:
        response = await original(self, request)
        if endpoint_of({"path": request.url.path, "method": request.method}) in ENDPOINTS:
            with _answers.lock:
                _answers.seen.append((time.monotonic(), response.status_code))
        return response

    httpx.AsyncHTTPTransport.handle_async_request = recorded  # type: ignore[method-assign]


@dataclass
class Load:
    """What one load measured."""

    label: str
    accepted_rate: float = float("nan")
    refused_share: float = float("nan")
    accepted: int = 0
    refused: int = 0
    demand: int = 0
    """Tasks waited on at once (each poll about every 0.9 s in the window)."""
    run_status: str = ""

    def row(self) -> tuple[object, ...]:
        return (
            self.label,
            self.demand,
            self.accepted,
            self.refused,
            self.accepted_rate,
            f"{self.refused_share:.1%}",
            self.run_status,
        )


def _image(home: Path) -> Path:
    from PIL import Image

    path = home / "portrait.png"
    Image.new("RGB", (360, 640), (180, 120, 60)).save(path)
    return path


async def _submit_earlier(emulator: EmulatorProcess, image: Path, tasks: int) -> float:
    """An earlier kernel's tasks: submitted, journalled, left unfinished; returns when they were sent."""
    from hfwidgets import Client

    client = Client(api_key=EMULATOR_KEY, base_url=emulator.base_url, motions_url=emulator.motions_url)
    started = time.monotonic()
    try:
        await asyncio.gather(
            *(
                client.generate(image, "Eyes In", model="lite", seed=1 + i, width=360, height=640)
                for i in range(tasks)
            )
        )
    finally:
        await client.aclose()
    return started


async def _shared(
    emulator: EmulatorProcess, image: Path, measure: float, outcome: list[str], *, own_clients: bool
) -> Callable[[], Awaitable[None]]:
    """Two Studios and run(): built without a client (shared), or each with a Client of its own."""
    import hfwidgets
    from hfwidgets import Client
    from hfwidgets.widgets import Studio

    def client() -> Client | None:
        return Client(motions_url=emulator.motions_url) if own_clients else None

    studios = [Studio(client(), resume_pending=True), Studio(client(), resume_pending=True)]
    if not own_clients:
        assert studios[0].client is studios[1].client, "the Studios do not share the default client"

    def blocking_run() -> None:
        try:
            feed = hfwidgets.run(
                image,
                "Eyes In",
                width=360,
                height=640,
                client=client(),
                timeout=LEARNING + measure,
                progress=False,
            )
            outcome.append(feed.status)
        except hfwidgets.TaskTimeout:
            outcome.append("still running at the end")
        except Exception as error:  # reported in the table, never hidden
            outcome.append(f"{type(error).__name__}")

    running = asyncio.create_task(asyncio.to_thread(blocking_run))

    async def stop() -> None:
        for studio in studios:
            for job in studio._background:
                job.cancel()
        await asyncio.gather(
            *(job for studio in studios for job in studio._background), return_exceptions=True
        )
        await running
        for studio in studios:
            studio.close()

    return stop


async def _one_client(
    emulator: EmulatorProcess, image: Path, measure: float, outcome: list[str]
) -> Callable[[], Awaitable[None]]:
    """The same requests from one Client on this loop."""
    from hfwidgets import Client, TaskTimeout

    client = Client(api_key=EMULATOR_KEY, base_url=emulator.base_url, motions_url=emulator.motions_url)
    journal = client.journal
    assert journal is not None
    records = journal.pending(client.base_url)

    async def generate_and_wait() -> None:
        task = await client.generate(image, "Eyes In", width=360, height=640)
        try:
            outcome.append((await client.wait(task, timeout=LEARNING + measure)).status)
        except TaskTimeout:
            outcome.append("still running at the end")

    jobs: list[asyncio.Task[Any]] = [asyncio.create_task(client.fetch_motions()) for _ in range(2)]
    jobs += [asyncio.create_task(client.wait(record.id, timeout=600)) for record in records for _ in range(2)]
    generating = asyncio.create_task(generate_and_wait())

    async def stop() -> None:
        for job in jobs:
            job.cancel()
        await asyncio.gather(*jobs, return_exceptions=True)
        await generating  # like run(): waits until its own timeout
        await client.aclose()

    return stop


def _measure(kind: str, *, tasks: int, measure: float, seed: int) -> Load:
    """One load against a fresh emulator and home (this process's environment points at both)."""
    labels = {
        "shared": "two Studios + run(), no client given (one shared)",
        "one": "the same load from one Client",
        "own": "two Studios + run(), one Client each (as 0.2 made them)",
    }
    load = Load(labels[kind], demand=2 * tasks)
    with isolated_home() as home, EmulatorProcess(realistic=True, seed=seed, rps=LIMIT) as emulator:
        # What a user without a client gets: the configured service (here the limited emulator).
        os.environ["OPENAI_HK_BASE_URL"] = emulator.base_url
        os.environ["OPENAI_HK_API_KEY"] = EMULATOR_KEY
        os.environ["HFWIDGETS_MOTIONS_URL"] = emulator.motions_url
        try:
            image = _image(home)

            outcome: list[str] = []

            async def go() -> None:
                submitted = await _submit_earlier(emulator, image, tasks)
                await asyncio.sleep(max(0.0, submitted + WINDOW_OPENS - time.monotonic()))
                started = time.monotonic()
                if kind == "one":
                    stop = await _one_client(emulator, image, measure, outcome)
                else:
                    stop = await _shared(emulator, image, measure, outcome, own_clients=kind == "own")
                await asyncio.sleep(LEARNING + measure)
                load.accepted, load.refused = _answers.span(started + LEARNING, started + LEARNING + measure)
                await stop()

            asyncio.run(go())
            load.run_status = outcome[0] if outcome else "not over"
        finally:
            for name in ("OPENAI_HK_BASE_URL", "OPENAI_HK_API_KEY", "HFWIDGETS_MOTIONS_URL"):
                os.environ.pop(name, None)
            from hfwidgets import _default_client

            _default_client._clients.clear()  # the next load starts from a process without a default client
    total = load.accepted + load.refused
    load.accepted_rate = load.accepted / measure
    load.refused_share = load.refused / total if total else float("nan")
    return load


def run(quick: bool) -> Result:
    _record_answers()
    tasks, measure = (60, 10.0) if quick else (150, 20.0)
    kinds = ("shared", "one") if quick else ("shared", "one", "own")
    loads = [_measure(kind, tasks=tasks, measure=measure, seed=7) for kind in kinds]
    shared, alone = loads[0], loads[1]
    result = Result(KEY, TITLE)
    result.details += format_table(
        (
            "load",
            "tasks waited on",
            "accepted",
            "refused (429)",
            "accepted req/s",
            "refused",
            "run() / its generate",
        ),
        [load.row() for load in loads],
    )
    goal = TARGET_ACCEPTED_SHARE * LIMIT
    result.figures += [
        Figure(
            f"accepted req/s while saturated, shared (limit {LIMIT:g})",
            shared.accepted_rate,
            "req/s",
            f"≥ {goal:g}",
            shared.accepted_rate >= goal,
        ),
        Figure(
            "share refused (429) while saturated, shared",
            shared.refused_share * 100,
            "%",
            f"≤ {TARGET_REFUSED:.0%}",
            shared.refused_share <= TARGET_REFUSED,
        ),
        Figure("accepted req/s while saturated, one Client", alone.accepted_rate, "req/s"),
        Figure("share refused (429) while saturated, one Client", alone.refused_share * 100, "%"),
    ]
    if len(loads) > 2:
        own = loads[2]
        result.figures += [
            Figure("accepted req/s while saturated, one Client each", own.accepted_rate, "req/s"),
            Figure("share refused (429) while saturated, one Client each", own.refused_share * 100, "%"),
        ]
    if len(loads) > 2:
        result.notes.append(
            "one Client each: three pacers learning the limit alone (this version's pacer, 0.2's "
            "arrangement of clients), for context; what sharing changes besides the pace is one ledger "
            "and one budget for all three"
        )
    result.notes.append(
        f"{tasks} unfinished lite tasks, each waited on twice ({2 * tasks} waits, a poll each about every "
        f"0.9 s: about {2 * tasks / 0.9:.0f} req/s asked); measured from {LEARNING:g} s after the load "
        f"started, for {measure:g} s; the emulator admits {LIMIT:g} API requests in any second"
    )
    return result


if __name__ == "__main__":
    script_main(KEY, TITLE, run)
