"""The `hfwidgets` command, run as a subprocess against a real emulator: every subcommand, the
JSON output, every exit code, and Ctrl-C during `run` followed by `resume`."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from hfwidgets._cli import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_TIMEOUT, EXIT_UNCERTAIN, EXIT_USAGE
from hfwidgets.emulator import EmulatorServer

from .cli_support import UUID, Command, is_mp4

SUBCOMMANDS = ("run", "submit", "wait", "feed", "download", "ads", "motions", "history", "resume", "emulator")
AD_TEMPLATE = "3hpZ2HB0xS688KnzMIwU16"


# --------------------------------------------------------------------------- help and entry points


def test_help_lists_every_subcommand_and_the_exit_codes(hfwidgets_cmd: Command) -> None:
    done = hfwidgets_cmd("--help")
    assert done.returncode == 0, done.stderr
    for name in SUBCOMMANDS:
        assert re.search(rf"^\s+{name}\s", done.stdout, re.M), name
    for code in ("0", "1", "2", "3", "4", "130"):
        assert re.search(rf"^\s+{code}\s+\w", done.stdout, re.M), code


def test_console_scripts_are_installed_beside_python() -> None:
    bin_dir = Path(sys.executable).parent
    for script in ("hfwidgets", "hfwidgets-emulator"):
        path = shutil.which(script, path=str(bin_dir))
        assert path is not None, script
        done = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0 and "--port" in done.stdout if script.endswith("emulator") else True
    done = subprocess.run(
        [str(bin_dir / "hfwidgets"), "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    assert re.fullmatch(r"hfwidgets, version \d+\.\d+\.\d+\S*\n", done.stdout), done.stdout


# --------------------------------------------------------------------------- making videos


def test_run_submits_once_waits_and_downloads(
    hfwidgets_cmd: Command, private_emulator: EmulatorServer, cat: Path
) -> None:
    done = hfwidgets_cmd(
        "run", str(cat), "--motion", "Face Punch", "--prompt", "the cat eats", "--seed", "42"
    )
    assert done.returncode == 0, done.stderr
    path = Path(done.stdout.strip())
    assert path.parent == hfwidgets_cmd.cwd and re.fullmatch(UUID + r"\.mp4", path.name)
    assert is_mp4(path)
    task_id = path.stem
    assert f"submitted task {task_id}" in done.stderr and f"task {task_id}: completed" in done.stderr
    assert private_emulator.counters["generate"] == 1
    assert private_emulator.tasks[task_id].params["seed"] == 42


def test_run_json_out_model_and_size(
    hfwidgets_cmd: Command, private_emulator: EmulatorServer, cat: Path
) -> None:
    out = hfwidgets_cmd.cwd / "videos" / "cat.mp4"
    result = hfwidgets_cmd.json(
        "run",
        str(cat),
        "-m",
        "Static",
        "--model",
        "turbo",
        "--size",
        "16:9",
        "--out",
        str(out),
        "--json",
        "-q",
    )
    assert result["file"] == str(out) and is_mp4(out)
    assert result["task"]["id"] == result["feed"]["id"]
    assert result["task"]["model"] == "turbo" and result["task"]["cost"] == 7
    assert (result["task"]["width"], result["task"]["height"]) == (1312, 736)
    assert result["feed"]["status"] == "completed" and result["feed"]["video_url"].endswith(".mp4")


def test_submit_prints_the_id_only_then_wait_feed_and_download(
    hfwidgets_cmd: Command, private_emulator: EmulatorServer, cat: Path
) -> None:
    submitted = hfwidgets_cmd("submit", str(cat), "-m", "Face Punch", "--size", "736x1312")
    assert submitted.returncode == 0, submitted.stderr
    assert re.fullmatch(UUID + "\n", submitted.stdout), submitted.stdout
    task_id = submitted.stdout.strip()

    current = hfwidgets_cmd.json("feed", task_id)
    assert current["id"] == task_id and current["status"] in ("queued", "in_progress", "completed")

    waited = hfwidgets_cmd("wait", task_id)
    assert waited.returncode == 0, waited.stderr
    assert waited.stdout.strip().startswith("http://127.0.0.1:")

    finished = hfwidgets_cmd.json("wait", task_id, "--json")
    assert finished["status"] == "completed" and finished["jobs"]

    downloaded = hfwidgets_cmd("download", task_id, "--out", "clip.mp4")
    assert downloaded.returncode == 0, downloaded.stderr
    assert downloaded.stdout.strip() == str(hfwidgets_cmd.cwd / "clip.mp4")
    assert is_mp4(hfwidgets_cmd.cwd / "clip.mp4")
    assert private_emulator.counters["generate"] == 1


def test_submit_json_and_two_frames(hfwidgets_cmd: Command, cat: Path) -> None:
    task = hfwidgets_cmd.json(
        "submit", str(cat), str(cat.with_name("cat_last.jpg")), "-m", "Static", "--json"
    )
    assert re.fullmatch(UUID, task["id"]) and task["kind"] == "image2video" and task["motion"] == "Static"


def test_ads_waits_and_downloads_or_only_submits(
    hfwidgets_cmd: Command, private_emulator: EmulatorServer
) -> None:
    product = hfwidgets_cmd.cwd.parent / "product.jpg"
    shutil.copy(Path(__file__).resolve().parents[2] / "notebooks" / "images" / "product.jpg", product)
    result = hfwidgets_cmd.json("ads", str(product), "--template", AD_TEMPLATE, "--json", "-q")
    assert result["task"]["kind"] == "ads" and result["task"]["cost"] == 13
    assert is_mp4(Path(result["file"]))
    only = hfwidgets_cmd("ads", str(product), "-t", AD_TEMPLATE, "--no-wait")
    assert only.returncode == 0 and re.fullmatch(UUID + "\n", only.stdout)
    assert private_emulator.counters["ads"] == 2


# --------------------------------------------------------------------------- catalogue and journal


def test_motions_filters_and_json(hfwidgets_cmd: Command) -> None:
    found = hfwidgets_cmd("motions", "--search", "arc")
    assert found.returncode == 0
    names = [line.split("\t")[0] for line in found.stdout.splitlines()]
    assert names and all("arc" in name.lower() for name in names)
    mixes = hfwidgets_cmd.json("motions", "--tag", "mix", "--json")
    assert mixes and all("mix" in entry["tags"] for entry in mixes)
    everything = hfwidgets_cmd.json("motions", "--json")
    category = next(entry["categories"][0] for entry in everything if entry.get("categories"))
    in_category = hfwidgets_cmd.json("motions", "--category", category, "--json")
    assert 0 < len(in_category) < len(everything)
    assert all(category in entry["categories"] for entry in in_category)
    live = hfwidgets_cmd.json("motions", "--live", "--json")
    assert len(live) >= 1 and all("id" in entry for entry in live)


def test_history_table_json_and_csv(hfwidgets_cmd: Command, cat: Path) -> None:
    task_id = hfwidgets_cmd("submit", str(cat), "-m", "Static", "--seed", "5").stdout.strip()
    assert hfwidgets_cmd("wait", task_id).returncode == 0
    table = hfwidgets_cmd("history")
    assert table.returncode == 0 and task_id in table.stdout and "completed" in table.stdout
    rows = hfwidgets_cmd.json("history", "--json")
    assert rows[0]["id"] == task_id and rows[0]["seed"] == 5 and rows[0]["status"] == "completed"
    as_csv = hfwidgets_cmd("history", "--csv")
    parsed = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert parsed[0]["id"] == task_id and parsed[0]["cost"] == "5"
    both = hfwidgets_cmd("history", "--json", "--csv")
    assert both.returncode == EXIT_USAGE


# --------------------------------------------------------------------------- exit codes


def test_exit_1_when_the_task_fails(
    hfwidgets_cmd: Command, private_emulator: EmulatorServer, cat: Path
) -> None:
    private_emulator.faults.task_outcome("nsfw")
    done = hfwidgets_cmd("run", str(cat), "-m", "Static", "--json", "-q")
    assert done.returncode == EXIT_FAILED
    assert "nsfw" in done.stderr
    assert json.loads(done.stdout)["status"] == "nsfw"  # the failed feed, for scripts
    assert private_emulator.counters["generate"] == 1


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["run", "{cat}", "-m", "Face Punc"], "did you mean 'Face Punch'"),
        (["run", "{cat}", "-m", "Static", "--seed", "0"], "seed=0"),
        (["run", "{cat}", "-m", "Static", "--size", "700x700"], "size="),
        (["run", "{cat}", "-m", "Static", "--budget", "4"], "budget is 4"),
        (["run", "{cat}", "{cat}", "{cat}", "-m", "Static"], "image="),
        (["run", "{cat}"], "Missing option '-m' / '--motion'"),
        (["run", "{cat}", "-m", "Static", "--model", "ultra"], "'ultra' is not one of"),
        (["ads", "{cat}", "-t", "has space"], "template_id="),
        (["nosuchcommand"], "No such command"),
    ],
)
def test_exit_2_on_bad_usage_and_nothing_is_sent(
    hfwidgets_cmd: Command, private_emulator: EmulatorServer, cat: Path, arguments: list[str], message: str
) -> None:
    done = hfwidgets_cmd(*(argument.format(cat=cat) for argument in arguments))
    assert done.returncode == EXIT_USAGE, done.stderr
    assert message in done.stderr
    assert private_emulator.counters["generate"] == private_emulator.counters["ads"] == 0


def test_exit_3_on_timeout_and_the_task_lives_on(
    hfwidgets_cmd: Command, private_emulator: EmulatorServer, cat: Path
) -> None:
    private_emulator.faults.stall_tasks()
    done = hfwidgets_cmd("run", str(cat), "-m", "Static", "--timeout", "1.5")
    assert done.returncode == EXIT_TIMEOUT
    task_id = re.search(rf"submitted task ({UUID})", done.stderr)
    assert task_id and f"`hfwidgets download {task_id.group(1)}` picks it up" in done.stderr
    assert hfwidgets_cmd("wait", task_id.group(1), "--timeout", "0.5").returncode == EXIT_TIMEOUT
    assert private_emulator.counters["generate"] == 1


def test_exit_4_on_an_uncertain_submission_which_is_never_resent(
    hfwidgets_cmd: Command, private_emulator: EmulatorServer, cat: Path
) -> None:
    private_emulator.faults.drop_connection("generate", processed=True)
    done = hfwidgets_cmd("run", str(cat), "-m", "Static")
    assert done.returncode == EXIT_UNCERTAIN, done.stderr
    assert "NOT resent" in done.stderr
    assert private_emulator.counters["generate"] == 1
    assert len(private_emulator.tasks) == 1  # the service did create (and bill) it


def test_exit_1_when_the_service_refuses(
    hfwidgets_cmd: Command, private_emulator: EmulatorServer, cat: Path
) -> None:
    private_emulator.faults.set_credits(3)
    done = hfwidgets_cmd("submit", str(cat), "-m", "Static")
    assert done.returncode == EXIT_FAILED
    assert "credits" in done.stderr.lower()
    assert private_emulator.counters["generate"] == 1


# --------------------------------------------------------------------------- Ctrl-C, then resume


def test_ctrl_c_during_run_then_resume_finishes_with_exactly_one_post(
    private_emulator: EmulatorServer, tmp_path: Path, cat: Path
) -> None:
    private_emulator.faults.stall_tasks(1)  # it runs until this test lets it end: Ctrl-C always comes first
    command = Command(private_emulator, tmp_path)
    process = command.popen("run", str(cat), "-m", "Face Punch", "--out", "after-resume.mp4")
    assert process.stderr is not None
    task_id = None
    deadline = time.monotonic() + 60
    lines = []
    while task_id is None and time.monotonic() < deadline:
        line = process.stderr.readline()
        lines.append(line)
        found = re.match(rf"task ({UUID}): (queued|in_progress)", line)
        if found:
            task_id = found.group(1)
    assert task_id, "".join(lines)
    process.send_signal(signal.SIGINT)
    try:
        _, err = process.communicate(timeout=30)
    finally:  # never left running (its task is stalled): a failure here must not outlive the test
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == EXIT_INTERRUPTED, err
    assert f"task {task_id} continues on the server" in err
    assert f"`hfwidgets download {task_id} --out after-resume.mp4` picks it up" in err
    assert private_emulator.tasks[task_id].completed_at is None  # interrupted while it was still running

    pending = command.json("history", "--json")
    assert [(row["id"], row["status"]) for row in pending] == [(task_id, pending[0]["status"])]
    assert pending[0]["status"] in ("queued", "in_progress")

    for job in private_emulator.tasks[task_id].jobs:  # the service finishes the task now
        job.outcome, job.finishes_at = "completed", time.time()
    resumed = command("resume")
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.split("\t")[:2] == [task_id, "completed"]
    assert command.json("history", "--json")[0]["status"] == "completed"
    assert command("resume", "--json").stdout.strip() == "[]"  # nothing left
    assert private_emulator.counters["generate"] == 1


# --------------------------------------------------------------------------- the emulator and no key


def test_emulator_subcommand_serves_until_ctrl_c(tmp_path: Path) -> None:
    command = Command(None, tmp_path)
    process = command.popen("emulator", "--port", "0")
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", first)
        assert found, first
        assert len(httpx.get(f"{found.group(1)}/motions", timeout=30).json()) > 0
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    assert process.returncode == 0


def test_without_key_or_base_url_commands_use_the_embedded_emulator(tmp_path: Path, cat: Path) -> None:
    command = Command(None, tmp_path)
    done = command("run", str(cat), "-m", "Static", "--json", "-q")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["feed"]["status"] == "completed" and is_mp4(Path(result["file"]))
    assert "local emulator" in done.stderr and "synthetic" in done.stderr


def test_progress_on_a_terminal_is_a_bar_that_ends_completed(hfwidgets_cmd: Command, cat: Path) -> None:
    import fcntl
    import os
    import struct
    import termios

    controller, terminal = os.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen(
        hfwidgets_cmd.argv("run", str(cat), "-m", "Static"),
        cwd=hfwidgets_cmd.cwd, env=hfwidgets_cmd.env, stdout=subprocess.PIPE, stderr=terminal, text=True,
    )  # fmt: skip
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # EIO: the command closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    out, _ = process.communicate(timeout=60)
    assert process.returncode == 0
    task_id = Path(out.strip()).stem
    frames = shown.decode().split("\r")
    assert any(re.match(rf"task {task_id}, completed \[\d\d:\d\d\]", frame) for frame in frames), frames[-3:]
    # While it waits, the bar counts seconds against the estimate and says what is left.
    assert any(re.match(rf"task {task_id}, \w+ · about \d+ s left +\d+%\|", frame) for frame in frames), (
        frames
    )
    assert f"task {task_id}: completed" not in shown.decode()  # the bar replaces the plain lines


def test_run_says_how_long_the_task_usually_takes_and_what_is_left(
    hfwidgets_cmd: Command, private_emulator: EmulatorServer, cat: Path
) -> None:
    done = hfwidgets_cmd("run", str(cat), "--motion", "Face Punch")
    assert done.returncode == 0, done.stderr
    task_id = Path(done.stdout.strip()).stem
    # The same estimate as the Studio and run(): the priors here, no history yet.
    assert f"task {task_id}: usually 20–60 s" in done.stderr, done.stderr
    assert re.search(rf"task {task_id}: (queued|in_progress) · about \d+ s left", done.stderr), done.stderr
    assert f"task {task_id}: completed\n" in done.stderr
