"""Files as the views send them since uploads go in parts (frames.js `sendImage`): reassembly,
refusals that name the file, parts of a replaced upload dropped, HEIC photos."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from hfwidgets.widgets import ImageInput
from hfwidgets.widgets._assets import UPLOAD_MAX_BYTES, UPLOAD_PART_BYTES, compose_esm, unpack

from .widget_support import from_view, png_bytes


def noise_png(width: int, height: int) -> bytes:
    """A PNG that does not compress: random pixels."""
    import numpy as np

    pixels = np.random.default_rng(7).integers(0, 256, (height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def send_in_parts(
    widget: ImageInput,
    data: bytes,
    *,
    name: str = "photo.png",
    frame: str = "first",
    upload_id: str = "u1",
    original: dict[str, int] | None = None,
    parts: list[int] | None = None,
) -> None:
    """The messages frames.js sends for one file (all parts, or those of `parts`)."""
    count = max(1, -(-len(data) // UPLOAD_PART_BYTES))
    for index in range(count) if parts is None else parts:
        content: dict[str, Any] = {
            "type": "upload_part",
            "frame": frame,
            "id": upload_id,
            "index": index,
            "count": count,
            "total": len(data),
            "name": name,
            "mime": "image/png",
            "original": original,
        }
        from_view(widget, content, [data[index * UPLOAD_PART_BYTES : (index + 1) * UPLOAD_PART_BYTES]])


def test_a_file_of_several_parts_is_put_together_and_loaded() -> None:
    data = noise_png(1400, 1100)  # about 4.6 MB: three parts
    assert len(data) > 2 * UPLOAD_PART_BYTES
    widget = ImageInput()
    send_in_parts(widget, data)
    assert widget.errors.message == ""
    [image] = widget.value
    assert image.size == (1400, 1100)
    assert image.encoded == data
    assert widget.sources == ["photo.png"]


def test_nothing_is_chosen_until_the_last_part_arrives() -> None:
    data = noise_png(1400, 1100)
    widget = ImageInput()
    send_in_parts(widget, data, parts=[0, 1])
    assert widget.value == []
    send_in_parts(widget, data, parts=[2])
    assert len(widget.value) == 1


def test_parts_arriving_in_any_order_are_put_together() -> None:
    """marimo delivers a view's messages concurrently: the parts may come in any order."""
    data = noise_png(1400, 1100)
    widget = ImageInput()
    send_in_parts(widget, data, parts=[2, 0])
    assert widget.value == []
    send_in_parts(widget, data, parts=[1])
    assert widget.errors.message == ""
    assert widget.value[0].encoded == data


def test_a_late_first_part_of_an_older_upload_does_not_replace_a_newer_one() -> None:
    old, new = png_bytes(320, 240), noise_png(1400, 1100)
    widget = ImageInput()
    send_in_parts(widget, new, name="new.png", upload_id="mb2-x", parts=[0])
    send_in_parts(widget, old, name="old.png", upload_id="mb1-y")  # started earlier, arrived later
    send_in_parts(widget, new, name="new.png", upload_id="mb2-x", parts=[1, 2])
    assert widget.sources == ["new.png"]
    assert widget.errors.message == ""


def test_a_newer_upload_replaces_one_still_arriving() -> None:
    old, new = noise_png(1400, 1100), png_bytes(640, 480)
    widget = ImageInput()
    send_in_parts(widget, old, name="old.png", upload_id="a", parts=[0])
    send_in_parts(widget, new, name="new.png", upload_id="b")
    send_in_parts(widget, old, name="old.png", upload_id="a", parts=[1, 2])  # late parts: dropped
    assert widget.sources == ["new.png"]
    assert widget.value[0].size == (640, 480)
    assert widget.errors.message == ""


def test_a_reduced_photo_says_how_large_the_chosen_file_was() -> None:
    widget = ImageInput()
    reduced = png_bytes(512, 384)
    send_in_parts(
        widget, reduced, name="IMG_0001.JPG", original={"width": 8000, "height": 6000, "bytes": 41_000_000}
    )
    first = widget.frames[0]
    assert first["source"] == "IMG_0001.JPG"
    assert first["detail"] == "8000×6000 · 39.1 MB · sent as 512×384"
    assert widget.value[0].size == (512, 384)


def test_an_upload_over_the_limit_is_refused_at_its_first_part_and_keeps_the_frame() -> None:
    widget = ImageInput()
    send_in_parts(widget, png_bytes(), name="cat.png")
    content = {
        "type": "upload_part", "frame": "first", "id": "big", "index": 0, "count": 40,
        "total": UPLOAD_MAX_BYTES + 1, "name": "huge.heic", "original": None,
    }  # fmt: skip
    from_view(widget, content, [b"\0" * 16])
    assert "huge.heic" in widget.errors.message
    assert "at most 50.0 MB" in widget.errors.message
    assert widget.sources == ["cat.png"]


def test_a_file_the_view_could_not_send_is_refused_by_name() -> None:
    widget = ImageInput()
    from_view(widget, {"type": "upload_refused", "frame": "first", "name": "IMG_2.HEIC", "size": 60_000_000})
    assert "ValidationError" in widget.errors.message
    assert "IMG_2.HEIC" in widget.errors.message
    assert "export it as JPEG" in widget.errors.message
    assert widget.value == []


def test_an_upload_that_lost_bytes_is_refused() -> None:
    data = noise_png(1400, 1100)
    widget = ImageInput()
    content = {
        "type": "upload_part", "frame": "first", "id": "x", "index": 0, "count": 1,
        "total": len(data), "name": "cut.png",
    }  # fmt: skip
    from_view(widget, content, [data[:1000]])
    assert "cut.png" in widget.errors.message
    assert "choose it again" in widget.errors.message
    assert widget.value == []


def test_heic_photos_are_read_with_the_heic_extra() -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (30, 160, 90)).save(buffer, "HEIF")
    widget = ImageInput()
    send_in_parts(widget, buffer.getvalue(), name="IMG_3.HEIC")
    assert widget.errors.message == ""
    assert widget.value[0].size == (400, 300)
    assert widget.value[0].format == "HEIF"


def test_heic_without_the_extra_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    from hfwidgets import _images

    monkeypatch.setattr(_images, "available", lambda extra: extra != "heic")
    header = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + b"\0" * 64
    widget = ImageInput()
    send_in_parts(widget, header, name="IMG_4.HEIC")
    assert "hfwidgets[heic]" in widget.errors.message
    assert "export it as JPEG" in widget.errors.message


def test_the_views_know_the_upload_limits() -> None:
    esm = unpack(compose_esm("frames.js", "image_input.js"))
    assert f'"part_bytes": {UPLOAD_PART_BYTES}' in esm
    assert f'"max_bytes": {UPLOAD_MAX_BYTES}' in esm
    assert UPLOAD_PART_BYTES * 4 < 10 * 1024 * 1024  # far under Jupyter's message limit


def test_a_file_that_is_no_picture_is_refused_by_its_name_and_the_frame_is_kept() -> None:
    widget = ImageInput()
    send_in_parts(widget, png_bytes(), name="cat.png", upload_id="a1")
    send_in_parts(widget, b"\0\0\0\x18ftypheic" + b"not a picture" * 40, name="IMG_9.HEIC", upload_id="a2")
    assert "image (first frame)='IMG_9.HEIC'" in widget.errors.message
    assert "not a recognisable image" in widget.errors.message
    assert widget.sources == ["cat.png"]
