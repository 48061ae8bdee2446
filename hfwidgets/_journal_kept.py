"""The journal's book of kept videos: booking, listing, pinning and evicting rows of `kept_videos`.

A finished video is kept beside the journal as `videos/<sha256>.mp4` (`_keep`
writes the files); each row names the task, the file's digest and size, when it
was kept, from which link, and whether it is pinned (the size cap never removes
a pinned video). Tasks with the same video share one file. The table, `KeptVideo`
and one task's lookup are in `_kept` (below the models, for downloads whose link
is dead). `Journal` documents each method; the sqlite3 errors raised here become
`JournalError` there.
"""

from __future__ import annotations

import time
from pathlib import Path

from ._journal_file import JournalFile, immediate
from ._kept import KeptVideo, has_kept_table, kept_video_from_row, select_kept_video

__all__ = ["KeptBook"]


class KeptBook:
    """The `kept_videos` table of one journal file; `folder` holds the files it names."""

    def __init__(self, file: JournalFile, folder: Path) -> None:
        self._file = file
        self.folder = folder

    def __repr__(self) -> str:
        return f"KeptBook({str(self.folder)!r})"

    def keep(self, task_id: str, sha256: str, size: int, url: str | None) -> None:
        """Book `videos/<sha256>.mp4` as the video of `task_id` (a pin already set stays)."""
        conn = self._file.writer()
        with immediate(conn):
            conn.execute(
                """INSERT INTO kept_videos (task_id, sha256, bytes, kept_at, url) VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT(task_id) DO UPDATE SET sha256 = excluded.sha256, bytes = excluded.bytes,
                       kept_at = excluded.kept_at, url = excluded.url""",
                (task_id, sha256, size, time.time(), url),
            )

    def get(self, task_id: str) -> KeptVideo | None:
        """The kept video of a task, or None."""
        conn = self._file.reader()
        return None if conn is None else select_kept_video(conn, self.folder, task_id)

    def all(self) -> list[KeptVideo]:
        """Every kept video, oldest first."""
        conn = self._file.reader()
        if conn is None or not has_kept_table(conn):
            return []
        rows = conn.execute("SELECT * FROM kept_videos ORDER BY kept_at, task_id")
        return [kept_video_from_row(row, self.folder) for row in rows]

    def pin(self, task_id: str, pinned: bool) -> None:
        """Set or clear the pin of a task's kept video (nothing when it has none)."""
        conn = self._file.writer()
        with immediate(conn):
            conn.execute("UPDATE kept_videos SET pinned = ? WHERE task_id = ?", (int(pinned), task_id))

    def evict(self, max_bytes: int) -> list[Path]:
        """Forget the oldest unpinned videos until the files take at most `max_bytes`; the files
        no row refers to any more. A file shared with a pinned video is never forgotten."""
        conn = self._file.writer()
        removed: list[Path] = []
        with immediate(conn):
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
                    removed.append(self.folder / f"{digest}.mp4")
        return removed
