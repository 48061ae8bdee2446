"""The journal's tables: the numbered schema of `tasks`, its in-place migrations, and `kept_videos`.

`PRAGMA user_version` holds the schema version of `tasks`. Opening a file for
writing brings it to `SCHEMA_VERSION` in one transaction (`migrate`), so a
journal written by an older hfwidgets opens and keeps its rows:

1. the table itself (what was asked, where, and what became of it);
2. submissions journalled before they are sent: `submission_id` (the local id a
   row was written under, kept once the task id replaces it), `note` (why a row
   is uncertain), `owner` ("host:pid" of the process sending it);
3. a column for every request option (`_options.GENERATE_OPTIONS`; `enhance_prompt`
   is new), made from the declaration. Rows written before keep NULL there: not
   recorded, never a made-up default.

The SQL of versions 1 and 2 is kept as those versions wrote it. `kept_videos`
(`_kept.KEPT_TABLE`) is a table of its own, created whatever the version, so it
never takes part in the migrations of `tasks`. A file with tables but no
version was not written by hfwidgets and is refused, as is a newer version.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from ._config import HOME_ENV
from ._errors import JournalError
from ._kept import KEPT_TABLE
from ._options import journal_columns

__all__ = ["SCHEMA_VERSION", "migrate"]

SCHEMA_VERSION = 3

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

_SCHEMA_V2 = """
ALTER TABLE tasks ADD COLUMN submission_id TEXT;
ALTER TABLE tasks ADD COLUMN note TEXT;
ALTER TABLE tasks ADD COLUMN owner TEXT
"""


def _add_option_columns(conn: sqlite3.Connection) -> None:
    """Version 3: a column for every request option the table lacks (enhance_prompt, new in 3)."""
    present = {row[1] for row in conn.execute("PRAGMA table_info(tasks)")}
    for name, sql_type in journal_columns():
        if name not in present:
            conn.execute(f"ALTER TABLE tasks ADD COLUMN {name} {sql_type}")


_MIGRATIONS: tuple[str | Callable[[sqlite3.Connection], None], ...] = (
    _SCHEMA_V1,
    _SCHEMA_V2,
    _add_option_columns,
)
"""Migrations from version N-1 to N, applied in order."""


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the file to `SCHEMA_VERSION` (and create `kept_videos`); run inside a write transaction.

    JournalError (naming `path`) for a file of a newer version or one hfwidgets did not write.
    """
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise JournalError(
            f"{path} has journal schema version {version}; this hfwidgets knows up to "
            f"{SCHEMA_VERSION}: upgrade hfwidgets",
            path=path,
        )
    if version == 0:
        _refuse_foreign_tables(conn, path)
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


def _refuse_foreign_tables(conn: sqlite3.Connection, path: Path) -> None:
    """A file with tables but no journal version was not written by hfwidgets: leave it alone."""
    tables = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    if tables:
        listed = ", ".join(sorted(tables)[:5])
        raise JournalError(
            f"{path} holds tables hfwidgets did not write ({listed}): it is not a journal. "
            f"Move it away or set {HOME_ENV} to another folder",
            path=path,
        )
