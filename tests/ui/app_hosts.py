"""The two app hosts besides JupyterLab and Notebook 7, run as real servers:

- `VoilaServer`: `voila <dir>` serving every notebook of a folder as an app
  (`/voila/render/<name>.ipynb`), theme chosen per page (`?theme=dark`). Its kernels are
  ordinary Jupyter kernels: `VoilaServer.probe(page)` connects a `KernelProbe` to the kernel
  behind a page (Voilà writes its connection files into a temp dir of its own).
- `MarimoServer`: `marimo run <dir> --headless` serving every app of a folder
  (`/?file=<name>.py`, the apps of tests/ui/kernel_side). marimo runs apps in its own kernel,
  not a Jupyter one: an app tells the test what its kernel holds by writing JSON files
  (`MarimoServer.reports`).
- `AppPage`: a Playwright page on one of them, with the console errors and dialogs seen.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import httpx
from playwright.sync_api import Page, ViewportSize

from .ui_harness import (
    KernelProbe,
    RecordedPage,
    free_port,
    log_tail,
    server_environment,
    spawn,
    stop_process_tree,
    wait_until,
)

Theme = Literal["light", "dark"]


@dataclass(repr=False)
class AppServer:
    """A Voilà or marimo subprocess serving the files of `root_dir` on 127.0.0.1."""

    name: str
    root_dir: Path
    state_dir: Path
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def __repr__(self) -> str:
        return f"{type(self).__name__}(port={self.port}, root_dir={str(self.root_dir)!r})"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 40) -> str:
        return log_tail(self.log_path, lines)

    def _wait_ready(self, path: str, timeout: float) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.log_tail()}")
            try:
                return httpx.get(self.base_url + path, timeout=5).status_code == 200
            except httpx.TransportError:
                return False

        try:
            wait_until(ready, timeout=timeout, interval=0.2, what=f"{self.name} on port {self.port}")
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        stop_process_tree(self.process)


@dataclass(repr=False)
class VoilaServer(AppServer):
    token: str = ""

    @classmethod
    def start(
        cls, *, root_dir: Path, state_dir: Path, kernel_env: Mapping[str, str], timeout: float = 60.0
    ) -> VoilaServer:
        port = free_port()
        token = uuid.uuid4().hex
        env = server_environment(state_dir, kernel_env)
        command = [
            sys.executable, "-m", "voila", str(root_dir),
            "--no-browser",
            "--Voila.ip=127.0.0.1",
            f"--port={port}",
            "--Voila.port_retries=0",
            f"--token={token}",
            "--show_tracebacks=True",
            # `?theme=dark` in a page's URL picks its theme.
            "--VoilaConfiguration.allow_theme_override=YES",
        ]  # fmt: skip
        log_path = state_dir / "voila.log"
        process = spawn(command, cwd=root_dir, env=env, log_path=log_path)
        server = cls("voila", root_dir, state_dir, port, process, log_path, token=token)
        server._wait_ready(f"/?token={token}", timeout)
        return server

    def url(self, notebook: str, *, theme: Theme = "light") -> str:
        return f"{self.base_url}/voila/render/{notebook}?token={self.token}&theme={theme}"

    def probe(self, page: Page) -> KernelProbe:
        """A client on the kernel behind `page` (its id is in the page's config)."""
        kernel_id: str = page.evaluate(
            "() => JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"
        )
        # Voilà writes connection files into a fresh temp dir (under the server's TMPDIR).
        pattern = f"voila_*/kernel-{kernel_id}.json"
        tmp = self.state_dir / "tmp"
        found = wait_until(lambda: sorted(tmp.glob(pattern)), timeout=30, what=f"{pattern} in {tmp}")
        return KernelProbe(found[0])


@dataclass(repr=False)
class MarimoServer(AppServer):
    @property
    def reports(self) -> Reports:
        return Reports(self.state_dir / "reports")

    @classmethod
    def start(
        cls, *, root_dir: Path, state_dir: Path, kernel_env: Mapping[str, str], timeout: float = 60.0
    ) -> MarimoServer:
        port = free_port()
        env = server_environment(state_dir, kernel_env)
        env["MARIMO_SKIP_UPDATE_CHECK"] = "1"
        env["HFWIDGETS_UI_REPORTS"] = str(state_dir / "reports")
        for source in KERNEL_SIDE.glob("*.py"):
            shutil.copyfile(source, root_dir / source.name)
        command = [
            sys.executable, "-m", "marimo", "run", str(root_dir),
            "--headless",
            "--host", "127.0.0.1",
            "--port", str(port),
            "--no-token",
            "--no-sandbox",
            # A closed page ends its session (and the app's kernel) soon.
            "--session-ttl", "2",
        ]  # fmt: skip
        log_path = state_dir / "marimo.log"
        process = spawn(command, cwd=root_dir, env=env, log_path=log_path)
        server = cls("marimo", root_dir, state_dir, port, process, log_path)
        server._wait_ready("/", timeout)
        return server

    def url(self, app_file: str) -> str:
        return f"{self.base_url}/?file={app_file}"


# --------------------------------------------------------------------------- marimo apps

KERNEL_SIDE = Path(__file__).parent / "kernel_side"
"""The marimo apps `MarimoServer` serves (marimo lists a folder's apps when it starts) and the
modules they and the test notebooks import, copied next to them."""


class Reports:
    """What marimo apps tell the tests about their kernel: `report(name, value)` in an app
    writes `<root>/<app stem>/<name>.json` (root from `HFWIDGETS_UI_REPORTS`)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, app: str, name: str) -> Path:
        return self.root / Path(app).stem / f"{name}.json"

    def clear(self, app: str) -> None:
        for stale in (self.root / Path(app).stem).glob("*.json"):
            stale.unlink()

    def read(self, app: str, name: str, *, timeout: float = 30.0) -> Any:
        """The value `app` reported under `name` (waits for it)."""
        target = self._path(app, name)
        wait_until(target.exists, timeout=timeout, what=f"report {name!r} of {app}")
        return json.loads(target.read_text("utf-8"))

    def wait(self, app: str, name: str, expected: Any, *, timeout: float = 30.0) -> Any:
        """Wait until `app`'s report `name` equals `expected`; returns it."""
        target = self._path(app, name)
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            if target.exists():
                last = json.loads(target.read_text("utf-8"))
                if last == expected:
                    return last
            time.sleep(0.1)
        raise TimeoutError(f"report {name!r} of {app} is {last!r}, expected {expected!r}")


# --------------------------------------------------------------------------- pages


@dataclass(repr=False)
class AppPage(RecordedPage):
    """A page on a Voilà or marimo app."""

    server: AppServer = field(kw_only=True)

    def __repr__(self) -> str:
        return f"AppPage({self.page.url!r})"


class OpenApp(Protocol):
    """The `open_app` fixture: `open_app(voila, voila.url("01_quickstart.ipynb")) -> AppPage`;
    `remote` and `motion` as for `OpenNotebook`."""

    def __call__(
        self,
        server: AppServer,
        url: str,
        *,
        remote: bool = False,
        viewport: ViewportSize | None = None,
        motion: bool = False,
    ) -> AppPage: ...
