"""The emulator of a home, as separate processes see it: one background process per HFWIDGETS_HOME.

Every scenario runs the processes a user would (fresh interpreters with no key, a fresh home)
and looks at what they leave: the state file, the emulator's own status route, its process.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hfwidgets._home_emulator import EmulatorFiles, find_emulator, stop_emulator
from hfwidgets._journal import Journal
from hfwidgets._processes import process_alive

SUBMIT = """
import asyncio, io
from PIL import Image
import hfwidgets

async def main():
    async with hfwidgets.Client() as client:
        buffer = io.BytesIO(); Image.new("RGB", (64, 64), (200, 90, 40)).save(buffer, "PNG")
        task = await client.generate(buffer.getvalue(), "Static", width=64, height=64)
        print(client.base_url, task.id)

asyncio.run(main())
"""

FEED = """
import asyncio, sys
import hfwidgets

async def main():
    async with hfwidgets.Client() as client:
        feed = await client.wait(sys.argv[1], timeout=60)
        print(client.base_url, feed.status, feed.video_url)

asyncio.run(main())
"""


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    """A fresh home; its emulator is stopped after the test."""
    folder = tmp_path / "home"
    yield folder
    stop_emulator(folder)


def python(code: str, home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("OPENAI_HK_API_KEY", "OPENAI_HK_BASE_URL", "HFWIDGETS_MOTIONS_URL")
    }
    environment.update(HFWIDGETS_HOME=str(home), **env)
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done


def submit(home: Path, **env: str) -> tuple[str, str]:
    base_url, task_id = python(SUBMIT, home, **env).stdout.split()
    return base_url, task_id


def follow(home: Path, task_id: str) -> list[str]:
    return python(FEED, home, task_id).stdout.split()


def state(home: Path) -> dict[str, object]:
    info = EmulatorFiles(home).read_state()
    assert info is not None
    return info


def wait_until_ended(pid: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while process_alive(pid):
        assert time.monotonic() < deadline, f"process {pid} still runs"
        time.sleep(0.05)


def test_a_task_made_by_one_process_is_followed_by_another_after_the_first_exited(home: Path) -> None:
    base_url, task_id = submit(home)
    assert base_url.startswith("http://127.0.0.1:")
    assert follow(home, task_id) == [base_url, "completed", f"{base_url}/files/{task_id}.mp4"]
    emulator = find_emulator(home)
    assert emulator is not None and emulator.base_url == base_url
    assert emulator.status()["counters"]["generate"] == 1  # one emulator saw both processes
    (record,) = Journal(home / "journal.sqlite3").records()
    assert (record.id, record.base_url, record.status) == (task_id, base_url, "completed")


def test_two_processes_starting_at_once_share_one_emulator(home: Path) -> None:
    code = "from hfwidgets._session import shared_emulator; e = shared_emulator(); print(e.pid, e.port)"
    environment = {
        k: v for k, v in os.environ.items() if k not in ("OPENAI_HK_API_KEY", "OPENAI_HK_BASE_URL")
    }
    environment["HFWIDGETS_HOME"] = str(home)
    racers = [
        subprocess.Popen([sys.executable, "-c", code], env=environment, stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    answers = {racer.communicate(timeout=180)[0].strip() for racer in racers}
    assert len(answers) == 1, answers
    assert answers == {f"{state(home)['pid']} {state(home)['port']}"}


def test_the_emulator_listens_on_loopback_only_and_keeps_its_files_private(home: Path) -> None:
    submit(home)
    port = int(str(state(home)["port"]))
    listening = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table, encoding="ascii") as rows:
            for row in list(rows)[1:]:
                local, status = row.split()[1], row.split()[3]
                if status == "0A" and int(local.rpartition(":")[2], 16) == port:
                    listening.append(local.rpartition(":")[0])
    assert listening == ["0100007F"]  # 127.0.0.1, and nothing else
    files = EmulatorFiles(home)
    for folder in (files.directory, files.data, files.users):
        assert folder.stat().st_mode & 0o077 == 0 and folder.stat().st_uid == os.getuid()
    for private in (files.state, files.port, files.log):
        assert private.stat().st_mode & 0o077 == 0, private


def test_a_killed_emulator_is_replaced_on_the_same_port_and_still_answers_for_its_tasks(home: Path) -> None:
    base_url, task_id = submit(home)
    killed = int(str(state(home)["pid"]))
    os.kill(killed, signal.SIGKILL)
    wait_until_ended(killed)
    assert EmulatorFiles(home).state.exists()  # a crash leaves its state file behind
    assert find_emulator(home) is None

    assert follow(home, task_id) == [base_url, "completed", f"{base_url}/files/{task_id}.mp4"]
    assert state(home)["pid"] != killed and f"http://127.0.0.1:{state(home)['port']}" == base_url


def test_a_state_file_naming_someone_else_is_replaced(home: Path) -> None:
    files = EmulatorFiles(home)
    files.prepare()
    files.write_state(
        {"pid": os.getpid(), "port": 9, "token": "not-an-emulator", "windows": {}, "realistic": False}
    )
    base_url, _ = submit(home)
    assert state(home)["pid"] != os.getpid() and base_url == f"http://127.0.0.1:{state(home)['port']}"
    assert process_alive(os.getpid())  # the process the stale file named was left alone


def test_stop_ends_the_process_and_a_restart_answers_for_earlier_tasks(home: Path) -> None:
    base_url, task_id = submit(home)
    assert follow(home, task_id)[1] == "completed"
    pid = int(str(state(home)["pid"]))
    stop = python("from hfwidgets._cli import main; main(['emulator', 'stop'])", home)
    assert "stopped the local emulator" in stop.stderr
    assert not process_alive(pid) and not EmulatorFiles(home).state.exists()
    assert find_emulator(home) is None

    assert follow(home, task_id) == [base_url, "completed", f"{base_url}/files/{task_id}.mp4"]


def test_an_idle_emulator_stops_by_itself_once_no_process_uses_it(home: Path) -> None:
    code = "from hfwidgets._session import shared_emulator; print(shared_emulator().pid)"
    pid = int(python(code, home, HFWIDGETS_EMULATOR_IDLE="0.5").stdout)
    wait_until_ended(pid)
    assert not EmulatorFiles(home).state.exists()  # it cleaned up after itself
    assert "no request for" in EmulatorFiles(home).log.read_text()


def test_a_clip_an_emulator_stopped_making_is_made_by_the_next(home: Path) -> None:
    _, task_id = submit(home)
    assert follow(home, task_id)[1] == "completed"
    stop_emulator(home)
    data = EmulatorFiles(home).data
    task_file = data / "tasks" / f"{task_id}.json"
    saved = json.loads(task_file.read_text())
    saved.update(rendered_at=None, clip=None)  # as if it had stopped while rendering
    task_file.write_text(json.dumps(saved))
    for clip in data.glob(f"{task_id}*.mp4"):
        clip.unlink()
    assert follow(home, task_id)[1] == "completed"
    assert (data / f"{task_id}.mp4").stat().st_size > 0


def test_when_its_port_is_taken_the_emulator_moves_and_the_journal_follows(home: Path) -> None:
    old_url, task_id = submit(home)
    stop_emulator(home)
    with socket.socket() as squatter:  # another program takes the port meanwhile
        squatter.bind(("127.0.0.1", int(old_url.rpartition(":")[2])))
        squatter.listen()
        new_url, status, video = follow(home, task_id)
    assert new_url != old_url and status == "completed" and video.startswith(new_url)
    (record,) = Journal(home / "journal.sqlite3").records()
    assert record.base_url == new_url and (record.video_url or "").startswith(new_url)


def test_an_emulator_whose_home_was_removed_stops(home: Path) -> None:
    code = "from hfwidgets._session import shared_emulator; print(shared_emulator().pid)"
    pid = int(python(code, home).stdout)
    EmulatorFiles(home).state.unlink()  # as when the home is deleted: nothing can find it any more
    wait_until_ended(pid)
