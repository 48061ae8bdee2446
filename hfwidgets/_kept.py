"""A task's kept copy: the journal's `kept_videos` table, read without the journal's records.

Finished videos are kept beside the journal (`_keep`) and booked in its table
`kept_videos`. This module holds that table (its schema, `KeptVideo`, the query
of one task's row) and where the journal file is. It sits below `_models`, so a
download whose link is dead (`_video`, which `Feed.download` calls) and the
widgets' media channel find the kept copy without importing the `Journal`, whose
records are made of the models. The `Journal` books, lists, pins and evicts kept
videos with the same table and the same `KeptVideo`.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Final, Protocol

from ._config import data_dir
from ._errors import APIError, JournalError

__all__ = [
    "JOURNAL_FILENAME",
    "KEPT_TABLE",
    "VIDEOS_FOLDER",
    "KeptVideo",
    "default_journal_path",
    "has_kept_table",
    "kept_file",
    "kept_video_from_row",
    "select_kept_video",
]

JOURNAL_FILENAME: Final = "journal.sqlite3"
VIDEOS_FOLDER: Final = "videos"
"""The folder beside the journal file where finished videos are kept."""

# One row per task whose video is on disk as `videos/<sha256>.mp4`. A table of its own, created
# whatever the schema version of `tasks`, so it never takes part in their migrations.
KEPT_TABLE: Final = """
CREATE TABLE IF NOT EXISTS kept_videos (
    task_id  TEXT PRIMARY KEY,
    sha256   TEXT NOT NULL,
    bytes    INTEGER NOT NULL,
    kept_at  REAL NOT NULL,
    pinned   INTEGER NOT NULL DEFAULT 0,
    url      TEXT
)
"""

logger = logging.getLogger("hfwidgets")
_announced: set[str] = set()
"""Tasks whose dead link this process has already reported."""
_announced_lock = threading.Lock()


def default_journal_path() -> Path:
    """`$HFWIDGETS_HOME/journal.sqlite3`, else the same file in the per-user data directory."""
    return data_dir() / JOURNAL_FILENAME


@dataclass(frozen=True)
class KeptVideo:
    """A finished video kept on this machine: `path` is `videos/<sha256>.mp4` beside the journal.

    `exists` is False when the file was removed by hand since it was kept.
    """

    task_id: str
    path: Path
    sha256: str
    size: int
    """Bytes of the file."""
    kept_at: datetime
    pinned: bool
    """A pinned video is never removed by the size cap."""
    url: str | None = None
    """The link it was downloaded from."""

    @property
    def exists(self) -> bool:
        """True while the file is there."""
        return self.path.is_file()


def kept_video_from_row(row: Mapping[str, Any], videos_dir: Path) -> KeptVideo:
    """The `KeptVideo` of a `kept_videos` row, its file in `videos_dir`."""
    return KeptVideo(
        task_id=row["task_id"],
        path=videos_dir / f"{row['sha256']}.mp4",
        sha256=row["sha256"],
        size=int(row["bytes"]),
        kept_at=datetime.fromtimestamp(row["kept_at"], tz=timezone.utc),
        pinned=bool(row["pinned"]),
        url=row["url"],
    )


def has_kept_table(conn: sqlite3.Connection) -> bool:
    """False only for a journal read read-only that was last written before videos were kept."""
    found = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'kept_videos'")
    return found.fetchone() is not None


def select_kept_video(conn: sqlite3.Connection, videos_dir: Path, task_id: str) -> KeptVideo | None:
    """The kept video of a task (its file may have been removed since), or None when none was kept."""
    if not has_kept_table(conn):
        return None
    row = conn.execute("SELECT * FROM kept_videos WHERE task_id = ?", (task_id,)).fetchone()
    return None if row is None else kept_video_from_row(row, videos_dir)


class KeptVideos(Protocol):
    """What finds a task's kept video: a `Journal`, or the journal file read here."""

    def kept_video(self, task_id: str) -> KeptVideo | None: ...


def _read_kept_video(task_id: str, journal_path: Path) -> KeptVideo | None:
    """The task's row in the journal at `journal_path`; None when there is no journal or it cannot
    be read. Never creates the file: `mode=rw` (it sees rows still in the write-ahead log), else,
    where nothing may be written, read-only as the `Journal` reads such a file."""
    if not journal_path.is_file():
        return None
    base = "file:" + urllib.parse.quote(str(journal_path.absolute()))
    for options in ("mode=rw", "mode=ro", "mode=ro&immutable=1"):
        try:
            conn = sqlite3.connect(f"{base}?{options}", uri=True, isolation_level=None)
        except sqlite3.Error:
            continue
        try:
            conn.row_factory = sqlite3.Row
            return select_kept_video(conn, journal_path.parent / VIDEOS_FOLDER, task_id)
        except sqlite3.Error:
            continue
        finally:
            conn.close()
    return None


def kept_file(task_id: str, error: APIError, journal: KeptVideos | None = None) -> Path:
    """The kept copy of a task whose link failed with `error`; says so once per task.

    `journal`: where to look (a `Journal`); by default the journal file of this home.
    Raises an APIError saying both what the link answered and what became of the copy
    (never kept, or removed since) when there is no file to use.
    """
    if journal is None:
        kept = _read_kept_video(task_id, default_journal_path())
    else:
        try:
            kept = journal.kept_video(task_id)
        except JournalError:  # the journal cannot be read: no copy is known
            kept = None
    if kept is None or not kept.exists:
        copy = (
            "no copy of it was kept on this machine"
            if kept is None
            else f"the copy kept at {kept.path} was removed"
        )
        raise type(error)(  # the same kind of failure (the command line's exit code follows it)
            f"{error.message}; {copy}",
            status=error.status,
            body=error.body,
            task_id=task_id,
            endpoint=error.endpoint,
        ) from None
    with _announced_lock:
        first = task_id not in _announced
        _announced.add(task_id)
    if first:
        answer = f"answered HTTP {error.status}" if error.status is not None else "cannot be reached"
        logger.warning("task %s: the video's link %s; using the copy kept at %s", task_id, answer, kept.path)
    return kept.path
