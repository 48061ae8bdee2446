"""ImageInput: one or two frames (first / last), each from a file upload or a URL, with thumbnails.

Uploaded bytes are checked and identified once (`_images.load_image`), a small
JPEG thumbnail is made, and the FileUpload's synced value is reset to `()`: the
upload's bytes do not stay in the widget state (nor in a saved notebook). A URL
is passed to the service untouched; its thumbnail is an `<img>` the browser
loads itself (the kernel does not fetch it).
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import ipywidgets
import traitlets

from .._errors import ValidationError
from .._images import THUMBNAIL_SIDE, ImageSource, LoadedImage, load_image, prepare_image
from ._base import ErrorArea, shows_errors, small_jpeg_widget

__all__ = ["FRAME_NAMES", "ImageInput"]

FRAME_NAMES = ("first", "last")


@dataclass
class _Frame:
    """The widgets and the current image of one frame slot."""

    name: str
    upload: ipywidgets.FileUpload
    url: ipywidgets.Text
    thumb: ipywidgets.Image
    clear: ipywidgets.Button
    caption: ipywidgets.HTML
    image: LoadedImage | None = None
    source: str | None = None
    """What the image was given as: the uploaded file's name, the URL, or a path."""
    thumbnail: bytes | None = None
    """Small JPEG (<= 160 px a side) of a local image; None for a URL."""


class ImageInput(ipywidgets.VBox):  # type: ignore[misc]  # ipywidgets has no type hints
    """Pick the image(s) to animate: the first frame, and optionally the last one.

    `value` is the list of chosen images (`LoadedImage`, first frame first),
    observable with `observe(cb, names="value")`; `sources` says where each came
    from. `set_frame("first", "cat.jpg")` fills a frame from Python (a path, URL,
    bytes, PIL image or array).
    """

    value = traitlets.List(trait=traitlets.Instance(LoadedImage), read_only=True)
    """The chosen images, first frame first (not synced: the browser never receives them)."""

    def __init__(
        self, frames: int = 2, *, first: ImageSource | None = None, last: ImageSource | None = None
    ) -> None:
        if frames not in (1, 2):
            raise ValidationError("frames", frames, "1 (one image) or 2 (first and last frame)")
        self.errors = ErrorArea()
        self._frames: dict[str, _Frame] = {}
        columns = []
        for name in FRAME_NAMES[:frames]:
            frame = self._make_frame(name, labelled=frames == 2)
            self._frames[name] = frame
            columns.append(
                ipywidgets.VBox(
                    [frame.caption, frame.upload, frame.url, frame.thumb, frame.clear],
                    layout=ipywidgets.Layout(margin="0 12px 0 0"),
                )
            )
        super().__init__(children=[ipywidgets.HBox(columns), self.errors])
        self.add_class("hfw-image-input")
        if first is not None:
            self.set_frame("first", first)
        if last is not None:
            self.set_frame("last", last)

    # ------------------------------------------------------------------ public API

    @property
    def frames(self) -> int:
        """How many frame slots the input has (1 or 2)."""
        return len(self._frames)

    @property
    def sources(self) -> list[str]:
        """Where each image of `value` came from: file name, URL or path."""
        return [f.source or "" for f in self._filled()]

    @property
    def thumbnails(self) -> list[bytes | None]:
        """The JPEG thumbnail of each image of `value` (None for URLs)."""
        return [f.thumbnail for f in self._filled()]

    @property
    def first_size(self) -> tuple[int, int] | None:
        """Pixel size of the first frame when known (None for a URL or no image)."""
        frame = self._frames["first"]
        return frame.image.size if frame.image is not None else None

    def set_frame(self, name: str, source: ImageSource, *, label: str | None = None) -> LoadedImage:
        """Fill frame `name` ("first" or "last") from any image input; returns the loaded image.

        `label` is how copy-as-code names the image; by default the path or URL as
        given, or "first-frame.jpg" / "last-frame.jpg" for in-memory images.
        """
        frame = self._frame(name)
        loaded = load_image(source, field=f"image ({name} frame)")
        given = os.fspath(source) if isinstance(source, (str, os.PathLike)) else None
        self._fill(frame, loaded, label or given or f"{name}-frame.jpg")
        return loaded

    def clear(self, name: str | None = None) -> None:
        """Empty one frame, or all of them."""
        for frame in [self._frame(name)] if name else list(self._frames.values()):
            frame.image = frame.source = frame.thumbnail = None
            frame.thumb.value = b""
            frame.thumb.format = "jpeg"
            frame.thumb.layout.display = "none"
            frame.url.value = ""
            frame.caption.value = self._caption(frame)
        self.errors.clear()
        self._publish()

    # ------------------------------------------------------------------ building

    def _make_frame(self, name: str, *, labelled: bool) -> _Frame:
        upload = ipywidgets.FileUpload(accept="image/*", multiple=False, description=f"{name} frame")
        upload.add_class(f"hfw-upload-{name}")
        url = ipywidgets.Text(
            value="",
            placeholder="or paste an image URL",
            continuous_update=False,
            layout=ipywidgets.Layout(width="220px"),
        )
        url.add_class(f"hfw-url-{name}")
        thumb = small_jpeg_widget(f"hfw-thumb-{name}", size=THUMBNAIL_SIDE)
        thumb.layout.display = "none"
        clear = ipywidgets.Button(description="clear", icon="times", layout=ipywidgets.Layout(width="90px"))
        clear.add_class(f"hfw-clear-{name}")
        caption = ipywidgets.HTML()
        frame = _Frame(name=name, upload=upload, url=url, thumb=thumb, clear=clear, caption=caption)
        frame.caption.value = self._caption(frame, labelled=labelled)
        upload.observe(lambda change: self._on_upload(frame, change), names="value")
        url.observe(lambda change: self._on_url(frame, change), names="value")
        clear.on_click(lambda _b: self._on_clear(frame))
        return frame

    def _caption(self, frame: _Frame, *, labelled: bool | None = None) -> str:
        if labelled is None:
            labelled = self.frames == 2
        title = f"{frame.name} frame" if labelled else "image"
        if frame.name == "last":
            title += " (optional)"
        detail = ""
        if frame.image is not None:
            size = f" · {frame.image.size[0]}×{frame.image.size[1]}" if frame.image.size else ""
            detail = f"<br><small>{html.escape(_clip(frame.source or ''))}{size}</small>"
        return f"<b>{html.escape(title)}</b>{detail}"

    # ------------------------------------------------------------------ events

    @shows_errors
    def _on_upload(self, frame: _Frame, change: Mapping[str, Any]) -> None:
        files = change["new"]
        if not files:
            return  # our own reset below
        entry = files[0]
        try:
            content = entry["content"]
            name = str(entry.get("name") or f"{frame.name}-frame")
            loaded = load_image(bytes(content), field=f"image ({frame.name} frame)")
        finally:
            # Drop the upload's bytes from the synced state, whatever happened.
            frame.upload.value = ()
        self._fill(frame, loaded, name)

    @shows_errors
    def _on_url(self, frame: _Frame, change: Mapping[str, Any]) -> None:
        text = str(change["new"]).strip()
        if not text:
            if frame.image is not None and frame.image.is_url:
                self.clear(frame.name)
            return
        if text.lower().startswith("data:"):
            frame.url.value = ""  # a data: URL would put base64 in the synced state
            raise ValidationError(
                f"image ({frame.name} frame)", text, "an http(s) URL here; upload the file instead"
            )
        loaded = load_image(text, field=f"image ({frame.name} frame)")
        if not loaded.is_url:
            frame.url.value = ""
            raise ValidationError(f"image ({frame.name} frame)", text, "an http(s) URL")
        self._fill(frame, loaded, text)

    @shows_errors
    def _on_clear(self, frame: _Frame) -> None:
        self.clear(frame.name)

    # ------------------------------------------------------------------ state

    def _fill(self, frame: _Frame, loaded: LoadedImage, source: str) -> None:
        frame.image = loaded
        frame.source = source
        if loaded.url is not None:
            frame.thumbnail = None
            # The browser shows the picture straight from its URL; nothing is fetched here.
            frame.thumb.format = "url"
            frame.thumb.value = loaded.url.encode()
            if frame.url.value != loaded.url:
                frame.url.value = loaded.url
        else:
            frame.thumbnail = prepare_image(loaded, (THUMBNAIL_SIDE, THUMBNAIL_SIDE)).thumbnail
            frame.thumb.format = "jpeg"
            frame.thumb.value = frame.thumbnail or b""
            if frame.url.value:
                frame.url.value = ""
        frame.thumb.layout.display = None
        frame.caption.value = self._caption(frame)
        self.errors.clear()
        self._publish()

    def _filled(self) -> list[_Frame]:
        """The frames that count: the first, then the last when the first is set."""
        first = self._frames["first"]
        if first.image is None:
            return []
        last = self._frames.get("last")
        return [first, last] if last is not None and last.image is not None else [first]

    def _publish(self) -> None:
        first, last = self._frames["first"], self._frames.get("last")
        if first.image is None and last is not None and last.image is not None:
            self.errors.show("choose the first frame too: a last frame alone is not used")
        self.set_trait("value", [f.image for f in self._filled()])

    def _frame(self, name: str) -> _Frame:
        if name not in self._frames:
            allowed = " or ".join(repr(n) for n in self._frames)
            raise ValidationError("frame", name, allowed)
        return self._frames[name]

    def __repr__(self) -> str:
        filled = ", ".join(f"{name}={_clip(f.source or '')!r}" for name, f in self._frames.items() if f.image)
        return f"ImageInput(frames={self.frames}{', ' + filled if filled else ''})"


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
