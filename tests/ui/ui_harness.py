"""Drive a real Jupyter server (JupyterLab or Notebook 7) from a real headless Chromium.

The pieces, each usable on its own:

- `JupyterServer.start(...)`: a `python -m jupyter lab|notebook` subprocess on a free
  port with a token, its own root dir, config, settings, runtime and IPython dirs;
  ready once `/api/status` answers; `stop()` deletes the sessions (so kernels shut
  down cleanly) and kills whatever is left of the process tree.
- `KernelProbe`: runs Python in the SAME kernel as an open notebook. It connects
  with jupyter_client to the kernel's connection file (the server writes it into
  its private runtime dir), so checks never add cells to the notebook under test
  and never show up in its outputs.
- `NotebookPage`: a Playwright page on one notebook: open, run all, run one cell,
  wait for the kernel to be idle, save, plus the console errors and dialogs seen.
- `write_notebook(...)`: a notebook file from a list of code cells.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

import httpx
import psutil  # type: ignore[import-untyped]  # no stubs installed
from jupyter_client.blocking.client import BlockingKernelClient
from playwright.sync_api import ConsoleMessage, Dialog, Locator, Page, Request, Route
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from benchmarks._common import CHROMIUM_ARGS as BROWSER_ARGS

if TYPE_CHECKING:
    from hfwidgets.emulator import EmulatorServer, Timing

JupyterApp = Literal["lab", "notebook"]
T = TypeVar("T")

UI_KEY_PREFIX = "hk-ui-test-"
"""Every key the test kernels see starts with this, so a saved file can be searched for it."""

CHROMIUM_ARGS = (
    *BROWSER_ARGS,  # headless, no sandbox, and nothing that reaches the internet
    # Videos in the tests are started by script, not by a click.
    "--autoplay-policy=no-user-gesture-required",
)

# Lab settings that keep the page quiet: no news/update toast covering the cells, no autosave
# racing the explicit saves of the tests; widget state saved with the notebook.
_USER_SETTINGS: Mapping[str, Mapping[str, object]] = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    # Widget state is saved with the notebook, as a user who wants reopened outputs sets it.
    "@jupyter-widgets/jupyterlab-manager/plugin.jupyterlab-settings": {"saveState": True},
}


def find_chromium() -> str | None:
    """Debian's chromium, the only browser these tests use (never `playwright install`)."""
    import shutil

    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(
    predicate: Callable[[], T], *, timeout: float, interval: float = 0.1, what: str = "condition"
) -> T:
    """Poll `predicate()` until it returns something truthy; that value is returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)


def fast_timing() -> Timing:
    """Emulator timings short enough for a browser suite, long enough to see `queued` and
    `in_progress` on screen."""
    from hfwidgets.emulator import Timing

    return Timing(queued=0.3, in_progress=1.2)


# --------------------------------------------------------------------------- server processes


def server_environment(state_dir: Path, kernel_env: Mapping[str, str]) -> dict[str, str]:
    """The environment of a server subprocess (and so of its kernels): this process's, minus
    any real key or base URL, with Jupyter's and IPython's directories inside `state_dir`,
    then `kernel_env` on top."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"OPENAI_HK_API_KEY", "OPENAI_HK_BASE_URL", "HFWIDGETS_MOTIONS_URL"}
    }
    for name in ("runtime", "config", "ipython", "data", "tmp"):
        (state_dir / name).mkdir(parents=True, exist_ok=True)
    env.update(
        JUPYTER_RUNTIME_DIR=str(state_dir / "runtime"),
        JUPYTER_CONFIG_DIR=str(state_dir / "config"),
        JUPYTER_DATA_DIR=str(state_dir / "data"),
        IPYTHONDIR=str(state_dir / "ipython"),
        TMPDIR=str(state_dir / "tmp"),
        JUPYTER_PLATFORM_DIRS="1",
        PYTHONUNBUFFERED="1",
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
    )
    env.update(kernel_env)
    return env


def spawn(
    command: Sequence[str], *, cwd: Path, env: Mapping[str, str], log_path: Path
) -> subprocess.Popen[bytes]:
    """Start a server subprocess in its own process group (so `stop_process_tree` can end it
    and everything it spawned), its output going to `log_path`."""
    with log_path.open("wb") as log:
        return subprocess.Popen(
            list(command),
            cwd=cwd,
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_process_tree(process: subprocess.Popen[bytes]) -> None:
    """End a process started by `spawn` and its children: SIGTERM, then SIGKILL."""
    try:
        children = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    # Kernels run in process groups of their own; any that outlived the server go now.
    _, alive = psutil.wait_procs(children, timeout=3)
    for child in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()


def log_tail(path: Path, lines: int = 40) -> str:
    """The end of a server's log, for failure messages."""
    text = path.read_text("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])


def keyed_env(emulator: EmulatorServer, key: str, home: Path) -> dict[str, str]:
    """Kernel environment pointing every hfwidgets call at `emulator`."""
    return {
        "OPENAI_HK_API_KEY": key,
        "OPENAI_HK_BASE_URL": emulator.base_url,
        "HFWIDGETS_MOTIONS_URL": emulator.motions_url,
        "HFWIDGETS_HOME": str(home),
    }


def isolate(page: Page, *, refuse: Callable[[Route], None], host_port: int, remote: bool) -> None:
    """Only localhost is reachable from `page`: anything else is refused. With `remote`, only
    the host's own port is: the page is like one whose kernel runs on another machine.

    Patterns are regular expressions, which the browser side matches: a Python predicate would
    hold every request of the page until this thread next calls Playwright."""
    page.route(re.compile(r"^(?!https?://(127\.0\.0\.1|localhost)[:/])"), refuse)
    if remote:
        elsewhere_here = (
            rf"^https?://(127\.0\.0\.1|localhost|\[::1\])(?!:{host_port}([/?#]|$))(:\d+)?([/?#]|$)"
        )
        page.route(re.compile(elsewhere_here), refuse)


# --------------------------------------------------------------------------- notebooks on disk


def wait_for_js(locator: Locator, predicate: str, arg: Any = None, *, timeout: float = 30_000) -> Any:
    """Wait until `predicate(element, arg)` is truthy for the element `locator` finds at each try;
    returns that value. A widget view drawn anew meanwhile (a host draws it again when its output
    is updated, once per result) is read anew, where an element handle would keep watching the
    old, detached element until the timeout."""
    deadline = time.monotonic() + timeout / 1000
    while True:
        left_ms = max((deadline - time.monotonic()) * 1000, 1)
        try:
            value = locator.evaluate(predicate, arg, timeout=left_ms)
        except PlaywrightTimeoutError:
            raise
        except PlaywrightError:  # the element went between being found and being read
            value = None
        if value:
            return value
        if time.monotonic() >= deadline:
            raise PlaywrightTimeoutError(
                f"timed out after {timeout:g} ms waiting for {predicate} on {locator}"
            )
        locator.page.wait_for_timeout(100)


def wants_motion(page: Page) -> None:
    """Let this page's previews and sketches move: the shared context asks for reduced motion
    (conftest's `browser_context`)."""
    page.emulate_media(reduced_motion="no-preference")


def write_notebook(path: Path, cells: Sequence[str]) -> Path:
    """Write a notebook whose code cells are `cells`, with the python3 kernelspec set
    (without it the front end asks which kernel to start)."""
    notebook = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
        "cells": [
            {
                "cell_type": "code",
                "id": uuid.uuid4().hex[:8],
                "metadata": {},
                "execution_count": None,
                "outputs": [],
                "source": source,
            }
            for source in cells
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook, indent=1), "utf-8")
    return path


# --------------------------------------------------------------------------- the server


@dataclass(repr=False)
class JupyterServer:
    """A running `jupyter lab` or `jupyter notebook` subprocess and its private directories."""

    app: JupyterApp
    root_dir: Path
    state_dir: Path
    port: int
    token: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def __repr__(self) -> str:
        return f"JupyterServer(app={self.app!r}, port={self.port}, root_dir={str(self.root_dir)!r})"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def runtime_dir(self) -> Path:
        return self.state_dir / "runtime"

    @classmethod
    def start(
        cls,
        app: JupyterApp,
        *,
        root_dir: Path,
        state_dir: Path,
        kernel_env: Mapping[str, str],
        timeout: float = 60.0,
    ) -> JupyterServer:
        """Start the server and wait until `/api/status` answers with the token.

        `kernel_env` is added to a copy of this process's environment (minus any real
        key or base URL); kernels inherit it from the server.
        """
        port = free_port()
        token = uuid.uuid4().hex
        settings_dir = state_dir / "user-settings"
        for relative, content in _USER_SETTINGS.items():
            target = settings_dir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(content))
        (state_dir / "workspaces").mkdir(parents=True, exist_ok=True)

        env = server_environment(state_dir, kernel_env)

        # Notebook 7 is a LabServerApp too: same options under its own class name.
        app_class = "LabApp" if app == "lab" else "JupyterNotebookApp"
        command = [
            sys.executable, "-m", "jupyter", app,
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            "--port-retries=0",
            f"--ServerApp.token={token}",
            f"--ServerApp.root_dir={root_dir}",
            "--ServerApp.disable_check_xsrf=True",
            f"--{app_class}.user_settings_dir={settings_dir}",
            f"--{app_class}.workspaces_dir={state_dir / 'workspaces'}",
            f"--{app_class}.expose_app_in_browser=True",
        ]  # fmt: skip
        if app == "lab":
            command.append("--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate")
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")

        log_path = state_dir / f"jupyter-{app}.log"
        process = spawn(command, cwd=root_dir, env=env, log_path=log_path)
        server = cls(app, root_dir, state_dir, port, token, process, log_path)
        try:
            wait_until(server._ready, timeout=timeout, interval=0.2, what=f"jupyter {app} on port {port}")
        except BaseException:
            server.stop()
            raise
        return server

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"jupyter {self.app} exited early:\n{self.log_tail()}")
        try:
            return self.api("GET", "/api/status").status_code == 200
        except httpx.TransportError:
            return False

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's log, for failure messages."""
        return log_tail(self.log_path, lines)

    def url(self, path: str) -> str:
        """A browser URL on this server, carrying the token."""
        separator = "&" if "?" in path else "?"
        return f"{self.base_url}{path}{separator}token={self.token}"

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One REST call to the server (token in the header)."""
        headers = {"Authorization": f"token {self.token}"}
        return httpx.request(method, self.base_url + path, headers=headers, timeout=10.0, **kwargs)

    def sessions(self) -> list[dict[str, Any]]:
        response = self.api("GET", "/api/sessions")
        response.raise_for_status()
        result: list[dict[str, Any]] = response.json()
        return result

    def kernel_id_for(self, notebook_path: str, *, timeout: float = 30.0) -> str:
        """The id of the kernel of the session open on `notebook_path` (relative to root_dir)."""

        def find() -> str:
            for session in self.sessions():
                if session.get("path") == notebook_path and session.get("kernel"):
                    kernel_id: str = session["kernel"]["id"]
                    return kernel_id
            return ""

        return wait_until(find, timeout=timeout, what=f"a kernel session for {notebook_path}")

    def delete_sessions(self) -> None:
        """Shut down every session and its kernel: the next test starts from a fresh kernel."""
        for session in self.sessions():
            with contextlib.suppress(httpx.HTTPError):
                self.api("DELETE", f"/api/sessions/{session['id']}")
        # A kernel started without a session (none expected) goes too.
        with contextlib.suppress(httpx.HTTPError):
            for kernel in self.api("GET", "/api/kernels").json():
                self.api("DELETE", f"/api/kernels/{kernel['id']}")

    def probe(self, notebook_path: str) -> KernelProbe:
        """A client on the kernel behind `notebook_path`'s session."""
        kernel_id = self.kernel_id_for(notebook_path)
        connection_file = self.runtime_dir / f"kernel-{kernel_id}.json"
        wait_until(connection_file.exists, timeout=10, what=f"{connection_file}")
        return KernelProbe(connection_file)

    def stop(self) -> None:
        """Delete sessions, then end the server's process tree (SIGTERM, then SIGKILL)."""
        if self.process.poll() is None:
            with contextlib.suppress(Exception):
                self.delete_sessions()
        stop_process_tree(self.process)


# --------------------------------------------------------------------------- the kernel


class KernelExecutionError(AssertionError):
    """Code run through a KernelProbe raised in the kernel."""


@dataclass(repr=False)
class KernelProbe:
    """Runs code in a notebook's own kernel over a second jupyter_client connection.

    The kernel answers it like any other front end: same namespace, same widgets,
    but the outputs are not added to the notebook.
    """

    connection_file: Path
    _client: BlockingKernelClient = field(init=False)

    def __post_init__(self) -> None:
        self._client = BlockingKernelClient(connection_file=str(self.connection_file))
        self._client.load_connection_file()
        self._client.start_channels()
        self._client.wait_for_ready(timeout=30)

    def __repr__(self) -> str:
        return f"KernelProbe({self.connection_file.name!r})"

    def run(self, code: str, *, timeout: float = 60.0) -> str:
        """Execute `code`; return what it printed. Raises KernelExecutionError on an exception."""
        printed: list[str] = []
        failure: list[str] = []

        def collect(message: dict[str, Any]) -> None:
            kind = message["header"]["msg_type"]
            content = message["content"]
            if kind == "stream":
                printed.append(content["text"])
            elif kind == "error":
                failure.append("\n".join(content.get("traceback") or [content.get("evalue", "")]))

        reply = self._client.execute_interactive(
            code, store_history=False, allow_stdin=False, timeout=timeout, output_hook=collect
        )
        if reply["content"]["status"] != "ok" or failure:
            detail = "\n".join(failure) or str(reply["content"].get("evalue"))
            raise KernelExecutionError(f"kernel raised while running:\n{code}\n{detail}")
        return "".join(printed)

    def value(self, expression: str, *, timeout: float = 60.0) -> Any:
        """The JSON-serialisable value of `expression` evaluated in the kernel."""
        marker = uuid.uuid4().hex
        code = f"import json as _j\nprint({marker!r} + _j.dumps({expression}, default=repr))"
        for line in self.run(code, timeout=timeout).splitlines():
            if line.startswith(marker):
                return json.loads(line[len(marker) :])
        raise KernelExecutionError(f"no value printed for {expression!r}")

    def wait_for(self, expression: str, *, timeout: float = 30.0, what: str | None = None) -> Any:
        """Poll until `expression` is truthy in the kernel; returns its value."""
        return wait_until(
            lambda: self.value(expression), timeout=timeout, interval=0.25, what=what or expression
        )

    def close(self) -> None:
        self._client.stop_channels()


# --------------------------------------------------------------------------- the page


@dataclass(repr=False)
class RecordedPage:
    """A Chromium page with what it reported: console errors, dialogs (dismissed), requests,
    and the requests refused by `refuse` (a route handler: tests stay offline)."""

    page: Page
    console_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.console_errors.append(f"pageerror: {error}"))
        self.page.on("dialog", self._on_dialog)
        self.page.on("request", self._on_request)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def _on_dialog(self, dialog: Dialog) -> None:
        # Counted, then dismissed so a hostile alert() cannot block the page.
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _on_request(self, request: Request) -> None:
        self.requests.append(request.url)

    def refuse(self, route: Route) -> None:
        """A route handler that aborts the request and records its URL."""
        self.refused.append(route.request.url)
        route.abort("blockedbyclient")


@dataclass(repr=False)
class NotebookPage(RecordedPage):
    """One Chromium page on one notebook of `server`.

    Timeouts of page operations are in milliseconds (Playwright's unit); those of kernel
    operations (`KernelProbe`) in seconds.
    """

    server: JupyterServer = field(kw_only=True)
    notebook_path: str | None = None
    _probe: KernelProbe | None = None

    def __repr__(self) -> str:
        return f"NotebookPage({self.notebook_path!r}, app={self.server.app!r})"

    # ---- opening and running

    def open(self, notebook_path: str, *, timeout: float = 60_000) -> None:
        """Open `notebook_path` (relative to the server's root) and wait for its kernel to be idle."""
        self.notebook_path = notebook_path
        if self.server.app == "lab":
            # A fresh workspace per page: Lab must not reopen notebooks of earlier tests.
            workspace = "t" + uuid.uuid4().hex[:10]
            path = f"/lab/workspaces/{workspace}/tree/{notebook_path}"
        else:
            path = f"/notebooks/{notebook_path}"
        self.page.goto(self.server.url(path), timeout=timeout)
        self.page.wait_for_function(
            """(path) => {
                const app = window.jupyterapp;
                const widget = app && app.shell.currentWidget;
                const ctx = widget && widget.context;
                if (!ctx || ctx.path !== path || !ctx.isReady) return false;
                const kernel = ctx.sessionContext.session && ctx.sessionContext.session.kernel;
                return !!kernel && kernel.status === 'idle' && kernel.connectionStatus === 'connected';
            }""",
            arg=notebook_path,
            timeout=timeout,
        )

    def run_all(self, *, timeout: float = 120_000) -> None:
        """Run every cell (the menu's "Run All") and wait until they have all executed."""
        self._execute_command("notebook:run-all-cells")
        self.wait_idle(timeout=timeout)

    def run_cell(self, index: int, *, timeout: float = 120_000) -> None:
        """Run the cell at `index` (0-based) and wait until it has executed."""
        self.page.evaluate(
            "(i) => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = i; }", index
        )
        self._execute_command("notebook:run-cell")
        self.wait_idle(timeout=timeout)

    def _execute_command(self, command: str) -> None:
        # The command's promise settles once the cells have been executed.
        self.page.evaluate(
            "async (command) => { await window.jupyterapp.commands.execute(command); }", command
        )

    def wait_idle(self, *, timeout: float = 60_000) -> None:
        """Wait until the kernel is idle and no cell is queued or running (`[*]`)."""
        self.page.wait_for_function(
            """() => {
                const widget = window.jupyterapp.shell.currentWidget;
                const kernel = widget.context.sessionContext.session.kernel;
                if (!kernel || kernel.status !== 'idle') return false;
                const cells = widget.content.widgets;
                return cells.every(c => c.model.type !== 'code' || !c.promptNode
                    || !c.promptNode.textContent.includes('*'));
            }""",
            timeout=timeout,
        )

    def cell_output_text(self, index: int) -> str:
        """The text of the outputs of cell `index`, as shown."""
        text: str = self.page.evaluate(
            "(i) => window.jupyterapp.shell.currentWidget.content.widgets[i].outputArea.node.innerText",
            index,
        )
        return text

    def save(self) -> Path:
        """Save the notebook (`docmanager:save`), wait until the page says so, return its path on disk."""
        assert self.notebook_path is not None, "open a notebook first"
        self.page.evaluate(
            """async () => {
                await window.jupyterapp.commands.execute('docmanager:save');
            }"""
        )
        self.page.wait_for_function(
            "() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=30_000
        )
        return self.server.root_dir / self.notebook_path

    # ---- the kernel

    @property
    def kernel(self) -> KernelProbe:
        """A KernelProbe on this notebook's kernel (connected on first use)."""
        if self._probe is None:
            assert self.notebook_path is not None, "open a notebook first"
            self._probe = self.server.probe(self.notebook_path)
        return self._probe

    def close(self) -> None:
        if self._probe is not None:
            self._probe.close()
            self._probe = None


class OpenNotebook(Protocol):
    """The `open_notebook` fixture: `open_notebook(server, "01_quickstart.ipynb") -> NotebookPage`;
    `remote=True` keeps the page from reaching anything on this machine but the server;
    `motion=True` lets previews and sketches move (pages ask for reduced motion otherwise)."""

    def __call__(
        self, server: JupyterServer, notebook_path: str, *, remote: bool = False, motion: bool = False
    ) -> NotebookPage: ...


@contextlib.contextmanager
def jupyter_server(
    app: JupyterApp, *, root_dir: Path, state_dir: Path, kernel_env: Mapping[str, str]
) -> Iterator[JupyterServer]:
    """`JupyterServer.start` as a context manager that always stops the server."""
    server = JupyterServer.start(app, root_dir=root_dir, state_dir=state_dir, kernel_env=kernel_env)
    try:
        yield server
    finally:
        server.stop()
