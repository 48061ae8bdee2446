"""ResultView: the video of a task, its status, prompt, parameters and raw feed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import traitlets

from .._errors import HiggsfieldError, TaskFailed
from .._models import FAILED_STATUSES, Feed
from .._static import StaticRepr, result_html, results_html
from ._assets import compose_css, compose_esm
from ._base import MediaChannel, WidgetBase, call_on_loop, describe_error, media_pool
from ._i18n import tr

__all__ = ["ResultState", "ResultView", "describe_status", "params_rows"]

_DATA_URL_SHOWN = 48  # characters of a data: URL kept in the synced JSON (enough to see its type)

logger = logging.getLogger("hfwidgets.widgets")


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


def _shown(value: object, unit: str = "", lang: str = "en") -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return tr(lang, "yes" if value else "no")
    if isinstance(value, float):
        return f"{value:g}{unit}"
    return f"{value}{unit}"


def params_rows(feed: Feed, lang: str = "en") -> list[tuple[str, str]]:
    """The parameters table of a feed: (label, text) rows, "—" for what the feed lacks."""
    p = feed.params
    size = f"{p.width}×{p.height}" if p.width and p.height else None
    created = feed.created_at.strftime("%Y-%m-%d %H:%M:%S UTC") if feed.created_at else None
    rows: list[tuple[str, object, str]] = [
        ("p_task", feed.id, ""),
        ("p_model", p.model, ""),
        ("p_motion", p.motion_name or p.motion_id, ""),
        ("p_seed", p.seed, ""),
        ("p_size", size, ""),
        ("p_frames", p.frames, ""),
        ("p_steps", p.steps, ""),
        ("p_guide_scale", p.guide_scale, ""),
        ("p_strength", p.strength, ""),
        ("p_enhance_prompt", p.enhance_prompt, ""),
        ("p_duration", feed.duration, " s"),
        ("p_created", created, ""),
    ]
    return [(tr(lang, key), _shown(value, unit, lang)) for key, value, unit in rows]


def describe_status(feed: Feed | None, lang: str = "en") -> str:
    """One line saying where the task stands."""
    if feed is None:
        return tr(lang, "no_task")
    if feed.status == "completed":
        return (
            tr(lang, "completed_video", seconds=f"{feed.duration:g}")
            if feed.duration
            else tr(lang, "completed")
        )
    if feed.status in FAILED_STATUSES:
        return str(TaskFailed(feed))
    if feed.status in ("queued", "in_progress"):
        return tr(lang, f"pending_{feed.status}")
    return tr(lang, "status_other", status=feed.status)


class ResultState:
    """What a result part shows (a feed, the progress line, a download), as the dict the view reads.

    `ResultView` copies it into its traits; the Studio keeps it in one dict trait.
    `on_change(fields)` is called with the fields after every change.
    """

    def __init__(
        self, media: MediaChannel, lang: Callable[[], str], on_change: Callable[[dict[str, Any]], None]
    ) -> None:
        self._media = media
        self._lang = lang
        self._on_change = on_change
        try:
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        self.feed: Feed | None = None
        self.fields: dict[str, Any] = {}
        self.download_dir: Path | None = None
        """Folder downloads are saved to; None means the current directory at download time."""
        self._from_kept: set[str] = set()
        """Tasks whose video plays from the kept copy (their link is dead): the status line says so."""
        media.on_kept(self._playing_kept)
        self.show(None)

    def show(self, feed: Feed | None) -> None:
        """Show `feed` (None clears)."""
        previous, self.feed = self.feed, feed
        lang = self._lang()
        keep_path = previous is not None and feed is not None and previous.id == feed.id
        fields: dict[str, Any] = {
            "status": feed.status if feed else "",
            "status_text": self._status_text(feed),
            "video_url": _http_url(feed.video_url) if feed else "",
            "prompt": (feed.prompt or "") if feed else "",
            "params": [list(row) for row in params_rows(feed, lang)] if feed else [],
            "error": str(TaskFailed(feed)) if feed is not None and feed.status in FAILED_STATUSES else "",
            "feed_json": _without_media_bytes(feed.raw) if feed else {},
            "downloading": bool(self.fields.get("downloading", False)),
            "download_path": self.fields.get("download_path", "") if keep_path else "",
        }
        fields["video"] = self._media.ref(fields["video_url"], task_id=feed.id if feed else None)
        self.fields = fields
        self._on_change(dict(fields))

    def _status_text(self, feed: Feed | None) -> str:
        text = describe_status(feed, self._lang())
        if feed is not None and feed.id in self._from_kept:
            text += f" {tr(self._lang(), 'playing_kept')}"
        return text

    def _playing_kept(self, task_id: str) -> None:
        """Say, in the status line, that a dead link's kept copy is what plays (called from a worker)."""
        self._from_kept.add(task_id)
        feed = self.feed
        if feed is None or feed.id != task_id:
            return
        text = self._status_text(feed)
        if self.fields.get("status_text") != text:
            call_on_loop(self._loop, lambda: self.update(status_text=text))

    def update(self, **fields: Any) -> None:
        """Change some fields (e.g. `status_text` while waiting, `error`)."""
        self.fields = {**self.fields, **fields}
        self._on_change(dict(self.fields))

    def download(self, path: str | Path | None = None) -> Future[Path]:
        """Save the video in a worker thread; returns a Future of the saved path.

        `path` defaults to `download_dir`, else the current directory. When it ends,
        `download_path` (or `error`) is set.
        """
        outcome: Future[Path] = Future()
        feed = self.feed
        if feed is None or not feed.video_url:
            not_ready = HiggsfieldError("Nothing to download yet: the video is not ready.")
            self._finish(outcome, None, not_ready, str(not_ready))
            return outcome
        target = path if path is not None else self.download_dir  # None: Feed.download's default, ./
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        self.update(downloading=True, error="")

        def work() -> None:
            saved: Path | None = None
            failure: Exception | None = None
            try:
                saved = feed.download(target)
            except Exception as exc:
                logger.warning("download of task %s failed: %s", feed.id, exc)
                failure = exc
            problem = f"Download failed: {describe_error(failure)}" if failure else ""
            call_on_loop(loop, self._finish, outcome, saved, failure, problem)

        media_pool().submit(work)
        return outcome

    def _finish(
        self, outcome: Future[Path], saved: Path | None, failure: Exception | None, problem: str
    ) -> None:
        changes: dict[str, Any] = {"downloading": False, "error": problem}
        if saved is not None:
            changes["download_path"] = str(saved)
        self.update(**changes)
        if saved is not None:
            outcome.set_result(saved)
        else:
            outcome.set_exception(failure or HiggsfieldError(problem))


class ResultView(StaticRepr, WidgetBase):
    """Shows a task's result: the video, status, enhanced prompt, parameters and raw feed.

    Assign `view.feed` as the task progresses. The Download mp4 button saves the mp4
    from the kernel with `Feed.download` into `download_dir` (the current directory
    by default). A video on this machine (the embedded emulator) reaches the browser
    over the widget channel, so it plays on a remote kernel too.
    """

    _esm = compose_esm("result.js", "result_view.js")
    _css = compose_css("result.css")

    feed_json = traitlets.Dict().tag(sync=True)
    """The raw feed as received (inline data: URLs cut short, so never any media bytes)."""
    status = traitlets.Unicode("").tag(sync=True)
    """The feed's overall status ("" before there is a feed)."""
    status_text = traitlets.Unicode("").tag(sync=True)
    """The line shown in `.hfw-result-status`; set from the feed, or while waiting."""
    video_url = traitlets.Unicode("").tag(sync=True)
    """URL of the finished mp4 ("" until there is one)."""
    video = traitlets.Unicode("").tag(sync=True)
    """What the view plays: the https URL, or "media:<key>" for a video sent over the channel."""
    prompt = traitlets.Unicode("").tag(sync=True)
    """The prompt the service ran (the enhanced one when enhancement was on)."""
    params = traitlets.List(traitlets.List(traitlets.Unicode())).tag(sync=True)
    """Rows of the parameters table: [label, text]."""
    download_path = traitlets.Unicode("").tag(sync=True)
    """Where the last download was saved."""
    downloading = traitlets.Bool(False).tag(sync=True)
    """True while a download runs."""

    def __init__(self, feed: Feed | None = None, *, lang: str | None = None) -> None:
        super().__init__(lang=lang, uses_client=False)
        self._state = ResultState(self.media, lambda: self.lang, self._copy_fields)
        self.handle("download", lambda _content, _buffers: self._download_asked())
        self.feed = feed

    def _copy_fields(self, fields: dict[str, Any]) -> None:
        with self.hold_sync():
            for name, value in fields.items():
                setattr(self, name, value)

    @property
    def feed(self) -> Feed | None:
        """The feed on show; assigning one updates the view."""
        return self._state.feed

    @feed.setter
    def feed(self, feed: Feed | None) -> None:
        self._state.show(feed)

    @property
    def download_dir(self) -> Path | None:
        """Folder downloads are saved to (None: the current directory at download time)."""
        return self._state.download_dir

    @download_dir.setter
    def download_dir(self, folder: Path | None) -> None:
        self._state.download_dir = folder

    def download(self, path: str | Path | None = None) -> Future[Path]:
        """Save the video in a worker thread; returns a Future of the saved path."""
        return self._state.download(path)

    def _download_asked(self) -> None:
        if not self.downloading:
            self.download()

    # ------------------------------------------------------------------ reprs

    def static_html(self) -> str:
        """The result as standalone HTML (poster, parameters, status), for viewers without a kernel."""
        if self.feed is None:
            return results_html([], title="Result", empty=self.status_text)
        return result_html(self.feed)

    def __repr__(self) -> str:
        return f"ResultView({self.feed!r})"
