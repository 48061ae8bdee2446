"""Running `python -m hfwidgets ...` against an emulator, with a private journal and working dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from hfwidgets.emulator import EmulatorServer

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def cli_environment(server: EmulatorServer | None, home: Path) -> dict[str, str]:
    """The environment of a command: the emulator as the configured service (or no key at all)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("OPENAI_HK_API_KEY", "OPENAI_HK_BASE_URL", "HFWIDGETS_MOTIONS_URL")
    }
    env["HFWIDGETS_HOME"] = str(home)
    env["PYTHONUNBUFFERED"] = "1"
    if server is not None:
        env["OPENAI_HK_API_KEY"] = "hk-cli-test"
        env["OPENAI_HK_BASE_URL"] = server.base_url
        env["HFWIDGETS_MOTIONS_URL"] = server.motions_url
    return env


class Command:
    """`hfwidgets` bound to one emulator, one journal directory and one working directory."""

    def __init__(self, server: EmulatorServer | None, tmp_path: Path) -> None:
        self.server = server
        self.cwd = tmp_path / "work"
        self.cwd.mkdir(exist_ok=True)
        self.env = cli_environment(server, tmp_path / "home")

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "hfwidgets", *args]

    def __call__(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(*args),
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.argv(*args),
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def json(self, *args: str) -> Any:
        done = self(*args)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


def is_mp4(path: Path) -> bool:
    """An ISO media file: its first box is `ftyp`."""
    with path.open("rb") as handle:
        head = handle.read(12)
    return len(head) == 12 and head[4:8] == b"ftyp"
