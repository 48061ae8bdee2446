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


@pytest.fixture(params=["httpx", "aiohttp"])
def both_transports(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test once on httpx's transport and once on aiohttp's: the default every Client
    built in the test picks up (`HFWIDGETS_TRANSPORT`)."""
    from hfwidgets._client import TRANSPORT_ENV

    name: str = request.param
    monkeypatch.setenv(TRANSPORT_ENV, name)
    return name
