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
content digest, bytes, when, pinned).

Every failure to use the file (corrupt, a directory in its place, a table
hfwidgets did not write, an unwritable folder) raises `JournalError` naming the
path and what to do, never a raw `sqlite3` or `OSError`.

`Journal` is the one face of the journal; the work is done by its parts:
`_journal_file` (connections, the schema brought up to date, read-only opening,
errors), `_journal_schema` (the tables and their migrations), `_journal_rows`
(`TaskRecord` and the rows), `_journal_writes` and `_journal_reads` (the writes
and reads of `tasks`), `_journal_kept` (the book of kept videos; the table and
`KeptVideo` are in `_kept`) and `_history`.
"""

from __future__ import annotations

import functools
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

from ._errors import ValidationError
from ._history import History
from ._journal_file import JournalFile
from ._journal_kept import KeptBook
from ._journal_reads import DURATION_SAMPLES as DURATION_SAMPLES
from ._journal_reads import TaskReads
from ._journal_rows import (
    ABANDONED,
    MAX_THUMBNAIL_BYTES,
    SUBMITTING,
    UNCERTAIN,
    TaskRecord,
    forget_in_flight,
)
from ._journal_rows import LOCAL_ID_PREFIX as LOCAL_ID_PREFIX
from ._journal_rows import SUBMITTING_STALE_SECONDS as SUBMITTING_STALE_SECONDS
from ._journal_schema import SCHEMA_VERSION as SCHEMA_VERSION
from ._journal_writes import TaskWrites
from ._kept import JOURNAL_FILENAME, VIDEOS_FOLDER, KeptVideo, default_journal_path
from ._models import Feed, Task

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

_forget_in_flight = forget_in_flight  # as the sending coroutine does when it is gone without a word

P = ParamSpec("P")
R = TypeVar("R")


def _guarded(method: Callable[P, R]) -> Callable[P, R]:
    """Turn every sqlite3/OS failure of a Journal method into a JournalError saying what to do."""

    @functools.wraps(method)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except (sqlite3.Error, OSError) as error:
            journal = args[0]
            assert isinstance(journal, Journal)
            raise journal._file.problem(error) from None

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
        self._file = JournalFile(self.path)
        self._writes = TaskWrites(self._file)
        self._queries = TaskReads(self._file, self.videos_dir)
        self._kept = KeptBook(self._file, self.videos_dir)

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r})"

    @_guarded
    def check(self) -> None:
        """Open (creating when needed) the file and its schema; raises JournalError when unusable."""
        self._file.writer()

    def close(self) -> None:
        """Close this thread's connections (others close when their threads end)."""
        self._file.close()

    # ---------------------------------------------------------------- writes

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
        self._writes.record(
            task,
            base_url=base_url,
            image_digest=image_digest,
            thumbnail=thumbnail,
            submission_id=submission_id,
        )

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
        return self._writes.begin_submission(
            draft, base_url=base_url, image_digest=image_digest, thumbnail=thumbnail
        )

    @_guarded
    def mark_uncertain(self, submission_id: str, note: str) -> None:
        """The submission's answer will never be known: it may exist and may have been charged."""
        self._writes.mark_uncertain(submission_id, note)

    @_guarded
    def discard_submission(self, submission_id: str) -> None:
        """Remove a "submitting" row whose request never reached the service (nothing was charged)."""
        self._writes.discard_submission(submission_id)

    @_guarded
    def update(self, task_id: str, feed: Feed, *, base_url: str | None = None) -> None:
        """Store what a feed read showed: status, video URLs, video duration, finish time.

        `finished_at` is set the first time a terminal status is seen and kept
        after. A terminal status is final (`advance_status`): a stale read saying
        "in_progress" after "completed" changes nothing. A task the journal has not
        recorded (waited on by id only) is added from the feed when `base_url` is
        given, else the call does nothing.
        """
        self._writes.update(task_id, feed, base_url=base_url)

    @_guarded
    def forget(self, task_id: str) -> TaskRecord:
        """Give up on a task that can never finish (its server is gone, or you do not want to wait):
        its status becomes "abandoned". It stays in `history()`, is never resumed and never counts
        as pending or uncertain. A finished task is left as it is. Returns the record as it now is;
        `ValidationError` on `task_id` when the journal has no such task (or local submission id).
        """
        self._writes.abandon(task_id)
        record = self._queries.get(task_id)
        if record is None:
            raise ValidationError("task_id", task_id, "the id of a journalled task (see `hfwidgets history`)")
        return record

    @_guarded
    def move_base_url(self, old: str, new: str) -> int:
        """Move every task journalled under base URL `old` to `new`, video URLs under `old` with
        them (the local emulator moved to another port). Returns how many tasks moved."""
        return self._writes.move_base_url(old, new)

    # ---------------------------------------------------------------- reads

    @_guarded
    def pending(self, base_url: str | None = None) -> list[TaskRecord]:
        """Tasks the service confirmed and that are not finished yet (oldest first), on `base_url` when given.

        Submissions never confirmed ("submitting", "uncertain") are not among
        them: they have no task id to wait on.
        """
        return self._queries.pending(base_url)

    @_guarded
    def records(self, base_url: str | None = None) -> list[TaskRecord]:
        """Every journalled task, newest first, on `base_url` when given."""
        return self._queries.records(base_url)

    @_guarded
    def get(self, task_id: str) -> TaskRecord | None:
        """The record of one task (or local submission id), or None when it was never journalled."""
        return self._queries.get(task_id)

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
        return self._queries.completions(model, base_url)

    # ---------------------------------------------------------------- kept videos

    @property
    def videos_dir(self) -> Path:
        """The folder of the kept videos: `videos/` beside the journal file."""
        return self.path.parent / VIDEOS_FOLDER

    @_guarded
    def keep_video(self, task_id: str, sha256: str, size: int, *, url: str | None = None) -> None:
        """Book a video kept as `videos/<sha256>.mp4` for `task_id` (a pin already set stays)."""
        self._kept.keep(task_id, sha256, size, url)

    @_guarded
    def kept_video(self, task_id: str) -> KeptVideo | None:
        """The kept video of a task (its file may have been removed since: see `exists`), or None."""
        return self._kept.get(task_id)

    @_guarded
    def kept_videos(self) -> list[KeptVideo]:
        """Every kept video, oldest first (the order the size cap removes them in)."""
        return self._kept.all()

    @_guarded
    def pin(self, task_id: str, pinned: bool = True) -> KeptVideo:
        """Pin (or, with `pinned=False`, unpin) the kept video of a task: the size cap never removes it.

        Raises ValidationError when the task has no kept video.
        """
        self._kept.pin(task_id, pinned)
        kept = self._kept.get(task_id)
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
        return self._kept.evict(max_bytes)


def history(base_url: str | None = None) -> History:
    """Every task journalled on this machine, newest first (on `base_url` when given).

    Submissions the service never confirmed show with status "uncertain" and a
    `note` saying what happened: they may exist and may have been charged.
    Raises JournalError (naming the file and what to do) when the journal cannot be read.
    """
    return History(Journal().records(base_url))
