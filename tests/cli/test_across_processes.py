"""Commands as a user runs them with no key: separate processes, a fresh HFWIDGETS_HOME, nothing
started beforehand. They all reach the home's emulator, started by the first that needs it; what
it was sent is read from its own counters (`hfwidgets emulator status`)."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hfwidgets._cli import EXIT_FAILED, EXIT_INTERRUPTED
from hfwidgets._home_emulator import EmulatorFiles, stop_emulator
from hfwidgets._journal import Journal
from hfwidgets.emulator import serve

from .cli_support import UUID, Command, is_mp4

SLOW_TASKS = "8"
"""Seconds each task takes on the home's emulator: time to interrupt a command while it waits."""


@pytest.fixture
def command(tmp_path: Path) -> Iterator[Command]:
    """`hfwidgets` with no key in a fresh home; the home's emulator is stopped afterwards."""
    made = Command(None, tmp_path)
    made.env["HFWIDGETS_EMULATOR_SECONDS"] = SLOW_TASKS
    yield made
    stop_emulator(Path(made.env["HFWIDGETS_HOME"]))


def read_until(stream: object, pattern: str, seen: list[str]) -> re.Match[str]:
    """Read lines until one matches `pattern` (the process's own output is the event awaited)."""
    assert hasattr(stream, "readline")
    while True:
        line = stream.readline()
        assert line, "".join(seen)  # the process ended without saying it
        seen.append(line)
        found = re.search(pattern, line)
        if found:
            return found


def generate_posts(command: Command) -> int:
    status = command.json("emulator", "status")
    count: int = status["counters"]["generate"]
    return count


def test_ctrl_c_in_run_then_resume_in_a_new_process_completes_it_with_one_post(
    command: Command, cat: Path
) -> None:
    process = command.popen("run", str(cat), "-m", "Face Punch", "--out", "after.mp4")
    seen: list[str] = []
    task_id = read_until(process.stderr, rf"submitted task ({UUID})", seen).group(1)  # journalled by then
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == EXIT_INTERRUPTED, err
    assert f"`hfwidgets download {task_id} --out after.mp4` picks it up" in err
    (row,) = command.json("history", "--json")
    assert (row["id"], row["status"]) == (task_id, row["status"]) and row["status"] in (
        "queued",
        "in_progress",
    )

    resumed = command("resume")
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.split("\t")[:2] == [task_id, "completed"]
    assert generate_posts(command) == 1  # the emulator's own count: never resubmitted

    saved = command(*command_words(err, task_id))  # the command the message named
    assert saved.returncode == 0, saved.stderr
    assert is_mp4(command.cwd / "after.mp4")
    assert generate_posts(command) == 1


def command_words(message: str, task_id: str) -> list[str]:
    found = re.search(rf"`hfwidgets (download {task_id}[^`]*)`", message)
    assert found, message
    return found.group(1).split()


def test_ctrl_c_in_resume_speaks_of_the_unfinished_tasks_not_of_submissions(
    command: Command, cat: Path
) -> None:
    submitted = command("submit", str(cat), "-m", "Static")
    assert submitted.returncode == 0, submitted.stderr
    process = command.popen("resume")
    read_until(process.stderr, r"resuming 1 unfinished task", [])
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == EXIT_INTERRUPTED, err
    assert "`hfwidgets resume` waits for them again" in err and "submission" not in err


def test_a_task_submitted_by_one_process_is_resumed_completed_by_another(command: Command, cat: Path) -> None:
    submitted = command("submit", str(cat), "-m", "Static")
    assert submitted.returncode == 0, submitted.stderr
    task_id = submitted.stdout.strip()
    code = "import hfwidgets; print([(f.id, f.status) for f in hfwidgets.resume(progress=False)])"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=command.cwd,
        env=command.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str([(task_id, "completed")])
    assert generate_posts(command) == 1


def test_tasks_that_cannot_be_reached_are_named_by_resume_and_forgotten(command: Command, cat: Path) -> None:
    home = Path(command.env["HFWIDGETS_HOME"])
    # One made before the emulator was shared: journalled under an emulator that has since gone.
    with serve() as gone:
        earlier = Command(gone, command.cwd.parent)
        earlier.env["HFWIDGETS_HOME"] = str(home)
        done = earlier("submit", str(cat), "-m", "Static")
        assert done.returncode == 0, done.stderr
        orphan = done.stdout.strip()
    # One the home's emulator lost (its files removed while it was stopped).
    lost = command("submit", str(cat), "-m", "Static").stdout.strip()
    stop_emulator(home)
    (EmulatorFiles(home).data / "tasks" / f"{lost}.json").unlink()

    resumed = command("resume")
    assert resumed.returncode == 0, resumed.stderr
    assert "2 unfinished task(s) cannot be reached" in resumed.stderr
    assert f"nothing answers at {gone.base_url}" in resumed.stderr and "does not know it" in resumed.stderr
    forget_line = re.search(r"`(hfwidgets forget [^`]+)`", resumed.stderr)
    assert forget_line and set(forget_line.group(1).split()[2:]) == {orphan, lost}

    forgotten = command(*forget_line.group(1).split()[1:])
    assert forgotten.returncode == 0, forgotten.stderr
    assert sorted(forgotten.stdout.splitlines()) == sorted([f"{orphan}\tabandoned", f"{lost}\tabandoned"])
    statuses = {row["id"]: row["status"] for row in command.json("history", "--json")}
    assert statuses == {orphan: "abandoned", lost: "abandoned"}
    assert f"{orphan}\t" in command("history").stdout and "abandoned" in command("history").stdout
    again = command("resume", "--json")
    assert again.returncode == 0 and json.loads(again.stdout) == []
    assert "cannot be reached" not in again.stderr
    assert Journal(home / "journal.sqlite3").pending() == []

    unknown = command("forget", "no-such-task")
    assert unknown.returncode == EXIT_FAILED and "no task no-such-task in the journal" in unknown.stderr
