"""Fixtures of the widget tests (helpers live in widget_support.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest

from .widget_support import fast_client, png_bytes

if TYPE_CHECKING:
    from hfwidgets._client import Client
    from hfwidgets.emulator import EmulatorServer


@pytest.fixture
async def client(fresh_emulator: EmulatorServer) -> AsyncIterator[Client]:
    """A fast-polling client of a private emulator, closed after the test."""
    made = fast_client(fresh_emulator)
    yield made
    await made.aclose()


@pytest.fixture
def photo() -> bytes:
    """A 320x240 (4:3) PNG."""
    return png_bytes()
