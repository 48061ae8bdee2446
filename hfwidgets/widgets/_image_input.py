"""ImageInput: one or two frames (first / last), each from a file (choose, drag and drop, paste) or a URL.

`FrameSet` is the logic the ImageInput, the Studio and the AdsPanel share: the
view sends a file in parts ({"type": "upload_part", "frame", "id", "index",
"count", "total", "name", "original"} + one buffer each, at most
`UPLOAD_PART_BYTES`: a Jupyter server drops the link on a message over 10 MiB;
a photo larger than any video needs is reduced in the browser first, and
"original" then gives its own size), a URL ({"type": "frame_url"}) or a clear
({"type": "clear_frame"}); the bytes are
checked and identified once (`_images.load_image`), a small JPEG preview is made
and offered over the media channel. The synced `frames` trait holds names,
sizes and refs only, never the image bytes. A URL is passed to the service
untouched; its preview is the URL itself (the kernel does not fetch it).
"""

from __future__ import annotations

import collections
import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import traitlets

from .._errors import ValidationError
from .._images import THUMBNAIL_SIDE, ImageSource, LoadedImage, load_image, prepare_image
from .._static import StaticRepr, note_html
from ._assets import UPLOAD_MAX_BYTES, compose_css, compose_esm
from ._base import WidgetBase

__all__ = ["FRAME_NAMES", "FrameSet", "ImageInput"]

FRAME_NAMES = ("first", "last")


@dataclass
class Frame:
    """The current image of one frame slot."""

    name: str
    image: LoadedImage | None = None
    source: str | None = None
    """How copy-as-code names the image: the path or URL given, or the uploaded file's name."""
    uploaded: bool = False
    """True when the bytes came from the browser (copy-as-code saves them next to the notebook)."""
    thumbnail: bytes | None = None
    """Small JPEG (<= 160 px a side) of a local image; None for a URL."""
    preview: str = ""
    """The media ref the view shows."""
    original: tuple[int, int, int] | None = None
    """Width, height and bytes of the file chosen, when the browser reduced it before sending."""


@dataclass
class _Parts:
    """An upload arriving in parts, in any order (some hosts deliver messages concurrently)."""

    id: str
    count: int
    total: int
    name: str
    original: tuple[int, int, int] | None
    parts: dict[int, bytes] = dataclasses.field(default_factory=dict)

    @property
    def size(self) -> int:
        return sum(len(part) for part in self.parts.values())


def _upload_order(upload_id: str) -> int:
    """When the view started an upload: its id begins with the time in base 36 (frames.js)."""
    try:
        return int(upload_id.split("-", 1)[0], 36)
    except ValueError:
        return 0


def _human_bytes(count: int) -> str:
    size = float(count)
    for unit in ("B", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{count} B"


class FrameSet:
    """The frame slots of a widget with a `frames` trait; `on_change()` runs after every change."""

    def __init__(self, widget: WidgetBase, count: int, on_change: Callable[[], None] | None = None) -> None:
        if count not in (1, 2):
            raise ValidationError("frames", count, "1 (one image) or 2 (first and last frame)")
        self._widget = widget
        self._on_change = on_change
        self.frames: dict[str, Frame] = {name: Frame(name) for name in FRAME_NAMES[:count]}
        widget.handle("upload", self._on_upload)
        widget.handle("upload_part", self._on_upload_part)
        widget.handle("upload_refused", self._on_upload_refused)
        self._parts: dict[str, _Parts] = {}
        self._ended: collections.deque[str] = collections.deque(maxlen=64)
        widget.handle("frame_url", self._on_url)
        widget.handle("clear_frame", lambda content, _b: self.clear(str(content.get("frame", ""))))
        self._publish(notify=False)

    # ------------------------------------------------------------------ reading

    def filled(self) -> list[Frame]:
        """The frames that count: the first, then the last when the first is set."""
        first = self.frames["first"]
        if first.image is None:
            return []
        last = self.frames.get("last")
        return [first, last] if last is not None and last.image is not None else [first]

    @property
    def images(self) -> list[LoadedImage]:
        return [f.image for f in self.filled() if f.image is not None]

    @property
    def sources(self) -> list[str]:
        return [f.source or "" for f in self.filled()]

    @property
    def thumbnails(self) -> list[bytes | None]:
        return [f.thumbnail for f in self.filled()]

    @property
    def first_size(self) -> tuple[int, int] | None:
        image = self.frames["first"].image
        return image.size if image is not None else None

    # ------------------------------------------------------------------ changing

    def set_frame(self, name: str, source: ImageSource, *, label: str | None = None) -> LoadedImage:
        """Fill frame `name` from any image input; `label` is how copy-as-code names it."""
        frame = self._frame(name)
        loaded = load_image(source, field=f"image ({name} frame)")
        given = os.fspath(source) if isinstance(source, (str, os.PathLike)) else None
        self._fill(frame, loaded, label or given or f"{name}-frame", uploaded=given is None and label is None)
        return loaded

    def upload(
        self, name: str, data: bytes, filename: str, *, original: tuple[int, int, int] | None = None
    ) -> LoadedImage:
        """Fill frame `name` from a file's bytes sent by the browser (`original`: the width,
        height and bytes of the file chosen, when the browser sent a reduced copy)."""
        frame = self._frame(name)
        loaded = load_image(bytes(data), field=f"image ({name} frame)", name=filename or None)
        self._fill(frame, loaded, filename or f"{name}-frame", uploaded=True, original=original)
        return loaded

    def set_url(self, name: str, url: str) -> None:
        """Fill frame `name` from an http(s) URL ("" empties a frame that held a URL)."""
        frame = self._frame(name)
        text = url.strip()
        if not text:
            if frame.image is not None and frame.image.is_url:
                self.clear(name)
            return
        if text.lower().startswith("data:"):
            raise ValidationError(
                f"image ({name} frame)",
                text.split(",", 1)[0] + ",…",
                "an http(s) URL here; choose the file instead",
            )
        loaded = load_image(text, field=f"image ({name} frame)")
        if not loaded.is_url:
            raise ValidationError(f"image ({name} frame)", text, "an http(s) URL")
        self._fill(frame, loaded, text, uploaded=False)

    def clear(self, name: str | None = None) -> None:
        """Empty one frame, or all of them."""
        for frame in [self._frame(name)] if name else list(self.frames.values()):
            frame.image = frame.source = frame.thumbnail = None
            frame.original = None
            frame.preview = ""
            frame.uploaded = False
        self._widget.errors.clear()
        self._publish()

    # ------------------------------------------------------------------ plumbing

    def _on_upload(self, content: Mapping[str, Any], buffers: Sequence[bytes]) -> None:
        if not buffers:
            raise ValidationError("image", None, "a file's bytes (the upload carried none)")
        self.upload(str(content.get("frame", "first")), bytes(buffers[0]), str(content.get("name") or ""))

    def _on_upload_part(self, content: Mapping[str, Any], buffers: Sequence[bytes]) -> None:
        """One part of an upload; the frame is filled once all have arrived, whatever their
        order. Parts of an upload that a newer one for the same frame replaced, or that was
        refused or finished, are dropped."""
        name = str(content.get("frame", "first"))
        self._frame(name)
        filename = str(content.get("name") or "")
        field = f"image ({name} frame)"
        upload_id = str(content.get("id", ""))
        index, count, total = (_int(content.get(key)) for key in ("index", "count", "total"))
        parts = self._parts.get(name)
        if parts is None or parts.id != upload_id:
            if upload_id in self._ended or (
                parts is not None and _upload_order(upload_id) < _upload_order(parts.id)
            ):
                return  # a late part of an upload already replaced, refused or finished
            if parts is not None:
                self._end(parts.id)
            self._widget.errors.clear()
            if total > UPLOAD_MAX_BYTES or count < 1 or total < 0:
                self._end(upload_id)
                self._parts.pop(name, None)
                if total > UPLOAD_MAX_BYTES:
                    raise ValidationError(
                        field,
                        filename,
                        f"a file of at most {_human_bytes(UPLOAD_MAX_BYTES)}",
                        hint=f"this one is {_human_bytes(total)}",
                    )
                raise ValidationError(field, filename, "an upload of one part or more")
            parts = _Parts(upload_id, count, total, filename, _original(content.get("original")))
            self._parts[name] = parts
        if not buffers:
            raise ValidationError("image", None, "a file's bytes (the upload carried none)")
        if 0 <= index < parts.count:
            parts.parts[index] = bytes(buffers[0])
        done = len(parts.parts) == parts.count
        if parts.size > parts.total or (done and parts.size != parts.total):
            del self._parts[name]
            self._end(parts.id)
            raise ValidationError(
                field, filename, f"{parts.total} bytes", hint=f"{parts.size} arrived: choose it again"
            )
        if done:
            del self._parts[name]
            self._end(parts.id)
            data = b"".join(parts.parts[i] for i in range(parts.count))
            self.upload(name, data, parts.name, original=parts.original)

    def _end(self, upload_id: str) -> None:
        """Remember that no more parts of `upload_id` are wanted (the last few dozen ids)."""
        self._ended.append(upload_id)

    def _on_upload_refused(self, content: Mapping[str, Any], _buffers: Sequence[bytes]) -> None:
        """The view could not send a file: too large to send as it is, or unreadable."""
        name = str(content.get("frame", "first"))
        self._frame(name)
        self._widget.errors.clear()
        size = _int(content.get("size"))
        field = f"image ({name} frame)"
        filename = str(content.get("name") or "")
        if size > UPLOAD_MAX_BYTES:
            raise ValidationError(
                field,
                filename,
                f"a file of at most {_human_bytes(UPLOAD_MAX_BYTES)}, or a photo the browser can open",
                hint=f"this one is {_human_bytes(size)}; export it as JPEG",
            )
        raise ValidationError(
            field, filename, "a file the browser can read", hint=str(content.get("reason") or "")[:200]
        )

    def _on_url(self, content: Mapping[str, Any], _buffers: Sequence[bytes]) -> None:
        self.set_url(str(content.get("frame", "first")), str(content.get("url", "")))

    def _fill(
        self,
        frame: Frame,
        loaded: LoadedImage,
        source: str,
        *,
        uploaded: bool,
        original: tuple[int, int, int] | None = None,
    ) -> None:
        """Put `loaded` in `frame`, once it has proved itself: the thumbnail decodes the pixels, and an
        image that fails to (a truncated file) is refused with the previous one left in place."""
        if loaded.url is not None:
            thumbnail, preview = None, self._widget.media.ref(loaded.url)
        else:
            thumbnail = prepare_image(loaded, (THUMBNAIL_SIDE, THUMBNAIL_SIDE)).thumbnail
            preview = self._widget.media.ref_bytes(thumbnail)
        frame.image, frame.source, frame.uploaded = loaded, source, uploaded
        frame.thumbnail, frame.preview, frame.original = thumbnail, preview, original
        self._widget.errors.clear()
        self._publish()

    def _publish(self, *, notify: bool = True) -> None:
        first, last = self.frames["first"], self.frames.get("last")
        if first.image is None and last is not None and last.image is not None:
            self._widget.errors.show(self._widget.t("last_alone"))
        state = []
        for frame in self.frames.values():
            detail = []
            if frame.image is not None and frame.image.size:
                detail.append(f"{frame.image.size[0]}×{frame.image.size[1]}")
            if frame.image is not None and frame.original is not None:
                width, height, size = frame.original
                sent = self._widget.t("reduced_to", size=detail[0])
                detail = [f"{width}×{height}", _human_bytes(size), sent]
            elif frame.image is not None and frame.image.source_bytes:
                detail.append(_human_bytes(frame.image.source_bytes))
            state.append(
                {
                    "name": frame.name,
                    "source": _clip(frame.source or ""),
                    "detail": " · ".join(detail),
                    "preview": frame.preview,
                    "url": frame.image.url or "" if frame.image is not None else "",
                }
            )
        self._widget.set_trait("frames", state)
        if notify and self._on_change is not None:
            self._on_change()

    def _frame(self, name: str) -> Frame:
        if name not in self.frames:
            raise ValidationError("frame", name, " or ".join(repr(n) for n in self.frames))
        return self.frames[name]


class ImageInput(StaticRepr, WidgetBase):
    """Pick the image(s) to animate: the first frame, and optionally the last one.

    Choose a file, drop it, paste it or type its URL. `value` is the list of
    chosen images (`LoadedImage`, first frame first), observable with
    `observe(cb, names="value")`; `sources` says where each came from.
    `set_frame("first", "cat.jpg")` fills a frame from Python (a path, URL, bytes,
    PIL image or array).
    """

    _esm = compose_esm("frames.js", "image_input.js")
    _css = compose_css("frames.css")

    frames = traitlets.List(traitlets.Dict()).tag(sync=True)
    """One dict per frame slot: name, source, detail (size), preview (media ref), url."""
    value = traitlets.List(trait=traitlets.Instance(LoadedImage), read_only=True)
    """The chosen images, first frame first (not synced: the browser never receives them)."""

    def __init__(
        self,
        frames: int = 2,
        *,
        first: ImageSource | None = None,
        last: ImageSource | None = None,
        lang: str | None = None,
    ) -> None:
        super().__init__(lang=lang, uses_client=False)
        self._set = FrameSet(self, frames, self._publish)
        if first is not None:
            self.set_frame("first", first)
        if last is not None:
            self.set_frame("last", last)

    @property
    def frame_count(self) -> int:
        """How many frame slots the input has (1 or 2)."""
        return len(self._set.frames)

    @property
    def sources(self) -> list[str]:
        """Where each image of `value` came from: file name, URL or path."""
        return self._set.sources

    @property
    def thumbnails(self) -> list[bytes | None]:
        """The JPEG thumbnail of each image of `value` (None for URLs)."""
        return self._set.thumbnails

    @property
    def first_size(self) -> tuple[int, int] | None:
        """Pixel size of the first frame when known (None for a URL or no image)."""
        return self._set.first_size

    def set_frame(self, name: str, source: ImageSource, *, label: str | None = None) -> LoadedImage:
        """Fill frame `name` ("first" or "last") from any image input; returns the loaded image."""
        return self._set.set_frame(name, source, label=label)

    def upload(self, name: str, data: bytes, filename: str) -> LoadedImage:
        """What a file chosen, dropped or pasted in the view does: fill frame `name` from its bytes."""
        return self._set.upload(name, data, filename)

    def set_url(self, name: str, url: str) -> None:
        """What typing a URL in the view does."""
        self._set.set_url(name, url)

    def clear(self, name: str | None = None) -> None:
        """Empty one frame, or all of them."""
        self._set.clear(name)

    def _publish(self) -> None:
        self.set_trait("value", self._set.images)

    def static_html(self) -> str:
        """The chosen images as standalone HTML (their names; the pixels stay in the kernel)."""
        chosen = [
            f"{name}: {_clip(f.source or '')}" for name, f in self._set.frames.items() if f.image is not None
        ]
        return note_html(
            "Image input", " · ".join(chosen) if chosen else "No image chosen when this was saved."
        )

    def __repr__(self) -> str:
        filled = ", ".join(
            f"{name}={_clip(f.source or '')!r}" for name, f in self._set.frames.items() if f.image is not None
        )
        return f"ImageInput(frames={self.frame_count}{', ' + filled if filled else ''})"


def _int(value: object) -> int:
    """An integer field of a view message (-1 when it is not one)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


def _original(value: object) -> tuple[int, int, int] | None:
    """The {width, height, bytes} of a file the browser reduced, when given."""
    if not isinstance(value, Mapping):
        return None
    numbers = tuple(_int(value.get(key)) for key in ("width", "height", "bytes"))
    return (numbers[0], numbers[1], numbers[2]) if min(numbers) > 0 else None


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
