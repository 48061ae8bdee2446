"""What a newcomer meets first on the command line: each error names the command's own options
and commands, says what happened, and exits with the documented code; quiet things are said."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

from hfwidgets._cli import EXIT_DONE, EXIT_NETWORK, EXIT_TIMEOUT, EXIT_USAGE
from hfwidgets._models import SIZE_PRESETS
from hfwidgets.emulator import EmulatorServer

from .cli_support import UUID, Command, cli_environment


def closed_port() -> int:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_image_url_that_answers_404_says_so_and_names_size(
    hfwidgets_cmd: Command, private_emulator: EmulatorServer
) -> None:
    done = hfwidgets_cmd("run", f"{private_emulator.base_url}/samples/nothing-here.jpg", "-m", "Static")
    assert done.returncode == EXIT_USAGE, done.stderr
    assert "answered HTTP 404" in done.stderr and "pass --size" in done.stderr, done.stderr
    assert "width=" not in done.stderr  # Python's arguments are not the command's
    assert private_emulator.counters["generate"] == 0


def test_an_unreachable_image_url_says_so(hfwidgets_cmd: Command, private_emulator: EmulatorServer) -> None:
    done = hfwidgets_cmd("submit", f"http://127.0.0.1:{closed_port()}/cat.jpg", "-m", "Static")
    assert done.returncode == EXIT_USAGE, done.stderr
    assert "could not be reached (ConnectError)" in done.stderr and "pass --size" in done.stderr
    assert private_emulator.counters["generate"] == 0


def test_an_image_url_with_size_given_is_not_read(
    hfwidgets_cmd: Command, private_emulator: EmulatorServer
) -> None:
    done = hfwidgets_cmd(
        "submit", f"{private_emulator.base_url}/samples/landscape.jpg", "-m", "Static", "--size", "16:9"
    )
    assert done.returncode == EXIT_DONE, done.stderr
    assert re.fullmatch(UUID, done.stdout.strip())


def test_a_ratio_not_offered_lists_the_accepted_ones(hfwidgets_cmd: Command, cat: Path) -> None:
    done = hfwidgets_cmd("run", str(cat), "-m", "Static", "--size", "7:3")
    assert done.returncode == EXIT_USAGE
    assert "--size='7:3'" in done.stderr
    for ratio in SIZE_PRESETS:
        assert ratio in done.stderr, ratio


def test_timeout_names_the_command_that_picks_the_task_up(
    hfwidgets_cmd: Command, private_emulator: EmulatorServer, cat: Path
) -> None:
    private_emulator.faults.stall_tasks()
    done = hfwidgets_cmd("submit", str(cat), "-m", "Static")
    task_id = done.stdout.strip()
    waited = hfwidgets_cmd("wait", task_id, "--timeout", "0.5")
    assert waited.returncode == EXIT_TIMEOUT
    assert f"`hfwidgets wait {task_id}` picks it up" in waited.stderr
    assert "wait('" not in waited.stderr  # the Python call is not what a shell user types


def test_a_service_that_cannot_be_reached_exits_with_the_network_code(tmp_path: Path, cat: Path) -> None:
    command = Command(None, tmp_path)
    command.env.update(
        OPENAI_HK_API_KEY="hk-cli-test", OPENAI_HK_BASE_URL=f"http://127.0.0.1:{closed_port()}"
    )
    done = command("submit", str(cat), "-m", "Static")
    assert done.returncode == EXIT_NETWORK, done.stderr
    assert "network error" in done.stderr


def test_out_says_which_folder_it_created(hfwidgets_cmd: Command, cat: Path) -> None:
    done = hfwidgets_cmd("run", str(cat), "-m", "Static", "--out", "clips/today/cat.mp4", "-q")
    assert done.returncode == EXIT_DONE, done.stderr
    assert (hfwidgets_cmd.cwd / "clips" / "today" / "cat.mp4").stat().st_size > 0
    assert "created folder clips\n" in done.stderr
    again = hfwidgets_cmd("run", str(cat), "-m", "Static", "--out", "clips/today/again.mp4", "-q")
    assert again.returncode == EXIT_DONE and "created folder" not in again.stderr


def test_resume_with_nothing_pending_starts_no_emulator(tmp_path: Path) -> None:
    command = Command(None, tmp_path)  # no key: a resume with work to do would start an emulator
    done = command("resume")
    assert done.returncode == EXIT_DONE, done.stderr
    assert done.stderr == "nothing to resume: the journal holds no unfinished task\n"
    assert done.stdout == ""


def test_emulator_help_on_a_core_install_shows_the_options_then_the_extra(tmp_path: Path) -> None:
    # The emulator's libraries made unimportable, as on `pip install hfwidgets` alone (the
    # packaging tests run the same command in a real core-only venv).
    code = (
        "import sys\n"
        "for name in ('starlette', 'uvicorn', 'av', 'numpy'): sys.modules[name] = None\n"
        "from hfwidgets._cli import main\n"
        "main(['emulator', '--help'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=cli_environment(None, tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == EXIT_DONE, done.stderr
    assert done.stdout.startswith("usage: hfwidgets emulator")
    assert "--port" in done.stdout and "--realistic" in done.stdout
    assert done.stdout.rstrip().endswith(
        'Running it needs the "emulator" extra: pip install "hfwidgets[emulator]"'
    )
