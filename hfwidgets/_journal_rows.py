"""What a journal row means: `TaskRecord`, the statuses of the journal, and rows made from tasks and feeds.

The columns of the request options come from their declaration
(`_options.GENERATE_OPTIONS` and `ADS_OPTIONS`: each option writes and reads its
own columns), the other fields of a `TaskRecord` from the column of the same
name; only the times, the status and the note are converted.

A "submitting" row (a billable POST being sent) reads as "uncertain" once its
sender can no longer be waiting for the answer: its process ended, or this
process stopped sending it (`in_flight`), or no answer came within an hour.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ._models import PRICES, TERMINAL_STATUSES, Feed, Motion, Task
from ._options import ADS_OPTIONS, GENERATE_OPTIONS, generate_option_names, option_columns
from ._processes import process_alive

__all__ = [
    "ABANDONED",
    "LOCAL_ID_PREFIX",
    "MAX_THUMBNAIL_BYTES",
    "SUBMITTING",
    "SUBMITTING_STALE_SECONDS",
    "UNCERTAIN",
    "TaskRecord",
    "feed_row",
    "forget_in_flight",
    "in_flight",
    "owner",
    "record_from_row",
    "row_from_feed",
    "task_row",
    "utc",
]

logger = logging.getLogger("hfwidgets")

MAX_THUMBNAIL_BYTES = 16 * 1024
"""Thumbnails above this size are not stored (the journal is not a media store)."""

SUBMITTING = "submitting"
"""Status of a billable POST being sent: no answer yet."""
UNCERTAIN = "uncertain"
"""Status of a submission whose answer never arrived: it may exist and may have been charged."""
ABANDONED = "abandoned"
"""Status of a task given up on (`Journal.forget`): never resumed, never counted as pending or uncertain."""
LOCAL_ID_PREFIX = "local-"
"""Ids of submissions the service has not (yet) confirmed start with this."""
SUBMITTING_STALE_SECONDS = 3600.0
"""A "submitting" row older than this reads as uncertain even when its process cannot be checked."""

_HOST = socket.gethostname()
_in_flight: set[str] = set()
"""Local ids of the submissions this process is sending right now."""
_in_flight_lock = threading.Lock()


def utc(timestamp: float | None) -> datetime | None:
    """A stored time (seconds since the epoch) as an aware datetime."""
    return None if timestamp is None else datetime.fromtimestamp(timestamp, tz=timezone.utc)


# --------------------------------------------------------------------------- the record


@dataclass(frozen=True, repr=False)
class TaskRecord:
    """One journalled task: what was asked, where, and what became of it.

    `status` is the last status seen (the raw value for statuses never seen
    before); `finished_at` is when a terminal status was first observed;
    `thumbnail` is a small JPEG of the input image, when one was recorded.
    """

    id: str
    """The service's task id; a local id ("local-...") while the submission is unconfirmed."""
    kind: str
    """"image2video" or "ads"."""
    model: str | None
    motion_id: str | None
    motion_name: str | None
    """The motion asked for, as its id and name (`motion` gives the Motion); None for an ad."""
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
    submission_id: str | None = None
    """The local id the submission was journalled under before it was sent (None before schema 2)."""
    note: str | None = None
    """Why the row is "uncertain" (what happened to the submission), else None."""
    enhance_prompt: bool | None = None
    """Whether the service could rewrite the prompt (None: not recorded, a row from before schema 3)."""

    @property
    def motion(self) -> Motion | None:
        """The motion asked for (its id and name as journalled), None for an ad."""
        return Motion(id=self.motion_id, name=self.motion_name or self.motion_id) if self.motion_id else None

    @property
    def options(self) -> dict[str, Any]:
        """The request options (`GENERATE_OPTIONS`) as journalled, by name; None where not recorded."""
        return {name: getattr(self, name) for name in generate_option_names()}

    video_path: Path | None = None
    """The video kept on this machine (`videos/<sha256>.mp4` beside the journal); None when not kept."""
    pinned: bool = False
    """True when the kept video is pinned: the size cap never removes it (`Journal.pin`)."""

    @property
    def done(self) -> bool:
        """True once the task reached a terminal status."""
        return self.status in TERMINAL_STATUSES

    @property
    def uncertain(self) -> bool:
        """True when the service never confirmed the submission: it may exist and may have been charged."""
        return self.status == UNCERTAIN

    @property
    def confirmed(self) -> bool:
        """True once the service answered with a task id (`id` is then the service's id)."""
        return self.status not in (SUBMITTING, UNCERTAIN)

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

    def __repr__(self) -> str:
        what = (
            f"template={self.template_id!r}"
            if self.kind == "ads"
            else f"model={self.model!r}, motion={self.motion_name!r}, seed={self.seed}"
        )
        note = f", note={self.note!r}" if self.note else ""
        kept = (", kept, pinned" if self.pinned else ", kept") if self.video_path is not None else ""
        return (
            f"TaskRecord({self.id!r}, {what}, status={self.status!r}, cost={self.cost}, "
            f"created={self.created_at.isoformat(timespec='seconds')}{note}{kept})"
        )


# --------------------------------------------------------------------------- row -> record

_CONVERTED = ("created_at", "finished_at", "status", "note", "video_path", "pinned")
_AS_STORED = tuple(
    item.name
    for item in fields(TaskRecord)
    if item.name not in generate_option_names() and item.name not in _CONVERTED
)
"""TaskRecord fields read from the column of the same name as they are."""


def record_from_row(row: Mapping[str, Any], videos: Path | None = None) -> TaskRecord:
    """The record of a `tasks` row joined with its kept video (`kept_sha256`, `kept_pinned`).

    `videos` is the folder of the kept videos: `video_path` is set when the file is there.
    """
    created = utc(row["created_at"])
    assert created is not None  # NOT NULL column
    digest = row["kept_sha256"]
    kept = videos / f"{digest}.mp4" if videos is not None and digest else None
    status, note = _read_status(row)
    options = {option.name: option.from_columns(row) for option in GENERATE_OPTIONS}
    del options["motion"]  # kept as motion_id and motion_name
    return TaskRecord(
        **{name: row[name] for name in _AS_STORED},
        **options,
        created_at=created,
        finished_at=utc(row["finished_at"]),
        status=status,
        note=note,
        video_path=kept if kept is not None and kept.is_file() else None,
        pinned=bool(kept is not None and row["kept_pinned"]),
    )


def _read_status(row: Mapping[str, Any]) -> tuple[str, str | None]:
    """The status and note a row reads as: "submitting" rows of ended senders are uncertain."""
    status, note = row["status"], row["note"]
    if status != SUBMITTING:
        return status, note
    ended = _sender_ended(row["owner"], row["id"], row["updated_at"])
    if ended is None:
        return status, note
    return UNCERTAIN, ended


def _sender_ended(owner: str | None, local_id: str, updated_at: float) -> str | None:
    """Why the sender of a "submitting" row can no longer be waiting for its answer; None if it may be."""
    host, _, pid_text = (owner or "").rpartition(":")
    pid = int(pid_text) if pid_text.isdigit() else None
    if pid == os.getpid() and host == _HOST:
        with _in_flight_lock:
            if local_id in _in_flight:
                return None
        return "this process stopped sending it before the service answered"
    if host == _HOST and pid is not None and sys.platform != "win32" and not process_alive(pid):
        return f"the process that sent it (pid {pid}) ended before the service answered"
    if time.time() - updated_at > SUBMITTING_STALE_SECONDS:
        return "no answer was recorded within an hour of sending it"
    return None


# --------------------------------------------------------------------------- rows written


def task_row(
    task: Task, *, base_url: str, image_digest: str | None, thumbnail: bytes | None
) -> dict[str, Any]:
    """The row of a task as asked (status "queued"); a thumbnail above MAX_THUMBNAIL_BYTES is left out."""
    if thumbnail is not None and len(thumbnail) > MAX_THUMBNAIL_BYTES:
        logger.warning(
            "journal: thumbnail of task %s is %d bytes (limit %d); not stored",
            task.id,
            len(thumbnail),
            MAX_THUMBNAIL_BYTES,
        )
        thumbnail = None
    row: dict[str, Any] = {"id": task.id, "kind": task.kind}
    for option in GENERATE_OPTIONS + ADS_OPTIONS:
        row.update(option.to_columns(getattr(task, option.name)))
    return {
        **row,
        "cost": task.cost,
        "created_at": task.created_at.timestamp(),
        "base_url": base_url.rstrip("/"),
        "status": "queued",
        "image_digest": image_digest,
        "thumbnail": thumbnail,
        "updated_at": time.time(),
    }


def feed_row(task_id: str, feed: Feed, now: float) -> dict[str, Any]:
    """What a feed read changes in a task's row: status, video URLs and duration, finish time."""
    return {
        "id": task_id,
        "status": feed.status,
        "video_url": feed.video_url,
        "min_url": feed.min_url,
        "duration": feed.duration,
        "finished_at": now if feed.status in TERMINAL_STATUSES else None,
        "updated_at": now,
    }


def row_from_feed(task_id: str, feed: Feed, *, base_url: str, now: float) -> dict[str, Any]:
    """The whole row of a task known only from its feed (waited on by id): what the service ran."""
    params = feed.params
    ran = {name: getattr(params, name) for name in generate_option_names() if name != "motion"}
    motion_id = params.motion_id
    ran["motion"] = Motion(id=motion_id, name=params.motion_name or motion_id) if motion_id else None
    created = feed.created_at or datetime.fromtimestamp(now, tz=timezone.utc)
    kind = "ads" if feed.is_ad else "image2video"
    return {
        **feed_row(task_id, feed, now),
        "kind": kind,
        **option_columns(ran),
        "cost": PRICES.get("ads" if kind == "ads" else params.model or "", 0),
        "created_at": created.timestamp(),
        "base_url": base_url.rstrip("/"),
    }


# --------------------------------------------------------------------------- submissions in flight


def owner() -> str:
    """The "host:pid" of this process, as a "submitting" row records its sender."""
    return f"{_HOST}:{os.getpid()}"


@contextmanager
def in_flight(local_id: str) -> Iterator[None]:
    """Count `local_id` as being sent by this process until the body fails (then forget it)."""
    with _in_flight_lock:
        _in_flight.add(local_id)
    try:
        yield
    except BaseException:
        forget_in_flight(local_id)
        raise


def forget_in_flight(local_id: str) -> None:
    """This process no longer sends `local_id`: its "submitting" row now reads as uncertain."""
    with _in_flight_lock:
        _in_flight.discard(local_id)
