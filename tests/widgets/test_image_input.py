"""ImageInput: files as the view sends them (one binary buffer), URLs, previews over the media channel."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from PIL import Image

from hfwidgets._errors import ValidationError
from hfwidgets.widgets import ImageInput

from .widget_support import from_view, png_bytes, sent_to_view


def upload(widget: ImageInput, frame: str, name: str, data: bytes) -> None:
    from_view(widget, {"type": "upload", "frame": frame, "name": name, "mime": "image/png"}, [data])


def _jpeg_size(data: bytes) -> tuple[int, int]:
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    return image.size


def test_a_file_is_loaded_once_and_only_its_name_and_size_are_synced(photo_bytes: bytes) -> None:
    widget = ImageInput()
    upload(widget, "first", "cat.png", photo_bytes)
    assert len(widget.value) == 1
    loaded = widget.value[0]
    assert loaded.size == (320, 240) and loaded.format == "PNG"
    assert widget.sources == ["cat.png"]
    first = widget.frames[0]
    assert first["source"] == "cat.png" and first["detail"].startswith("320×240 · ")
    assert first["preview"].startswith("media:")
    assert max(_jpeg_size(widget.thumbnails[0] or b"")) <= 160
    state = json.dumps(widget.get_state(), default=str)
    assert "base64" not in state and len(state) < 20_000
    assert widget.errors.message == ""


def test_the_preview_is_sent_over_the_channel_on_request(photo_bytes: bytes) -> None:
    widget = ImageInput()
    upload(widget, "first", "cat.png", photo_bytes)
    sent = sent_to_view(widget)
    key = widget.frames[0]["preview"].removeprefix("media:")
    from_view(widget, {"type": "media", "key": key})
    ((content, buffers),) = sent
    assert content == {"type": "media", "key": key, "mime": "image/jpeg"}
    assert buffers == [widget.thumbnails[0]]


def test_value_is_observable(photo_bytes: bytes) -> None:
    widget = ImageInput()
    seen: list[int] = []
    widget.observe(lambda change: seen.append(len(change["new"])), names="value")
    upload(widget, "first", "a.png", photo_bytes)
    upload(widget, "last", "b.png", png_bytes(color=(0, 0, 255)))
    from_view(widget, {"type": "clear_frame", "frame": "last"})
    assert seen == [1, 2, 1]
    assert widget.sources == ["a.png"]


def test_first_and_last_frames_in_order(photo_bytes: bytes) -> None:
    widget = ImageInput()
    upload(widget, "first", "first.png", photo_bytes)
    upload(widget, "last", "last.png", png_bytes(640, 480))
    assert widget.sources == ["first.png", "last.png"]
    assert [img.size for img in widget.value] == [(320, 240), (640, 480)]


def test_a_last_frame_alone_is_not_used_and_says_so(photo_bytes: bytes) -> None:
    widget = ImageInput()
    upload(widget, "last", "last.png", photo_bytes)
    assert widget.value == []
    assert "first frame" in widget.errors.message


def test_url_input_keeps_the_url_and_fetches_nothing() -> None:
    widget = ImageInput()
    url = "https://media.pixverse.ai/asset/media/fusion4_1.jpg"
    from_view(widget, {"type": "frame_url", "frame": "first", "url": url})
    assert [img.url for img in widget.value] == [url]
    assert widget.sources == [url]
    assert widget.frames[0]["preview"] == url  # the browser loads it; the kernel never does
    assert widget.frames[0]["url"] == url
    from_view(widget, {"type": "frame_url", "frame": "first", "url": ""})
    assert widget.value == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [("ftp://example.org/a.png", "http"), ("data:image/png;base64,AAAA", "choose the file")],
)
def test_bad_urls_are_refused_in_the_widget(text: str, expected: str) -> None:
    widget = ImageInput()
    from_view(widget, {"type": "frame_url", "frame": "first", "url": text})
    assert widget.value == []
    assert "ValidationError" in widget.errors.message
    assert expected in widget.errors.message
    assert "AAAA" not in json.dumps(widget.get_state(), default=str)  # never the payload


def test_a_file_that_is_not_an_image_is_refused() -> None:
    widget = ImageInput()
    upload(widget, "first", "notes.txt", b"hello, not a picture")
    assert widget.value == []
    assert "ValidationError" in widget.errors.message
    assert "first frame" in widget.errors.message


def test_clear(photo_bytes: bytes) -> None:
    widget = ImageInput()
    upload(widget, "first", "cat.png", photo_bytes)
    from_view(widget, {"type": "clear_frame", "frame": "first"})
    assert widget.value == []
    assert widget.frames[0]["preview"] == "" and widget.frames[0]["source"] == ""


def test_set_frame_from_python(tmp_path: Any, photo_bytes: bytes) -> None:
    path = tmp_path / "dog.png"
    path.write_bytes(photo_bytes)
    widget = ImageInput(frames=1, first=str(path))
    assert widget.sources == [str(path)]  # as given, so copied code finds the file
    assert widget.frame_count == 1
    with pytest.raises(ValidationError, match="frame"):
        widget.set_frame("last", str(path))


def test_repr_is_stable(photo_bytes: bytes) -> None:
    widget = ImageInput()
    assert repr(widget) == "ImageInput(frames=2)"
    upload(widget, "first", "cat.png", photo_bytes)
    assert repr(widget) == "ImageInput(frames=2, first='cat.png')"


def test_a_file_is_loaded_exactly_once(monkeypatch: pytest.MonkeyPatch, photo_bytes: bytes) -> None:
    from hfwidgets.widgets import _image_input

    calls: list[int] = []
    real = _image_input.load_image  # type: ignore[attr-defined]  # patched where the widget looks it up

    def counting(source: Any, **kwargs: Any) -> Any:
        calls.append(len(bytes(source)))
        return real(source, **kwargs)

    monkeypatch.setattr(_image_input, "load_image", counting)
    widget = ImageInput()
    upload(widget, "first", "cat.png", photo_bytes)
    assert calls == [len(photo_bytes)]
    assert widget.value[0].encoded == photo_bytes
