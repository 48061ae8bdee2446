"""Fixtures of the command-line tests: the `hfwidgets` command run as a subprocess against a real
emulator served from this process, so its per-endpoint counters tell what the command sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from hfwidgets.emulator import EmulatorServer

from .cli_support import Command

IMAGES = Path(__file__).resolve().parents[2] / "notebooks" / "images"


@pytest.fixture
def hfwidgets_cmd(private_emulator: EmulatorServer, tmp_path: Path) -> Command:
    return Command(private_emulator, tmp_path)


@pytest.fixture
def cat() -> Path:
    return IMAGES / "cat.jpg"
