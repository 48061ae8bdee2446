"""Crash and resume: a process submits tasks, is SIGKILLed mid-wait, and the journal brings every task back.

The emulator runs in the test process (a real HTTP server); the submitting process
is a separate Python that shares only the journal directory (`HFWIDGETS_HOME`).
Nothing may be lost (every task the emulator created completes and is in the
journal) and nothing may be submitted twice (exactly one generate POST per task).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hfwidgets._client import Client
from hfwidgets._journal import Journal
from hfwidgets._polling import PollPolicy
from hfwidgets.emulator import EmulatorServer, Timing, serve

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

# Long enough that every task is still running when the submitting process dies.
CRASH_TIMING = Timing(queued=0.5, in_progress=12.0)
RESUME_POLL = PollPolicy(
    priors={"lite": (0.0, 30.0)}, first_delay=0.5, sparse_cap=1.0, window_interval=1.0, cap=1.0
)
"""One read per task per second: 100 tasks stay gentle on a small machine."""

SUBMITTER = textwrap.dedent(
    """
    import asyncio, io, sys
    from PIL import Image
    from hfwidgets._client import Client

    base_url, count = sys.argv[1], int(sys.argv[2])
    buffer = io.BytesIO()
    Image.new("RGB", (96, 168), (200, 90, 40)).save(buffer, "PNG")
    picture = buffer.getvalue()

    async def main():
        client = Client(api_key="hk-emulator", base_url=base_url)
        tasks = await asyncio.gather(*(
            client.generate(picture, "Face Punch", f"take {i}", seed=i + 1, width=128, height=224)
            for i in range(count)
        ))
        print("submitted", len(tasks), flush=True)
        # Waiting on all of them: this is where the process gets killed.
        await asyncio.gather(*(client.wait(task, timeout=600) for task in tasks))
        print("finished", flush=True)

    asyncio.run(main())
    """
)


@pytest.fixture
def crashing_emulator() -> Iterator[EmulatorServer]:
    with serve(timing=CRASH_TIMING, render=False) as server:
        server.state.shared_clip().result(timeout=60)
        yield server


def submit_then_kill(server: EmulatorServer, home: Path, count: int) -> int:
    """Run the submitter, SIGKILL it once it is waiting; returns its pid."""
    env = {**os.environ, "HFWIDGETS_HOME": str(home)}
    process = subprocess.Popen(
        [sys.executable, "-c", SUBMITTER, server.base_url, str(count)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.strip() == f"submitted {count}", line + (process.stderr.read() if process.stderr else "")
        # Mid-wait: the process has started reading feeds.
        deadline = time.monotonic() + 30
        while server.counters["feed"] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.counters["feed"] > 0
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(30)
    assert process.returncode == -signal.SIGKILL
    return process.pid


async def test_a_killed_process_loses_nothing_and_nothing_is_submitted_twice(
    crashing_emulator: EmulatorServer, tmp_path: Path
) -> None:
    server, count = crashing_emulator, 100
    submit_then_kill(server, tmp_path, count)

    journal = Journal(tmp_path / "journal.sqlite3")
    recorded = journal.records(server.base_url)
    pending = journal.pending(server.base_url)
    print(f"at the crash: {len(recorded)} journalled, {len(pending)} unfinished")
    assert {r.id for r in recorded} == set(server.tasks), "a task the service created is missing"
    assert len(recorded) == count
    assert pending, "the crash came too late to test resuming"

    client = Client(api_key="hk-emulator", base_url=server.base_url, poll=RESUME_POLL, journal=journal)
    try:
        feeds = await client.resume(timeout=120)
    finally:
        await client.aclose()

    assert sorted(f.id for f in feeds) == sorted(r.id for r in pending)
    assert all(f.status == "completed" and f.video_url for f in feeds)
    # 0 lost, 0 submitted twice.
    assert server.counters["POST /higgsfield/generate"] == count
    assert len(server.tasks) == count
    assert journal.pending() == []
    final = journal.records()
    assert len(final) == count and all(r.status == "completed" and r.video_url for r in final)
    assert all(r.finished_at is not None for r in final)
    assert client.spent == 0  # resuming costs nothing


RESUMER = textwrap.dedent(
    """
    import sys
    import hfwidgets
    from hfwidgets._client import Client
    from hfwidgets._polling import PollPolicy

    poll = PollPolicy(
        priors={"lite": (0.0, 30.0)}, first_delay=0.5, sparse_cap=1.0, window_interval=1.0, cap=1.0
    )
    client = Client(api_key="hk-emulator", base_url=sys.argv[1], poll=poll)
    feeds = hfwidgets.resume(client=client, timeout=120, progress=False)
    print(len(feeds), sum(f.status == "completed" for f in feeds), flush=True)
    """
)


def test_a_new_process_resumes_with_the_blocking_facade(
    crashing_emulator: EmulatorServer, tmp_path: Path
) -> None:
    server, count = crashing_emulator, 10
    submit_then_kill(server, tmp_path, count)
    pending = Journal(tmp_path / "journal.sqlite3").pending(server.base_url)
    assert pending

    env = {**os.environ, "HFWIDGETS_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", RESUMER, server.base_url],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(len(pending)), str(len(pending))]
    assert server.counters["POST /higgsfield/generate"] == count
    assert Journal(tmp_path / "journal.sqlite3").pending() == []
