"""What one emulator instance holds: tasks, catalogue, fault knobs, request counters, files, render pool."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from .._catalog import bundled_motions, resolve_motion
from .._models import Motion
from .._moves import motion_recipe
from ._faults import ENDPOINTS, Faults
from ._imagery import preview_webp, sample_image
from ._render import render_clip
from ._tasks import ClipFiles, TaskStore, Timing

__all__ = ["PREVIEW_WIDTH", "Counters", "EmulatorState"]

PREVIEW_WIDTH = 320
PREVIEW_FRAMES = 14
SHARED_CLIP_SIZE = (128, 224)  # the one clip every task reuses when render=False


class Counters(Mapping[str, int]):
    """Requests seen per endpoint ("generate", "ads", "feed", "motions", "files", "previews",
    "samples", "inputs"), faulted ones included. Also readable as "POST /higgsfield/generate" etc."""

    ALIASES: Mapping[str, str] = {
        "POST /higgsfield/generate": "generate",
        "POST /higgsfield/ads": "ads",
        "GET /higgsfield/feed": "feed",
        "GET /motions": "motions",
    }
    NAMES: tuple[str, ...] = (*ENDPOINTS, "files", "previews", "samples", "inputs", "other")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(self.NAMES, 0)
        self.last_request = time.monotonic()
        """When the latest request arrived (time.monotonic()); the start time before any."""

    def increment(self, name: str) -> None:
        with self._lock:
            self._counts[name] = self._counts.get(name, 0) + 1
            self.last_request = time.monotonic()

    def reset(self) -> None:
        """Set every counter back to zero."""
        with self._lock:
            self._counts = dict.fromkeys(self.NAMES, 0)

    def __getitem__(self, name: str) -> int:
        with self._lock:
            return self._counts[self.ALIASES.get(name, name)]

    def __iter__(self) -> Iterator[str]:
        return iter(self.NAMES)

    def __len__(self) -> int:
        return len(self.NAMES)

    def __repr__(self) -> str:
        with self._lock:
            return f"Counters({ {k: v for k, v in self._counts.items() if v} })"


class EmulatorState:
    """What one emulator instance holds: tasks, catalogue, knobs, counters, files, render pool.

    Its files go to a temporary folder removed by `close()`, or, with `directory`, to that
    folder, kept: the tasks, their inputs and clips outlive the instance (the emulator of a
    home, see `hfwidgets._home_emulator`).
    """

    def __init__(
        self,
        timing: Timing | None,
        motions: Sequence[Motion | Mapping[str, Any]] | None,
        render: bool,
        directory: Path | None = None,
    ):
        self.timing = timing or Timing()
        self.render = render
        self.faults = Faults()
        self.counters = Counters()
        self.persistent = directory is not None
        if directory is None:
            directory = Path(tempfile.mkdtemp(prefix="hfwidgets-emulator-"))
        self.directory = directory
        (directory / "inputs").mkdir(mode=0o700, parents=True, exist_ok=True)
        self.tasks = TaskStore(self.timing, directory if self.persistent else None)
        self.catalogue: list[Motion] = (
            list(bundled_motions())
            if motions is None
            else [m if isinstance(m, Motion) else Motion.from_json(m) for m in motions]
        )
        self.by_id = {m.id: m for m in self.catalogue}
        self.inputs: dict[str, Path] = {
            image_id: path
            for task in self.tasks.values()
            for image_id in task.input_ids
            if (path := directory / "inputs" / f"{image_id}.jpg").exists()
        }
        self.executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="hfwidgets-emulator-render")
        self._previews: dict[str, Future[bytes]] = {}
        self._shared_clip: Future[ClipFiles] | None = None
        self._lock = threading.Lock()
        self._background: set[asyncio.Task[None]] = set()
        self._fetcher: httpx.AsyncClient | None = None
        self.closed = False

    def motion(self, motion_id: str) -> Motion:
        """The catalogue's motion (or mix part) with this id; an unknown id gets a default one."""
        known = self.by_id.get(motion_id)
        if known is not None:
            return known
        motion = resolve_motion(motion_id, self.catalogue)
        if motion.name == motion.id:  # not in the catalogue: the default effect applies
            return Motion(id=motion.id, name=f"Motion {motion.id[:8]}")
        return motion

    def preview(self, motion: Motion) -> Future[bytes]:
        """The motion's animated WebP, rendered once in the pool and cached."""
        with self._lock:
            future = self._previews.get(motion.id)
            if future is None:
                width = PREVIEW_WIDTH
                height = 200
                if motion.preview_width > 0 and motion.preview_height > 0:
                    height = round(width * motion.preview_height / motion.preview_width)
                height = min(max(height, 64), 640)
                recipe = motion_recipe(motion)
                future = self.executor.submit(preview_webp, recipe, width, height, PREVIEW_FRAMES)
                self._previews[motion.id] = future
            return future

    def shared_clip(self) -> Future[ClipFiles]:
        """The one small clip all tasks reuse when rendering is off."""
        with self._lock:
            if self._shared_clip is None:
                files = ClipFiles(self.directory / "shared.mp4", self.directory / "shared_min.mp4")
                width, height = SHARED_CLIP_SIZE

                def make() -> ClipFiles:
                    render_clip(
                        [sample_image("portrait")], (("push_in", 1.0),), width, height, files.raw, files.min
                    )
                    return files

                self._shared_clip = self.executor.submit(make)
            return self._shared_clip

    def fetcher(self) -> httpx.AsyncClient:
        """The one HTTP client fetching input images given by URL (made on first use, in the server's loop).

        One pooled client rather than one per task: building a client builds a TLS context,
        which cost more than the rest of a submission.
        """
        if self._fetcher is None:
            self._fetcher = httpx.AsyncClient(follow_redirects=True)
        return self._fetcher

    async def aclose_fetcher(self) -> None:
        """Close the image fetcher's connections (at server shutdown, in its loop)."""
        fetcher, self._fetcher = self._fetcher, None
        if fetcher is not None:
            await fetcher.aclose()

    @property
    def busy(self) -> bool:
        """True while a clip is being made (an input fetched, a render running)."""
        return bool(self._background)

    def keep(self, job: asyncio.Task[None]) -> None:
        """Hold a reference to a background job until it ends (asyncio keeps only weak ones)."""
        self._background.add(job)
        job.add_done_callback(self._background.discard)

    def close(self) -> None:
        """Stop rendering and delete every file the emulator wrote (kept when `persistent`). Idempotent."""
        if self.closed:
            return
        self.closed = True
        for job in list(self._background):
            job.cancel()
        self.executor.shutdown(wait=True, cancel_futures=True)
        if not self.persistent:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __repr__(self) -> str:
        return f"EmulatorState(tasks={len(self.tasks)}, motions={len(self.catalogue)}, render={self.render})"
