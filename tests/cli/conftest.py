"""Fixtures of the command-line tests: the `hfwidgets` command run as a subprocess against a real
emulator served from this process, so its per-endpoint counters tell what the command sent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hfwidgets.emulator import EmulatorServer, Timing, serve

from .cli_support import Command

IMAGES = Path(__file__).resolve().parents[2] / "notebooks" / "images"


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    """A private emulator: tests set fault knobs and read its counters."""
    with serve(timing=Timing(queued=0.2, in_progress=0.8)) as running:
        yield running


@pytest.fixture
def slow_server() -> Iterator[EmulatorServer]:
    """Tasks that take a few seconds: time to interrupt a command while it waits."""
    with serve(timing=Timing(queued=0.5, in_progress=4.0)) as running:
        yield running


@pytest.fixture
def hfwidgets_cmd(server: EmulatorServer, tmp_path: Path) -> Command:
    return Command(server, tmp_path)


@pytest.fixture
def cat() -> Path:
    return IMAGES / "cat.jpg"
