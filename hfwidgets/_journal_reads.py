"""The reads of the journal's `tasks` table: unfinished tasks, every task, one task, completion times.

Each row is read with its kept video (`kept_videos`, joined) and becomes a
`TaskRecord` (`_journal_rows.record_from_row`). A journal that does not exist
yet reads as empty. `Journal` documents each read; the sqlite3 errors raised
here become `JournalError` there.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ._journal_file import JournalFile
from ._journal_rows import ABANDONED, SUBMITTING, UNCERTAIN, TaskRecord, record_from_row
from ._kept import has_kept_table
from ._models import TERMINAL_STATUSES

__all__ = ["DURATION_SAMPLES", "TaskReads"]

DURATION_SAMPLES = 100
"""How many of the latest completed tasks of a model `completions` reads."""

# Neither finished nor waitable: they have no task id the service knows.
_NOT_PENDING = tuple(sorted(TERMINAL_STATUSES | {SUBMITTING, UNCERTAIN, ABANDONED}))
_PENDING_SQL = f"status NOT IN ({', '.join('?' for _ in _NOT_PENDING)})"


class TaskReads:
    """The reads of the `tasks` table of one journal file; `videos` is the folder of its kept videos."""

    def __init__(self, file: JournalFile, videos: Path) -> None:
        self._file = file
        self._videos = videos

    def select(
        self, where: str = "", args: Iterable[Any] = (), order: str = "created_at DESC"
    ) -> list[TaskRecord]:
        """The records of the rows `where` chooses (every row when empty), in `order` then by id."""
        conn = self._file.reader()
        if conn is None:
            return []
        clause = f" WHERE {where}" if where else ""
        if has_kept_table(conn):
            kept = "kept_videos.sha256 AS kept_sha256, kept_videos.pinned AS kept_pinned"
            joined = "tasks LEFT JOIN kept_videos ON kept_videos.task_id = tasks.id"
        else:  # a journal read read-only, from before kept videos
            kept, joined = "NULL AS kept_sha256, 0 AS kept_pinned", "tasks"
        sql = f"SELECT tasks.*, {kept} FROM {joined}{clause} ORDER BY {order}, id"  # noqa: S608 - ours
        return [record_from_row(row, self._videos) for row in conn.execute(sql, tuple(args))]

    def pending(self, base_url: str | None) -> list[TaskRecord]:
        """Confirmed, unfinished tasks, oldest first (on `base_url` when given)."""
        where, args = _PENDING_SQL, list(_NOT_PENDING)
        if base_url is not None:
            where += " AND base_url = ?"
            args.append(base_url.rstrip("/"))
        return self.select(where, args, order="created_at ASC")

    def records(self, base_url: str | None) -> list[TaskRecord]:
        """Every task, newest first (on `base_url` when given)."""
        if base_url is None:
            return self.select()
        return self.select("base_url = ?", [base_url.rstrip("/")])

    def get(self, task_id: str) -> TaskRecord | None:
        """The record of a task id or a local submission id, or None."""
        found = self.select("id = ? OR submission_id = ?", [task_id, task_id])
        return found[0] if found else None

    def completions(self, model: str, base_url: str) -> list[tuple[float, float]]:
        """(submitted at, seconds to completion) of the latest completed `model` tasks, newest first."""
        conn = self._file.reader()
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
