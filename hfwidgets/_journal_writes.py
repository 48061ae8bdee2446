"""The writes to the journal's `tasks` table: a submission's life, feed reads, giving up, a moved server.

Each is one short `BEGIN IMMEDIATE` transaction; rows are upserted (`INSERT ...
ON CONFLICT`), so concurrent writers never lose a row. A billable submission is
written before it is sent ("submitting", under a local id); the task id turns
that row into the task, a lost answer makes it "uncertain", a refusal removes it.
A terminal status is final (`advance_status`). `Journal` documents each write;
the sqlite3 errors raised here become `JournalError` there.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import replace

from ._journal_file import JournalFile, immediate
from ._journal_rows import (
    ABANDONED,
    LOCAL_ID_PREFIX,
    SUBMITTING,
    UNCERTAIN,
    feed_row,
    forget_in_flight,
    in_flight,
    owner,
    row_from_feed,
    task_row,
)
from ._models import TERMINAL_STATUSES, Feed, Task, advance_status

__all__ = ["TaskWrites"]

logger = logging.getLogger("hfwidgets")

_KEPT_ON_RECORD = ("id", "status", "created_at", "submission_id")
"""Columns recording a task again leaves as they are."""


class TaskWrites:
    """The writes to the `tasks` table of one journal file."""

    def __init__(self, file: JournalFile) -> None:
        self._file = file

    def begin_submission(
        self, draft: Task, *, base_url: str, image_digest: str | None, thumbnail: bytes | None
    ) -> str:
        """A "submitting" row for `draft` under a new local id, counted in flight; returns the id."""
        local_id = f"{LOCAL_ID_PREFIX}{uuid.uuid4().hex}"
        row = task_row(
            replace(draft, id=local_id), base_url=base_url, image_digest=image_digest, thumbnail=thumbnail
        )
        row.update(status=SUBMITTING, submission_id=local_id, owner=owner())
        with in_flight(local_id):
            conn = self._file.writer()
            with immediate(conn):
                conn.execute(_insert(row), row)
        return local_id

    def record(
        self,
        task: Task,
        *,
        base_url: str,
        image_digest: str | None,
        thumbnail: bytes | None,
        submission_id: str | None,
    ) -> None:
        """The task's row (status "queued"), replacing the submission's row when there is one."""
        row = task_row(task, base_url=base_url, image_digest=image_digest, thumbnail=thumbnail)
        row["submission_id"] = submission_id
        refreshed = ", ".join(f"{name} = excluded.{name}" for name in row if name not in _KEPT_ON_RECORD)
        conn = self._file.writer()
        with immediate(conn):
            if submission_id is not None:
                conn.execute("DELETE FROM tasks WHERE id = ? AND id != ?", (submission_id, task.id))
            conn.execute(
                f"{_insert(row)} ON CONFLICT(id) DO UPDATE SET {refreshed}, "
                "submission_id = COALESCE(tasks.submission_id, excluded.submission_id)",
                row,
            )
        if submission_id is not None:
            forget_in_flight(submission_id)

    def mark_uncertain(self, submission_id: str, note: str) -> None:
        """The submission's row becomes "uncertain", with `note` saying why."""
        try:
            conn = self._file.writer()
            with immediate(conn):
                conn.execute(
                    "UPDATE tasks SET status = ?, note = ?, updated_at = ? WHERE id = ?",
                    (UNCERTAIN, note, time.time(), submission_id),
                )
        finally:
            forget_in_flight(submission_id)

    def discard_submission(self, submission_id: str) -> None:
        """The submission's "submitting" row is removed."""
        try:
            conn = self._file.writer()
            with immediate(conn):
                conn.execute("DELETE FROM tasks WHERE id = ? AND status = ?", (submission_id, SUBMITTING))
        finally:
            forget_in_flight(submission_id)

    def update(self, task_id: str, feed: Feed, *, base_url: str | None) -> None:
        """What a feed read showed; a task not journalled is added from the feed when `base_url` is given."""
        now = time.time()
        row = feed_row(task_id, feed, now)
        conn = self._file.writer()
        with immediate(conn):
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
            inserted = row_from_feed(task_id, feed, base_url=base_url, now=now)
            conn.execute(f"{_insert(inserted)} ON CONFLICT(id) DO NOTHING", inserted)

    def abandon(self, task_id: str) -> None:
        """Every unfinished row of `task_id` (a task id or a local submission id) becomes "abandoned"."""
        conn = self._file.writer()
        with immediate(conn):
            found = conn.execute(
                "SELECT id, status FROM tasks WHERE id = ? OR submission_id = ?", (task_id, task_id)
            ).fetchall()
            for row_id, status in found:
                if status not in TERMINAL_STATUSES:
                    conn.execute(
                        "UPDATE tasks SET status = ?, note = NULL, owner = NULL, updated_at = ? WHERE id = ?",
                        (ABANDONED, time.time(), row_id),
                    )

    def move_base_url(self, old: str, new: str) -> int:
        """Tasks under base URL `old` (and their video URLs under it) moved to `new`; how many moved."""
        if not self._file.path.exists():
            return 0
        old, new = old.rstrip("/"), new.rstrip("/")
        conn = self._file.writer()
        with immediate(conn):
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


def _insert(row: dict[str, object]) -> str:
    """INSERT of `row`'s columns, with named parameters of the same names."""
    names = ", ".join(row)
    marks = ", ".join(f":{name}" for name in row)
    return f"INSERT INTO tasks ({names}) VALUES ({marks})"  # noqa: S608 - the names are ours
