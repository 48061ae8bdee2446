"""Shared fixtures: every test runs with no real key and a private journal directory."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from hfwidgets.emulator import EmulatorServer


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's sync API keeps an event loop running in the main
    thread for as long as its session fixtures live, which would break every asyncio test after it."""
    items.sort(key=lambda item: item.get_closest_marker("ui") is not None or "ui" in item.path.parts)


EMULATOR_IDLE_SECONDS = "300"
"""The idle stop of the emulators tests start: the second guarantee that none outlives the suite."""


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("OPENAI_HK_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_HK_BASE_URL", raising=False)
    monkeypatch.delenv("HFWIDGETS_MOTIONS_URL", raising=False)
    monkeypatch.setenv("HFWIDGETS_HOME", str(tmp_path / "hfwidgets-home"))
    monkeypatch.setenv("HFWIDGETS_EMULATOR_IDLE", EMULATOR_IDLE_SECONDS)


SESSION_HOME = os.environ.get("HFWIDGETS_HOME", "").strip()
"""The home the session was started with (scripts/test.sh sets one): the tutorials' kernels use it."""


@pytest.fixture(scope="session", autouse=True)
def _no_emulator_left(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """When the session ends, stop the background emulator of every home the tests used (each
    test has its own, under the session's temporary folder)."""
    yield
    from hfwidgets._home_emulator import stop_emulator

    for state in tmp_path_factory.getbasetemp().rglob("emulator/server.json"):
        stop_emulator(state.parent.parent)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Stop the emulator of the session's own home, when one was set: the tutorials (nbval)
    run there, and their items use no fixture."""
    if SESSION_HOME:
        from hfwidgets._home_emulator import stop_emulator

        stop_emulator(Path(SESSION_HOME))


@pytest.fixture(params=["httpx", "aiohttp"])
def both_transports(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test once on httpx's transport and once on aiohttp's: the default every Client
    built in the test picks up (`HFWIDGETS_TRANSPORT`)."""
    from hfwidgets._client import TRANSPORT_ENV

    name: str = request.param
    monkeypatch.setenv(TRANSPORT_ENV, name)
    return name


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorServer]:
    """One real emulator server (free port, background thread) for the whole session.

    Tests that change fault knobs must use `fresh_emulator` instead.
    """
    from hfwidgets.emulator import serve

    with serve() as server:
        yield server


@pytest.fixture
def fresh_emulator() -> Iterator[EmulatorServer]:
    """A private emulator server for tests that set fault knobs or count requests."""
    from hfwidgets.emulator import serve

    with serve() as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Debian Chromium for the whole session, shared by the docs and UI tests:
    Playwright's sync API runs one instance per thread at a time (never `playwright install`)."""
    from .ui.ui_harness import CHROMIUM_ARGS, find_chromium

    path = find_chromium()
    if path is None:
        pytest.skip("no Chromium: install Debian's `chromium` (scripts/setup.sh does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=list(CHROMIUM_ARGS))
        yield chromium
        chromium.close()
