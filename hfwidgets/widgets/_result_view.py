"""ResultView: the video of a task, its status, prompt, parameters and raw feed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from .._errors import HiggsfieldError, TaskFailed
from .._models import FAILED_STATUSES, Feed
from .._static import StaticRepr, result_html, results_html
from ._base import describe_error

__all__ = ["ResultView"]

_STATIC = Path(__file__).parent / "static"
_DATA_URL_SHOWN = 48  # characters of a data: URL kept in the synced JSON (enough to see its type)
_PENDING_TEXT = {"queued": "Queued: waiting for a free worker…", "in_progress": "Generating the video…"}

logger = logging.getLogger("hfwidgets.widgets")

# Downloads run here, off the kernel's event loop, so the notebook stays responsive.
_download_pool: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _download_pool
    if _download_pool is None:
        _download_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="hfwidgets-download")
    return _download_pool


def _without_media_bytes(value: Any) -> Any:
    """The JSON with every inline `data:` URL cut short: state and notebooks carry URLs only."""
    if isinstance(value, str):
        if value.startswith("data:") and len(value) > _DATA_URL_SHOWN:
            header = value.split(",", 1)[0][:_DATA_URL_SHOWN]
            return f"{header},… ({len(value)} characters not shown)"
        return value
    if isinstance(value, Mapping):
        return {str(k): _without_media_bytes(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_without_media_bytes(v) for v in value]
    return value


def _http_url(url: str | None) -> str:
    """The URL when it is http(s), else "" (a view never loads other schemes)."""
    return url if url and url.startswith(("http://", "https://")) else ""


def _shown(value: object, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}{unit}"
    return f"{value}{unit}"


def params_rows(feed: Feed) -> list[tuple[str, str]]:
    """The parameters table of a feed: (label, text) rows, "—" for what the feed lacks."""
    p = feed.params
    size = f"{p.width}×{p.height}" if p.width and p.height else None
    created = feed.created_at.strftime("%Y-%m-%d %H:%M:%S UTC") if feed.created_at else None
    return [
        ("Task", feed.id),
        ("Model", _shown(p.model)),
        ("Motion", _shown(p.motion_name or p.motion_id)),
        ("Seed", _shown(p.seed)),
        ("Size", _shown(size)),
        ("Frames", _shown(p.frames)),
        ("Steps", _shown(p.steps)),
        ("Guide scale", _shown(p.guide_scale)),
        ("Strength", _shown(p.strength)),
        ("Enhance prompt", _shown(p.enhance_prompt)),
        ("Duration", _shown(feed.duration, " s")),
        ("Created", _shown(created)),
    ]


def describe_status(feed: Feed | None) -> str:
    """One line saying where the task stands."""
    if feed is None:
        return "No task yet."
    if feed.status == "completed":
        return f"Completed: {feed.duration:g} s video." if feed.duration else "Completed."
    if feed.status in FAILED_STATUSES:
        return str(TaskFailed(feed))
    return _PENDING_TEXT.get(feed.status, f"Status: {feed.status}")


class ResultView(StaticRepr, anywidget.AnyWidget):
    """Shows a task's result: the video (by URL), status, enhanced prompt, parameters and raw feed.

    Assign `view.feed` as the task progresses. The Download button saves the mp4
    from the kernel with `Feed.download` into `download_dir` (the current
    directory by default).
    """

    _esm = _STATIC / "result_view.js"
    _css = _STATIC / "result_view.css"

    feed_json = traitlets.Dict().tag(sync=True)
    """The raw feed as received (inline data: URLs cut short, so never any media bytes)."""
    status = traitlets.Unicode("").tag(sync=True)
    """The feed's overall status ("" before there is a feed)."""
    status_text = traitlets.Unicode(describe_status(None)).tag(sync=True)
    """The line shown in `.hfw-result-status`; set from the feed, or by the Studio while waiting."""
    video_url = traitlets.Unicode("").tag(sync=True)
    """URL of the finished mp4 ("" until there is one)."""
    prompt = traitlets.Unicode("").tag(sync=True)
    """The prompt the service ran (the enhanced one when enhancement was on)."""
    params = traitlets.List(traitlets.List(traitlets.Unicode())).tag(sync=True)
    """Rows of the parameters table: [label, text]."""
    error = traitlets.Unicode("").tag(sync=True)
    """Message shown in `.hfw-error` (a failed task, a failed download)."""
    download_path = traitlets.Unicode("").tag(sync=True)
    """Where the last download was saved."""
    downloading = traitlets.Bool(False).tag(sync=True)
    """True while a download runs."""

    def __init__(self, feed: Feed | None = None, **kwargs: Any) -> None:
        self._feed: Feed | None = None
        # Folder downloads are saved to; None means the current directory at download time.
        self.download_dir: Path | None = None
        super().__init__(**kwargs)
        self.on_msg(self._on_front_end_message)
        self.feed = feed

    @property
    def feed(self) -> Feed | None:
        """The feed on show; assigning one updates the view."""
        return self._feed

    @feed.setter
    def feed(self, feed: Feed | None) -> None:
        previous, self._feed = self._feed, feed
        with self.hold_sync():
            if previous is None or feed is None or previous.id != feed.id:
                self.download_path = ""
            self.status_text = describe_status(feed)
            if feed is None:
                self.feed_json = {}
                self.status = ""
                self.video_url = ""
                self.prompt = ""
                self.params = []
                self.error = ""
                return
            self.feed_json = _without_media_bytes(feed.raw)
            self.status = feed.status
            self.video_url = _http_url(feed.video_url)
            self.prompt = feed.prompt or ""
            self.params = [list(row) for row in params_rows(feed)]
            self.error = str(TaskFailed(feed)) if feed.status in FAILED_STATUSES else ""

    # ------------------------------------------------------------------ download

    def download(self, path: str | Path | None = None) -> Future[Path]:
        """Save the video in a worker thread; returns a Future of the saved path.

        `path` defaults to `download_dir`, else the current directory. When it
        ends, `download_path` (or `error`) is set and the front end is told.
        """
        outcome: Future[Path] = Future()
        feed = self._feed
        if feed is None or not feed.video_url:
            not_ready = HiggsfieldError("Nothing to download yet: the video is not ready.")
            self._finish_download(outcome, None, not_ready, str(not_ready))
            return outcome
        target = path if path is not None else self.download_dir  # None: Feed.download's default, ./
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        self.downloading = True
        self.error = ""

        def work() -> None:
            saved: Path | None = None
            failure: Exception | None = None
            try:
                saved = feed.download(target)
            except Exception as exc:
                logger.warning("download of task %s failed: %s", feed.id, exc)
                failure = exc
            problem = f"Download failed: {describe_error(failure)}" if failure else ""
            self._call_on_loop(loop, self._finish_download, outcome, saved, failure, problem)

        _pool().submit(work)
        return outcome

    @staticmethod
    def _call_on_loop(loop: asyncio.AbstractEventLoop | None, func: Any, *args: Any) -> None:
        # Widget state changes belong on the kernel's loop thread when there is one.
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(func, *args)
                return
            except RuntimeError:  # the loop closed meanwhile
                pass
        func(*args)

    def _finish_download(
        self, outcome: Future[Path], saved: Path | None, failure: Exception | None, problem: str
    ) -> None:
        with self.hold_sync():
            self.downloading = False
            if saved is not None:
                self.download_path = str(saved)
            self.error = problem
        # The answer to the front end's request (the traits above keep it for later views).
        if saved is not None:
            self.send({"type": "download", "path": str(saved)})
            outcome.set_result(saved)
        else:
            self.send({"type": "download", "error": problem})
            outcome.set_exception(failure or HiggsfieldError(problem))

    def _on_front_end_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, Mapping) and content.get("type") == "download" and not self.downloading:
            self.download()

    # ------------------------------------------------------------------ reprs

    def static_html(self) -> str:
        """The result as standalone HTML (poster, parameters, status), for viewers without a kernel."""
        if self._feed is None:
            return results_html([], title="Result", empty=self.status_text)
        return result_html(self._feed)

    def __repr__(self) -> str:
        return f"ResultView({self._feed!r})"
