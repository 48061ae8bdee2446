"""EmulatorServer: the app served by uvicorn on a background thread, on a free port."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

import uvicorn

from .._config import EMULATOR_KEY
from .._errors import EmulatorError
from .._models import Motion
from .._polling import PollPolicy
from ._app import create_app
from ._faults import DropFilter, Faults
from ._state import Counters, EmulatorState
from ._tasks import TaskStore, Timing

if TYPE_CHECKING:
    from .._client import Client
__all__ = ["EmulatorServer", "serve"]

API_KEY = EMULATOR_KEY  # the emulator accepts any bearer token; this one says where it belongs


def install_log_filter() -> None:
    """Silence tracebacks of connections dropped on purpose (idempotent)."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, DropFilter) for f in logger.filters):
        logger.addFilter(DropFilter())


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; port 0 picks a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: accepted connections inherit it, and asyncio turns Nagle's algorithm
    # off only on sockets that say they are TCP. With it on, a response sent as headers then body
    # waited for the client's delayed ACK: 40 ms per request.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def uvicorn_config(app: Any, log_level: str = "warning") -> uvicorn.Config:
    # log_config=None leaves the process's logging configuration alone.
    return uvicorn.Config(
        app,
        log_config=None,
        log_level=log_level,
        access_log=False,
        http="h11",
        lifespan="on",
        timeout_graceful_shutdown=2,
        timeout_keep_alive=5,
    )


class EmulatorServer:
    """A running emulator: uvicorn on a background thread. Use as a context manager, or start()/stop().

    `base_url` and `motions_url` point at it; `faults` holds the fault knobs,
    `counters` the requests seen per endpoint, `tasks` every task (id -> TaskState).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        timing: Timing | None = None,
        motions: Sequence[Motion | Mapping[str, Any]] | None = None,
        render: bool = True,
    ) -> None:
        self.host = host
        self.app = create_app(timing=timing, motions=motions, render=render)
        self.state: EmulatorState = self.app.state.emulator
        self._requested_port = port
        self._port: int | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._stopped = False

    # ------------------------------------------------------------------ public surface

    @property
    def port(self) -> int:
        if self._port is None:
            raise EmulatorError("the emulator is not started: call start() or use `with serve() as server`")
        return self._port

    @property
    def base_url(self) -> str:
        """http://HOST:PORT, the value for Client(base_url=...) and OPENAI_HK_BASE_URL."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def motions_url(self) -> str:
        """The motion listing, standing in for the provider's separate motions host."""
        return f"{self.base_url}/motions"

    @property
    def faults(self) -> Faults:
        return self.state.faults

    @property
    def counters(self) -> Counters:
        return self.state.counters

    @property
    def tasks(self) -> TaskStore:
        return self.state.tasks

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._stopped

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Return once no request is being handled (e.g. a POST its client gave up on); EmulatorError
        after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while self._server is not None and self._server.server_state.tasks:
            if time.monotonic() > deadline:
                raise EmulatorError(f"the emulator was still handling requests after {timeout:g} s")
            time.sleep(0.02)

    def client(self, **kwargs: Any) -> Client:
        """An hfwidgets.Client wired to this server (key "hk-emulator", emulated=True),
        polling on this server's own timings unless `poll` is given (see `poll_policy`)."""
        from .._client import Client  # the emulator never needs the client itself

        if kwargs.get("poll") is None:
            kwargs["poll"] = self.poll_policy()
        return Client(
            api_key=API_KEY, base_url=self.base_url, motions_url=self.motions_url, emulated=True, **kwargs
        )

    def poll_policy(self) -> PollPolicy:
        """A client's poll schedule for this server: its own task timings as the priors
        (`Timing.windows()`), so a default 1.2 s task is seen about 0.1 s after it finishes."""
        timing = self.state.timing
        return PollPolicy.for_emulator(timing.windows(), realistic=timing.is_realistic)

    def start(self, timeout: float = 15.0) -> EmulatorServer:
        """Start serving; returns once the server accepts connections."""
        if self._stopped:
            raise EmulatorError("this emulator was stopped; create a new one with serve()")
        if self._thread is not None:
            return self
        install_log_filter()
        sock = bind(self.host, self._requested_port)
        self._port = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn_config(self.app))
        self._server = server
        self._thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [sock]},
            name=f"hfwidgets-emulator:{self._port}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise EmulatorError(f"the emulator did not start on {self.host}:{self._port}")
            time.sleep(0.01)
        with socket.create_connection((self.host, self._port), timeout=timeout):
            pass  # accepts connections
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Shut down cleanly and delete the temporary files. Idempotent."""
        self._stopped = True
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self.state.close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.base_url if self._port is not None else "not started"
        state = "running" if self.running else ("stopped" if self._stopped else "idle")
        return f"EmulatorServer({where}, {state}, tasks={len(self.tasks)}, render={self.state.render})"


def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    timing: Timing | None = None,
    motions: Sequence[Motion | Mapping[str, Any]] | None = None,
    render: bool = True,
) -> EmulatorServer:
    """An emulator server, not yet started: `with serve() as server:` starts and stops it.

    port=0 picks a free port. `timing` sets task durations (default short, see Timing),
    `motions` replaces the bundled catalogue (Motion objects or listing dicts),
    `render=False` reuses one small clip for every task.
    """
    return EmulatorServer(host, port, timing=timing, motions=motions, render=render)
