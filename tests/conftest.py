"""Shared fixtures: every test runs with no real key and a private journal directory."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from hfwidgets._client import Client
    from hfwidgets.emulator import EmulatorServer


def is_browser_test(item: pytest.Item) -> bool:
    """Tests driving Chromium: those of tests/ui and those marked `ui` elsewhere."""
    return item.get_closest_marker("ui") is not None or "ui" in item.path.parts


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's sync API keeps an event loop running in the main
    thread for as long as its session fixtures live, which would break every asyncio test after it.
    Under pytest-xdist they run on a worker of their own (tests/scheduling.py)."""
    items.sort(key=is_browser_test)
    if hasattr(config, "workerinput"):
        from .scheduling import check_browser_modules

        check_browser_modules([item for item in items if is_browser_test(item)])


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """`-n 3` (scripts/test.sh): modules spread over the workers, browser tests last on theirs."""
    from .scheduling import BrowserTestsApart

    return BrowserTestsApart(config, log)


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
    run there, and their items use no fixture. Under pytest-xdist the workers share that home,
    so only the controller stops it, once every worker is done."""
    if SESSION_HOME and not hasattr(session.config, "workerinput"):
        from hfwidgets._home_emulator import stop_emulator

        stop_emulator(Path(SESSION_HOME))


@pytest.fixture(params=["httpx", "aiohttp"])
def both_transports(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test once on httpx's transport and once on aiohttp's: the default every Client
    built in the test picks up (`HFWIDGETS_TRANSPORT`)."""
    from hfwidgets._connections import TRANSPORT_ENV

    name: str = request.param
    monkeypatch.setenv(TRANSPORT_ENV, name)
    return name


# --------------------------------------------------------------------------- emulators
# Every kind of emulator the tests use, defined here once (tests/README.md lists them). "Shared"
# ones serve many tests: never turn their fault knobs, and read their counters only as the
# difference your own calls made. A test that turns knobs or counts requests takes a private one.


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorServer]:
    """Shared by the session: renders real clips from the input image."""
    from hfwidgets.emulator import serve

    with serve() as server:
        yield server


@pytest.fixture(scope="session")
def quick_emulator() -> Iterator[EmulatorServer]:
    """Shared by the session, no rendering: every task reuses one small clip (fast on a busy machine)."""
    from hfwidgets.emulator import serve

    with serve(render=False) as server:
        yield server


@pytest.fixture
def private_emulator() -> Iterator[EmulatorServer]:
    """This test's own, rendering: its fault knobs and counters are the test's to use."""
    from hfwidgets.emulator import serve

    with serve() as server:
        yield server


@pytest.fixture
def private_quick_emulator() -> Iterator[EmulatorServer]:
    """This test's own, no rendering: knobs and counters the test's to use."""
    from hfwidgets.emulator import serve

    with serve(render=False) as server:
        yield server


@pytest.fixture(scope="session")
def ui_emulator() -> Iterator[EmulatorServer]:
    """Shared by the browser tests: the emulator the keyed Jupyter, Voilà and marimo servers'
    kernels talk to (tests/ui/conftest.py). Timings long enough to see `queued` and `in_progress`
    on screen; no rendering (a test that shows the user's own image turns it on, `state.render`).
    Tests that turn its fault knobs clear them when done."""
    from hfwidgets.emulator import serve

    from .ui.ui_harness import fast_timing

    with serve(timing=fast_timing(), render=False) as server:
        yield server


# --------------------------------------------------------------------------- clients


@pytest.fixture
async def private_client(private_emulator: EmulatorServer) -> AsyncIterator[Client]:
    """A Client of `private_emulator` polling every 0.1 s, closed after the test."""
    from .widgets.widget_support import fast_client

    made = fast_client(private_emulator)
    yield made
    await made.aclose()


@pytest.fixture
async def emulator_client(emulator: EmulatorServer) -> AsyncIterator[Client]:
    """A Client of the shared `emulator` polling every 0.1 s, closed after the test."""
    from .widgets.widget_support import fast_client

    made = fast_client(emulator)
    yield made
    await made.aclose()


# --------------------------------------------------------------------------- images


@pytest.fixture
def photo_bytes() -> bytes:
    """A 320x240 (4:3) PNG, as bytes."""
    from .widgets.widget_support import png_bytes

    return png_bytes()


@pytest.fixture(scope="session")
def photo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 640x480 JPEG file made with Pillow: a small landscape, what a person would upload."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 480))
    draw = ImageDraw.Draw(image)
    for y in range(300):  # sky, dusk at the top
        draw.line([(0, y), (639, y)], fill=(70 + y // 3, 110 + y // 4, 190 - y // 6))
    draw.ellipse((430, 70, 530, 170), fill=(255, 214, 110))  # sun
    draw.polygon([(0, 300), (150, 170), (290, 300)], fill=(86, 96, 130))  # mountains
    draw.polygon([(200, 300), (380, 140), (560, 300)], fill=(70, 80, 118))
    draw.rectangle((0, 300, 639, 479), fill=(70, 130, 70))  # meadow
    draw.rectangle((90, 330, 210, 420), fill=(200, 90, 60))  # a house
    draw.polygon([(80, 330), (150, 280), (220, 330)], fill=(120, 50, 40))
    draw.rectangle((135, 370, 165, 420), fill=(80, 50, 30))
    path = tmp_path_factory.mktemp("images") / "sunny.jpg"
    image.save(path, "JPEG", quality=85)
    return path


# --------------------------------------------------------------------------- browser


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
