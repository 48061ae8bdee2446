"""`python -m hfwidgets.emulator` serves in the foreground until stopped."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import httpx
import pytest

from .emulator_support import AUTH


@pytest.mark.slow
def test_module_runs_a_server_and_stops_on_ctrl_c() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "hfwidgets.emulator", "--port", "0", "--host", "127.0.0.1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", first)
        assert match, first
        base_url = match.group(1)
        hint = process.stdout.readline() + process.stdout.readline()
        assert f"OPENAI_HK_BASE_URL={base_url}" in hint and "OPENAI_HK_API_KEY=" in hint
        assert len(httpx.get(f"{base_url}/motions", timeout=10).json()) == 30
        assert httpx.get(f"{base_url}/higgsfield/feed/nope", headers=AUTH, timeout=10).status_code == 404
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=20)
    assert code == 0


def test_help_describes_the_options() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hfwidgets.emulator", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    for option in ("--port", "--host", "--realistic"):
        assert option in result.stdout
