"""A durable journal of every submitted task, so nothing paid for is ever lost.

Each accepted submission is written to a SQLite file in the per-user data
directory (`$HFWIDGETS_HOME`, else `platformdirs.user_data_dir("hfwidgets")`)
before waiting starts; every feed read updates it. After a crash or a kernel
restart, `Client.resume()` picks the unfinished tasks up from here, and
`hfwidgets.history()` lists everything made so far.

Billable submissions are journalled before they are sent (schema 2): a row
with status "submitting" holds what was asked (model, motion, seed, size, image
digest, cost) and the time, under a local id (`local-...`). When the service
answers with a task id the row becomes that task; when the answer never arrives
(a dropped connection, a cancelled call, a killed process) it stays, with status
"uncertain": the task may exist and may have been charged, and it is never
resubmitted. A "submitting" row whose process has ended reads as "uncertain".

Schema 3 stores every request option (`_options.GENERATE_OPTIONS`), each in its
own column(s); rows of older files read None for what they did not record.

The journal never holds the API key or full images: at most a small JPEG
thumbnail and a digest of the input image. Finished videos are kept as files
beside it (`videos/`, see `_keep`); the table `kept_videos` books them (task id,
content digest, bytes, when, pinned). It is created on its own (`CREATE TABLE IF
NOT EXISTS`), outside the numbered schema of `tasks`.

Every failure to use the file (corrupt, a directory in its place, a table
hfwidgets did not write, an unwritable folder) raises `JournalError` naming the
path and what to do, never a raw `sqlite3` or `OSError`.

Concurrency: several threads and several processes (two kernels) may write the
same file. Each thread gets its own connection; the file is in WAL mode with a
busy timeout; every write is one short `BEGIN IMMEDIATE` transaction and rows
are upserted (`INSERT ... ON CONFLICT`), so concurrent writers never corrupt
the file or lose a row.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import sqlite3
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from ._config import HOME_ENV
from ._errors import JournalError, ValidationError
from ._export import export_records, select_records
from ._extras import require
from ._kept import (
    JOURNAL_FILENAME,
    KEPT_TABLE,
    VIDEOS_FOLDER,
    KeptVideo,
    default_journal_path,
    has_kept_table,
    kept_video_from_row,
    select_kept_video,
)
from ._models import PRICES, TERMINAL_STATUSES, Feed, Motion, Params, Task, advance_status
from ._options import (
    ADS_OPTIONS,
    generate_option_names,
    journal_columns,
    option_columns,
    option_values_from_columns,
)
from ._processes import process_alive
from ._static import HISTORY_ROWS, history_html

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ABANDONED",
    "JOURNAL_FILENAME",
    "MAX_THUMBNAIL_BYTES",
    "SUBMITTING",
    "UNCERTAIN",
    "History",
    "Journal",
    "KeptVideo",
    "TaskRecord",
    "default_journal_path",
    "history",
]

logger = logging.getLogger("hfwidgets")

MAX_THUMBNAIL_BYTES = 16 * 1024
"""Thumbnails above this size are not stored (the journal is not a media store)."""

SCHEMA_VERSION = 3
SUBMITTING = "submitting"
"""Status of a billable POST being sent: no answer yet."""
UNCERTAIN = "uncertain"
ABANDONED = "abandoned"
"""Status of a task given up on (`Journal.forget`): never resumed, never counted as pending or uncertain."""
"""Status of a submission whose answer never arrived: it may exist and may have been charged."""
LOCAL_ID_PREFIX = "local-"
"""Ids of submissions the service has not (yet) confirmed start with this."""
SUBMITTING_STALE_SECONDS = 3600.0
"""A "submitting" row older than this reads as uncertain even when its process cannot be checked."""
_BUSY_TIMEOUT_MS = 30_000  # two kernels hammering the file must wait, not fail
DURATION_SAMPLES = 100

# The `tasks` table's columns: what every row has, then the columns of the request options
# (`_options.GENERATE_OPTIONS`: the motion as motion_id and motion_name, prompt, model, seed, width,
# height, enhance_prompt), then those of an ad and the bookkeeping.
_OPTION_COLUMNS = tuple(name for name, _ in journal_columns())
_COLUMNS = (
    "id",
    "kind",
    *_OPTION_COLUMNS,
    "cost",
    "created_at",
    "base_url",
    "status",
    "video_url",
    "min_url",
    "finished_at",
    "image_digest",
    "thumbnail",
    "duration",
    *(name for name, _ in journal_columns(ADS_OPTIONS)),
    "updated_at",
    "submission_id",
    "note",
    "owner",
)

_SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS tasks (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    model        TEXT,
    motion_id    TEXT,
    motion_name  TEXT,
    seed         INTEGER,
    width        INTEGER,
    height       INTEGER,
    prompt       TEXT NOT NULL DEFAULT '',
    cost         INTEGER NOT NULL DEFAULT 0,
    created_at   REAL NOT NULL,
    base_url     TEXT NOT NULL,
    status       TEXT NOT NULL,
    video_url    TEXT,
    min_url      TEXT,
    finished_at  REAL,
    image_digest TEXT,
    thumbnail    BLOB,
    duration     REAL,
    template_id  TEXT,
    size         TEXT,
    updated_at   REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS tasks_by_created ON tasks (created_at DESC);
CREATE INDEX IF NOT EXISTS tasks_by_status ON tasks (base_url, status);
"""

# Version 2: submissions journalled before they are sent. `submission_id` is the local id a row was
# written under (kept once the task id replaces it), `note` says why a row is uncertain, `owner` is
# "host:pid" of the process sending it (a "submitting" row of an ended process reads as uncertain).
_SCHEMA_V2 = """
ALTER TABLE tasks ADD COLUMN submission_id TEXT;
ALTER TABLE tasks ADD COLUMN note TEXT;
ALTER TABLE tasks ADD COLUMN owner TEXT
"""


def _add_option_columns(conn: sqlite3.Connection) -> None:
    """Version 3: a column for every request option the table lacks (enhance_prompt, new in 3).

    Rows written before keep NULL there: not recorded, never a made-up default.
    """
    present = {row[1] for row in conn.execute("PRAGMA table_info(tasks)")}
    for name, sql_type in journal_columns():
        if name not in present:
            conn.execute(f"ALTER TABLE tasks ADD COLUMN {name} {sql_type}")


# Migrations from version N-1 to N, applied in order inside one transaction.
_MIGRATIONS: tuple[str | Callable[[sqlite3.Connection], None], ...] = (
    _SCHEMA_V1,
    _SCHEMA_V2,
    _add_option_columns,
)

# Neither finished nor waitable: they have no task id the service knows.
_NOT_PENDING = tuple(sorted(TERMINAL_STATUSES | {SUBMITTING, UNCERTAIN, ABANDONED}))
_PENDING_SQL = f"status NOT IN ({', '.join('?' for _ in _NOT_PENDING)})"

_HOST = socket.gethostname()
_in_flight: set[str] = set()
"""Local ids of the submissions this process is sending right now."""
_in_flight_lock = threading.Lock()

P = ParamSpec("P")
R = TypeVar("R")


# --------------------------------------------------------------------------- records


def _utc(timestamp: float | None) -> datetime | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, tz=timezone.utc)


@dataclass(frozen=True, repr=False)
class TaskRecord:
    """One journalled task: what was asked, where, and what became of it.

    `status` is the last status seen (the raw value for statuses never seen
    before); `finished_at` is when a terminal status was first observed;
    `thumbnail` is a small JPEG of the input image, when one was recorded.
    """

    id: str
    kind: str
    model: str | None
    motion_id: str | None
    motion_name: str | None
    seed: int | None
    width: int | None
    height: int | None
    prompt: str
    cost: int
    created_at: datetime
    base_url: str
    status: str
    video_url: str | None = None
    min_url: str | None = None
    finished_at: datetime | None = None
    image_digest: str | None = None
    thumbnail: bytes | None = field(default=None, compare=False)
    duration: float | None = None
    """Length of the video in seconds, as the service reported it."""
    template_id: str | None = None
    """Ad template (`kind == "ads"`)."""
    size: str | None = None
    """Ad size such as "1024x1024" (`kind == "ads"`)."""
    submission_id: str | None = None
    """The local id the submission was journalled under before it was sent (None before schema 2)."""
    note: str | None = None
    """Why the row is "uncertain" (what happened to the submission), else None."""
    enhance_prompt: bool | None = None
    """Whether the service could rewrite the prompt (None: not recorded, a row from before schema 3)."""

    @property
    def motion(self) -> Motion | None:
        """The motion asked for (its id and name as journalled), None for an ad."""
        return Motion(id=self.motion_id, name=self.motion_name or self.motion_id) if self.motion_id else None

    @property
    def options(self) -> dict[str, Any]:
        """The request options (`GENERATE_OPTIONS`) as journalled, by name; None where not recorded."""
        return {name: getattr(self, name) for name in generate_option_names()}

    video_path: Path | None = None
    """The video kept on this machine (`videos/<sha256>.mp4` beside the journal); None when not kept."""
    pinned: bool = False
    """True when the kept video is pinned: the size cap never removes it (`Journal.pin`)."""

    @property
    def done(self) -> bool:
        """True once the task reached a terminal status."""
        return self.status in TERMINAL_STATUSES

    @property
    def uncertain(self) -> bool:
        """True when the service never confirmed the submission: it may exist and may have been charged."""
        return self.status == UNCERTAIN

    @property
    def confirmed(self) -> bool:
        """True once the service answered with a task id (`id` is then the service's id)."""
        return self.status not in (SUBMITTING, UNCERTAIN)

    @property
    def elapsed(self) -> float | None:
        """Seconds from submission to the first terminal status seen, when finished."""
        if self.finished_at is None:
            return None
        return (self.finished_at - self.created_at).total_seconds()

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict (the thumbnail left out), handy as a table row."""
        row = asdict(self)
        del row["thumbnail"]
        return row

    @classmethod
    def _from_row(cls, row: Mapping[str, Any], videos: Path | None = None) -> TaskRecord:
        created = _utc(row["created_at"])
        digest = row["kept_sha256"]
        kept = videos / f"{digest}.mp4" if videos is not None and digest else None
        assert created is not None  # NOT NULL column
        status, note = _read_status(row)
        stored = {name: row[name] for name in _RECORD_COLUMNS}
        options = option_values_from_columns(row)
        del options["motion"]  # kept as motion_id and motion_name
        return cls(
            **stored,
            **options,
            created_at=created,
            finished_at=_utc(row["finished_at"]),
            status=status,
            note=note,
            video_path=kept if kept is not None and kept.is_file() else None,
            pinned=bool(kept is not None and row["kept_pinned"]),
        )

    def __repr__(self) -> str:
        what = (
            f"template={self.template_id!r}"
            if self.kind == "ads"
            else f"model={self.model!r}, motion={self.motion_name!r}, seed={self.seed}"
        )
        note = f", note={self.note!r}" if self.note else ""
        kept = (", kept, pinned" if self.pinned else ", kept") if self.video_path is not None else ""
        return (
            f"TaskRecord({self.id!r}, {what}, status={self.status!r}, cost={self.cost}, "
            f"created={self.created_at.isoformat(timespec='seconds')}{note}{kept})"
        )


# TaskRecord fields read from the column of the same name as they are (the options, the times,
# the status and the note are converted).
_RECORD_COLUMNS = tuple(
    item.name
    for item in fields(TaskRecord)
    if item.name not in generate_option_names()
    and item.name not in ("created_at", "finished_at", "status", "note", "video_path", "pinned")
)


def _ran_options(params: Params) -> dict[str, Any]:
    """The request options a feed shows (`feed.params`), the motion left out."""
    return {name: getattr(params, name) for name in generate_option_names() if name != "motion"}


def _read_status(row: Mapping[str, Any]) -> tuple[str, str | None]:
    """The status and note a row reads as: "submitting" rows of ended processes are uncertain."""
    status, note = row["status"], row["note"]
    if status != SUBMITTING:
        return status, note
    ended = _sender_ended(row["owner"], row["id"], row["updated_at"])
    if ended is None:
        return status, note
    return UNCERTAIN, ended


def _sender_ended(owner: str | None, local_id: str, updated_at: float) -> str | None:
    """Why the sender of a "submitting" row can no longer be waiting for its answer; None if it may be."""
    host, _, pid_text = (owner or "").rpartition(":")
    pid = int(pid_text) if pid_text.isdigit() else None
    if pid == os.getpid() and host == _HOST:
        with _in_flight_lock:
            if local_id in _in_flight:
                return None
        return "this process stopped sending it before the service answered"
    if host == _HOST and pid is not None and sys.platform != "win32" and not process_alive(pid):
        return f"the process that sent it (pid {pid}) ended before the service answered"
    if time.time() - updated_at > SUBMITTING_STALE_SECONDS:
        return "no answer was recorded within an hour of sending it"
    return None


# --------------------------------------------------------------------------- journal


def _guarded(method: Callable[P, R]) -> Callable[P, R]:
    """Turn every sqlite3/OS failure of a Journal method into a JournalError saying what to do."""

    @functools.wraps(method)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except (sqlite3.Error, OSError) as error:
            journal = args[0]
            assert isinstance(journal, Journal)
            raise journal._problem(error) from None

    return guarded


class Journal:
    """The SQLite journal of every task submitted from this machine.

    `path` defaults to `default_journal_path()`, read when the journal is made.
    The file and its directory are created on the first write; reading a
    journal that does not exist yet gives empty lists. Any failure to use the
    file raises `JournalError` (never a raw sqlite3 error).
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_journal_path()
        self._local = threading.local()
        self._schema_ready = False
        self._schema_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r})"

    # ---------------------------------------------------------------- errors

    def _problem(self, error: BaseException) -> JournalError:
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

    # ---------------------------------------------------------------- connections

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection (a new one after a fork: sqlite connections never cross processes)."""
        pid = os.getpid()
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == pid:
            return conn
        if self.path.is_dir():
            raise self._problem(IsADirectoryError(str(self.path)))
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE), never implicit.
        conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA synchronous = NORMAL")  # in WAL mode: durable across app crashes, fast
        except BaseException:
            conn.close()
            raise
        self._local.conn = conn
        self._local.pid = pid
        return conn

    def _ensure_schema(self, conn: sqlite3.Connection) -> None:
        if self._schema_ready:
            return
        with self._schema_lock:
            if self._schema_ready:
                return
            _use_wal(conn, self.path)
            with _immediate(conn):
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version > SCHEMA_VERSION:
                    raise JournalError(
                        f"{self.path} has journal schema version {version}; this hfwidgets knows up to "
                        f"{SCHEMA_VERSION}: upgrade hfwidgets",
                        path=self.path,
                    )
                if version == 0:
                    self._refuse_foreign_tables(conn)
                for migration in _MIGRATIONS[version:]:
                    if callable(migration):
                        migration(conn)
                        continue
                    for statement in migration.split(";"):
                        if statement.strip():
                            conn.execute(statement)
                if version < SCHEMA_VERSION:
                    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                conn.execute(KEPT_TABLE)
            self._schema_ready = True

    def _refuse_foreign_tables(self, conn: sqlite3.Connection) -> None:
        """A file with tables but no journal version was not written by hfwidgets: leave it alone."""
        tables = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        if tables:
            listed = ", ".join(sorted(tables)[:5])
            raise JournalError(
                f"{self.path} holds tables hfwidgets did not write ({listed}): it is not a journal. "
                f"Move it away or set {HOME_ENV} to another folder",
                path=self.path,
            )

    def _writer(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = self._connection()
        self._ensure_schema(conn)
        return conn

    def _reader(self) -> sqlite3.Connection | None:
        """A connection for reading, or None when there is no journal yet (reads never create it).

        A journal this process cannot write (a read-only folder or file system) is read
        through a read-only connection (`_read_only`) instead.
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

    def _read_only(self) -> sqlite3.Connection | None:
        """This thread's read-only connection, or None when even reading is impossible.

        `mode=ro` first: it still sees a write-ahead log left beside the file, when
        SQLite can map its index. Where it cannot (a read-only folder without the index
        file), `immutable=1`: no locks and no index, so the file as last checkpointed.
        Its schema must be this version's: upgrading a journal means writing it.
        """
        pid = os.getpid()
        conn: sqlite3.Connection | None = getattr(self._local, "read_only", None)
        if conn is not None and self._local.read_only_pid == pid:
            return conn
        base = "file:" + urllib.parse.quote(str(self.path.absolute()))
        for options in ("mode=ro", "mode=ro&immutable=1"):
            try:
                conn = sqlite3.connect(f"{base}?{options}", uri=True, isolation_level=None)
                version = conn.execute("PRAGMA user_version").fetchone()[0]
            except sqlite3.Error:
                continue
            if version != SCHEMA_VERSION:
                conn.close()
                raise JournalError(
                    f"{self.path} has journal schema version {version} and this hfwidgets reads version "
                    f"{SCHEMA_VERSION}; it cannot upgrade it, since it cannot write there: make its folder "
                    f"writable once or set {HOME_ENV} to another folder",
                    path=self.path,
                )
            conn.row_factory = sqlite3.Row
            logger.debug("journal %s cannot be written; reading it with %s", self.path, options)
            self._local.read_only, self._local.read_only_pid = conn, pid
            return conn
        return None

    @_guarded
    def check(self) -> None:
        """Open (creating when needed) the file and its schema; raises JournalError when unusable."""
        self._writer()

    def close(self) -> None:
        """Close this thread's connections (others close when their threads end)."""
        for name in ("conn", "read_only"):
            conn: sqlite3.Connection | None = getattr(self._local, name, None)
            if conn is not None:
                if getattr(self._local, "pid" if name == "conn" else "read_only_pid", None) == os.getpid():
                    conn.close()
                setattr(self._local, name, None)

    # ---------------------------------------------------------------- writes

    @staticmethod
    def _task_row(
        task: Task, *, base_url: str, image_digest: str | None, thumbnail: bytes | None
    ) -> dict[str, Any]:
        if thumbnail is not None and len(thumbnail) > MAX_THUMBNAIL_BYTES:
            logger.warning(
                "journal: thumbnail of task %s is %d bytes (limit %d); not stored",
                task.id,
                len(thumbnail),
                MAX_THUMBNAIL_BYTES,
            )
            thumbnail = None
        return {
            "id": task.id,
            "kind": task.kind,
            **option_columns({name: getattr(task, name) for name in generate_option_names()}),
            "cost": task.cost,
            "created_at": task.created_at.timestamp(),
            "base_url": base_url.rstrip("/"),
            "status": "queued",
            "image_digest": image_digest,
            "thumbnail": thumbnail,
            "template_id": task.template_id,
            "size": task.size,
            "updated_at": time.time(),
        }

    @_guarded
    def record(
        self,
        task: Task,
        *,
        base_url: str,
        image_digest: str | None = None,
        thumbnail: bytes | None = None,
        submission_id: str | None = None,
    ) -> None:
        """Write a just-accepted submission (status "queued"). One short transaction.

        With `submission_id` (from `begin_submission`), that "submitting" row
        becomes this task. Recording the same task again refreshes what was
        asked but keeps the status already seen. A thumbnail above
        MAX_THUMBNAIL_BYTES is dropped.
        """
        row = self._task_row(task, base_url=base_url, image_digest=image_digest, thumbnail=thumbnail)
        row["submission_id"] = submission_id
        names = ", ".join(row)
        marks = ", ".join(f":{name}" for name in row)
        kept = ("id", "status", "created_at", "submission_id")
        refreshed = ", ".join(f"{name} = excluded.{name}" for name in row if name not in kept)
        conn = self._writer()
        with _immediate(conn):
            if submission_id is not None:
                conn.execute("DELETE FROM tasks WHERE id = ? AND id != ?", (submission_id, task.id))
            conn.execute(
                f"INSERT INTO tasks ({names}) VALUES ({marks}) ON CONFLICT(id) DO UPDATE SET {refreshed}, "  # noqa: S608 - names are ours
                "submission_id = COALESCE(tasks.submission_id, excluded.submission_id)",
                row,
            )
        if submission_id is not None:
            _forget_in_flight(submission_id)

    @_guarded
    def begin_submission(
        self,
        draft: Task,
        *,
        base_url: str,
        image_digest: str | None = None,
        thumbnail: bytes | None = None,
    ) -> str:
        """Journal a billable submission about to be sent (status "submitting"); returns its local id.

        `draft` is the task as asked (its id is ignored). Call `record(...,
        submission_id=)` once the service answered with the task id,
        `mark_uncertain` when the answer will never be known, or
        `discard_submission` when the request provably never reached the service.
        """
        local_id = f"{LOCAL_ID_PREFIX}{uuid.uuid4().hex}"
        row = self._task_row(
            replace(draft, id=local_id), base_url=base_url, image_digest=image_digest, thumbnail=thumbnail
        )
        row.update(status=SUBMITTING, submission_id=local_id, owner=f"{_HOST}:{os.getpid()}")
        names = ", ".join(row)
        marks = ", ".join(f":{name}" for name in row)
        with _in_flight_lock:
            _in_flight.add(local_id)
        try:
            conn = self._writer()
            with _immediate(conn):
                conn.execute(f"INSERT INTO tasks ({names}) VALUES ({marks})", row)  # noqa: S608 - names are ours
        except BaseException:
            _forget_in_flight(local_id)
            raise
        return local_id

    @_guarded
    def mark_uncertain(self, submission_id: str, note: str) -> None:
        """The submission's answer will never be known: it may exist and may have been charged."""
        try:
            conn = self._writer()
            with _immediate(conn):
                conn.execute(
                    "UPDATE tasks SET status = ?, note = ?, updated_at = ? WHERE id = ?",
                    (UNCERTAIN, note, time.time(), submission_id),
                )
        finally:
            _forget_in_flight(submission_id)

    @_guarded
    def discard_submission(self, submission_id: str) -> None:
        """Remove a "submitting" row whose request never reached the service (nothing was charged)."""
        try:
            conn = self._writer()
            with _immediate(conn):
                conn.execute("DELETE FROM tasks WHERE id = ? AND status = ?", (submission_id, SUBMITTING))
        finally:
            _forget_in_flight(submission_id)

    @_guarded
    def update(self, task_id: str, feed: Feed, *, base_url: str | None = None) -> None:
        """Store what a feed read showed: status, video URLs, video duration, finish time.

        `finished_at` is set the first time a terminal status is seen and kept
        after. A terminal status is final (`advance_status`): a stale read saying
        "in_progress" after "completed" changes nothing. A task the journal has not
        recorded (waited on by id only) is added from the feed when `base_url` is
        given, else the call does nothing.
        """
        now = time.time()
        params = feed.params
        row = {
            "id": task_id,
            "status": feed.status,
            "video_url": feed.video_url,
            "min_url": feed.min_url,
            "duration": feed.duration,
            "finished_at": now if feed.status in TERMINAL_STATUSES else None,
            "updated_at": now,
        }
        conn = self._writer()
        with _immediate(conn):
            known = conn.execute("SELECT status FROM tasks WHERE id = ?", (task_id,)).fetchone()
            if known is not None and known[0] == ABANDONED and feed.status not in TERMINAL_STATUSES:
                return  # given up on: only an end (a late "completed") replaces it
            if known is not None and advance_status(known[0], feed.status) != feed.status:
                logger.info(
                    "task %s: a read said %r after %r; kept %r", task_id, feed.status, known[0], known[0]
                )
                return
            cursor = conn.execute(
                """UPDATE tasks SET status = :status,
                       video_url = COALESCE(:video_url, video_url),
                       min_url = COALESCE(:min_url, min_url),
                       duration = COALESCE(:duration, duration),
                       finished_at = COALESCE(finished_at, :finished_at),
                       updated_at = :updated_at
                   WHERE id = :id""",
                row,
            )
            if cursor.rowcount or base_url is None:
                return
            created = feed.created_at or datetime.fromtimestamp(now, tz=timezone.utc)
            kind = "ads" if feed.is_ad else "image2video"
            motion = (
                Motion(id=params.motion_id, name=params.motion_name or params.motion_id)
                if params.motion_id
                else None
            )
            inserted = {
                **row,
                "kind": kind,
                **option_columns({**_ran_options(params), "motion": motion}),
                "cost": PRICES.get("ads" if kind == "ads" else params.model or "", 0),
                "created_at": created.timestamp(),
                "base_url": base_url.rstrip("/"),
            }
            names = ", ".join(inserted)
            marks = ", ".join(f":{name}" for name in inserted)
            conn.execute(
                f"INSERT INTO tasks ({names}) VALUES ({marks}) ON CONFLICT(id) DO NOTHING",  # noqa: S608 - ours
                inserted,
            )

    @_guarded
    def forget(self, task_id: str) -> TaskRecord:
        """Give up on a task that can never finish (its server is gone, or you do not want to wait):
        its status becomes "abandoned". It stays in `history()`, is never resumed and never counts
        as pending or uncertain. A finished task is left as it is. Returns the record as it now is;
        `ValidationError` on `task_id` when the journal has no such task (or local submission id).
        """
        conn = self._writer()
        with _immediate(conn):
            found = conn.execute(
                "SELECT id, status FROM tasks WHERE id = ? OR submission_id = ?", (task_id, task_id)
            ).fetchall()
            for row_id, status in found:
                if status not in TERMINAL_STATUSES:
                    conn.execute(
                        "UPDATE tasks SET status = ?, note = NULL, owner = NULL, updated_at = ? WHERE id = ?",
                        (ABANDONED, time.time(), row_id),
                    )
        record = self.get(task_id)
        if record is None:
            raise ValidationError("task_id", task_id, "the id of a journalled task (see `hfwidgets history`)")
        return record

    @_guarded
    def move_base_url(self, old: str, new: str) -> int:
        """Move every task journalled under base URL `old` to `new`, video URLs under `old` with
        them (the local emulator moved to another port). Returns how many tasks moved."""
        if not self.path.exists():
            return 0
        old, new = old.rstrip("/"), new.rstrip("/")
        conn = self._writer()
        with _immediate(conn):
            cursor = conn.execute(
                """UPDATE tasks SET base_url = :new,
                       video_url = CASE WHEN substr(video_url, 1, length(:old) + 1) = :old || '/'
                           THEN :new || substr(video_url, length(:old) + 1) ELSE video_url END,
                       min_url = CASE WHEN substr(min_url, 1, length(:old) + 1) = :old || '/'
                           THEN :new || substr(min_url, length(:old) + 1) ELSE min_url END
                   WHERE base_url = :old""",
                {"old": old, "new": new},
            )
            return cursor.rowcount

    # ---------------------------------------------------------------- reads

    def _select(
        self, where: str = "", args: Iterable[Any] = (), order: str = "created_at DESC"
    ) -> list[TaskRecord]:
        conn = self._reader()
        if conn is None:
            return []
        clause = f" WHERE {where}" if where else ""
        columns = ", ".join(f"tasks.{name}" for name in _COLUMNS)
        if has_kept_table(conn):
            kept = "kept_videos.sha256 AS kept_sha256, kept_videos.pinned AS kept_pinned"
            joined = "tasks LEFT JOIN kept_videos ON kept_videos.task_id = tasks.id"
        else:  # a journal read read-only, from before kept videos
            kept, joined = "NULL AS kept_sha256, 0 AS kept_pinned", "tasks"
        sql = f"SELECT {columns}, {kept} FROM {joined}{clause} ORDER BY {order}, id"  # noqa: S608 - ours
        videos = self.videos_dir
        return [TaskRecord._from_row(row, videos) for row in conn.execute(sql, tuple(args))]

    @_guarded
    def pending(self, base_url: str | None = None) -> list[TaskRecord]:
        """Tasks the service confirmed and that are not finished yet (oldest first), on `base_url` when given.

        Submissions never confirmed ("submitting", "uncertain") are not among
        them: they have no task id to wait on.
        """
        where, args = _PENDING_SQL, list(_NOT_PENDING)
        if base_url is not None:
            where += " AND base_url = ?"
            args.append(base_url.rstrip("/"))
        return self._select(where, args, order="created_at ASC")

    @_guarded
    def records(self, base_url: str | None = None) -> list[TaskRecord]:
        """Every journalled task, newest first, on `base_url` when given."""
        if base_url is None:
            return self._select()
        return self._select("base_url = ?", [base_url.rstrip("/")])

    @_guarded
    def get(self, task_id: str) -> TaskRecord | None:
        """The record of one task (or local submission id), or None when it was never journalled."""
        found = self._select("id = ? OR submission_id = ?", [task_id, task_id])
        return found[0] if found else None

    # ---------------------------------------------------------------- kept videos

    @property
    def videos_dir(self) -> Path:
        """The folder of the kept videos: `videos/` beside the journal file."""
        return self.path.parent / VIDEOS_FOLDER

    @_guarded
    def keep_video(self, task_id: str, sha256: str, size: int, *, url: str | None = None) -> None:
        """Book a video kept as `videos/<sha256>.mp4` for `task_id` (a pin already set stays)."""
        conn = self._writer()
        with _immediate(conn):
            conn.execute(
                """INSERT INTO kept_videos (task_id, sha256, bytes, kept_at, url) VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT(task_id) DO UPDATE SET sha256 = excluded.sha256, bytes = excluded.bytes,
                       kept_at = excluded.kept_at, url = excluded.url""",
                (task_id, sha256, size, time.time(), url),
            )

    @_guarded
    def kept_video(self, task_id: str) -> KeptVideo | None:
        """The kept video of a task (its file may have been removed since: see `exists`), or None."""
        conn = self._reader()
        return None if conn is None else select_kept_video(conn, self.videos_dir, task_id)

    @_guarded
    def kept_videos(self) -> list[KeptVideo]:
        """Every kept video, oldest first (the order the size cap removes them in)."""
        conn = self._reader()
        if conn is None or not has_kept_table(conn):
            return []
        rows = conn.execute("SELECT * FROM kept_videos ORDER BY kept_at, task_id")
        return [kept_video_from_row(row, self.videos_dir) for row in rows]

    @_guarded
    def pin(self, task_id: str, pinned: bool = True) -> KeptVideo:
        """Pin (or, with `pinned=False`, unpin) the kept video of a task: the size cap never removes it.

        Raises ValidationError when the task has no kept video.
        """
        conn = self._writer()
        with _immediate(conn):
            conn.execute("UPDATE kept_videos SET pinned = ? WHERE task_id = ?", (int(pinned), task_id))
        kept = self.kept_video(task_id)
        if kept is None:
            raise ValidationError(
                "task_id", task_id, "a task whose video is kept", hint="see `hfwidgets history` (column kept)"
            )
        return kept

    @_guarded
    def evict_kept(self, max_bytes: int) -> list[Path]:
        """Forget the oldest unpinned kept videos until the files take at most `max_bytes`.

        One transaction; returns the files no row refers to any more (the caller removes them).
        Pinned videos are never forgotten, even when they alone pass the cap.
        """
        conn = self._writer()
        removed: list[Path] = []
        with _immediate(conn):
            rows = conn.execute("SELECT * FROM kept_videos ORDER BY kept_at, task_id").fetchall()
            sizes = {row["sha256"]: int(row["bytes"]) for row in rows}
            users: dict[str, int] = {}
            for row in rows:
                users[row["sha256"]] = users.get(row["sha256"], 0) + 1
            total = sum(sizes.values())
            pinned = {row["sha256"] for row in rows if row["pinned"]}
            for row in rows:
                if total <= max_bytes:
                    break
                digest = row["sha256"]
                if row["pinned"] or digest in pinned:
                    continue
                conn.execute("DELETE FROM kept_videos WHERE task_id = ?", (row["task_id"],))
                users[digest] -= 1
                if users[digest] == 0:
                    total -= sizes[digest]
                    removed.append(self.videos_dir / f"{digest}.mp4")
        return removed

    def durations(self, model: str, base_url: str) -> list[float]:
        """Observed seconds from submission to completion of `model` tasks on `base_url`.

        `model` is a video model, or "ads" for ad tasks (recorded with no model). Those of
        the (at most 100) most recently submitted tasks that completed, newest first.
        """
        return [seconds for _, seconds in self.completions(model, base_url)]

    @_guarded
    def completions(self, model: str, base_url: str) -> list[tuple[float, float]]:
        """(submitted at, seconds to completion) of the tasks `durations` describes.

        Chosen by submission time, so that with the tasks still running since the oldest of
        them they form one cohort: the poll policy's estimate needs both (`PollPolicy.window`).
        """
        conn = self._reader()
        if conn is None:
            return []
        rows = conn.execute(
            """SELECT created_at, finished_at - created_at FROM tasks
               WHERE (model = ? OR kind = ?) AND base_url = ? AND status = 'completed'
                 AND finished_at IS NOT NULL
               ORDER BY created_at DESC LIMIT ?""",
            (model, model, base_url.rstrip("/"), DURATION_SAMPLES),
        )
        return [(float(created), max(0.0, float(seconds))) for created, seconds in rows]


def _cannot_write(error: sqlite3.OperationalError) -> bool:
    """True when SQLite failed because it may not write the file or its folder (reading may still work)."""
    text = str(error).lower()
    return "readonly" in text or "read-only" in text or "unable to open" in text


def _forget_in_flight(submission_id: str) -> None:
    with _in_flight_lock:
        _in_flight.discard(submission_id)


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
def _immediate(conn: sqlite3.Connection) -> Iterator[None]:
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


# --------------------------------------------------------------------------- history


class History(list[TaskRecord]):
    """Journalled tasks, newest first: a list of TaskRecord that shows itself as a table."""

    def to_dataframe(self) -> pd.DataFrame:
        """A pandas DataFrame, one row per task (thumbnails left out). Needs the "analysis" extra."""
        require("analysis", "History.to_dataframe()")
        import pandas as pd

        columns = [item.name for item in fields(TaskRecord) if item.name != "thumbnail"]
        return pd.DataFrame([record.to_dict() for record in self], columns=columns)

    def _summary(self) -> str:
        if not self:
            return "History(empty)"
        counts: dict[str, int] = {}
        for record in self:
            counts[record.status] = counts.get(record.status, 0) + 1
        spent = sum(record.cost for record in self)
        unsure = sum(record.cost for record in self if record.status in (UNCERTAIN, SUBMITTING))
        by_status = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        noun = "task" if len(self) == 1 else "tasks"
        maybe = f", {unsure} of them uncertain" if unsure else ""
        return f"History({len(self)} {noun}: {by_status}; {spent} points{maybe})"

    def __repr__(self) -> str:
        lines = [self._summary()]
        lines += [f"  {record!r}" for record in self[:HISTORY_ROWS]]
        if len(self) > HISTORY_ROWS:
            lines.append(f"  ... {len(self) - HISTORY_ROWS} more")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return history_html(self, self._summary())

    def export(
        self,
        path: str | os.PathLike[str],
        *,
        since: datetime | date | str | None = None,
        status: str | None = None,
    ) -> Path:
        """Write these tasks as a zip to `path`: their kept videos, `manifest.json` and an `index.html`
        that reads offline (posters embedded, videos played from their files). Returns the path.

        `since` (a datetime, a date or an ISO text; naive means UTC) and `status` (e.g.
        "completed") choose among them. A task whose video is not kept is listed with its link
        and a note. Written atomically: an interrupted export leaves no half zip.
        """
        return export_records(select_records(self, since=since, status=status), path)


def history(base_url: str | None = None) -> History:
    """Every task journalled on this machine, newest first (on `base_url` when given).

    Submissions the service never confirmed show with status "uncertain" and a
    `note` saying what happened: they may exist and may have been charged.
    Raises JournalError (naming the file and what to do) when the journal cannot be read.
    """
    return History(Journal().records(base_url))
