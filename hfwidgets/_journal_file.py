"""The journal's SQLite file: connections, the schema brought up to date, read-only opening, errors.

Several threads and several processes (two kernels) may use the same file. Each
thread gets its own connection (a new one after a fork: connections never cross
processes); the file is in WAL mode with a busy timeout, and every write is one
short `BEGIN IMMEDIATE` transaction (`immediate`). The first connection brings
the schema up to date (`_journal_schema.migrate`).

Reading never creates the file. A file this process cannot write (a read-only
folder or file system) is read through a read-only connection (`open_read_only`).
Every failure to use the file becomes a `JournalError` naming the path and what
to do (`JournalFile.problem`).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ._config import HOME_ENV
from ._errors import JournalError
from ._journal_schema import SCHEMA_VERSION, migrate

__all__ = ["JournalFile", "immediate", "open_read_only"]

logger = logging.getLogger("hfwidgets")

_BUSY_TIMEOUT_MS = 30_000  # two kernels hammering the file must wait, not fail


class JournalFile:
    """One journal file as this process uses it: a connection per thread, the schema opened once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._schema_ready = False
        self._schema_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"JournalFile({str(self.path)!r})"

    def writer(self) -> sqlite3.Connection:
        """This thread's connection, the file, its folder and its schema created when needed."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = self._connection()
        self._ensure_schema(conn)
        return conn

    def reader(self) -> sqlite3.Connection | None:
        """A connection for reading, or None when there is no journal yet (reads never create it).

        A journal this process cannot write is read through a read-only connection instead.
        """
        if not self._schema_ready and not self.path.exists():
            return None
        try:
            conn = self._connection()
            self._ensure_schema(conn)
        except sqlite3.OperationalError as error:
            if not _cannot_write(error):
                raise
            read_only = self._read_only()
            if read_only is None:
                raise
            return read_only
        return conn

    def close(self) -> None:
        """Close this thread's connections (others close when their threads end)."""
        for name in ("conn", "read_only"):
            conn: sqlite3.Connection | None = getattr(self._local, name, None)
            if conn is not None:
                if getattr(self._local, f"{name}_pid", None) == os.getpid():
                    conn.close()
                setattr(self._local, name, None)

    def problem(self, error: BaseException) -> JournalError:
        """A JournalError naming the file, what is wrong with it and what to do."""
        if isinstance(error, JournalError):
            return error
        path = self.path
        elsewhere = f"or set {HOME_ENV} to another folder"
        if path.is_dir():
            what = f"{path} is a directory, not a journal file: move it away {elsewhere}"
        elif path.parent.exists() and not path.parent.is_dir():
            what = (
                f"cannot write the journal {path}: {path.parent} is a file, not a folder. "
                f"Move it away {elsewhere}"
            )
        elif isinstance(error, sqlite3.DatabaseError) and "not a database" in str(error).lower():
            what = (
                f"{path} is not a readable journal (corrupt or not an SQLite file): rename it (for "
                f"example to {path.name}.broken) so a new journal starts, {elsewhere}"
            )
        elif isinstance(error, sqlite3.DatabaseError) and "malformed" in str(error).lower():
            what = f"{path} is damaged ({error}): rename it so a new journal starts, {elsewhere}"
        elif isinstance(error, OSError) or "readonly" in str(error).lower() or "unable to open" in str(error):
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            what = f"cannot write the journal {path} ({reason}): make its folder writable {elsewhere}"
        else:
            what = f"the journal {path} cannot be used ({type(error).__name__}: {error}): {elsewhere}"
        return JournalError(what, path=path)

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection (a new one after a fork: sqlite connections never cross processes)."""
        pid = os.getpid()
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and self._local.conn_pid == pid:
            return conn
        if self.path.is_dir():
            raise self.problem(IsADirectoryError(str(self.path)))
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE), never implicit.
        conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA synchronous = NORMAL")  # in WAL mode: durable across app crashes, fast
        except BaseException:
            conn.close()
            raise
        self._local.conn, self._local.conn_pid = conn, pid
        return conn

    def _ensure_schema(self, conn: sqlite3.Connection) -> None:
        if self._schema_ready:
            return
        with self._schema_lock:
            if self._schema_ready:
                return
            _use_wal(conn, self.path)
            with immediate(conn):
                migrate(conn, self.path)
            self._schema_ready = True

    def _read_only(self) -> sqlite3.Connection | None:
        """This thread's read-only connection (`open_read_only`), or None when even reading is impossible."""
        pid = os.getpid()
        conn: sqlite3.Connection | None = getattr(self._local, "read_only", None)
        if conn is not None and self._local.read_only_pid == pid:
            return conn
        conn = open_read_only(self.path)
        if conn is not None:
            self._local.read_only, self._local.read_only_pid = conn, pid
        return conn


def open_read_only(path: Path) -> sqlite3.Connection | None:
    """A read-only connection to the journal at `path`, or None when even reading is impossible.

    `mode=ro` first: it still sees a write-ahead log left beside the file, when
    SQLite can map its index. Where it cannot (a read-only folder without the index
    file), `immutable=1`: no locks and no index, so the file as last checkpointed.
    Its schema must be this version's (else JournalError): upgrading a journal means writing it.
    """
    base = "file:" + urllib.parse.quote(str(path.absolute()))
    for options in ("mode=ro", "mode=ro&immutable=1"):
        try:
            conn = sqlite3.connect(f"{base}?{options}", uri=True, isolation_level=None)
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.Error:
            continue
        if version != SCHEMA_VERSION:
            conn.close()
            raise JournalError(
                f"{path} has journal schema version {version} and this hfwidgets reads version "
                f"{SCHEMA_VERSION}; it cannot upgrade it, since it cannot write there: make its folder "
                f"writable once or set {HOME_ENV} to another folder",
                path=path,
            )
        conn.row_factory = sqlite3.Row
        logger.debug("journal %s cannot be written; reading it with %s", path, options)
        return conn
    return None


def _cannot_write(error: sqlite3.OperationalError) -> bool:
    """True when SQLite failed because it may not write the file or its folder (reading may still work)."""
    text = str(error).lower()
    return "readonly" in text or "read-only" in text or "unable to open" in text


def _use_wal(conn: sqlite3.Connection, path: Path) -> None:
    """Switch the file to WAL (readers run beside one writer; the mode sticks to the file).

    Switching needs an exclusive lock, and SQLite reports "database is locked"
    at once rather than waiting when another process is switching it too, so
    retry until the busy timeout has passed.
    """
    deadline = time.monotonic() + _BUSY_TIMEOUT_MS / 1000
    delay = 0.005
    while True:
        try:
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            if str(mode).lower() != "wal":
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)
            continue
        if str(mode).lower() != "wal":  # e.g. a file system without shared memory
            logger.debug("journal %s: WAL unavailable, using %s", path, mode)
        return


@contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction, taking the write lock up front.

    A deferred transaction that later needs the write lock can fail at once
    with "database is locked" (the busy timeout does not apply to a lock
    upgrade); BEGIN IMMEDIATE waits for the lock instead.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
