"""Serving the emulator of a home: the process `hfwidgets._home_emulator` starts in the background.

It listens on 127.0.0.1 at the home's recorded port (a free one the first
time, or when another program holds it), keeps its tasks under the home,
announces itself in the state file once it answers, stops by itself when idle
(see `hfwidgets._home_emulator`), and removes the state file when it stops.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import secrets
import socket
import time
from pathlib import Path
from typing import IO

import uvicorn

from .._home_emulator import HOST, EmulatorFiles
from ._app import create_app
from ._server import bind, install_log_filter, uvicorn_config
from ._state import EmulatorState
from ._tasks import Timing

__all__ = ["detach", "serve_home"]

logger = logging.getLogger("hfwidgets.emulator")


def detach() -> None:
    """Fork: the parent exits at once (its starter reaps it), the child goes on, nobody's child."""
    if os.fork() > 0:
        os._exit(0)


def _bind_recorded(files: EmulatorFiles) -> socket.socket:
    """Listen on the recorded port, else (none yet, or another program holds it) on a free one."""
    recorded = files.recorded_port()
    if recorded is not None:
        try:
            return bind(HOST, recorded)
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            logger.warning("port %d is taken by another program: listening on a new one", recorded)
    return bind(HOST, 0)


def serve_home(
    home: Path, *, timing: Timing, idle_timeout: float | None, ready: IO[str] | None = None
) -> int:
    """Serve the home's emulator until stopped (SIGTERM, Ctrl-C) or idle for `idle_timeout` seconds.

    Once it answers, the state file names it and "ready PORT" is written to `ready`.
    """
    files = EmulatorFiles(home)
    files.prepare()
    sock = _bind_recorded(files)
    port = int(sock.getsockname()[1])
    files.record_port(port)
    token = secrets.token_hex(16)
    app = create_app(timing=timing, directory=files.data)
    app.state.token = token
    state: EmulatorState = app.state.emulator
    install_log_filter()
    server = uvicorn.Server(uvicorn_config(app, log_level="info"))

    async def main() -> None:
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            if serving.done():
                return await serving  # it could not start: the error is in the log
            await asyncio.sleep(0.01)
        files.write_state(
            {
                "pid": os.getpid(),
                "port": port,
                "token": token,
                "started_at": time.time(),
                "windows": timing.windows(),
                "realistic": timing.is_realistic,
            }
        )
        logger.info("the emulator of %s listens on http://%s:%d", home, HOST, port)
        if ready is not None:
            ready.write(f"ready {port}\n")
            ready.flush()
            if ready.fileno() == 1:
                os.dup2(2, 1)  # the starter stopped reading: stdout goes to the log too
        state.counters.last_request = time.monotonic()  # idle from now on, not from the start-up
        watcher = asyncio.create_task(_stop_when_idle(server, state, files, idle_timeout, token))
        try:
            await serving
        finally:
            watcher.cancel()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    finally:
        files.remove_state(token)
        state.close()
    return 0


async def _stop_when_idle(
    server: uvicorn.Server, state: EmulatorState, files: EmulatorFiles, idle_timeout: float | None, token: str
) -> None:
    """Stop the server once no request came for `idle_timeout` seconds, nothing is being made and
    no process that used it is alive; or at once when its state file no longer names it (its
    home was removed): no process could find it any more."""
    period = min(max((idle_timeout or 2.0) / 4, 0.05), 2.0)
    while not server.should_exit:
        await asyncio.sleep(period)
        if (files.read_state() or {}).get("token") != token:
            logger.info("its state file %s no longer names it: stopping", files.state)
            server.should_exit = True
            return
        if idle_timeout is None:
            continue
        quiet = time.monotonic() - state.counters.last_request
        if quiet < idle_timeout or server.server_state.tasks or state.busy or files.live_users():
            continue
        logger.info("no request for %.0f s and no process using it: stopping", quiet)
        server.should_exit = True
