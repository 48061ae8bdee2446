"""The blocking facade from a plain script and from inside a running event loop, and the default client."""

from __future__ import annotations

import asyncio
import io
import logging
import multiprocessing
import os
import queue
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from PIL import Image

import hfwidgets
from hfwidgets import Feed, PollPolicy, TaskFailed

if TYPE_CHECKING:
    from hfwidgets.emulator import EmulatorServer

QUICK = PollPolicy(
    priors={"lite": (0.5, 5.0), "turbo": (0.5, 5.0), "standard": (0.5, 5.0), "ads": (0.5, 5.0)},
    first_delay=0.2,
    window_interval=0.1,
    cap=0.5,
)


def picture() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 300), (90, 160, 60)).save(buffer, "PNG")
    return buffer.getvalue()


def test_run_from_a_plain_script(emulator: EmulatorServer, tmp_path: Path) -> None:
    image = tmp_path / "cat.png"
    image.write_bytes(picture())
    script = textwrap.dedent(
        f"""
        import hfwidgets
        feed = hfwidgets.run({str(image)!r}, "Face Punch", "a cat", seed=11, timeout=60)
        print("STATUS", feed.status)
        print("VIDEO", feed.video_url)
        print("SEED", feed.params.seed)
        """
    )
    env = {
        **os.environ,
        "OPENAI_HK_API_KEY": "hk-emulator",
        "OPENAI_HK_BASE_URL": emulator.base_url,
        "HFWIDGETS_HOME": str(tmp_path / "home"),
    }
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)
    assert lines["STATUS"] == "completed"
    assert lines["VIDEO"].startswith(emulator.base_url) and lines["VIDEO"].endswith(".mp4")
    assert lines["SEED"] == "11"
    assert "hfwidgets Face Punch (lite): " in done.stderr  # the text progress bar, naming the motion
    assert "hk-emulator" not in done.stderr + done.stdout
    # The task was journalled in the script's own home.
    from hfwidgets._journal import Journal

    journal = Journal(tmp_path / "home" / "journal.sqlite3")
    assert [r.status for r in journal.records()] == ["completed"]


def test_run_inside_a_running_event_loop(quick_emulator: EmulatorServer) -> None:
    """As in a Jupyter cell: a loop is already running in this thread when run() is called."""
    client = quick_emulator.client(poll=QUICK, journal=False)

    async def cell() -> Feed:
        assert asyncio.get_running_loop().is_running()
        return hfwidgets.run(picture(), "Face Punch", client=client, progress=False, timeout=60)

    feed = asyncio.run(cell())
    assert feed.status == "completed" and feed.video_url
    # The same client still works on this thread's own loop afterwards.
    again = asyncio.run(client.feed(feed.id))
    assert again.video_url == feed.video_url


def test_run_raises_task_failures(private_quick_emulator: EmulatorServer) -> None:
    private_quick_emulator.faults.task_outcome("nsfw")
    client = private_quick_emulator.client(poll=QUICK, journal=False)
    with pytest.raises(TaskFailed, match="nsfw"):
        hfwidgets.run(picture(), "Face Punch", client=client, progress=False, timeout=60)


def test_run_validates_before_sending(private_quick_emulator: EmulatorServer) -> None:
    client = private_quick_emulator.client(poll=QUICK, journal=False)
    with pytest.raises(hfwidgets.ValidationError, match="seed"):
        hfwidgets.run(picture(), "Face Punch", seed=0, client=client, progress=False)
    assert private_quick_emulator.counters["generate"] == 0


def test_resume_finishes_journalled_tasks(private_quick_emulator: EmulatorServer, tmp_path: Path) -> None:
    from hfwidgets._journal import Journal

    journal = Journal(tmp_path / "j.sqlite3")
    client = private_quick_emulator.client(poll=QUICK, journal=journal)
    task = asyncio.run(client.generate(picture(), "Face Punch"))
    feeds = hfwidgets.resume(client=client, progress=False, timeout=60)
    assert [(f.id, f.status) for f in feeds] == [(task.id, "completed")]


def _run_in_child(inherited: hfwidgets.Client, base_url: str, answers: Any) -> None:
    """The forked child: run() with the parent's client, then with one of its own."""
    own = hfwidgets.Client("hk-emulator", base_url, poll=QUICK)
    for client in (inherited, own):
        feed = hfwidgets.run(
            picture(), "Face Punch", "from the child", client=client, progress=False, timeout=60
        )
        answers.put((feed.id, feed.status, feed.video_url))


@pytest.mark.timeout(180)
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_run_works_in_a_forked_child(quick_emulator: EmulatorServer) -> None:
    """multiprocessing's default on Linux: the child gets a copy of the parent's loop, not its thread."""
    client = quick_emulator.client(poll=QUICK)
    before = hfwidgets.run(picture(), "Face Punch", client=client, progress=False, timeout=60)
    assert before.status == "completed"  # the parent's loop thread runs, the client has connections on it
    context = multiprocessing.get_context("fork")
    answers = context.Queue()
    child = context.Process(target=_run_in_child, args=(client, quick_emulator.base_url, answers))
    child.start()
    try:
        got = [answers.get(timeout=90) for _ in range(2)]  # a hang fails here instead of blocking
    except queue.Empty:
        pytest.fail("run() in a forked child sent nothing within 90 s")
    finally:
        child.join(timeout=30)
        if child.is_alive():
            child.kill()
            child.join()
    assert child.exitcode == 0
    assert [status for _, status, _ in got] == ["completed", "completed"]
    assert len({task_id for task_id, _, _ in got} | {before.id}) == 3
    assert all(url and url.startswith(quick_emulator.base_url) for _, _, url in got)
    # The parent is unharmed: its loop and its client's connections still work.
    after = hfwidgets.run(picture(), "Face Punch", client=client, progress=False, timeout=60)
    assert after.status == "completed"


def test_the_progress_line_names_the_motion_without_a_stray_comma(
    private_quick_emulator: EmulatorServer, capsys: pytest.CaptureFixture[str]
) -> None:
    client = private_quick_emulator.client(poll=QUICK, journal=False)
    feed = hfwidgets.run(picture(), "Face Punch", client=client, timeout=60)
    lines = [line for line in capsys.readouterr().err.replace("\r", "\n").splitlines() if line.strip()]
    assert lines, "no progress line"
    last = lines[-1]
    assert last.startswith(f"hfwidgets Face Punch (lite): task {feed.id} done"), last
    assert ", " not in last.split(" [")[0] and ": ," not in last


def test_resume_with_nothing_pending_starts_no_emulator_and_says_nothing(tmp_path: Path) -> None:
    code = textwrap.dedent(
        """
        import sys
        import psutil
        import hfwidgets
        print(hfwidgets.resume(), "hfwidgets.emulator" in sys.modules, psutil.Process().children())
        """
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("OPENAI_HK_API_KEY", "OPENAI_HK_BASE_URL", "HFWIDGETS_MOTIONS_URL")
    }
    env["HFWIDGETS_HOME"] = str(tmp_path / "home")
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[] False []\n"
    assert done.stderr == ""


def test_keyboard_interrupt_stops_waiting_and_names_the_task(
    private_quick_emulator: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    from hfwidgets import _sync

    private_quick_emulator.faults.stall_tasks()
    client = private_quick_emulator.client(poll=QUICK, journal=False)
    state = _sync._Progress()
    real = _sync._make_bar
    calls = {"n": 0}

    class InterruptingBar:
        """Stands in for tqdm and raises KeyboardInterrupt as Ctrl-C would, once the task exists."""

        def __init__(self) -> None:
            self.bar = real("test")

        def set_description_str(self, text: str, refresh: bool = True) -> None:
            calls["n"] += 1
            if state.task_id and calls["n"] > 3:
                raise KeyboardInterrupt
            self.bar.set_description_str(text, refresh=refresh)

        def __getattr__(self, name: str) -> object:
            return getattr(self.bar, name)

    async def submit_and_wait() -> Feed:
        task = await client.generate(picture(), "Face Punch")
        state.task_id = task.id
        return await client.wait(task, timeout=60)

    with caplog.at_level(logging.WARNING, logger="hfwidgets"), pytest.raises(KeyboardInterrupt) as caught:
        _sync._block_on_with_bar(submit_and_wait(), state, InterruptingBar())
    assert state.task_id and state.task_id in str(caught.value)
    assert "continues on the server" in str(caught.value)
    polls = private_quick_emulator.counters["feed"]
    import time

    # A poll already on its way when Ctrl-C came may reach a busy server after this reading; after
    # it, none: a wait still running would poll every QUICK seconds.
    time.sleep(0.6)
    settled = private_quick_emulator.counters["feed"]
    assert settled - polls <= 1
    time.sleep(0.6)
    assert private_quick_emulator.counters["feed"] == settled  # the wait was cancelled


def test_default_client_without_a_key_uses_the_shared_emulator(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import asyncio, io
        from PIL import Image
        from hfwidgets._default_client import default_client
        first, second = default_client(journal=False), default_client(journal=False)
        assert first.emulated and second.emulated and first.base_url == second.base_url, (first, second)
        buffer = io.BytesIO(); Image.new("RGB", (64, 64)).save(buffer, "PNG")
        task = asyncio.run(first.generate(buffer.getvalue(), "Face Punch", width=736, height=1312))
        print("BASE", first.base_url)
        print("TASK", task.id)
        """
    )
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_HK_API_KEY", "OPENAI_HK_BASE_URL")}
    env["HFWIDGETS_HOME"] = str(tmp_path / "home")
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "BASE http://127.0.0.1:" in done.stdout and "TASK " in done.stdout
    # One notice, however many default clients: the videos are synthetic, and how to set a key.
    assert done.stderr.count("synthetic") == 1
    assert "OPENAI_HK_API_KEY" in done.stderr


def test_default_client_with_a_key_uses_the_configured_service(monkeypatch: pytest.MonkeyPatch) -> None:
    from hfwidgets import _default_client

    monkeypatch.setenv("OPENAI_HK_API_KEY", "hk-real-looking-key")
    monkeypatch.setenv("OPENAI_HK_BASE_URL", "http://127.0.0.1:9")
    client = _default_client.default_client(journal=False)
    assert not client.emulated and client.base_url == "http://127.0.0.1:9"
    assert "hk-real-looking-key" not in repr(client)


def test_import_patches_nothing() -> None:
    code = (
        "import asyncio, sys; before = asyncio.run; import hfwidgets;"
        "assert asyncio.run is before; assert 'nest_asyncio' not in sys.modules;"
        "assert 'hfwidgets._sync' not in sys.modules and 'tqdm' not in sys.modules; print('ok')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.stdout.strip() == "ok", done.stderr
