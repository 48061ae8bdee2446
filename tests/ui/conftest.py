"""Browser tests: a real headless Chromium (Debian's, driven by Playwright) against real
JupyterLab and Notebook 7 servers whose kernels talk to a real emulator on localhost.

Every test here is marked `ui`. The folder is skipped only when no Chromium is installed
(`scripts/setup.sh` installs it, so CI has it).

Shared for the whole session, to keep the wall time low on two cores:
- `ui_emulator` (defined in tests/conftest.py): the emulator the keyed servers' kernels use (short timings);
- `lab`: JupyterLab with `OPENAI_HK_API_KEY=hk-ui-test-...` pointing at `ui_emulator`;
- `lab_without_key`: JupyterLab with no key at all (kernels use their home's background emulator);
- `notebook7`: Notebook 7, keyed like `lab`;
- `voila`: Voilà serving the same notebooks, keyed like `lab`;
- `marimo`: `marimo run` serving the apps of tests/ui/kernel_side, keyed like `lab`;
- `marimo_without_key`: the same with no key (the apps use the emulator);
- `browser`: one Chromium; `axe_script`: axe-core from npm (cached).
Per test, `open_notebook(server, path)` gives a `NotebookPage` in a new tab; at the end of
the test its sessions are deleted, so every test gets a fresh kernel. `open_app(server, url)`
does the same for Voilà and marimo pages (their kernels end with the page).

`remote=True` on either opens the page as if the kernel ran on another machine: the page
reaches the host's own server and nothing else on 127.0.0.1 (the emulator's port included).
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .app_hosts import KERNEL_SIDE, AppPage, AppServer, MarimoServer, OpenApp, VoilaServer
from .page_checks import install_axe
from .ui_harness import (
    UI_KEY_PREFIX,
    JupyterApp,
    JupyterServer,
    NotebookPage,
    OpenNotebook,
    find_chromium,
    isolate,
    jupyter_server,
    keyed_env,
    wants_motion,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ViewportSize

    from hfwidgets.emulator import EmulatorServer

UI_DIR = Path(__file__).parent
REPO = UI_DIR.parent.parent
NOTEBOOKS = REPO / "notebooks"
VIEWPORT: ViewportSize = {"width": 1280, "height": 1000}

CHROMIUM = find_chromium()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(reason="no Chromium: install Debian's `chromium` (scripts/setup.sh does)")
    for item in items:
        if UI_DIR in item.path.parents:
            item.add_marker(pytest.mark.ui)
            if CHROMIUM is None:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def ui_key() -> str:
    """The key given to the keyed servers' kernels (never a real one)."""
    return UI_KEY_PREFIX + uuid.uuid4().hex[:12]


@pytest.fixture(scope="session")
def notebooks_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temp copy of `notebooks/`: the servers' root, so tests never touch the originals
    (with `studio_facts.py`, which test notebooks import)."""
    root = tmp_path_factory.mktemp("ui-notebooks") / "notebooks"
    shutil.copytree(NOTEBOOKS, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    shutil.copyfile(KERNEL_SIDE / "studio_facts.py", root / "studio_facts.py")
    return root


def _server(
    app: JupyterApp, tmp_path_factory: pytest.TempPathFactory, root: Path, env: dict[str, str]
) -> Iterator[JupyterServer]:
    state = tmp_path_factory.mktemp(f"jupyter-{app}")
    with jupyter_server(app, root_dir=root, state_dir=state, kernel_env=env) as server:
        yield server


@pytest.fixture(scope="session")
def lab(
    tmp_path_factory: pytest.TempPathFactory,
    notebooks_root: Path,
    ui_emulator: EmulatorServer,
    ui_key: str,
) -> Iterator[JupyterServer]:
    """JupyterLab whose kernels use `ui_emulator` with a test key."""
    home = tmp_path_factory.mktemp("hfwidgets-home-lab")
    yield from _server("lab", tmp_path_factory, notebooks_root, keyed_env(ui_emulator, ui_key, home))


@pytest.fixture(scope="session")
def lab_without_key(
    tmp_path_factory: pytest.TempPathFactory, notebooks_root: Path
) -> Iterator[JupyterServer]:
    """JupyterLab whose kernels have no key and no base URL: widgets use the home's emulator."""
    home = tmp_path_factory.mktemp("hfwidgets-home-nokey")
    yield from _server("lab", tmp_path_factory, notebooks_root, {"HFWIDGETS_HOME": str(home)})


@pytest.fixture(scope="session")
def notebook7(
    tmp_path_factory: pytest.TempPathFactory,
    notebooks_root: Path,
    ui_emulator: EmulatorServer,
    ui_key: str,
) -> Iterator[JupyterServer]:
    """Notebook 7 whose kernels use `ui_emulator` with a test key."""
    home = tmp_path_factory.mktemp("hfwidgets-home-nb7")
    yield from _server("notebook", tmp_path_factory, notebooks_root, keyed_env(ui_emulator, ui_key, home))


@pytest.fixture(scope="session")
def browser_context(browser: Browser) -> Iterator[BrowserContext]:
    """One context for every page: Lab's large, content-hashed bundles are fetched once.

    Its pages ask for reduced motion, so the motion previews on show are stills: two dozen
    animated previews keep about a fifth of a core busy for as long as a page is open, and only
    the tests about motion need them: those ask for it (`open_notebook(..., motion=True)`, the same
    for `open_app`, or `ui_harness.wants_motion(page)`)."""
    context = browser.new_context(viewport=VIEWPORT, reduced_motion="reduce")
    yield context
    context.close()


@pytest.fixture
def open_notebook(browser_context: BrowserContext) -> Iterator[OpenNotebook]:
    """`open_notebook(server, "01_quickstart.ipynb")`: a NotebookPage in a new tab, notebook
    open and kernel idle. At the end of the test the pages close and every session of the
    servers used is deleted, so kernels never leak into the next test."""
    opened: list[tuple[NotebookPage, JupyterServer]] = []

    def open_(
        server: JupyterServer, notebook_path: str, *, remote: bool = False, motion: bool = False
    ) -> NotebookPage:
        page = browser_context.new_page()
        if motion:
            wants_motion(page)
        notebook = NotebookPage(page, server=server)
        isolate(page, refuse=notebook.refuse, host_port=server.port, remote=remote)
        opened.append((notebook, server))
        notebook.open(notebook_path)
        return notebook

    yield open_
    for notebook, server in opened:
        if notebook.console_errors:
            print(f"console errors on {notebook!r}: {notebook.console_errors}")
        notebook.close()
        notebook.page.close()
        server.delete_sessions()


# --------------------------------------------------------------------------- Voilà and marimo


@pytest.fixture(scope="session")
def voila(
    tmp_path_factory: pytest.TempPathFactory,
    notebooks_root: Path,
    ui_emulator: EmulatorServer,
    ui_key: str,
) -> Iterator[VoilaServer]:
    """Voilà serving the notebooks' temp copy; its kernels use `ui_emulator` with a test key."""
    home = tmp_path_factory.mktemp("hfwidgets-home-voila")
    state = tmp_path_factory.mktemp("voila")
    server = VoilaServer.start(
        root_dir=notebooks_root, state_dir=state, kernel_env=keyed_env(ui_emulator, ui_key, home)
    )
    yield server
    server.stop()


@pytest.fixture(scope="session")
def marimo(
    tmp_path_factory: pytest.TempPathFactory, ui_emulator: EmulatorServer, ui_key: str
) -> Iterator[MarimoServer]:
    """`marimo run` on a temp folder holding the apps of tests/ui/kernel_side and a copy of the
    sample images; keyed like `lab`."""
    home = tmp_path_factory.mktemp("hfwidgets-home-marimo")
    root = tmp_path_factory.mktemp("marimo-apps")
    shutil.copytree(NOTEBOOKS / "images", root / "images")
    state = tmp_path_factory.mktemp("marimo")
    server = MarimoServer.start(
        root_dir=root, state_dir=state, kernel_env=keyed_env(ui_emulator, ui_key, home)
    )
    yield server
    server.stop()


@pytest.fixture(scope="session")
def marimo_without_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MarimoServer]:
    """`marimo run` like `marimo`, with no key and no base URL: the apps use the emulator."""
    home = tmp_path_factory.mktemp("hfwidgets-home-marimo-nokey")
    root = tmp_path_factory.mktemp("marimo-apps-nokey")
    state = tmp_path_factory.mktemp("marimo-nokey")
    server = MarimoServer.start(root_dir=root, state_dir=state, kernel_env={"HFWIDGETS_HOME": str(home)})
    yield server
    server.stop()


@pytest.fixture
def open_app(browser_context: BrowserContext) -> Iterator[OpenApp]:
    """`open_app(voila, voila.url("01_quickstart.ipynb"))`: an AppPage in a new tab, loaded.
    Pages close at the end of the test, which ends their kernels."""
    opened: list[AppPage] = []

    def open_(
        server: AppServer,
        url: str,
        *,
        remote: bool = False,
        viewport: ViewportSize | None = None,
        motion: bool = False,
    ) -> AppPage:
        page = browser_context.new_page()
        if motion:
            wants_motion(page)
        if viewport is not None:
            page.set_viewport_size(viewport)
        app_page = AppPage(page, server=server)
        isolate(page, refuse=app_page.refuse, host_port=server.port, remote=remote)
        opened.append(app_page)
        page.goto(url, timeout=60_000)
        return app_page

    yield open_
    for app_page in opened:
        if app_page.console_errors:
            print(f"console errors on {app_page!r}: {app_page.console_errors[:10]}")
        app_page.page.close()


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """axe-core's script, installed from the npm registry into the test cache on first use."""
    return install_axe()
