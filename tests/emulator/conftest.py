"""Fixtures of the emulator tests: real servers on free ports, short task durations."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hfwidgets.emulator import EmulatorServer, serve

from .emulator_support import FAST


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    """One emulator per test module, with short task durations."""
    with serve(timing=FAST) as running:
        yield running


@pytest.fixture
def fresh() -> Iterator[EmulatorServer]:
    """A private emulator for tests that set fault knobs or read counters."""
    with serve(timing=FAST) as running:
        yield running
