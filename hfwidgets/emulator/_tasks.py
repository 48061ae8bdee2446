"""Tasks: their timing, their lifecycle queued -> in_progress -> completed, and their feed JSON.

A task's status is computed from the clock on every read, so nothing has to tick:
queued until `started_at`, in_progress until each job's `finishes_at`, then the
job's outcome. "completed" also needs the clip: a render that is not finished
keeps the job in_progress, and a render that failed makes it "failed".
"""

from __future__ import annotations

import json
import logging
import math
import random
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._models import Motion, overall_status
from .._moves import move_for_name

__all__ = [
    "REALISTIC_MEDIANS",
    "ClipFiles",
    "JobState",
    "TaskState",
    "TaskStore",
    "Timing",
    "ads_params",
    "enhanced_prompt",
    "image2video_params",
]

logger = logging.getLogger("hfwidgets.emulator")

REALISTIC_MEDIANS: Mapping[str, float] = {"lite": 35.0, "turbo": 50.0, "standard": 75.0, "ads": 60.0}
"""Median seconds from submission to completion per model, as observed on the provider."""

PARAMS_ORDER = (
    "prompt", "input_image", "seed", "steps", "guide_scale", "frames", "width", "height", "strength",
    "model", "motion_id", "motion", "enhance_prompt", "guide_end", "is_chain", "chain_sample",
    "input_image_end", "product_placement_sample",
)  # fmt: skip
CLIP_SECONDS = 5  # meta.duration, as the provider reports it


@dataclass(frozen=True)
class Timing:
    """How long tasks take.

    Fixed mode (the default, short for tests): every task is queued for `queued`
    seconds, then in_progress for `in_progress` seconds.

    Realistic mode (`Timing.realistic()`): each task's total duration is drawn from a
    lognormal distribution around the model's median in `medians` (lite ~35 s, turbo
    ~50 s, standard ~75 s) with spread `spread`, clipped to `bounds`. The draws come
    from one seeded generator per model, so the n-th lite task of any server with the
    same seed takes the same time, whatever client polls it (benchmarks rely on this).
    Additional jobs of a task finish `job_stagger` x in_progress after one another.
    """

    queued: float = 0.2
    in_progress: float = 1.0
    medians: Mapping[str, float] | None = None
    spread: float = 0.35
    bounds: tuple[float, float] = (20.0, 120.0)
    seed: int = 0
    job_stagger: float = 0.25

    @classmethod
    def realistic(cls, *, seed: int = 0, queued: float = 3.0) -> Timing:
        """Durations like the provider's (tens of seconds), drawn per model from a seeded RNG."""
        return cls(queued=queued, medians=dict(REALISTIC_MEDIANS), seed=seed)

    @property
    def is_realistic(self) -> bool:
        return self.medians is not None

    def windows(self) -> dict[str, tuple[float, float]]:
        """Seconds (low, high) within which a task of each model finishes: the client's poll priors.

        Fixed mode: the one known duration, with a little slack for a busy machine. Realistic
        mode: the middle of the lognormal (median x e^(±2 spread), about 95 % of tasks), clipped
        to `bounds`.
        """
        if self.medians is None:
            total = self.queued + self.in_progress
            return dict.fromkeys(("lite", "turbo", "standard", "ads"), (max(total - 0.2, 0.0), total + 1.0))
        low, high = self.bounds
        stretch = math.exp(2 * self.spread)
        return {
            model: (max(low, median / stretch), min(high, median * stretch))
            for model, median in self.medians.items()
        }


class DurationSampler:
    """Draws (queued, in_progress) seconds per task from a Timing; one RNG per model."""

    def __init__(self, timing: Timing) -> None:
        self.timing = timing
        self._generators: dict[str, random.Random] = {}
        self._lock = threading.Lock()

    def draw(self, model: str) -> tuple[float, float]:
        """(queued, in_progress) seconds for a task of `model` ("ads" for an ad task)."""
        timing = self.timing
        if timing.medians is None:
            return timing.queued, timing.in_progress
        median = timing.medians.get(model) or timing.medians.get("lite") or 35.0
        with self._lock:
            generator = self._generators.setdefault(
                model, random.Random(f"hfwidgets-emulator:{timing.seed}:{model}")
            )
            total = generator.lognormvariate(math.log(median), timing.spread)
        low, high = timing.bounds
        total = min(max(total, low), high)
        queued = min(timing.queued, total * 0.2)
        return queued, total - queued


@dataclass(frozen=True)
class ClipFiles:
    """The rendered mp4 and its half-size `_min` twin."""

    raw: Path
    min: Path


@dataclass(eq=False)
class JobState:
    """One job of a task: when it leaves in_progress and how it ends."""

    id: str
    finishes_at: float
    outcome: str  # "completed", a failure status, "stalled", or a raw status that stays


@dataclass(eq=False, repr=False)
class TaskState:
    """Everything the emulator knows about one task. Read `status` and `completed_at` any time."""

    id: str
    kind: str  # "image2video" or "ads"
    cost: int
    created_at: float
    started_at: float
    jobs: list[JobState]
    params: dict[str, Any]
    input_ids: list[str]
    project_id: str
    clip: ClipFiles | None = None
    rendered_at: float | None = None
    render_error: str | None = None
    notes: dict[str, str] = field(default_factory=dict)
    """Emulator-only remarks (e.g. a placeholder input), shown under the feed's "emulator" key."""

    def job_status(self, job: JobState, now: float | None = None) -> str:
        now = time.time() if now is None else now
        if now < self.started_at:
            return "queued"
        if now < job.finishes_at or job.outcome == "stalled":
            return "in_progress"
        if job.outcome != "completed":
            return job.outcome
        if self.render_error is not None:
            return "failed"
        if self.rendered_at is None:
            return "in_progress"  # the clip does not exist yet
        return "completed"

    @property
    def status(self) -> str:
        """The overall status now (done only when every job is)."""
        now = time.time()
        return overall_status([self.job_status(job, now) for job in self.jobs])

    @property
    def completed_at(self) -> float | None:
        """Wall time (time.time()) at which the task became completed, or None if it has not."""
        if self.rendered_at is None or any(job.outcome != "completed" for job in self.jobs):
            return None
        moment = max(self.rendered_at, *(job.finishes_at for job in self.jobs))
        return moment if moment <= time.time() else None

    def feed(self, base_url: str) -> dict[str, Any]:
        """The task as `GET /higgsfield/feed/{id}` shows it, with URLs under `base_url`."""
        now = time.time()
        params = dict(self.params)
        images = [_media_input(image_id, base_url) for image_id in self.input_ids]
        params["input_image"] = images[0] if images else None
        params["input_image_end"] = images[1] if len(images) > 1 else None
        motion_name = params.pop("motion_name", None)
        if params.get("motion_id"):
            params["motion"] = {
                "id": params["motion_id"],
                "url": f"{base_url}/previews/{params['motion_id']}.webp",
                "name": motion_name,
            }
        # The provider's key order first, anything extra after it.
        params = {key: params.get(key) for key in PARAMS_ORDER} | {
            key: value for key, value in params.items() if key not in PARAMS_ORDER
        }
        video = {"type": "video", "url": f"{base_url}/files/{self.id}.mp4"}
        reduced = {"type": "video", "url": f"{base_url}/files/{self.id}_min.mp4"}
        jobs: list[dict[str, Any]] = []
        for job in self.jobs:
            status = self.job_status(job, now)
            done = status == "completed"
            jobs.append(
                {
                    "id": job.id,
                    "status": status,
                    "result": dict(video) if done else None,
                    "results": {"raw": dict(video), "min": dict(reduced)} if done else None,
                    "board_ids": [],
                    "meta": {"duration": CLIP_SECONDS} if done else {},
                }
            )
        feed: dict[str, Any] = {
            "id": self.id,
            "type": "image2video" if self.kind == "image2video" else "product_placement",
            "project_id": self.project_id,
            "created_at": self.created_at,
            "params": params,
            "jobs": jobs,
        }
        notes = dict(self.notes)
        if self.render_error is not None:
            notes["render_error"] = self.render_error
        if notes:
            feed["emulator"] = notes
        return feed

    def to_json(self, directory: Path) -> dict[str, Any]:
        """Everything needed to answer for the task again, clip paths relative to `directory`."""
        clip = None
        if self.clip is not None:
            clip = {"raw": _relative(self.clip.raw, directory), "min": _relative(self.clip.min, directory)}
        return {
            "id": self.id,
            "kind": self.kind,
            "cost": self.cost,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "jobs": [{"id": j.id, "finishes_at": j.finishes_at, "outcome": j.outcome} for j in self.jobs],
            "params": self.params,
            "input_ids": self.input_ids,
            "project_id": self.project_id,
            "clip": clip,
            "rendered_at": self.rendered_at,
            "render_error": self.render_error,
            "notes": self.notes,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], directory: Path) -> TaskState:
        """The task `to_json` wrote (clip paths resolved against `directory`)."""
        clip = data.get("clip")
        return cls(
            id=str(data["id"]),
            kind=str(data["kind"]),
            cost=int(data["cost"]),
            created_at=float(data["created_at"]),
            started_at=float(data["started_at"]),
            jobs=[JobState(str(j["id"]), float(j["finishes_at"]), str(j["outcome"])) for j in data["jobs"]],
            params=dict(data["params"]),
            input_ids=[str(i) for i in data["input_ids"]],
            project_id=str(data["project_id"]),
            clip=ClipFiles(directory / clip["raw"], directory / clip["min"]) if clip else None,
            rendered_at=data.get("rendered_at"),
            render_error=data.get("render_error"),
            notes=dict(data.get("notes") or {}),
        )

    def __repr__(self) -> str:
        return (
            f"TaskState({self.id!r}, kind={self.kind!r}, status={self.status!r}, "
            f"jobs={len(self.jobs)}, completed_at={self.completed_at})"
        )


def _relative(path: Path, directory: Path) -> str:
    return str(path.relative_to(directory)) if path.is_relative_to(directory) else str(path)


def _media_input(image_id: str, base_url: str) -> dict[str, str]:
    return {"id": image_id, "url": f"{base_url}/inputs/{image_id}.jpg", "type": "media_input"}


class TaskStore(Mapping[str, TaskState]):
    """Task id -> TaskState (read-only mapping view; tasks are added with `create`).

    With a `directory`, each task is also kept there as `tasks/ID.json` (written when it is
    created and by `save`), and the tasks found there are loaded: a restarted emulator
    answers for the tasks an earlier one made.
    """

    def __init__(self, timing: Timing, directory: Path | None = None) -> None:
        self.timing = timing
        self.sampler = DurationSampler(timing)
        self.project_id = str(uuid.uuid4())
        self.directory = directory
        self._tasks: dict[str, TaskState] = {}
        self._lock = threading.Lock()
        self._seeds = random.Random(f"hfwidgets-emulator-seeds:{timing.seed}")
        if directory is not None:
            (directory / "tasks").mkdir(mode=0o700, parents=True, exist_ok=True)
            self._load(directory)

    def _load(self, directory: Path) -> None:
        for path in sorted((directory / "tasks").glob("*.json")):
            try:
                task = TaskState.from_json(json.loads(path.read_text("utf-8")), directory)
            except (OSError, ValueError, KeyError, TypeError) as error:
                logger.warning("emulator: task file %s is unreadable (%s); skipped", path, error)
                continue
            self._tasks[task.id] = task

    def save(self, task: TaskState) -> None:
        """Keep the task's current state on disk (no-op without a directory)."""
        if self.directory is None:
            return
        path = self.directory / "tasks" / f"{task.id}.json"
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(task.to_json(self.directory)), "utf-8")
        temporary.replace(path)

    def unrendered(self) -> list[TaskState]:
        """Tasks whose clip was never made nor refused (their emulator stopped while making it)."""
        with self._lock:
            return [t for t in self._tasks.values() if t.rendered_at is None and t.render_error is None]

    def random_seed(self) -> int:
        """A seed for a task submitted without one."""
        with self._lock:
            return self._seeds.randint(1, 1_000_000)

    def create(
        self,
        *,
        kind: str,
        model: str,
        cost: int,
        params: dict[str, Any],
        images: int,
        outcome: str,
        jobs: int,
    ) -> TaskState:
        """Register a new task; `outcome` applies to its last job, the others complete."""
        now = time.time()
        queued, in_progress = self.sampler.draw(model)
        started = now + queued
        job_states = []
        for index in range(jobs):
            finishes = started + in_progress * (1 + self.timing.job_stagger * index)
            job_states.append(
                JobState(
                    id=str(uuid.uuid4()),
                    finishes_at=finishes,
                    outcome=outcome if index == jobs - 1 else "completed",
                )
            )
        task = TaskState(
            id=str(uuid.uuid4()),
            kind=kind,
            cost=cost,
            created_at=now,
            started_at=started,
            jobs=job_states,
            params=params,
            input_ids=[str(uuid.uuid4()) for _ in range(images)],
            project_id=self.project_id,
        )
        with self._lock:
            self._tasks[task.id] = task
        self.save(task)
        return task

    def __getitem__(self, task_id: str) -> TaskState:
        with self._lock:
            return self._tasks[task_id]

    def __iter__(self) -> Any:
        with self._lock:
            return iter(list(self._tasks))

    def __len__(self) -> int:
        with self._lock:
            return len(self._tasks)

    def __repr__(self) -> str:
        return f"TaskStore({len(self)} tasks, timing={self.timing!r})"


# --------------------------------------------------------------------------- what the feed says was run


def image2video_params(fields: Mapping[str, Any], motion: Motion, prompt: str) -> dict[str, Any]:
    """The feed's `params` of an image-to-video task: the checked fields, the motion, the prompt run."""
    return {
        "prompt": prompt,
        "seed": fields["seed"],
        "steps": 20,
        "guide_scale": 6,
        "frames": 81,
        "width": fields["width"],
        "height": fields["height"],
        "strength": 1,
        "model": fields["model"],
        "motion_id": motion.id,
        "motion_name": motion.name,
        "enhance_prompt": fields["enhance_prompt"],
        "guide_end": 1,
        "is_chain": False,
        "chain_sample": None,
        "product_placement_sample": None,
    }


def ads_params(template_id: str, width: int, height: int, *, seed: int) -> dict[str, Any]:
    """The feed's `params` of an ad task."""
    return {
        "prompt": "",
        "seed": seed,
        "steps": 20,
        "guide_scale": 6,
        "frames": 81,
        "width": width,
        "height": height,
        "strength": 1,
        "model": None,
        "motion_id": None,
        "motion": None,
        "enhance_prompt": False,
        "guide_end": 1,
        "is_chain": False,
        "chain_sample": None,
        "product_placement_sample": {"id": template_id},
        "size": f"{width}x{height}",
    }


# --------------------------------------------------------------------------- prompt enhancement

_CAMERA_PHRASES = {
    "zoom_in": "the camera pushes in steadily toward the eyes",
    "arc_left": "the camera arcs smoothly to the left around the subject",
    "arc_right": "the camera arcs smoothly to the right around the subject",
    "rotation_3d": "the view turns around the subject in a full 3D rotation",
    "shake": "a sudden impact jolts the frame and the camera shakes",
    "disintegrate": "the subject slowly disintegrates into drifting glowing dust",
    "static": "the camera holds perfectly still",
    "melt": "everything begins to melt and drip downward",
    "fire": "flames flicker up and bathe the scene in a warm glow",
    "glitch": "the picture breaks into datamosh glitches and displaced blocks",
    "orbit": "time freezes while the camera orbits in bullet time",
    "slide_left": "the subject glides to the left in a smooth moonwalk",
    "slide_right": "the subject glides to the right in a smooth moonwalk",
    "push_in": "the camera gently pushes in",
}
_LIGHTS = (
    "soft golden-hour light",
    "cool morning light",
    "warm studio lighting",
    "moody cinematic lighting",
    "bright natural daylight",
)
_DETAILS = (
    "fine texture detail and a shallow depth of field",
    "crisp focus and subtle film grain",
    "rich colour and gentle highlights",
    "natural skin tones and delicate shadows",
)


def enhanced_prompt(prompt: str, motion_name: str, seed: int) -> str:
    """A deterministic richer rewrite of `prompt` that contains it verbatim."""
    chooser = random.Random(f"{seed}:{motion_name}")
    camera = _CAMERA_PHRASES[move_for_name(motion_name)]
    opening = f"{prompt}. " if prompt.strip() else "The scene in the image comes to life. "
    return (
        f"{opening}As the moment unfolds, {camera}. {chooser.choice(_LIGHTS).capitalize()}, "
        f"{chooser.choice(_DETAILS)}, smooth natural motion."
    )
