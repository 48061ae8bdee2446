"""`History.export`: a zip of kept videos, their manifest and an offline page; chosen by date and status."""

from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from hfwidgets._errors import ValidationError
from hfwidgets._journal import History, Journal
from hfwidgets._models import Feed, Motion, Task


def journalled(journal: Journal, task_id: str, *, status: str = "completed", days_ago: int = 0) -> None:
    """A task as the client journals it, finished with `status`."""
    created = datetime.now(timezone.utc) - timedelta(days=days_ago)
    motion = Motion(id="m-1", name="Face Punch")
    task = Task(
        id=task_id, kind="image2video", model="lite", motion=motion, seed=42, width=736, height=1312,
        prompt="a cat", cost=5, created_at=created,
    )  # fmt: skip
    journal.record(task, base_url="https://api.example")
    job: dict[str, object] = {"status": status}
    if status == "completed":
        job["result"] = {"type": "video", "url": f"https://cdn.example/{task_id}.mp4"}
    journal.update(task_id, Feed.from_json({"id": task_id, "jobs": [job]}))


def keep_file(journal: Journal, task_id: str, content: bytes) -> None:
    digest = hashlib.sha256(content).hexdigest()
    journal.videos_dir.mkdir(parents=True, exist_ok=True)
    (journal.videos_dir / f"{digest}.mp4").write_bytes(content)
    journal.keep_video(task_id, digest, len(content))


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    made = Journal(tmp_path / "home" / "journal.sqlite3")
    journalled(made, "new-kept")
    keep_file(made, "new-kept", b"kept video bytes")
    journalled(made, "new-not-kept")
    journalled(made, "new-failed", status="failed")
    journalled(made, "old-kept", days_ago=30)
    keep_file(made, "old-kept", b"older video bytes")
    return made


def read(archive: Path) -> tuple[set[str], dict[str, dict[str, object]], str]:
    with zipfile.ZipFile(archive) as zipped:
        manifest = json.loads(zipped.read("manifest.json"))
        return (
            set(zipped.namelist()),
            {e["id"]: e for e in manifest["tasks"]},
            zipped.read("index.html").decode(),
        )


def test_export_holds_kept_videos_and_lists_the_others(journal: Journal, tmp_path: Path) -> None:
    target = History(journal.records()).export(tmp_path / "out" / "all.zip")
    assert target == tmp_path / "out" / "all.zip"
    names, entries, page = read(target)
    assert names == {"manifest.json", "index.html", "videos/new-kept.mp4", "videos/old-kept.mp4"}
    assert set(entries) == {"new-kept", "new-not-kept", "new-failed", "old-kept"}
    kept = entries["new-kept"]
    assert kept["file"] == "videos/new-kept.mp4" and "note" not in kept
    assert (kept["model"], kept["motion"], kept["seed"], kept["prompt"]) == (
        "lite",
        "Face Punch",
        42,
        "a cat",
    )
    assert (kept["size"], kept["cost"], kept["status"]) == ("736x1312", 5, "completed")
    assert kept["created_at"] and kept["finished_at"] and "enhance_prompt" in kept
    missing = entries["new-not-kept"]
    assert missing["file"] is None and missing["video_url"] == "https://cdn.example/new-not-kept.mp4"
    assert "not kept" in str(missing["note"])
    assert entries["new-failed"]["file"] is None and entries["new-failed"]["status"] == "failed"
    # The page plays each kept video from its file, and links the one it does not hold.
    assert page.startswith("<!DOCTYPE html>")
    assert 'src="videos/new-kept.mp4"' in page and 'src="videos/old-kept.mp4"' in page
    assert "https://cdn.example/new-not-kept.mp4" in page and "not kept" in page
    assert list(target.parent.iterdir()) == [target]  # no temporary file left


def test_export_chooses_by_date_and_status(journal: Journal, tmp_path: Path) -> None:
    records = History(journal.records())
    week_ago = date.today() - timedelta(days=7)
    for since in (week_ago, week_ago.isoformat(), datetime.combine(week_ago, datetime.min.time())):
        _, entries, _ = read(records.export(tmp_path / "recent.zip", since=since, status="completed"))
        assert set(entries) == {"new-kept", "new-not-kept"}
    _, entries, _ = read(records.export(tmp_path / "failed.zip", status="failed"))
    assert set(entries) == {"new-failed"}


def test_export_refuses_a_bad_date_or_a_folder(journal: Journal, tmp_path: Path) -> None:
    records = History(journal.records())
    with pytest.raises(ValidationError, match="since"):
        records.export(tmp_path / "x.zip", since="last week")
    with pytest.raises(ValidationError, match="path"):
        records.export(tmp_path)
    assert not (tmp_path / "x.zip").exists()
