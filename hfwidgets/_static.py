"""Static HTML of results: what a notebook shows where no kernel runs.

A saved notebook is read on GitHub, nbviewer, `jupyter nbconvert --to html`, a
documentation site, or in JupyterLab before its cells are run again. There, a
widget is dead and a video on the emulator's `127.0.0.1` port is gone. So every
result also carries plain, escaped HTML that stands on its own:

- a poster: the video's first frame as a small inline WebP (at most
  `POSTER_MAX_BYTES`), made on first display with a short deadline and kept in a
  per-process cache by task id (never in the feed JSON). It needs PyAV (the
  `video` extra); without it everything else is shown;
- the parameters (motion, model, seed, size, prompt) and the status;
- only when the video URL is a public http(s) URL: a `<video controls
  preload="none" poster=...>` to it and a download link. A video on this machine
  (the emulator's) is synthetic: the view says so and never points at it.

Widgets add this view to their mime bundle through the `StaticRepr` mixin;
`Feed` and `History` through `_repr_html_`. `Feed.show(embed=...)` embeds more
(an animated preview, or the mp4 itself) when an author asks for it.

This module imports nothing of the widgets, and loads Pillow and PyAV only when
a poster is made.
"""

from __future__ import annotations

import base64
import concurrent.futures
import html
import io
import ipaddress
import logging
import math
import os
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal
from urllib.parse import urlsplit

from ._errors import ValidationError
from ._extras import available, require
from ._fetch import fetch_sync
from ._media import is_loopback_url

if TYPE_CHECKING:
    from PIL import Image

    from ._journal import TaskRecord
    from ._models import Feed

__all__ = [
    "EMBEDS",
    "HISTORY_ROWS",
    "POSTER_MAX_BYTES",
    "Embed",
    "ExplorerCellView",
    "StaticRepr",
    "StaticResult",
    "comparison_html",
    "explorer_html",
    "file_poster",
    "history_html",
    "is_public_url",
    "note_html",
    "poster",
    "result_html",
    "results_html",
    "split_rows",
]

log = logging.getLogger(__name__)

Embed = Literal["poster", "animated", "video"]
EMBEDS: Final = ("poster", "animated", "video")

POSTER_MAX_BYTES: Final = 20 * 1024
"""A poster is at most this many bytes of WebP, so a notebook with a few results stays small."""
POSTER_SIDE: Final = 320
POSTER_TIMEOUT: Final = 8.0
"""Seconds allowed to fetch a video and decode its first frame when a result is first displayed."""
ANIMATED_MAX_BYTES: Final = 600 * 1024
VIDEO_MAX_BYTES: Final = 20 * 1024 * 1024
"""`show(embed="video")` refuses larger videos unless `max_bytes` is raised (a notebook is no media store)."""
_FETCH_MAX_BYTES: Final = 200 * 1024 * 1024
_CACHE_SIZE: Final = 256
_RETRY_AFTER_FAILURE: Final = 30.0  # seconds before a failed poster is tried again

_posters: OrderedDict[str, bytes] = OrderedDict()
_failures: dict[str, float] = {}


# --------------------------------------------------------------------------- URLs


def is_public_url(url: str | None) -> bool:
    """True for an http(s) URL a reader elsewhere can load: not loopback, private or link-local."""
    if not url:
        return False
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "." in host  # a bare name ("myhost") only resolves on this network
    return address.is_global


# --------------------------------------------------------------------------- media


def _fetch(url: str, *, timeout: float, max_bytes: int) -> bytes:
    """The video at `url` (the one media fetch, `_fetch`: no API key), within `timeout` seconds."""
    return fetch_sync(
        url, what="the video's link", expected="a video", max_bytes=max_bytes, timeout=timeout
    ).data


def _preview_url(feed: Feed) -> str | None:
    """The reduced video when the service made one (smaller to fetch), else the full one."""
    if feed.status != "completed":
        return None
    url = feed.min_url or feed.video_url
    return url if url and url.startswith(("http://", "https://")) else None


def _frames(data: bytes, *, every: int = 1, limit: int = 1) -> list[Image.Image]:
    import av

    pictures = []
    with av.open(io.BytesIO(data), mode="r") as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index % every == 0:
                pictures.append(frame.to_image())  # type: ignore[no-untyped-call,unused-ignore]  # untyped in some av releases
                if len(pictures) >= limit:
                    break
    if not pictures:
        raise ValueError("the video has no frames")
    return pictures


def _small_webp(picture: Image.Image, max_bytes: int) -> bytes:
    """The picture as WebP within `max_bytes`: lower quality first, then a smaller size."""
    encoded = b""
    for side in (POSTER_SIDE, 240, 160, 96):
        scaled = picture.copy()
        scaled.thumbnail((side, side))
        for quality in (70, 50, 30):
            buffer = io.BytesIO()
            scaled.save(buffer, "WEBP", quality=quality, method=4)
            encoded = buffer.getvalue()
            if len(encoded) <= max_bytes:
                return encoded
    return encoded


def poster(feed: Feed, *, timeout: float = POSTER_TIMEOUT) -> bytes | None:
    """The first frame of a completed feed's video as WebP (≤ POSTER_MAX_BYTES), or None.

    None when the task has no video, PyAV is not installed, or the video cannot
    be fetched and decoded within `timeout` seconds (tried again 30 s later).
    Kept in a per-process cache by task id, so later displays cost nothing.
    """
    url = _preview_url(feed)
    if url is None:
        return None
    cached = _posters.get(feed.id)
    if cached is not None:
        _posters.move_to_end(feed.id)
        return cached
    if time.monotonic() - _failures.get(feed.id, -math.inf) < _RETRY_AFTER_FAILURE:
        return None
    if not available("video"):
        return None
    try:
        frame = _frames(_fetch(url, timeout=timeout, max_bytes=_FETCH_MAX_BYTES))[0]
        encoded = _small_webp(frame, POSTER_MAX_BYTES)
    except Exception as error:  # a missing poster must never break a display
        log.info("no poster for task %s: %s", feed.id, error)
        _failures[feed.id] = time.monotonic()
        return None
    _posters[feed.id] = encoded
    while len(_posters) > _CACHE_SIZE:
        _posters.popitem(last=False)
    return encoded


def _data_url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _kilobytes(size: int) -> str:
    return f"{size / 1024:.0f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"


# --------------------------------------------------------------------------- one result

_BOX = (
    "display:inline-block;vertical-align:top;margin:4px 8px 8px 0;font-size:13px;"
    "width:100%;max-width:340px;overflow-wrap:anywhere"
)
_TABLE = "border-collapse:collapse;margin-top:4px;display:table;width:100%"
_CELL = "text-align:left;padding:1px 6px 1px 0;vertical-align:top"


def _text(value: object) -> str:
    return "—" if value is None or value == "" else str(value)


def parameter_rows(feed: Feed) -> list[tuple[str, str]]:
    """What the static view lists for a result: (label, plain text) rows."""
    p = feed.params
    size = f"{p.width}×{p.height}" if p.width and p.height else None
    if feed.is_ad:
        sample = feed.params.raw.get("product_placement_sample")
        template = sample.get("id") if isinstance(sample, dict) else None
        return [("Ad template", _text(template)), ("Size", _text(size)), ("Task", feed.id)]
    prompt = p.prompt if p.prompt is None or len(p.prompt) <= 300 else p.prompt[:299] + "…"
    return [
        ("Motion", _text(p.motion_name or p.motion_id)),
        ("Model", _text(p.model)),
        ("Seed", _text(p.seed)),
        ("Size", _text(size)),
        ("Prompt", _text(prompt)),
        ("Task", feed.id),
    ]


def status_line(feed: Feed) -> str:
    """Where the task stands, in a few words."""
    if feed.status == "completed":
        return f"Completed: {feed.duration:g} s video." if feed.duration else "Completed."
    if feed.done:
        return f"Task {feed.status}: no video."
    return f"Not finished when this was shown ({feed.status.replace('_', ' ')})."


def _poster_tag(feed: Feed, picture: bytes | None, *, mime: str = "image/webp") -> str:
    if picture is None:
        return ""
    what = "ad" if feed.is_ad else f"{feed.params.motion_name or 'video'}, seed {feed.params.seed}"
    return (
        f'<img class="hfw-poster" src="{_data_url(mime, picture)}" '
        f'alt="first frame: {html.escape(what)}" style="display:block;max-width:100%;max-height:320px">'
    )


def result_html(feed: Feed, *, embed: Embed = "poster", media: bytes | None = None) -> str:
    """One result as standalone HTML (every string escaped).

    `media` is what `embed` asks for beyond the poster: an animated WebP
    ("animated") or the mp4 bytes ("video"); see `Feed.show`.
    """
    url = feed.video_url
    picture = poster(feed)
    parts = [f'<div class="hfw-static-result" data-task-id="{html.escape(feed.id)}" style="{_BOX}">']
    if embed == "video" and media is not None:
        poster_attr = f' poster="{_data_url("image/webp", picture)}"' if picture else ""
        parts.append(
            f'<p class="hfw-static-note">Embedded mp4, {_kilobytes(len(media))}.</p>'
            f'<video class="hfw-embedded-video" controls preload="metadata"{poster_attr} '
            f'src="{_data_url("video/mp4", media)}" style="display:block;max-width:100%;max-height:320px">'
            "</video>"
        )
    elif embed == "animated" and media is not None:
        parts.append(f'<p class="hfw-static-note">Animated preview, {_kilobytes(len(media))}.</p>')
        parts.append(_poster_tag(feed, media))
    elif url and is_public_url(url):
        poster_attr = f' poster="{_data_url("image/webp", picture)}"' if picture else ""
        parts.append(
            f'<video class="hfw-video" controls preload="none"{poster_attr} src="{html.escape(url)}" '
            'style="display:block;max-width:100%;max-height:320px"></video>'
        )
    else:
        parts.append(_poster_tag(feed, picture))
    parts.append(f'<div class="hfw-static-status"><b>{html.escape(status_line(feed))}</b></div>')
    if url and not is_public_url(url):
        where = "the local emulator" if is_loopback_url(url) else "a server on a private network"
        parts.append(
            '<div class="hfw-static-synthetic"><small>Synthetic video made by '
            f"{where}; its link is not kept (it only works on the machine that made it).</small></div>"
        )
    rows = "".join(
        f'<tr><th style="{_CELL};white-space:nowrap">{html.escape(label)}</th>'
        f'<td style="{_CELL}">{html.escape(text)}</td></tr>'
        for label, text in parameter_rows(feed)
    )
    parts.append(f'<table class="hfw-static-params" style="{_TABLE}">{rows}</table>')
    if url and is_public_url(url):
        parts.append(
            f'<a class="hfw-static-download" href="{html.escape(url)}" download '
            'target="_blank" rel="noopener noreferrer">Download the mp4</a>'
        )
    parts.append("</div>")
    return "".join(parts)


def results_html(feeds: Sequence[Feed], *, title: str, empty: str) -> str:
    """A titled list of results (the Studio's, the AdsPanel's static view)."""
    if not feeds:
        return note_html(title, empty)
    body = "".join(result_html(feed) for feed in feeds)
    return (
        f'<div class="hfw-static"><div class="hfw-static-title"><b>{html.escape(title)}</b></div>{body}</div>'
    )


def note_html(title: str, note: str) -> str:
    """A titled line (the static view of a widget with no result: MotionGrid, ImageInput)."""
    return (
        f'<div class="hfw-static"><div class="hfw-static-title"><b>{html.escape(title)}</b></div>'
        f"<p><i>{html.escape(note)}</i></p></div>"
    )


@dataclass(frozen=True)
class ExplorerCellView:
    """What the Explorer's static grid shows for one cell."""

    motion: str
    seed: int
    feed: Feed | None = None
    error: str = ""


def explorer_html(cells: Sequence[ExplorerCellView], *, columns: int, title: str) -> str:
    """The Explorer's grid of posters, one cell per motion × seed."""
    items = []
    for cell in cells:
        caption = f"<div><b>{html.escape(cell.motion)}</b> · seed {cell.seed}</div>"
        if cell.feed is not None:
            body = result_html(cell.feed)
        elif cell.error:
            body = f'<div class="hfw-static-status">{html.escape(cell.error)}</div>'
        else:
            body = '<div class="hfw-static-status"><i>Not run when this was shown.</i></div>'
        items.append(f'<div class="hfw-static-cell" style="min-width:0">{caption}{body}</div>')
    grid = (
        f'<div class="hfw-static-grid" style="display:grid;gap:8px;'
        f'grid-template-columns:repeat({max(1, columns)},minmax(180px,1fr))">{"".join(items)}</div>'
    )
    return (
        f'<div class="hfw-static"><div class="hfw-static-title"><b>{html.escape(title)}</b></div>{grid}</div>'
    )


# --------------------------------------------------------------------------- side by side


def split_rows(
    rows: Sequence[Sequence[tuple[str, str]]],
) -> tuple[list[tuple[str, list[str]]], list[tuple[str, str]]]:
    """Parameter rows of several results, side by side: those that differ (the label and each
    result's text) and those the same in all (the label and the common text), in the first
    result's order. A label a result lacks reads "—" there."""
    if not rows:
        return [], []
    texts = [dict(result) for result in rows]
    differ: list[tuple[str, list[str]]] = []
    same: list[tuple[str, str]] = []
    for label, _ in rows[0]:
        values = [result.get(label, "—") for result in texts]
        if len(set(values)) > 1:
            differ.append((label, values))
        else:
            same.append((label, values[0]))
    return differ, same


def comparison_html(feeds: Sequence[Feed], labels: Sequence[str], *, title: str) -> str:
    """Results side by side: a poster per result, then a table of the parameters that differ
    (marked ≠) and a line of those that are the same in all."""
    escape = html.escape
    figures = "".join(
        f'<figure class="hfw-static-compared" style="margin:0;min-width:0">{_poster_tag(feed, poster(feed))}'
        f"<figcaption><b>{escape(label)}</b><br>{escape(status_line(feed))}</figcaption></figure>"
        for feed, label in zip(feeds, labels, strict=True)
    )
    grid = (
        '<div class="hfw-static-grid" style="display:grid;gap:8px;'
        f'grid-template-columns:repeat({max(1, len(feeds))},minmax(140px,1fr))">{figures}</div>'
    )
    differ, same = split_rows([[row for row in parameter_rows(feed) if row[0] != "Task"] for feed in feeds])
    head = "".join(f'<th scope="col" style="{_CELL}">{escape(label)}</th>' for label in labels)
    body = "".join(
        f'<tr><th scope="row" style="{_CELL};white-space:nowrap">≠ {escape(label)}</th>'
        + "".join(f'<td style="{_CELL}"><b>{escape(text)}</b></td>' for text in texts)
        + "</tr>"
        for label, texts in differ
    )
    table = (
        f'<table class="hfw-static-differs" style="{_TABLE}"><caption style="text-align:left">'
        f"<b>Parameters that differ</b></caption><thead><tr><th></th>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
        if differ
        else "<p>No parameter differs.</p>"
    )
    alike = " · ".join(f"{label} {text}" for label, text in same)
    same_line = f'<p class="hfw-static-same">Same in all: {escape(alike)}</p>' if same else ""
    return (
        f'<div class="hfw-static hfw-static-comparison"><div class="hfw-static-title"><b>{escape(title)}</b>'
        f"</div>{grid}{table}{same_line}</div>"
    )


# --------------------------------------------------------------------------- history

HISTORY_ROWS: Final = 50


_NOT_KEPT: Final = "not kept: only the link, which may have expired"


def history_html(
    records: Sequence[TaskRecord],
    summary: str,
    *,
    files: Mapping[str, str] | None = None,
    posters: Mapping[str, bytes] | None = None,
    limit: int | None = HISTORY_ROWS,
) -> str:
    """The journal as a table: input thumbnail, when, what, status, cost, and a public video link.

    For an export (`files`: task id -> the video's relative file name, `posters`: task id ->
    WebP first frame), every row plays its file offline, or says its video was not kept.
    """
    escape = html.escape
    head = "".join(
        f"<th>{name}</th>"
        for name in ("", "created", "task", "model", "motion", "seed", "size", "status", "cost", "video")
    )
    shown = records if limit is None else records[:limit]
    rows = []
    for record in shown:
        thumb = ""
        picture = posters.get(record.id) if posters is not None else None
        if picture is not None:
            thumb = (
                f'<img src="{_data_url("image/webp", picture)}" style="max-height:96px" alt="first frame">'
            )
        elif record.thumbnail:
            thumb = f'<img src="{_data_url("image/jpeg", record.thumbnail)}" style="max-height:48px" alt="">'
        url = record.video_url
        link = ""
        if url and is_public_url(url):
            link = f'<a href="{escape(url)}" target="_blank" rel="noopener noreferrer">mp4</a>'
        if files is not None:
            file = files.get(record.id)
            if file is not None:
                video = (
                    f'<video controls preload="none" style="max-height:160px" src="{escape(file)}"></video>'
                    f'<br><a href="{escape(file)}">{escape(file)}</a>'
                )
            elif record.status == "completed":
                video = f"{link or escape(url or '')}<br><small>{_NOT_KEPT}</small>"
            else:
                video = ""
        else:
            video = link or ("synthetic" if url else "")
            if record.video_path is not None:
                video += (" · " if video else "") + ("kept, pinned" if record.pinned else "kept")
        what = record.template_id if record.kind == "ads" else record.motion_name
        size = record.size or (f"{record.width}x{record.height}" if record.width else "")
        note = record.note
        cells = (
            thumb,
            escape(record.created_at.strftime("%Y-%m-%d %H:%M:%S")),
            f"<code>{escape(record.id)}</code>",
            escape(str(record.model or record.kind)),
            escape(str(what or "")),
            escape("" if record.seed is None else str(record.seed)),
            escape(size),
            escape(record.status)
            # An unconfirmed submission says why it is uncertain (it may exist and may be charged).
            + (f'<br><small title="{escape(note)}">may exist, may be charged</small>' if note else ""),
            escape(str(record.cost)),
            video,
        )
        rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    more = ""
    if len(records) > len(shown):
        more = f"<p>... {len(records) - len(shown)} more (see <code>.to_dataframe()</code>)</p>"
    return (
        f'<div class="hfwidgets-history"><p>{escape(summary)}</p>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{more}</div>"
    )


def file_poster(path: str | os.PathLike[str]) -> bytes | None:
    """The first frame of a video file as WebP (≤ POSTER_MAX_BYTES), or None (no PyAV, unreadable)."""
    if not available("video"):
        return None
    try:
        with open(path, "rb") as video:
            return _small_webp(_frames(video.read())[0], POSTER_MAX_BYTES)
    except Exception as error:  # a missing poster must never break an export
        log.info("no poster for %s: %s", path, error)
        return None


# --------------------------------------------------------------------------- embeds on request


class StaticResult:
    """A result shown with a chosen embed (`Feed.show(...)`); displays as HTML in a notebook.

    `size` is the number of media bytes embedded beyond the poster (0 for
    "poster"), stated in the view and in the repr.
    """

    def __init__(self, feed: Feed, embed: Embed = "poster", *, max_bytes: int | None = None) -> None:
        if embed not in EMBEDS:
            raise ValidationError("embed", embed, "'poster', 'animated' (a small animated WebP) or 'video'")
        self.feed = feed
        self.embed: Embed = embed
        self.media: bytes | None = None
        if embed != "poster":
            self.media = _embedded_media(feed, embed, max_bytes)

    @property
    def size(self) -> int:
        return len(self.media) if self.media is not None else 0

    @property
    def html(self) -> str:
        return result_html(self.feed, embed=self.embed, media=self.media)

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        extra = f", {_kilobytes(self.size)} embedded" if self.media is not None else ""
        return f"StaticResult({self.feed.id!r}, embed={self.embed!r}{extra})"


def _embedded_media(feed: Feed, embed: Embed, max_bytes: int | None) -> bytes:
    if embed == "animated":
        require("video", 'Feed.show(embed="animated")')
    url = _preview_url(feed)
    if url is None:
        raise ValidationError(
            "feed", feed.id, "a completed task with a video", hint=f"task {feed.id} is {feed.status!r}"
        )
    if embed == "video":
        limit = VIDEO_MAX_BYTES if max_bytes is None else max_bytes
        data = _fetch(url, timeout=60.0, max_bytes=_FETCH_MAX_BYTES)
        if len(data) > limit:
            raise ValidationError(
                "max_bytes",
                limit,
                f"at least {len(data)} to embed this {_kilobytes(len(data))} video",
                hint="or show the poster / an animated preview instead",
            )
        return data
    limit = ANIMATED_MAX_BYTES if max_bytes is None else max_bytes
    pictures = _frames(_fetch(url, timeout=60.0, max_bytes=_FETCH_MAX_BYTES), every=4, limit=30)
    return _animated_webp(pictures, limit)


def _animated_webp(pictures: list[Image.Image], max_bytes: int) -> bytes:
    encoded = b""
    for side, quality in ((256, 50), (192, 40), (128, 30)):
        frames = []
        for picture in pictures:
            scaled = picture.copy()
            scaled.thumbnail((side, side))
            frames.append(scaled)
        buffer = io.BytesIO()
        frames[0].save(
            buffer, "WEBP", save_all=True, append_images=frames[1:], duration=160, loop=0, quality=quality
        )
        encoded = buffer.getvalue()
        if len(encoded) <= max_bytes:
            return encoded
    return encoded


# --------------------------------------------------------------------------- the widget hook


class StaticRepr:
    """Mixin for widgets: adds `static_html()` to the mime bundle as `text/html`, and keeps the
    saved output current.

    Put it first in the bases (`class Studio(StaticRepr, ipywidgets.VBox)`) and
    define `static_html()`. A live front end renders the widget view; a reader
    without a kernel (nbconvert, GitHub, a docs site) gets the static HTML.

    Displayed by IPython (a cell's last expression, `display(widget)`), the widget
    goes out with a display id; `refresh_static_view()`, called by the widget once
    per result, sends that display again with the new static HTML (IPython's
    `update_display`), so a notebook saved later holds the results, not the empty
    widget it was when displayed. The update is made in a worker thread (making a
    poster fetches the video) and sent from there, so it belongs to whichever cell
    runs when it is ready; `static_view_settled()` awaits the last one.
    """

    _static_display_id: str | None = None
    _static_update: concurrent.futures.Future[None] | None = None

    def static_html(self) -> str:
        """The widget's state as standalone HTML."""
        raise NotImplementedError

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        parent = getattr(super(), "_repr_mimebundle_", None)
        bundle = parent(**kwargs) if parent is not None else None
        if isinstance(bundle, tuple):
            data, metadata = dict(bundle[0]), dict(bundle[1])
        else:
            data, metadata = dict(bundle or {}), {}
        data.setdefault("text/plain", repr(self))
        try:
            data["text/html"] = self.static_html()
        except Exception as error:  # the live view must appear even if the static one cannot be made
            log.warning("static view of %s failed: %s", type(self).__name__, error)
        return data, metadata

    def _ipython_display_(self) -> None:
        from IPython.display import display

        if self._static_display_id is None:
            self._static_display_id = f"hfwidgets-{uuid.uuid4().hex}"
        data, metadata = self._repr_mimebundle_()
        display(data, metadata=metadata, raw=True, display_id=self._static_display_id)  # type: ignore[no-untyped-call]

    def refresh_static_view(self) -> concurrent.futures.Future[None] | None:
        """Send every display of this widget again with its current static view (None when it was
        never displayed by IPython, e.g. in marimo or inside a container)."""
        display_id = self._static_display_id
        if display_id is None:
            return None

        def update() -> None:
            from IPython.display import update_display

            data, metadata = self._repr_mimebundle_()
            update_display(data, metadata=metadata, raw=True, display_id=display_id)  # type: ignore[no-untyped-call]

        self._static_update = _updates().submit(update)
        return self._static_update

    async def static_view_settled(self) -> None:
        """Return once the last `refresh_static_view()` was sent (at once when there is none)."""
        import asyncio

        pending = self._static_update
        if pending is not None:
            await asyncio.gather(asyncio.wrap_future(pending), return_exceptions=True)


_update_pool: concurrent.futures.ThreadPoolExecutor | None = None
_update_pool_lock = threading.Lock()


def _updates() -> concurrent.futures.ThreadPoolExecutor:
    """One worker thread: static views are remade and sent in the order results arrived."""
    global _update_pool
    with _update_pool_lock:
        if _update_pool is None:
            _update_pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="hfwidgets-static")
        return _update_pool
