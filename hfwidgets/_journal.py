"""A durable journal of every submitted task, so nothing paid for is ever lost.

Each accepted submission is written to a SQLite file in the per-user data
directory (`$HFWIDGETS_HOME`, else `platformdirs.user_data_dir("hfwidgets")`)
before waiting starts; every feed read updates it. After a crash or a kernel
restart, `Client.resume()` picks the unfinished tasks up from here, and
`hfwidgets.history()` lists everything made so far.

The journal never holds the API key or full images: at most a small JPEG
thumbnail and a digest of the input image.

Concurrency: several threads and several processes (two kernels) may write the
same file. Each thread gets its own connection; the file is in WAL mode with a
busy timeout; every write is one short `BEGIN IMMEDIATE` transaction and rows
are upserted (`INSERT ... ON CONFLICT`), so concurrent writers never corrupt
the file or lose a row.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._config import home_dir
from ._errors import JournalError
from ._models import PRICES, TERMINAL_STATUSES, Feed, Task
from ._static import HISTORY_ROWS, history_html

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "JOURNAL_FILENAME",
    "MAX_THUMBNAIL_BYTES",
    "History",
    "Journal",
    "TaskRecord",
    "default_journal_path",
    "history",
]

logger = logging.getLogger("hfwidgets")

JOURNAL_FILENAME = "journal.sqlite3"
MAX_THUMBNAIL_BYTES = 16 * 1024
"""Thumbnails above this size are not stored (the journal is not a media store)."""

SCHEMA_VERSION = 1
_BUSY_TIMEOUT_MS = 30_000  # two kernels hammering the file must wait, not fail
_DURATION_SAMPLES = 100

# Column order of the `tasks` table, matching the TaskRecord fields.
_COLUMNS = (
    "id",
    "kind",
    "model",
    "motion_id",
    "motion_name",
    "seed",
    "width",
    "height",
    "prompt",
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
    "template_id",
    "size",
    "updated_at",
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

# Migrations from version N-1 to N, applied in order inside one transaction.
_MIGRATIONS: tuple[str, ...] = (_SCHEMA_V1,)

_TERMINAL = tuple(sorted(TERMINAL_STATUSES))
_NOT_TERMINAL_SQL = f"status NOT IN ({', '.join('?' for _ in _TERMINAL)})"


def default_journal_path() -> Path:
    """`$HFWIDGETS_HOME/journal.sqlite3`, else the same file in the per-user data directory."""
    home = home_dir()
    if home:
        return home / JOURNAL_FILENAME
    import platformdirs

    return Path(platformdirs.user_data_dir("hfwidgets")) / JOURNAL_FILENAME


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

    @property
    def done(self) -> bool:
        """True once the task reached a terminal status."""
        return self.status in TERMINAL_STATUSES

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
    def _from_row(cls, row: Mapping[str, Any]) -> TaskRecord:
        created = _utc(row["created_at"])
        assert created is not None  # NOT NULL column
        return cls(
            id=row["id"],
            kind=row["kind"],
            model=row["model"],
            motion_id=row["motion_id"],
            motion_name=row["motion_name"],
            seed=row["seed"],
            width=row["width"],
            height=row["height"],
            prompt=row["prompt"],
            cost=row["cost"],
            created_at=created,
            base_url=row["base_url"],
            status=row["status"],
            video_url=row["video_url"],
            min_url=row["min_url"],
            finished_at=_utc(row["finished_at"]),
            image_digest=row["image_digest"],
            thumbnail=row["thumbnail"],
            duration=row["duration"],
            template_id=row["template_id"],
            size=row["size"],
        )

    def __repr__(self) -> str:
        what = (
            f"template={self.template_id!r}"
            if self.kind == "ads"
            else f"model={self.model!r}, motion={self.motion_name!r}, seed={self.seed}"
        )
        return (
            f"TaskRecord({self.id!r}, {what}, status={self.status!r}, cost={self.cost}, "
            f"created={self.created_at.isoformat(timespec='seconds')})"
        )


# --------------------------------------------------------------------------- journal


class Journal:
    """The SQLite journal of every task submitted from this machine.

    `path` defaults to `default_journal_path()`, read when the journal is made.
    The file and its directory are created on the first write; reading a
    journal that does not exist yet gives empty lists.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_journal_path()
        self._local = threading.local()
        self._schema_ready = False
        self._schema_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r})"

    # ---------------------------------------------------------------- connections

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection (a new one after a fork: sqlite connections never cross processes)."""
        pid = os.getpid()
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == pid:
            return conn
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE), never implicit.
        conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA synchronous = NORMAL")  # in WAL mode: durable across app crashes, fast
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
                        f"{SCHEMA_VERSION}: upgrade hfwidgets"
                    )
                for script in _MIGRATIONS[version:]:
                    for statement in script.split(";"):
                        if statement.strip():
                            conn.execute(statement)
                if version < SCHEMA_VERSION:
                    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self._schema_ready = True

    def _writer(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = self._connection()
        self._ensure_schema(conn)
        return conn

    def _reader(self) -> sqlite3.Connection | None:
        """A connection for reading, or None when there is no journal yet (reads never create it)."""
        if not self._schema_ready and not self.path.exists():
            return None
        conn = self._connection()
        self._ensure_schema(conn)
        return conn

    def close(self) -> None:
        """Close this thread's connection (others close when their threads end)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            if self._local.pid == os.getpid():
                conn.close()
            self._local.conn = None

    # ---------------------------------------------------------------- writes

    def record(
        self,
        task: Task,
        *,
        base_url: str,
        image_digest: str | None = None,
        thumbnail: bytes | None = None,
    ) -> None:
        """Write a just-accepted submission (status "queued"). One short transaction.

        Recording the same task again refreshes what was asked but keeps the
        status already seen. A thumbnail above MAX_THUMBNAIL_BYTES is dropped.
        """
        if thumbnail is not None and len(thumbnail) > MAX_THUMBNAIL_BYTES:
            logger.warning(
                "journal: thumbnail of task %s is %d bytes (limit %d); not stored",
                task.id,
                len(thumbnail),
                MAX_THUMBNAIL_BYTES,
            )
            thumbnail = None
        now = time.time()
        row = {
            "id": task.id,
            "kind": task.kind,
            "model": task.model,
            "motion_id": task.motion.id if task.motion else None,
            "motion_name": task.motion.name if task.motion else None,
            "seed": task.seed,
            "width": task.width,
            "height": task.height,
            "prompt": task.prompt or "",
            "cost": task.cost,
            "created_at": task.created_at.timestamp(),
            "base_url": base_url.rstrip("/"),
            "status": "queued",
            "image_digest": image_digest,
            "thumbnail": thumbnail,
            "template_id": task.template_id,
            "size": task.size,
            "updated_at": now,
        }
        names = ", ".join(row)
        marks = ", ".join(f":{name}" for name in row)
        refreshed = ", ".join(
            f"{name} = excluded.{name}" for name in row if name not in ("id", "status", "created_at")
        )
        conn = self._writer()
        with _immediate(conn):
            conn.execute(
                f"INSERT INTO tasks ({names}) VALUES ({marks}) ON CONFLICT(id) DO UPDATE SET {refreshed}",  # noqa: S608 - names are ours
                row,
            )

    def update(self, task_id: str, feed: Feed, *, base_url: str | None = None) -> None:
        """Store what a feed read showed: status, video URLs, video duration, finish time.

        `finished_at` is set the first time a terminal status is seen and kept
        after. A task the journal has not recorded (waited on by id only) is
        added from the feed when `base_url` is given, else the call does nothing.
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
            conn.execute(
                """INSERT INTO tasks (id, kind, model, motion_id, motion_name, seed, width, height, prompt,
                       cost, created_at, base_url, status, video_url, min_url, finished_at, duration,
                       updated_at)
                   VALUES (:id, :kind, :model, :motion_id, :motion_name, :seed, :width, :height, :prompt,
                       :cost, :created_at, :base_url, :status, :video_url, :min_url, :finished_at, :duration,
                       :updated_at)
                   ON CONFLICT(id) DO NOTHING""",
                {
                    **row,
                    "kind": kind,
                    "model": params.model,
                    "motion_id": params.motion_id,
                    "motion_name": params.motion_name,
                    "seed": params.seed,
                    "width": params.width,
                    "height": params.height,
                    "prompt": params.prompt or "",
                    "cost": PRICES.get("ads" if kind == "ads" else params.model or "", 0),
                    "created_at": created.timestamp(),
                    "base_url": base_url.rstrip("/"),
                },
            )

    # ---------------------------------------------------------------- reads

    def _select(
        self, where: str = "", args: Iterable[Any] = (), order: str = "created_at DESC"
    ) -> list[TaskRecord]:
        conn = self._reader()
        if conn is None:
            return []
        clause = f" WHERE {where}" if where else ""
        sql = f"SELECT {', '.join(_COLUMNS)} FROM tasks{clause} ORDER BY {order}, id"  # noqa: S608 - ours
        return [TaskRecord._from_row(row) for row in conn.execute(sql, tuple(args))]

    def pending(self, base_url: str | None = None) -> list[TaskRecord]:
        """Tasks not finished yet (oldest first), on `base_url` when given."""
        where, args = _NOT_TERMINAL_SQL, list(_TERMINAL)
        if base_url is not None:
            where += " AND base_url = ?"
            args.append(base_url.rstrip("/"))
        return self._select(where, args, order="created_at ASC")

    def records(self, base_url: str | None = None) -> list[TaskRecord]:
        """Every journalled task, newest first, on `base_url` when given."""
        if base_url is None:
            return self._select()
        return self._select("base_url = ?", [base_url.rstrip("/")])

    def get(self, task_id: str) -> TaskRecord | None:
        """The record of one task, or None when it was never journalled."""
        found = self._select("id = ?", [task_id])
        return found[0] if found else None

    def durations(self, model: str, base_url: str) -> list[float]:
        """Observed seconds from submission to completion of `model` tasks on `base_url`.

        `model` is a video model, or "ads" for ad tasks (recorded with no model).
        The most recent completions first (at most 100); only completed tasks count.
        """
        conn = self._reader()
        if conn is None:
            return []
        rows = conn.execute(
            """SELECT finished_at - created_at FROM tasks
               WHERE (model = ? OR kind = ?) AND base_url = ? AND status = 'completed'
                 AND finished_at IS NOT NULL
               ORDER BY finished_at DESC LIMIT ?""",
            (model, model, base_url.rstrip("/"), _DURATION_SAMPLES),
        )
        return [max(0.0, float(seconds)) for (seconds,) in rows]


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
        from ._extras import require

        require("analysis", "History.to_dataframe()")
        import pandas as pd

        columns = [name for name in _COLUMNS if name not in ("thumbnail", "updated_at")]
        return pd.DataFrame([record.to_dict() for record in self], columns=columns)

    def _summary(self) -> str:
        if not self:
            return "History(empty)"
        counts: dict[str, int] = {}
        for record in self:
            counts[record.status] = counts.get(record.status, 0) + 1
        spent = sum(record.cost for record in self)
        by_status = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        noun = "task" if len(self) == 1 else "tasks"
        return f"History({len(self)} {noun}: {by_status}; {spent} points)"

    def __repr__(self) -> str:
        lines = [self._summary()]
        lines += [f"  {record!r}" for record in self[:HISTORY_ROWS]]
        if len(self) > HISTORY_ROWS:
            lines.append(f"  ... {len(self) - HISTORY_ROWS} more")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return history_html(self, self._summary())


def history(base_url: str | None = None) -> History:
    """Every task journalled on this machine, newest first (on `base_url` when given)."""
    return History(Journal().records(base_url))
