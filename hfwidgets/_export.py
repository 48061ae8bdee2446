"""`History.export(path)` and `hfwidgets export OUT.zip`: a batch of results as one zip that reads offline.

The zip holds:

- `videos/<task id>.mp4`: every kept video of the chosen tasks (see `_keep`);
- `manifest.json`: one entry per task (id, kind, model, motion, seed, prompt,
  enhance_prompt, size, cost, status, created/finished times, the video's file
  name, its link), with a note for a task whose video is not kept (its link is
  listed, and may have expired);
- `index.html`: the history's static view (`_static.history_html`), posters
  embedded, each video played from its file by relative name: it reads offline.

It is written through a temporary file beside `path`, renamed into place once
complete: an interrupted export leaves no half zip.
"""

from __future__ import annotations

import html
import json
import os
import re
import zipfile
from collections.abc import Sequence
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ._errors import ValidationError
from ._static import file_poster, history_html
from ._video import atomic_file

if TYPE_CHECKING:
    from ._journal import TaskRecord

__all__ = ["MANIFEST", "export_records", "select_records"]

MANIFEST: Final = "manifest.json"
INDEX: Final = "index.html"
VIDEOS: Final = "videos"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def select_records(
    records: Sequence[TaskRecord], *, since: datetime | date | str | None = None, status: str | None = None
) -> list[TaskRecord]:
    """The records submitted at or after `since` (a datetime, a date or an ISO date text; naive
    means UTC) and, when given, with `status`."""
    start = _moment(since)
    return [
        record
        for record in records
        if (start is None or record.created_at >= start) and (status is None or record.status == status)
    ]


def _moment(since: datetime | date | str | None) -> datetime | None:
    if since is None:
        return None
    value: datetime | date | str = since
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValidationError(
                "since", since, "a date or time such as 2026-12-01 or 2026-12-01T08:00"
            ) from None
    if not isinstance(value, datetime):
        if not isinstance(value, date):
            raise ValidationError("since", since, "a datetime, a date or an ISO date text")
        value = datetime(value.year, value.month, value.day)
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def file_name(record: TaskRecord) -> str:
    """Where a task's video goes in the zip: `videos/<task id>.mp4` (made safe as a file name)."""
    return f"{VIDEOS}/{_UNSAFE.sub('_', record.id) or 'video'}.mp4"


def _entry(record: TaskRecord, file: str | None) -> dict[str, Any]:
    size = record.size or (f"{record.width}x{record.height}" if record.width and record.height else None)
    entry: dict[str, Any] = {
        "id": record.id,
        "kind": record.kind,
        "model": record.model,
        "motion": record.motion_name,
        "motion_id": record.motion_id,
        "template_id": record.template_id,
        "seed": record.seed,
        "prompt": record.prompt,
        "enhance_prompt": record.enhance_prompt,
        "size": size,
        "cost": record.cost,
        "status": record.status,
        "created_at": record.created_at.isoformat(),
        "finished_at": record.finished_at.isoformat() if record.finished_at else None,
        "file": file,
        "video_url": record.video_url,
    }
    if file is None and record.status == "completed":
        entry["note"] = "the video is not kept on this machine: only its link, which may have expired"
    elif record.note:
        entry["note"] = record.note
    return entry


def export_records(records: Sequence[TaskRecord], path: str | os.PathLike[str]) -> Path:
    """Write the zip of `records` (see the module docstring) to `path`; returns it."""
    target = Path(path).expanduser()
    if target.is_dir():
        raise ValidationError("path", str(path), "a file name for the zip (e.g. results.zip), not a folder")
    files: dict[str, str] = {}
    posters: dict[str, bytes] = {}
    entries = []
    with atomic_file(target.parent, target.name) as partial, zipfile.ZipFile(partial.file, "w") as archive:
        for record in records:
            kept = record.video_path
            file = None
            if kept is not None and kept.is_file():
                file = file_name(record)
                # mp4 is compressed already: stored as is, quick to write and to read.
                archive.write(kept, file, compress_type=zipfile.ZIP_STORED)
                files[record.id] = file
                picture = file_poster(kept)
                if picture is not None:
                    posters[record.id] = picture
            entries.append(_entry(record, file))
        manifest = {
            "exported_at": datetime.now(timezone.utc).isoformat(),
            "tasks": entries,
        }
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False))
        kept_count = len(files)
        summary = f"{len(entries)} tasks, {kept_count} videos kept in this export"
        body = history_html(records, summary, files=files, posters=posters, limit=None)
        page = (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape('hfwidgets export')}</title></head><body>{body}</body></html>\n"
        )
        archive.writestr(INDEX, page, compress_type=zipfile.ZIP_DEFLATED)
    return target
