"""Typed views of the API's JSON: motions, tasks and feeds, plus prices and limits.

This module is shared by the client and the emulator; it does no I/O of its own and imports
nothing that does: `Feed.download`, `.frames`, `.show` and its HTML call `_video` and `_static`
through `_feed_media`, imported when first used (both need `_models` only for type hints).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from ._errors import MalformedResponse

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np

    from ._feed_media import FeedMedia
    from ._static import Embed, StaticResult

__all__ = [
    "FAILED_STATUSES",
    "MODELS",
    "PENDING_STATUSES",
    "PRICES",
    "SEED_MAX",
    "SEED_MIN",
    "SIZE_PRESETS",
    "TERMINAL_STATUSES",
    "Feed",
    "Job",
    "Motion",
    "MotionPart",
    "Params",
    "Task",
    "advance_status",
    "normalise_status",
    "overall_status",
    "size_for_aspect",
    "task_id_problem",
]

P = ParamSpec("P")
R = TypeVar("R")

MODELS: tuple[str, ...] = ("lite", "turbo", "standard")
"""Video models, cheapest first."""

PRICES: Mapping[str, int] = {"lite": 5, "turbo": 7, "standard": 10, "ads": 13}
"""Points per call by model: one call makes one video; "ads" is the price of an ad task.

The table; code that takes a model from outside asks `Client.price(model)`, which checks it."""

SEED_MIN, SEED_MAX = 1, 1_000_000
MAX_VIDEO_SIDE = 2048
"""Largest video width/height accepted locally (the service's examples stay well inside it)."""
MIN_VIDEO_SIDE = 64
"""Smallest video width/height accepted locally (input images: `_images.MIN_IMAGE_SIDE`)."""

SIZE_PRESETS: Mapping[str, tuple[int, int]] = {
    "9:16": (736, 1312),
    "3:4": (864, 1152),
    "1:1": (1024, 1024),
    "4:3": (1152, 864),
    "16:9": (1312, 736),
}
"""Video sizes by aspect ratio (width, height); 9:16 is the provider's example size."""


def size_for_aspect(width: int, height: int) -> tuple[str, tuple[int, int]]:
    """The preset whose aspect ratio is closest to width/height: (name, (w, h))."""
    ratio = math.log(width / height)
    name = min(SIZE_PRESETS, key=lambda k: abs(math.log(SIZE_PRESETS[k][0] / SIZE_PRESETS[k][1]) - ratio))
    return name, SIZE_PRESETS[name]


PENDING_STATUSES = frozenset({"queued", "in_progress"})
FAILED_STATUSES = frozenset({"failed", "nsfw", "canceled"})
TERMINAL_STATUSES = FAILED_STATUSES | {"completed"}


def normalise_status(reported: str) -> str:
    """A known status as this package spells it ("Completed" and "COMPLETED " are "completed");
    any other status as reported (the raw value stays visible to the user)."""
    spelt = reported.strip().lower()
    return spelt if spelt in PENDING_STATUSES or spelt in TERMINAL_STATUSES else reported


def advance_status(current: str | None, reported: str) -> str:
    """The status a task has once a read reports `reported`, when it had `current` before.

    A terminal status (completed, failed, nsfw, canceled) is final: a later read saying
    anything else (a lagging replica behind a proxy answering a stale "in_progress") does
    not un-finish the task. The one rule for the journal and for every waiter's Feed.
    """
    if current in TERMINAL_STATUSES:
        return current
    return reported


MAX_TASK_ID_LENGTH = 200


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def task_id_problem(value: object) -> str | None:
    """Why `value` cannot be a task id put into a URL path, or None when it can.

    A task id from the service becomes one path segment of the feed URL (and a
    file name): empty, "." or "..", a "/" or "\\", or control characters would
    change which URL is read.
    """
    if not isinstance(value, str):
        return f"it is a {type(value).__name__}, not a string"
    if not value.strip():
        return "it is empty"
    if value in (".", ".."):
        return f"{value!r} names a directory, not a task"
    if "/" in value or "\\" in value:
        return "it contains a slash"
    if _CONTROL_CHARACTERS.search(value):
        return "it contains control characters"
    if len(value) > MAX_TASK_ID_LENGTH:
        return f"it is {len(value)} characters long (at most {MAX_TASK_ID_LENGTH})"
    return None


def _short(identifier: str) -> str:
    return identifier if len(identifier) <= 13 else identifier[:8] + "…"


# --------------------------------------------------------------------------- tolerant coercions


_MAPPINGS = (dict, Mapping)
"""What a JSON object may be: dict first, since parsed answers are dicts and checking it is quick."""


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, _MAPPINGS) else {}


def _list(value: Any) -> list[Any]:
    """`value` when it is a JSON list, else an empty one (a listing may put anything anywhere)."""
    return value if isinstance(value, list) else []


def _as_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _as_opt_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _as_int(value: Any) -> int:
    return _as_opt_int(value) or 0


def _as_opt_float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _as_opt_bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _read_at(path: tuple[str, ...], coerce: Callable[[Any], Any], *fallbacks: tuple[str, ...]) -> Any:
    """A dataclass field (default None) read from a JSON object by `_read_fields`.

    `path` is the keys leading to the value, one per level; `coerce` makes it the field's
    type or None. Each of `fallbacks` is read in turn while the value is still empty.
    """
    return field(default=None, metadata={"json": ((path, *fallbacks), coerce)})


def _read_fields(cls: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    """The values of `cls`'s fields declared with `_read_at`, read from `data`."""
    values: dict[str, Any] = {}
    for item in fields(cls):
        if "json" not in item.metadata:
            continue
        paths, coerce = item.metadata["json"]
        value = None
        for path in paths:
            value = coerce(_at(data, path))
            if value:
                break
        values[item.name] = value
    return values


def _at(data: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """The value at `path` in nested JSON objects, or None where an object or a key is missing."""
    value: Any = data
    for key in path:
        if not isinstance(value, _MAPPINGS):
            return None
        value = value.get(key)
    return value


def _blocking(method: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, R]:
    """The blocking twin of an async method: run in a worker thread (`_fetch.in_worker_thread`),
    so one implementation serves both, inside Jupyter's running loop too."""

    @functools.wraps(method)
    def blocking(*args: P.args, **kwargs: P.kwargs) -> R:
        return _media().in_worker_thread(method)(*args, **kwargs)

    return blocking


# --------------------------------------------------------------------------- motions


@dataclass(frozen=True)
class MotionPart:
    """One ingredient of a mix: a motion and the strength it is applied with."""

    id: str
    name: str
    preview_url: str | None = None
    strength: float | None = None


@dataclass(frozen=True, repr=False)
class Motion:
    """A motion template (camera move or effect) that `generate` applies to the image."""

    id: str
    name: str
    preview_url: str | None = None
    preview_width: int = 0
    preview_height: int = 0
    priority: int = 0
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    parts: tuple[MotionPart, ...] = ()
    """For a mix (`"mix" in tags`), the motions it blends with their strengths."""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def is_mix(self) -> bool:
        return "mix" in self.tags or bool(self.parts)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Motion:
        """Parse one entry of the motions listing; tolerant of missing optional keys."""
        if not isinstance(data, Mapping) or not isinstance(data.get("id"), str):
            raise MalformedResponse(f"motion entry without an id: {str(data)[:120]}")
        media = _mapping(data.get("media"))
        strengths: dict[str, float | None] = {}
        params = data.get("params")
        if isinstance(params, Mapping):
            for item in _list(params.get("motions")):
                if isinstance(item, Mapping) and isinstance(item.get("id"), str):
                    strengths[item["id"]] = _as_opt_float(item.get("strength"))
        parts = []
        for part in _list(data.get("mix")):
            if not isinstance(part, Mapping) or not isinstance(part.get("id"), str):
                continue
            part_media = _mapping(part.get("media"))
            parts.append(
                MotionPart(
                    id=part["id"],
                    name=_as_str(part.get("name")) or part["id"],
                    preview_url=_as_str(part_media.get("url")),
                    strength=strengths.get(part["id"]),
                )
            )
        return cls(
            id=data["id"],
            name=_as_str(data.get("name")) or data["id"],
            preview_url=_as_str(media.get("url")),
            preview_width=_as_int(media.get("width")),
            preview_height=_as_int(media.get("height")),
            priority=_as_int(data.get("priority")),
            tags=tuple(t for t in _list(data.get("tags")) if isinstance(t, str)),
            categories=tuple(c for c in _list(data.get("categories")) if isinstance(c, str)),
            parts=tuple(parts),
            raw=dict(data),
        )

    def to_json(self) -> dict[str, Any]:
        """The entry as the listing serves it (the parsed `raw` when there is one)."""
        if self.raw:
            return dict(self.raw)
        entry: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "media": {
                "width": self.preview_width,
                "height": self.preview_height,
                "url": self.preview_url,
                "type": "animated",
            },
            "priority": self.priority,
            "tags": list(self.tags),
            "params": None,
            "categories": list(self.categories),
        }
        if self.parts:
            entry["params"] = {
                "motions": [{"id": p.id, "type": "motion", "strength": p.strength} for p in self.parts]
            }
            entry["mix"] = [{"id": p.id, "name": p.name, "media": {"url": p.preview_url}} for p in self.parts]
        return entry

    def __repr__(self) -> str:
        extra = ""
        if self.parts:
            extra = ", mix=" + " + ".join(
                f"{p.name}@{p.strength:g}" if p.strength is not None else p.name for p in self.parts
            )
        elif self.categories:
            extra = f", categories={list(self.categories)}"
        return f"Motion({self.name!r}, id={self.id!r}{extra})"


# --------------------------------------------------------------------------- tasks


@dataclass(frozen=True, repr=False)
class Task:
    """A submitted task: what was asked, what it cost. Wait on it with `client.wait(task)`."""

    id: str
    kind: str
    """"image2video" or "ads"."""
    cost: int
    model: str | None = None
    motion: Motion | None = None
    seed: int | None = None
    width: int | None = None
    height: int | None = None
    prompt: str = ""
    enhance_prompt: bool | None = None
    template_id: str | None = None
    size: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def __repr__(self) -> str:
        if self.kind == "ads":
            return f"Task({self.id!r}, kind='ads', template={self.template_id!r}, cost={self.cost})"
        motion = self.motion.name if self.motion else None
        return (
            f"Task({self.id!r}, model={self.model!r}, motion={motion!r}, seed={self.seed}, "
            f"size={self.width}x{self.height}, cost={self.cost})"
        )


# --------------------------------------------------------------------------- feeds


@dataclass(frozen=True, repr=False)
class Job:
    """One job of a feed: its status and, once completed, its video.

    Each field after the status names where the job's JSON holds it (`_read_at`).
    """

    id: str
    status: str
    video_url: str | None = _read_at(("result", "url"), _as_str)
    raw_url: str | None = _read_at(("results", "raw", "url"), _as_str)
    min_url: str | None = _read_at(("results", "min", "url"), _as_str)
    duration: float | None = _read_at(("meta", "duration"), _as_opt_float)
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def done(self) -> bool:
        return self.status in TERMINAL_STATUSES

    def __repr__(self) -> str:
        return f"Job({_short(self.id)!r}, status={self.status!r}, duration={self.duration})"


@dataclass(frozen=True, repr=False)
class Params:
    """What the service actually ran (`feed.params`): the enhanced prompt, seed, size, motion.

    Each field names where the feed's `params` hold it (`_read_at`): `from_json` reads them from there.
    """

    prompt: str | None = _read_at(("prompt",), _as_str)
    seed: int | None = _read_at(("seed",), _as_opt_int)
    model: str | None = _read_at(("model",), _as_str)
    motion_id: str | None = _read_at(("motion_id",), _as_str, ("motion", "id"))
    motion_name: str | None = _read_at(("motion", "name"), _as_str)
    width: int | None = _read_at(("width",), _as_opt_int)
    height: int | None = _read_at(("height",), _as_opt_int)
    frames: int | None = _read_at(("frames",), _as_opt_int)
    steps: int | None = _read_at(("steps",), _as_opt_int)
    guide_scale: float | None = _read_at(("guide_scale",), _as_opt_float)
    strength: float | None = _read_at(("strength",), _as_opt_float)
    enhance_prompt: bool | None = _read_at(("enhance_prompt",), _as_opt_bool)
    input_image_url: str | None = _read_at(("input_image", "url"), _as_str)
    input_image_end_url: str | None = _read_at(("input_image_end", "url"), _as_str)
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> Params:
        if not isinstance(data, Mapping):
            return cls()
        return cls(**_read_fields(cls, data), raw=dict(data))

    def __repr__(self) -> str:
        return (
            f"Params(model={self.model!r}, motion={self.motion_name!r}, seed={self.seed}, "
            f"size={self.width}x{self.height}, frames={self.frames})"
        )


def overall_status(statuses: Sequence[str]) -> str:
    """One status for a whole feed: done only when every job is terminal.

    A status never seen before is reported as is (it is not terminal, so waiting
    goes on until the deadline).
    """
    if len(statuses) == 1:  # the usual feed: one job, whose status is the feed's
        return statuses[0]
    if not statuses:
        return "queued"
    if all(s == "completed" for s in statuses):
        return "completed"
    unknown = [s for s in statuses if s not in TERMINAL_STATUSES and s not in PENDING_STATUSES]
    if unknown:
        return unknown[0]
    if all(s in TERMINAL_STATUSES for s in statuses):
        return next(s for s in statuses if s in FAILED_STATUSES)
    if any(s != "queued" for s in statuses):
        return "in_progress"
    return "queued"


@dataclass(frozen=True, repr=False)
class Feed:
    """The state of a task as `GET /higgsfield/feed/{id}` reports it.

    `raw` is the JSON exactly as received (unknown fields included); the other
    attributes are typed views of it.
    """

    id: str
    status: str
    jobs: tuple[Job, ...]
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_json(cls, data: Any, *, task_id: str | None = None) -> Feed:
        """Parse a feed; raises MalformedResponse (naming the task) when it is not one.

        With `task_id` (the id asked for), a feed about another task is MalformedResponse
        naming both ids. Statuses are normalised (`normalise_status`).

        What waiting needs (id, jobs, status) is checked now; the rest (`params`, `type`,
        `project_id`, `created_at`) is read from `raw` when first asked for: most polls
        never ask.
        """
        where = task_id or (data.get("id") if isinstance(data, _MAPPINGS) else None)
        if not isinstance(data, _MAPPINGS):
            raise MalformedResponse(f"feed is a {type(data).__name__}, expected a JSON object", task_id=where)
        feed_id = data.get("id", task_id)
        if not isinstance(feed_id, str) or not feed_id:
            raise MalformedResponse("feed has no task id", task_id=task_id)
        problem = task_id_problem(feed_id)
        if problem is not None:
            raise MalformedResponse(
                f"feed names an unusable task id {feed_id[:60]!r}: {problem}", task_id=task_id
            )
        if task_id is not None and feed_id != task_id:
            # A misrouted answer (a proxy or cache mixing tasks up): taking it would show, and
            # journal, another task's video as this one's.
            raise MalformedResponse(
                f"asked for task {task_id} but the answer is about task {feed_id}: not used", task_id=task_id
            )
        raw_jobs = data.get("jobs", [])
        if not isinstance(raw_jobs, list):
            raise MalformedResponse("feed 'jobs' is not a list", task_id=feed_id)
        jobs = tuple([_parse_job(job, feed_id) for job in raw_jobs])
        return cls(id=feed_id, status=overall_status([job.status for job in jobs]), jobs=jobs, raw=data)

    @functools.cached_property
    def params(self) -> Params:
        """The parameters the service ran the task with."""
        return Params.from_json(self.raw.get("params"))

    @functools.cached_property
    def type(self) -> str | None:
        """The task type the service reports ("image2video", "ads", ...)."""
        return _as_str(self.raw.get("type"))

    @functools.cached_property
    def project_id(self) -> str | None:
        """The service's project the task belongs to."""
        return _as_str(self.raw.get("project_id"))

    @functools.cached_property
    def created_at(self) -> datetime | None:
        """When the service created the task (None when it does not say, or says nonsense)."""
        created = self.raw.get("created_at")
        if isinstance(created, (int, float)) and not isinstance(created, bool) and math.isfinite(created):
            try:
                return datetime.fromtimestamp(created, tz=timezone.utc)
            except (OverflowError, OSError, ValueError):
                return None
        return None

    def advance(self, newer: Feed) -> Feed:
        """The feed to hold after reading `newer` while holding this one (`advance_status`):
        `newer`, unless this one is terminal and `newer` says otherwise (a stale read)."""
        if advance_status(self.status, newer.status) == newer.status:
            return newer
        return self

    @property
    def done(self) -> bool:
        """True when every job is terminal (completed, failed, nsfw or canceled)."""
        return bool(self.jobs) and all(j.done for j in self.jobs)

    @property
    def failed(self) -> bool:
        """True when the task ended in a failure status (failed, nsfw or canceled)."""
        return self.status in FAILED_STATUSES

    @property
    def is_ad(self) -> bool:
        """True for an ad task (a product placement), False for image-to-video."""
        return self.type == "ads" or bool(self.params.raw.get("product_placement_sample"))

    @property
    def video_url(self) -> str | None:
        """URL of the finished mp4 (the first job's result), or None before it exists."""
        return next((j.video_url for j in self.jobs if j.video_url), None)

    @property
    def min_url(self) -> str | None:
        """URL of the reduced mp4, when the service made one."""
        return next((j.min_url for j in self.jobs if j.min_url), None)

    @property
    def duration(self) -> float | None:
        return next((j.duration for j in self.jobs if j.duration is not None), None)

    @property
    def prompt(self) -> str | None:
        """The prompt the service ran (the enhanced one when enhancement was on)."""
        return self.params.prompt

    def to_dict(self) -> dict[str, Any]:
        """A flat summary, handy as a table row."""
        return {
            "id": self.id,
            "status": self.status,
            "model": self.params.model,
            "motion": self.params.motion_name,
            "seed": self.params.seed,
            "width": self.params.width,
            "height": self.params.height,
            "frames": self.params.frames,
            "duration": self.duration,
            "created_at": self.created_at,
            "video_url": self.video_url,
        }

    async def adownload(
        self,
        path: str | Path | None = None,
        *,
        variant: str = "raw",
        timeout: float | None = None,
        max_bytes: int | None = None,
    ) -> Path:
        """Save the mp4 (`variant` "raw" or "min") and return its path. `download` is the same, blocking.

        `timeout` bounds the whole download (default 300 s; DownloadTimeout) and
        `max_bytes` its size (default 256 MB; LimitExceeded); a partial file is removed.
        """
        return await _media().download_async(self, path, variant=variant, **_limits(timeout, max_bytes))

    download = _blocking(adownload)
    download.__name__, download.__qualname__ = "download", "Feed.download"
    download.__doc__ = """Save the mp4 (`variant` "raw" or "min") and return its path. Blocking:
        `adownload` run in a worker thread; `timeout` and `max_bytes` as there."""

    def frames(
        self,
        *,
        variant: str = "raw",
        step: int = 1,
        max_frames: int | None = None,
        size: tuple[int, int] | None = None,
        max_bytes: int | None = None,
    ) -> np.ndarray:
        """The video decoded to a uint8 array of shape (T, H, W, 3) (RGB).

        `step` keeps every step-th frame, `max_frames` at most that many, `size`
        (width, height) scales them. A clip whose frames would take more than
        `max_bytes` (default 1 GB) raises LimitExceeded before anything is decoded.
        """
        limit = {} if max_bytes is None else {"max_bytes": max_bytes}
        return _media().read_frames(
            self, variant=variant, step=step, max_frames=max_frames, size=size, **limit
        )

    def show(self, embed: Embed = "poster", *, max_bytes: int | None = None) -> StaticResult:
        """This result as standalone HTML for a notebook: display the returned object.

        `embed="poster"` (what displaying the feed shows): the first frame, the
        parameters and the status, plus a player when the video URL is public.
        `"animated"`: a small animated WebP preview (at most ~600 KB) instead of
        the poster. `"video"`: the mp4 itself (the reduced one when the service
        made one), refused above `max_bytes` (20 MB by default); its size is
        stated above the player. Both make the saved notebook bigger.
        """
        return _media().StaticResult(self, embed, max_bytes=max_bytes)

    def _repr_html_(self) -> str:
        return _media().result_html(self)

    def __repr__(self) -> str:
        p = self.params
        size = f"{p.width}x{p.height}" if p.width and p.height else "?"
        return (
            f"Feed({self.id!r}, status={self.status!r}, model={p.model!r}, "
            f"motion={p.motion_name!r}, seed={p.seed}, size={size}, jobs={len(self.jobs)})"
        )


def _media() -> type[FeedMedia]:
    """What a Feed's media methods call (downloads, frames, static HTML), imported on first use."""
    from ._feed_media import FeedMedia  # the one late import here: it fetches and draws

    return FeedMedia


def _limits(timeout: float | None, max_bytes: int | None) -> dict[str, Any]:
    """The download limits given (the defaults of `_video` for the others)."""
    given = {"timeout": timeout, "max_bytes": max_bytes}
    return {name: value for name, value in given.items() if value is not None}


def _parse_job(data: Any, feed_id: str) -> Job:
    if not isinstance(data, _MAPPINGS):
        raise MalformedResponse("a job is not a JSON object", task_id=feed_id)
    status = data.get("status")
    if isinstance(status, str):
        status = normalise_status(status)
    if not isinstance(status, str) or not status:
        raise MalformedResponse("a job has no status", task_id=feed_id)
    return Job(id=str(data.get("id") or ""), status=status, raw=data, **_read_fields(Job, data))
