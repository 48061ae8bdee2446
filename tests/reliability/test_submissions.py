"""Billable submissions are journalled before they are sent, and every outcome is booked once.

Schema 2 of the journal (with the in-place migration of schema 1 files), the
"submitting" -> task / "uncertain" life of a row, and the two ways a process can
stop mid-submission against a real emulator: SIGKILL between sending the POST and
reading its answer, and Ctrl-C in `hfwidgets.run()` (whose message must be true).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from hfwidgets._journal import (
    LOCAL_ID_PREFIX,
    SCHEMA_VERSION,
    History,
    Journal,
    history,
)
from hfwidgets._models import Motion, Task
from hfwidgets.emulator import EmulatorServer, Timing, serve

from .test_journal_schema import SCHEMA_1

BASE = "http://127.0.0.1:9"
FACE_PUNCH = Motion(id="cd5bfd11-5a1a-46e0-9294-b22b0b733b1e", name="Face Punch")
GENERATE = "POST /higgsfield/generate"


def draft(seed: int = 11) -> Task:
    return Task(
        id="", kind="image2video", cost=5, model="lite", motion=FACE_PUNCH, seed=seed, width=128, height=224
    )


# --------------------------------------------------------------------------- schema 2


def test_a_schema_1_journal_is_migrated_in_place(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript(SCHEMA_1)
    journal = Journal(path)

    (old,) = journal.records()
    assert (old.id, old.status, old.seed, old.submission_id, old.note) == (
        "old-task",
        "in_progress",
        3,
        None,
        None,
    )
    assert [r.id for r in journal.pending(BASE)] == ["old-task"]
    local_id = journal.begin_submission(draft(), base_url=BASE)  # the new columns are usable
    assert journal.get(local_id) is not None
    journal.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        columns = {row[1] for row in conn.execute("PRAGMA table_info(tasks)")}
    assert {"submission_id", "note", "owner"} <= columns


def test_a_submission_row_becomes_the_task_when_the_id_arrives(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    asked = draft(seed=42)
    local_id = journal.begin_submission(asked, base_url=BASE, image_digest="abc")

    (row,) = journal.records()
    assert row.id == local_id and row.id.startswith(LOCAL_ID_PREFIX)
    assert (row.status, row.model, row.motion_name, row.seed, row.width, row.height, row.image_digest) == (
        "submitting",
        "lite",
        "Face Punch",
        42,
        128,
        224,
        "abc",
    )
    assert journal.pending() == []  # nothing to wait on: there is no task id yet

    journal.record(
        Task(**{**asked.__dict__, "id": "task-1"}), base_url=BASE, image_digest="abc", submission_id=local_id
    )
    (row,) = journal.records()
    assert (row.id, row.status, row.submission_id, row.confirmed) == ("task-1", "queued", local_id, True)
    assert journal.get(local_id) == row  # findable by either id
    assert [r.id for r in journal.pending()] == ["task-1"]


def test_an_unanswered_submission_stays_uncertain_and_a_refused_one_leaves_nothing(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    kept = journal.begin_submission(draft(1), base_url=BASE)
    refused = journal.begin_submission(draft(2), base_url=BASE)
    journal.mark_uncertain(kept, "network error after the request was sent")
    journal.discard_submission(refused)

    (row,) = journal.records()
    assert (row.id, row.status, row.uncertain, row.note) == (
        kept,
        "uncertain",
        True,
        "network error after the request was sent",
    )
    assert journal.pending() == []
    shown = History(journal.records())
    assert "1 uncertain; 5 points, 5 of them uncertain" in repr(shown)
    assert "may exist, may be charged" in shown._repr_html_()


def test_a_submitting_row_of_this_process_reads_uncertain_once_it_stopped_sending(tmp_path: Path) -> None:
    from hfwidgets import _journal

    journal = Journal(tmp_path / "j.sqlite3")
    local_id = journal.begin_submission(draft(), base_url=BASE)
    assert journal.get(local_id).status == "submitting"  # type: ignore[union-attr]
    _journal._forget_in_flight(local_id)  # as when the sending coroutine is gone without a word
    record = journal.get(local_id)
    assert record is not None and record.status == "uncertain"
    assert record.note and "stopped sending it" in record.note


# --------------------------------------------------------------------------- a real process stopped mid-POST

# The POST is answered 3 s late: the process is stopped while it waits for the answer.
SUBMIT_SLOWLY = textwrap.dedent(
    """
    import io, sys
    from PIL import Image
    import hfwidgets
    from hfwidgets._client import Client

    buffer = io.BytesIO()
    Image.new("RGB", (96, 168), (200, 90, 40)).save(buffer, "PNG")
    client = Client(api_key="hk-emulator", base_url=sys.argv[1], motions_url=sys.argv[1] + "/motions")
    try:
        hfwidgets.run(buffer.getvalue(), "Face Punch", "take", seed=5, width=128, height=224, client=client,
                      progress=False, timeout=60)
    except KeyboardInterrupt as stopped:
        print("STOPPED", stopped, flush=True)
    print("BOOKED", client.spent, client.uncertain, flush=True)
    """
)

SHOW_AND_RESUME = textwrap.dedent(
    """
    import sys
    import hfwidgets
    from hfwidgets._client import Client

    for record in hfwidgets.history():
        print("RECORD", record.id, record.status, record.cost, record.seed, "|", record.note, flush=True)
    client = Client(api_key="hk-emulator", base_url=sys.argv[1])
    print("RESUMED", len(hfwidgets.resume(client=client, timeout=10, progress=False)), flush=True)
    """
)


@pytest.fixture
def slow_post_emulator() -> Iterator[EmulatorServer]:
    with serve(timing=Timing(queued=0.05, in_progress=0.3), render=False) as server:
        server.faults.delay("generate", 3.0, count=1)
        yield server


def start_submitter(server: EmulatorServer, home: Path) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", SUBMIT_SLOWLY, server.base_url],
        env={**os.environ, "HFWIDGETS_HOME": str(home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while server.counters[GENERATE] == 0:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the POST never arrived"
        time.sleep(0.02)
    time.sleep(0.3)  # the request is in: the process now waits for the answer
    return process


def show_and_resume(server: EmulatorServer, home: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", SHOW_AND_RESUME, server.base_url],
        env={**os.environ, "HFWIDGETS_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_sigkill_between_sending_the_post_and_its_answer(
    slow_post_emulator: EmulatorServer, tmp_path: Path
) -> None:
    server = slow_post_emulator
    process = start_submitter(server, tmp_path)
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    assert process.returncode == -signal.SIGKILL

    lines = show_and_resume(server, tmp_path)  # a new process
    records = [line for line in lines if line.startswith("RECORD")]
    assert len(records) == 1, lines
    _, local_id, status, cost, seed, *_ = records[0].split()
    assert local_id.startswith(LOCAL_ID_PREFIX) and (status, cost, seed) == ("uncertain", "5", "5")
    assert f"(pid {process.pid}) ended before the service answered" in records[0]
    assert "RESUMED 0" in lines  # an uncertain submission is never waited on, nor sent again
    time.sleep(3.5)  # the delayed POST is processed now, as a real service might
    assert server.counters[GENERATE] == 1
    assert len(server.tasks) <= 1


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_ctrl_c_in_run_after_the_post_left_says_so_and_books_it(
    slow_post_emulator: EmulatorServer, tmp_path: Path
) -> None:
    server = slow_post_emulator
    process = start_submitter(server, tmp_path)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)

    stopped = next((line for line in out.splitlines() if line.startswith("STOPPED")), "")
    assert "stopped after the submission was sent, before the service answered" in stopped, out + err
    assert "may have been charged (5 points counted as uncertain)" in stopped
    assert "status 'uncertain'" in stopped and "NOT resubmitted" in stopped
    local_id = stopped.split("journalled as ")[1].split()[0]
    assert "BOOKED 0 5" in out  # spent 0, uncertain 5

    (record,) = Journal(tmp_path / "journal.sqlite3").records()
    assert (record.id, record.status) == (local_id, "uncertain")
    assert record.note and "cancelled after the request was sent" in record.note
    assert server.counters[GENERATE] == 1


def test_ctrl_c_before_anything_was_sent_says_nothing_was_charged(tmp_path: Path) -> None:
    from hfwidgets import _sync
    from hfwidgets._client import Submission

    state = _sync._Progress(submission=Submission())
    assert _sync._interrupted(state, 1.0) == "stopped before the submission was sent: nothing was charged"
    state.submission.phase = "not sent"  # type: ignore[union-attr]
    assert "nothing was charged" in _sync._interrupted(state, 1.0)


def test_history_reads_the_default_journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HFWIDGETS_HOME", str(tmp_path))
    Journal().begin_submission(draft(), base_url=BASE)
    (record,) = history()
    assert record.created_at <= datetime.now(timezone.utc)
