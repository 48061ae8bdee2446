"""ImageInput: uploads in the ipywidgets 8 format (converted once, then dropped), URLs, thumbnails."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image
from widget_support import png_bytes, upload_value

from hfwidgets._errors import ValidationError
from hfwidgets.widgets import ImageInput


def _jpeg_size(data: bytes) -> tuple[int, int]:
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    return image.size


def test_upload_is_converted_once_then_dropped_from_the_synced_state(photo: bytes) -> None:
    widget = ImageInput()
    upload = widget._frames["first"].upload
    upload.value = upload_value("cat.png", photo)

    assert upload.value == ()  # no upload bytes stay in the synced state
    assert len(widget.value) == 1
    loaded = widget.value[0]
    assert loaded.size == (320, 240)
    assert loaded.format == "PNG"
    assert widget.sources == ["cat.png"]
    thumb = widget._frames["first"].thumb
    assert thumb.format == "jpeg"
    assert max(_jpeg_size(bytes(thumb.value))) <= 160
    assert widget.thumbnails[0] == bytes(thumb.value)
    assert widget.errors.message == ""


def test_value_is_observable(photo: bytes) -> None:
    widget = ImageInput()
    seen: list[int] = []
    widget.observe(lambda change: seen.append(len(change["new"])), names="value")
    widget._frames["first"].upload.value = upload_value("a.png", photo)
    widget._frames["last"].upload.value = upload_value("b.png", png_bytes(color=(0, 0, 255)))
    widget._frames["last"].clear.click()
    assert seen == [1, 2, 1]
    assert widget.sources == ["a.png"]


def test_first_and_last_frames_in_order(photo: bytes) -> None:
    widget = ImageInput()
    widget._frames["first"].upload.value = upload_value("first.png", photo)
    widget._frames["last"].upload.value = upload_value("last.png", png_bytes(640, 480))
    assert widget.sources == ["first.png", "last.png"]
    assert [img.size for img in widget.value] == [(320, 240), (640, 480)]


def test_a_last_frame_alone_is_not_used_and_says_so(photo: bytes) -> None:
    widget = ImageInput()
    widget._frames["last"].upload.value = upload_value("last.png", photo)
    assert widget.value == []
    assert "first frame" in widget.errors.message


def test_url_input_keeps_the_url_and_fetches_nothing() -> None:
    widget = ImageInput()
    url = "https://media.pixverse.ai/asset/media/fusion4_1.jpg"
    widget._frames["first"].url.value = url
    assert [img.url for img in widget.value] == [url]
    assert widget.sources == [url]
    thumb = widget._frames["first"].thumb
    assert thumb.format == "url"  # the browser loads it; the kernel never does
    assert bytes(thumb.value) == url.encode()
    widget._frames["first"].url.value = ""
    assert widget.value == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [("ftp://example.org/a.png", "http"), ("data:image/png;base64,AAAA", "upload the file")],
)
def test_bad_urls_are_refused_in_the_widget(text: str, expected: str) -> None:
    widget = ImageInput()
    widget._frames["first"].url.value = text
    assert widget.value == []
    assert "ValidationError" in widget.errors.message
    assert expected in widget.errors.message
    assert "base64," not in widget._frames["first"].url.value


def test_an_upload_that_is_not_an_image_is_refused_and_dropped() -> None:
    widget = ImageInput()
    upload = widget._frames["first"].upload
    upload.value = upload_value("notes.txt", b"hello, not a picture", mime="text/plain")
    assert upload.value == ()
    assert widget.value == []
    assert "ValidationError" in widget.errors.message
    assert "first frame" in widget.errors.message


def test_clear_buttons(photo: bytes) -> None:
    widget = ImageInput()
    widget._frames["first"].upload.value = upload_value("cat.png", photo)
    widget._frames["first"].clear.click()
    assert widget.value == []
    assert bytes(widget._frames["first"].thumb.value) == b""


def test_set_frame_from_python(tmp_path: Any, photo: bytes) -> None:
    path = tmp_path / "dog.png"
    path.write_bytes(photo)
    widget = ImageInput(frames=1, first=str(path))
    assert widget.sources == [str(path)]  # as given, so copied code finds the file
    assert widget.frames == 1
    with pytest.raises(ValidationError, match="frame"):
        widget.set_frame("last", str(path))


def test_dom_hooks_are_present() -> None:
    widget = ImageInput()
    classes = {
        c
        for frame in widget._frames.values()
        for w in (frame.upload, frame.url, frame.thumb, frame.clear)
        for c in w._dom_classes
    }
    for name in ("first", "last"):
        for kind in ("upload", "url", "thumb", "clear"):
            assert f"hfw-{kind}-{name}" in classes
    assert "hfw-image-input" in widget._dom_classes
    assert "hfw-error" in widget.errors._dom_classes


def test_repr_is_stable(photo: bytes) -> None:
    widget = ImageInput()
    assert repr(widget) == "ImageInput(frames=2)"
    widget._frames["first"].upload.value = upload_value("cat.png", photo)
    assert repr(widget) == "ImageInput(frames=2, first='cat.png')"


def test_an_upload_is_loaded_exactly_once(monkeypatch: pytest.MonkeyPatch, photo: bytes) -> None:
    from hfwidgets.widgets import _image_input

    calls: list[int] = []
    real = _image_input.load_image

    def counting(source: Any, **kwargs: Any) -> Any:
        calls.append(len(bytes(source)))
        return real(source, **kwargs)

    monkeypatch.setattr(_image_input, "load_image", counting)
    widget = ImageInput()
    widget._frames["first"].upload.value = upload_value("cat.png", photo)
    assert calls == [len(photo)]
    assert widget.value[0].encoded == photo
