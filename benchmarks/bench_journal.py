"""Journal writes on the submission path: `record` + `update` latency, alone and contended.

Each submission costs one `Journal.record` (right after the POST is accepted)
and one `Journal.update` per feed read. This prints their latency in one
process, then with a second process writing the same file at full speed (two
kernels), and the time `pending()` takes over a journal of a few thousand tasks.
Figures are printed, never asserted.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from ._common import REPO_ROOT, Figure, Result, format_table, median, percentile, script_main

KEY, TITLE = "journal", "task journal: write latency, contention, pending() scan"

_HAMMER = """
import sys, time
from hfwidgets._journal import Journal
from hfwidgets._models import Feed, Task
journal, end, i = Journal(sys.argv[1]), time.monotonic() + float(sys.argv[2]), 0  # until terminated
while time.monotonic() < end:
    task_id = f"other-{i}"; i += 1
    journal.record(Task(id=task_id, kind="image2video", cost=5, model="lite"), base_url="http://h:1")
    journal.update(task_id, Feed.from_json({"id": task_id, "jobs": [{"status": "completed"}]}))
"""


def _timed_writes(path: Path, prefix: str, count: int) -> tuple[list[float], list[float]]:
    from hfwidgets._journal import Journal
    from hfwidgets._models import Feed, Motion, Task

    journal = Journal(path)
    motion = Motion(id="cd5bfd11-5a1a-46e0-9294-b22b0b733b1e", name="Face Punch")
    records, updates = [], []
    for i in range(count):
        task = Task(
            id=f"{prefix}-{i}",
            kind="image2video",
            cost=5,
            model="lite",
            motion=motion,
            seed=i + 1,
            width=736,
            height=1312,
            prompt="a cat eats",
        )
        feed = Feed.from_json(
            {"id": task.id, "jobs": [{"status": "completed", "result": {"url": "http://x/v"}}]}
        )
        started = time.perf_counter()
        journal.record(task, base_url="http://127.0.0.1:1", thumbnail=b"\xff\xd8" + bytes(4000))
        records.append(time.perf_counter() - started)
        started = time.perf_counter()
        journal.update(task.id, feed)
        updates.append(time.perf_counter() - started)
    return records, updates


def run(quick: bool) -> Result:
    """Time record/update alone and against a second writing process; time a pending() scan."""
    import tempfile

    from hfwidgets._journal import Journal

    count = 300 if quick else 2000
    result = Result(KEY, TITLE)
    rows = []
    with tempfile.TemporaryDirectory(prefix="hfwidgets-journal-") as folder:
        path = Path(folder) / "journal.sqlite3"
        alone = _timed_writes(path, "alone", count)
        hammer = subprocess.Popen(
            [sys.executable, "-c", _HAMMER, str(path), "600"],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            time.sleep(0.5)  # let the other writer get going
            contended = _timed_writes(path, "contended", count)
        finally:
            hammer.terminate()
            hammer.communicate(timeout=30)
        for label, (records, updates) in (("alone", alone), ("vs a 2nd writing process", contended)):
            for op, samples in (("record", records), ("update", updates)):
                rows.append(
                    (label, op, median(samples) * 1e3, percentile(samples, 99) * 1e3, max(samples) * 1e3)
                )
        journal = Journal(path)
        everything = journal.records()
        total = len(everything)
        other_writes = sum(record.id.startswith("other-") for record in everything)
        started = time.perf_counter()
        journal.pending()
        pending_ms = (time.perf_counter() - started) * 1e3
    result.details = format_table(("writers", "operation", "median (ms)", "p99 (ms)", "max (ms)"), rows)
    result.figures = [
        Figure("record median, alone", median(alone[0]) * 1e3, "ms"),
        Figure("update median, alone", median(alone[1]) * 1e3, "ms"),
        Figure("record p99, vs 2nd process", percentile(contended[0], 99) * 1e3, "ms"),
        Figure(f"pending() over {total} tasks", pending_ms, "ms"),
    ]
    result.notes.append(
        f"{count} tasks per phase; the second process wrote {other_writes} tasks meanwhile; "
        "WAL mode, synchronous=NORMAL, one BEGIN IMMEDIATE transaction per call."
    )
    return result


if __name__ == "__main__":
    script_main(KEY, TITLE, run)
