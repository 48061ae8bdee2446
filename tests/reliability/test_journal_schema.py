"""Journal schema 3: every request option is stored; schema 1 and 2 files are migrated in place.

The old files are built here with the SQL those versions wrote, rows included. Their rows
keep what they recorded and read `enhance_prompt` as None (not recorded), never as a default.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from hfwidgets._journal import SCHEMA_VERSION, Journal
from hfwidgets._models import Motion, Task
from hfwidgets._options import journal_columns

BASE = "http://127.0.0.1:9"
FACE_PUNCH = Motion(id="cd5bfd11-5a1a-46e0-9294-b22b0b733b1e", name="Face Punch")

SCHEMA_1 = """
CREATE TABLE tasks (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, model TEXT, motion_id TEXT, motion_name TEXT, seed INTEGER,
    width INTEGER, height INTEGER, prompt TEXT NOT NULL DEFAULT '', cost INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL, base_url TEXT NOT NULL, status TEXT NOT NULL, video_url TEXT, min_url TEXT,
    finished_at REAL, image_digest TEXT, thumbnail BLOB, duration REAL, template_id TEXT, size TEXT,
    updated_at REAL NOT NULL
);
CREATE INDEX tasks_by_created ON tasks (created_at DESC);
CREATE INDEX tasks_by_status ON tasks (base_url, status);
INSERT INTO tasks (id, kind, model, motion_id, motion_name, seed, width, height, prompt, cost, created_at,
                   base_url, status, updated_at) VALUES
    ('old-task', 'image2video', 'turbo', 'cd5bfd11-5a1a-46e0-9294-b22b0b733b1e', 'Face Punch', 3, 512, 768,
     'waves', 15, 1700000000, 'http://127.0.0.1:9', 'in_progress', 1700000000);
PRAGMA user_version = 1;
"""

SCHEMA_2 = SCHEMA_1.replace(
    "PRAGMA user_version = 1;",
    """ALTER TABLE tasks ADD COLUMN submission_id TEXT;
ALTER TABLE tasks ADD COLUMN note TEXT;
ALTER TABLE tasks ADD COLUMN owner TEXT;
INSERT INTO tasks (id, kind, model, seed, cost, created_at, base_url, status, updated_at, submission_id,
                   note) VALUES
    ('local-abc', 'image2video', 'lite', 9, 5, 1700000100, 'http://127.0.0.1:9', 'uncertain', 1700000100,
     'local-abc', 'the connection dropped');
PRAGMA user_version = 2;""",
)


def columns_of(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {row[1] for row in conn.execute("PRAGMA table_info(tasks)")}


def version_of(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


@pytest.mark.parametrize(("script", "rows"), [(SCHEMA_1, 1), (SCHEMA_2, 2)], ids=["schema-1", "schema-2"])
def test_an_old_journal_is_migrated_in_place_and_keeps_its_rows(
    tmp_path: Path, script: str, rows: int
) -> None:
    path = tmp_path / "journal.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript(script)
    assert "enhance_prompt" not in columns_of(path)

    journal = Journal(path)
    records = {record.id: record for record in journal.records()}
    assert len(records) == rows
    old = records["old-task"]
    assert old.options == {
        "motion": Motion(id=FACE_PUNCH.id, name="Face Punch"),
        "prompt": "waves",
        "model": "turbo",
        "seed": 3,
        "width": 512,
        "height": 768,
        "enhance_prompt": None,  # not recorded then: unknown, not True
    }
    if rows == 2:
        assert (records["local-abc"].status, records["local-abc"].note) == (
            "uncertain",
            "the connection dropped",
        )

    # The migrated file stores every option of a new task.
    journal.record(
        Task(
            id="new-task",
            kind="image2video",
            cost=5,
            model="lite",
            motion=FACE_PUNCH,
            seed=7,
            width=736,
            height=1312,
            prompt="",
            enhance_prompt=False,
        ),
        base_url=BASE,
    )
    new = journal.get("new-task")
    assert new is not None and new.enhance_prompt is False and new.seed == 7
    journal.close()
    assert version_of(path) == SCHEMA_VERSION == 3
    assert {name for name, _ in journal_columns()} <= columns_of(path)

    # Opened again (another process, a newer session): nothing migrates twice, nothing is lost.
    again = Journal(path)
    assert {record.id for record in again.records()} == {*records, "new-task"}
    again.close()


def test_a_feed_of_a_task_waited_on_by_id_journals_the_options_it_shows(tmp_path: Path) -> None:
    from hfwidgets._models import Feed

    journal = Journal(tmp_path / "j.sqlite3")
    feed = Feed.from_json(
        {
            "id": "by-id",
            "jobs": [{"id": "j1", "status": "in_progress"}],
            "params": {
                "prompt": "as written",
                "seed": 12,
                "model": "standard",
                "motion_id": FACE_PUNCH.id,
                "width": 1024,
                "height": 1024,
                "enhance_prompt": False,
            },
        }
    )
    journal.update("by-id", feed, base_url=BASE)
    record = journal.get("by-id")
    assert record is not None
    assert (
        record.model,
        record.seed,
        record.width,
        record.enhance_prompt,
        record.motion_id,
        record.cost,
    ) == (
        "standard",
        12,
        1024,
        False,
        FACE_PUNCH.id,
        10,
    )
