"""Emulators for the core tests that skip real rendering (one shared small clip): fast on a busy machine."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from hfwidgets.emulator import EmulatorServer


@pytest.fixture(scope="module")
def quick_emulator() -> Iterator[EmulatorServer]:
    """A real emulator server that reuses one clip for every task; knobs must stay untouched."""
    from hfwidgets.emulator import serve

    with serve(render=False) as server:
        yield server


@pytest.fixture
def fresh_quick_emulator() -> Iterator[EmulatorServer]:
    """A private non-rendering emulator for tests that set fault knobs or count requests."""
    from hfwidgets.emulator import serve

    with serve(render=False) as server:
        yield server
