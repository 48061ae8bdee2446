"""The local emulator of a home: one background process shared by every process using that home.

With no key and no base URL, hfwidgets talks to the emulator of its home
(`$HFWIDGETS_HOME`, else the per-user data directory): CLI commands, kernels
and scripts using the same home reach the same emulator, and so the same tasks.
It is started on first use by whichever process needs it and found by the
others through files in `HOME/emulator/`:

    server.json    the running emulator: pid, port, token, task windows (removed when it stops)
    port           its port, kept across restarts: the base URL of its tasks never changes
    lock           held (fcntl) while a process checks for, starts or stops the emulator
    emulator.log   its output
    users/         one file per process that reached it: it never stops by itself while one lives
    data/          its tasks (one JSON file each), their input images and rendered clips

The process is detached (a new session, forked twice: it is nobody's child and
belongs to no terminal), listens on 127.0.0.1 only and keeps its files readable
by the user alone. It stops on `hfwidgets emulator stop`, or by itself once it
has answered no request for `HFWIDGETS_EMULATOR_IDLE` seconds (default 1800)
and no process that used it is alive. A state file left by an emulator that
crashed or was killed (its port does not answer with its token) is replaced by
the next start; two processes starting it at once settle it with the lock.

Why a stable port rather than a logical address: the journal files each task
under its base URL, and a feed's video URLs, the widgets' loopback media and
downloads all carry that address. Reusing the recorded port keeps every one of
them valid across processes and restarts with nothing translating addresses;
the tasks persist in `data/`, so a restarted emulator answers for tasks made
before. Should another program hold the port when the emulator restarts, it
takes a new one and the journal's rows move to the new base URL
(`Journal.move_base_url`).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._config import data_dir
from ._errors import EmulatorError, ValidationError
from ._journal import JOURNAL_FILENAME, Journal
from ._polling import PollPolicy
from ._processes import process_alive

__all__ = [
    "DEFAULT_IDLE_SECONDS",
    "IDLE_ENV",
    "SECONDS_ENV",
    "STATUS_PATH",
    "BackgroundEmulator",
    "EmulatorFiles",
    "ensure_emulator",
    "find_emulator",
    "idle_seconds",
    "stop_emulator",
]

IDLE_ENV = "HFWIDGETS_EMULATOR_IDLE"
"""Seconds without a request (and without a live user) after which the emulator stops itself."""
DEFAULT_IDLE_SECONDS = 1800.0
SECONDS_ENV = "HFWIDGETS_EMULATOR_SECONDS"
"""How long each task takes on an emulator started from now on (default 1.2 s: 0.2 queued, 1 generating)."""
STATUS_PATH = "/emulator/status"
"""The emulator's own route: its pid, token and request counters (the health check reads it)."""
HOST = "127.0.0.1"
START_TIMEOUT = 60.0
"""Seconds a start may take: a cold start imports PyAV, numpy and Starlette on a busy machine."""
HEALTH_TIMEOUT = 5.0
STOP_TIMEOUT = 10.0


def idle_seconds() -> float:
    """`HFWIDGETS_EMULATOR_IDLE` as seconds (> 0), else 30 minutes."""
    return _positive_env(IDLE_ENV, DEFAULT_IDLE_SECONDS)


def _positive_env(name: str, default: float) -> float:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0:
        raise ValidationError(name, text, "a number of seconds > 0")
    return value


@dataclass(frozen=True)
class EmulatorFiles:
    """Where the emulator of `home` keeps its files (see the module documentation)."""

    home: Path

    @property
    def directory(self) -> Path:
        return self.home / "emulator"

    @property
    def state(self) -> Path:
        return self.directory / "server.json"

    @property
    def port(self) -> Path:
        return self.directory / "port"

    @property
    def lock(self) -> Path:
        return self.directory / "lock"

    @property
    def log(self) -> Path:
        return self.directory / "emulator.log"

    @property
    def users(self) -> Path:
        return self.directory / "users"

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def prepare(self) -> None:
        """Create the folders, readable by the user alone."""
        for folder in (self.directory, self.users, self.data):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the home's emulator lock (one process at a time checks, starts or stops it)."""
        import fcntl

        self.prepare()
        descriptor = os.open(self.lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)  # releases the lock

    def read_state(self) -> dict[str, Any] | None:
        """The running emulator's record, or None (no file, or not one this package wrote)."""
        try:
            info = json.loads(self.state.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return info if isinstance(info, dict) else None

    def write_state(self, info: Mapping[str, Any]) -> None:
        _write_private(self.state, json.dumps(info))

    def remove_state(self, token: str | None = None) -> None:
        """Remove the state file (only if it still names `token`, when given)."""
        if token is not None and (self.read_state() or {}).get("token") != token:
            return
        with contextlib.suppress(FileNotFoundError):
            self.state.unlink()

    def recorded_port(self) -> int | None:
        try:
            text = self.port.read_text("utf-8").strip()
        except OSError:
            return None
        return int(text) if text.isdigit() and 0 < int(text) < 65536 else None

    def record_port(self, port: int) -> None:
        _write_private(self.port, f"{port}\n")

    def add_user(self, pid: int) -> None:
        """Note that process `pid` uses the emulator (it does not stop by itself while pid lives)."""
        with contextlib.suppress(OSError):
            (self.users / str(pid)).touch(mode=0o600)

    def live_users(self) -> list[int]:
        """Pids of the processes that used the emulator and still run (the others' files removed)."""
        alive = []
        with contextlib.suppress(OSError):
            for entry in self.users.iterdir():
                pid = int(entry.name) if entry.name.isdigit() else 0
                if process_alive(pid):
                    alive.append(pid)
                else:
                    with contextlib.suppress(OSError):
                        entry.unlink()
        return sorted(alive)


def _write_private(path: Path, text: str) -> None:
    """Write `text` to `path` atomically (a reader sees the old or the new file), mode 0600."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)


@dataclass(frozen=True, repr=False)
class BackgroundEmulator:
    """The running emulator of a home, as the processes using it see it."""

    home: Path
    pid: int
    port: int
    token: str
    windows: Mapping[str, tuple[float, float]]
    realistic: bool = False

    @classmethod
    def from_state(cls, home: Path, info: Mapping[str, Any]) -> BackgroundEmulator:
        """From the state file's record; ValueError when it is not a complete one."""
        try:
            windows = {str(k): (float(v[0]), float(v[1])) for k, v in dict(info["windows"]).items()}
            return cls(
                home,
                int(info["pid"]),
                int(info["port"]),
                str(info["token"]),
                windows,
                bool(info["realistic"]),
            )
        except (KeyError, TypeError, ValueError, IndexError) as error:
            raise ValueError(f"not an emulator state record: {error}") from None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def motions_url(self) -> str:
        return f"{self.base_url}/motions"

    def poll_policy(self) -> PollPolicy:
        """A client's poll schedule for this emulator: its own task windows as the priors."""
        return PollPolicy.for_emulator(self.windows, realistic=self.realistic)

    def status(self) -> dict[str, Any]:
        """What the emulator says of itself: pid, token, task count, request counters
        ({"generate": n, "feed": n, ...} since it started). EmulatorError when it does not answer."""
        answer = _status(self.port)
        if answer is None or answer.get("token") != self.token:
            raise EmulatorError(f"the local emulator of {self.home} does not answer on {self.base_url}")
        return answer

    def stop(self) -> bool:
        """Stop it (`stop_emulator(home)`); False when it was not running."""
        return stop_emulator(self.home)

    def __repr__(self) -> str:
        return f"BackgroundEmulator({self.base_url}, pid={self.pid}, home={str(self.home)!r})"


def _status(port: int) -> dict[str, Any] | None:
    """The answer of the status route on `port`, or None. A plain local connection: no proxy is
    asked and no TLS context built (which would cost more than the request)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=HEALTH_TIMEOUT)
    try:
        connection.request("GET", STATUS_PATH)
        response = connection.getresponse()
        answer = json.loads(response.read()) if response.status == 200 else None
    except (OSError, http.client.HTTPException, ValueError):
        return None
    finally:
        connection.close()
    return answer if isinstance(answer, dict) else None


def _files(home: Path | None) -> EmulatorFiles:
    return EmulatorFiles((home if home is not None else data_dir()).resolve())


def find_emulator(home: Path | None = None) -> BackgroundEmulator | None:
    """The home's emulator when it runs and answers with its token, else None (nothing started)."""
    return _answering(_files(home))


def _answering(files: EmulatorFiles) -> BackgroundEmulator | None:
    info = files.read_state()
    if info is None:
        return None
    try:
        emulator = BackgroundEmulator.from_state(files.home, info)
    except ValueError:
        return None
    answer = _status(emulator.port)
    return emulator if answer is not None and answer.get("token") == emulator.token else None


def ensure_emulator(home: Path | None = None) -> BackgroundEmulator:
    """The home's emulator, started (in the background) when it is not running.

    The calling process is noted as one of its users. EmulatorError, with the
    end of the emulator's log, when it cannot start.
    """
    files = _files(home)
    files.prepare()
    files.add_user(os.getpid())  # first: an emulator never stops by itself while its starter waits
    found = _answering(files)
    if found is None:
        with files.locked():
            found = _answering(files) or _start(files)
    return found


def _start(files: EmulatorFiles) -> BackgroundEmulator:
    """Start the emulator (the lock is held): a stale one is ended first, then wait until it answers."""
    stale = files.read_state()
    if stale is not None:
        _end(stale, files)
        files.remove_state()
    before = files.recorded_port()
    command = [
        sys.executable,
        "-m",
        "hfwidgets.emulator",
        "--home",
        str(files.home),
        "--detach",
        "--idle-timeout",
        repr(idle_seconds()),
    ]
    if os.environ.get(SECONDS_ENV, "").strip():
        command += ["--seconds", repr(_positive_env(SECONDS_ENV, 1.2))]
    with os.fdopen(os.open(files.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab") as log:
        # The first child forks the emulator and exits at once; the emulator says "ready PORT" on
        # the pipe when it answers, then writes to the log only.
        starter = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
            start_new_session=True,
            close_fds=True,
            cwd=files.directory,
        )
    assert starter.stdout is not None
    try:
        line = _read_line(starter.stdout.fileno(), START_TIMEOUT)
    finally:
        starter.stdout.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            starter.wait(STOP_TIMEOUT)
    found = _answering(files) if line.startswith("ready ") else None
    if found is None:
        raise EmulatorError(
            f"the local emulator did not start (within {START_TIMEOUT:.0f} s); its log {files.log} ends:\n"
            + _tail(files.log)
        )
    if before is not None and before != found.port:
        _moved(files.home, before, found)
    return found


def _read_line(descriptor: int, timeout: float) -> str:
    """One line from a pipe, or what came before EOF or the deadline."""
    deadline = time.monotonic() + timeout
    data = b""
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([descriptor], [], [], left)[0]:
            break
        chunk = os.read(descriptor, 256)
        if not chunk:
            break
        data += chunk
    return data.decode("utf-8", "replace").strip()


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text("utf-8", "replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _moved(home: Path, before: int, emulator: BackgroundEmulator) -> None:
    """The recorded port was taken: the journal's tasks follow the emulator to its new address."""
    import logging

    journal = Journal(home / JOURNAL_FILENAME)
    moved = journal.move_base_url(f"http://{HOST}:{before}", emulator.base_url)
    logging.getLogger("hfwidgets").warning(
        "hfwidgets: port %d of the local emulator was taken; it now listens on %s "
        "(%d journalled task(s) moved with it)",
        before,
        emulator.base_url,
        moved,
    )


def _is_emulator_of(pid: int, home: Path) -> bool:
    """True when `pid` is this home's emulator process (its command line says so)."""
    try:
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"hfwidgets.emulator" in arguments and os.fsencode(str(home)) in arguments


def _end(info: Mapping[str, Any], files: EmulatorFiles) -> bool:
    """End the emulator process `info` names, if it is alive and really this home's: SIGTERM (a clean
    stop), then SIGKILL. True when a process was ended."""
    pid = info.get("pid")
    if not isinstance(pid, int) or not process_alive(pid):
        return False
    answer = _status(int(info.get("port") or 0)) if info.get("port") else None
    ours = (answer is not None and answer.get("token") == info.get("token") and answer.get("pid") == pid) or (
        _is_emulator_of(pid, files.home)
    )
    if not ours:
        return False  # the pid was reused by another program: leave it alone
    for sent in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sent)
        deadline = time.monotonic() + STOP_TIMEOUT
        while process_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if not process_alive(pid):
            return True
    return not process_alive(pid)


def stop_emulator(home: Path | None = None) -> bool:
    """Stop the home's emulator and remove its state file; False when none was running.

    Its tasks stay in the home: the next start answers for them again.
    """
    files = _files(home)
    if not files.state.exists():
        return False
    with files.locked():
        info = files.read_state()
        if info is None:
            return False
        ended = _end(info, files)
        files.remove_state()
        return ended
