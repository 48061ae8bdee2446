"""Image inputs: validation, sizing for the video, EXIF, alpha, digests, and probing URLs over real HTTP."""

from __future__ import annotations

import base64
import hashlib
import io
import socket
import struct
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import numpy.typing as npt
import pytest
from PIL import ExifTags, Image, ImageOps

import hfwidgets
from hfwidgets import ValidationError
from hfwidgets._errors import ImageSizeUnknown
from hfwidgets._images import (
    MAX_IMAGE_SIDE,
    THUMBNAIL_SIDE,
    ImageSource,
    LoadedImage,
    PreparedImage,
    load_image,
    prepare_image,
    url_image_size,
)

from .local_server import LocalServer, answer, stall

PORTRAIT_916 = (736, 1312)
ORIENTATION_TAG = 0x0112
RED, BLUE, WHITE = (220, 20, 20), (20, 20, 220), (255, 255, 255)


# --------------------------------------------------------------------------- image makers


def textured(width: int, height: int, seed: int = 1) -> Image.Image:
    """Smooth colour fields plus noise: compresses like a photo, not like a flat fill."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 255, (8, 8, 3), dtype=np.uint8)
    base = np.asarray(Image.fromarray(coarse).resize((width, height), Image.Resampling.BICUBIC), np.int16)
    noisy = base + rng.integers(-12, 13, (height, width, 3))
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def encoded(image: Image.Image, fmt: str = "JPEG", **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def halves(width: int, height: int, left: tuple[int, int, int], right: tuple[int, int, int]) -> Image.Image:
    image = Image.new("RGB", (width, height), right)
    image.paste(left, (0, 0, width // 2, height))
    return image


def decode_value(prepared: PreparedImage) -> Image.Image:
    """What the service would see: the data: URL decoded by Pillow."""
    prefix = "data:image/jpeg;base64,"
    assert prepared.value.startswith(prefix)
    image = Image.open(io.BytesIO(base64.b64decode(prepared.value[len(prefix) :])))
    image.load()
    return image


def png_header_claiming(width: int, height: int) -> bytes:
    """A PNG signature and IHDR announcing `width`x`height`; enough for Pillow to read the size."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)

    def chunk(kind: bytes, payload: bytes) -> bytes:
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"") + chunk(b"IEND", b"")


def mean_colour(image: Image.Image, box: tuple[int, int, int, int]) -> npt.NDArray[np.float64]:
    pixels = np.asarray(image.convert("RGB").crop(box), np.float64).reshape(-1, 3)
    return np.asarray(pixels.mean(axis=0), np.float64)


# --------------------------------------------------------------------------- validation


@pytest.fixture(scope="module")
def jpeg_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1200x1600 photo-like JPEG, made once for the module (tests only read it)."""
    path = tmp_path_factory.mktemp("images") / "photo.jpg"
    path.write_bytes(encoded(textured(1200, 1600), quality=90))
    return path


def _invalid_cases(tmp_path: Path) -> list[tuple[str, Any, str, str]]:
    """(case, value, a phrase of `allowed`, a phrase of the message) for every refusal."""
    return [
        ("unsupported type", 42, "PIL.Image.Image", "got a int"),
        ("list", ["a.jpg"], "numpy array", "got a list"),
        ("empty string", "   ", "http(s) URL", "empty"),
        ("missing file", str(tmp_path / "nope.jpg"), "existing image file", "no file or directory"),
        ("missing Path", tmp_path / "nope.png", "existing image file", "no file or directory"),
        ("directory", str(tmp_path), "existing image file", "is a directory"),
        ("other scheme", "ftp://example.com/a.jpg", "http:// or https://", "unsupported URL scheme 'ftp:'"),
        ("URL without host", "https:///a.jpg", "well-formed http(s) URL", "image="),
        ("empty bytes", b"", "encoded image data", "it is empty"),
        (
            "undecodable bytes",
            b"certainly not an image" * 10,
            "Pillow can decode",
            "not a recognisable image",
        ),
        ("text data URL", "data:text/plain;base64,aGVsbG8=", "data:image/", "'text/plain'"),
        ("data URL not base64", "data:image/png,rawpixels", "data:image/", "not marked ;base64"),
        ("data URL bad base64", "data:image/png;base64,@@@@", "data:image/", "not valid base64"),
        ("data URL no comma", "data:image/png;base64", "data:image/", "no ','"),
        ("data URL too large", "data:image/png;base64," + "A" * 140_000_000, "at most 100.0 MB", "larger"),
        (
            "data URL of garbage",
            "data:image/png;base64," + base64.b64encode(b"xyz" * 9).decode(),
            "Pillow",
            "image",
        ),
        ("array 2 channels", np.zeros((32, 32, 2), np.uint8), "HxWx3", "(32, 32, 2)"),
        ("array 4-D", np.zeros((2, 32, 32, 3), np.uint8), "HxWx4", "(2, 32, 32, 3)"),
        ("array empty", np.zeros((0, 32, 3), np.uint8), "HxW", "empty"),
        ("array int64", np.zeros((32, 32, 3), np.int64), "uint8", "int64"),
        ("array float above 1", np.full((32, 32, 3), 2.0), "float (0..1)", "0..1"),
        ("array float NaN", np.full((32, 32), np.nan), "float (0..1)", "NaN"),
        ("tiny picture", Image.new("RGB", (8, 8)), "between 16 and", "8x8"),
        ("absurdly wide", Image.new("L", (MAX_IMAGE_SIDE + 1, 20)), "megapixels", f"{MAX_IMAGE_SIDE + 1}x20"),
        ("absurd encoded size", png_header_claiming(40_000, 40_000), "megapixels", "far larger"),
        ("absurd file side", png_header_claiming(25_000, 100), "megapixels", "25000x100"),
        ("NUL in a path", "a\x00.jpg", "image file", "NUL byte"),
        ("NUL in a Path", Path("dir") / "b\x00.png", "image file", "NUL byte"),
        ("NUL after a scheme", "file:///tmp/c\x00.jpg", "image file", "NUL byte"),
    ]


def test_every_refusal_names_the_field_and_what_is_allowed(tmp_path: Path) -> None:
    for case, value, allowed_phrase, message_phrase in _invalid_cases(tmp_path):
        with pytest.raises(ValidationError) as caught:
            load_image(value)
        error = caught.value
        assert error.field == "image", case
        assert allowed_phrase in error.allowed, (case, error.allowed)
        assert message_phrase in str(error), (case, str(error))
        assert str(error).startswith("image="), case
        assert len(str(error)) < 400, case  # huge inputs are clipped, never copied into the message


def test_a_path_with_a_nul_byte_is_a_validation_error_from_run_too() -> None:
    nowhere = hfwidgets.Client("hk-unused", "http://127.0.0.1:9", journal=False)  # nothing is sent
    with pytest.raises(ValidationError) as caught:
        hfwidgets.run("a\x00.jpg", "Face Punch", client=nowhere, progress=False)
    assert caught.value.field == "image" and "NUL" in str(caught.value)


def test_the_field_name_given_is_the_one_reported() -> None:
    with pytest.raises(ValidationError) as caught:
        load_image(b"", field="image[1]")
    assert caught.value.field == "image[1]"
    assert str(caught.value).startswith("image[1]=")


def test_unsupported_type_lists_every_accepted_kind() -> None:
    with pytest.raises(ValidationError) as caught:
        load_image(3.5)  # type: ignore[arg-type]
    for kind in ("http(s) URL", "data:image/", "file path", "bytes", "PIL.Image.Image", "numpy array"):
        assert kind in caught.value.allowed


def test_a_truncated_jpeg_is_refused_when_decoded(jpeg_file: Path) -> None:
    data = jpeg_file.read_bytes()
    loaded = load_image(data[: len(data) // 3], field="image[0]")  # the header is intact
    with pytest.raises(ValidationError) as caught:
        prepare_image(loaded, PORTRAIT_916)
    assert caught.value.field == "image[0]"
    assert "decodable" in caught.value.allowed


@pytest.mark.parametrize("target", [(0, 100), (100,), (100.0, 50.0), "736x1312", (True, 5)])
def test_prepare_refuses_a_malformed_target(jpeg_file: Path, target: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        prepare_image(load_image(jpeg_file), target)
    assert caught.value.field == "target"


# --------------------------------------------------------------------------- sizing and round trips


SOURCES: dict[str, Callable[[Path], Any]] = {
    "str path": lambda path: str(path),
    "Path": lambda path: path,
    "bytes": lambda path: path.read_bytes(),
    "bytearray": lambda path: bytearray(path.read_bytes()),
    "data URL": lambda path: "data:image/jpeg;base64," + base64.b64encode(path.read_bytes()).decode(),
    "data URL wrapped": lambda path: (
        "data:image/jpeg;base64," + base64.encodebytes(path.read_bytes()).decode()
    ),
    "PIL": lambda path: Image.open(path),
    "array uint8": lambda path: np.asarray(Image.open(path).convert("RGB")),
    "array float": lambda path: np.asarray(Image.open(path).convert("RGB"), np.float32) / 255.0,
    "array gray": lambda path: np.asarray(Image.open(path).convert("L")),
    "array RGBA": lambda path: np.asarray(Image.open(path).convert("RGBA")),
}


@pytest.mark.parametrize("kind", list(SOURCES))
def test_each_source_becomes_a_jpeg_data_url_that_just_covers_the_video(jpeg_file: Path, kind: str) -> None:
    loaded = load_image(SOURCES[kind](jpeg_file))
    assert loaded.size == (1200, 1600)
    assert loaded.url is None
    prepared = prepare_image(loaded, PORTRAIT_916)
    # 1200x1600 scaled by max(736/1200, 1312/1600) = 0.82 -> 984x1312: covers 736x1312, no larger.
    assert prepared.size == (984, 1312)
    sent = decode_value(prepared)
    assert sent.format == "JPEG" and sent.mode == "RGB"
    assert sent.size == (984, 1312)
    assert prepared.wire_bytes == len(prepared.value)
    assert prepared.digest == loaded.digest
    # Same picture, only smaller: compare with Pillow's own resize of the original.
    reference = Image.open(jpeg_file).convert("RGB").resize(sent.size, Image.Resampling.LANCZOS)
    difference = np.abs(np.asarray(sent, np.int16) - np.asarray(reference.convert(sent.mode), np.int16))
    tolerance = 12 if kind != "array gray" else 60  # gray loses the colour on purpose
    assert difference.mean() < tolerance, kind


def test_a_large_jpeg_is_decoded_at_reduced_scale_and_keeps_its_content(tmp_path: Path) -> None:
    original = textured(2400, 1800, seed=3)
    loaded = load_image(encoded(original, quality=92))
    prepared = prepare_image(loaded, (320, 240))  # allows libjpeg's 1/4 scale (600x450) before the resize
    sent = decode_value(prepared)
    assert sent.size == (320, 240)
    reference = original.resize((320, 240), Image.Resampling.LANCZOS)
    assert np.abs(np.asarray(sent, np.int16) - np.asarray(reference, np.int16)).mean() < 6


def test_the_payload_is_far_smaller_than_the_file(tmp_path: Path) -> None:
    photo = encoded(textured(2000, 2600, seed=5), quality=95)
    prepared = prepare_image(load_image(photo), PORTRAIT_916)
    assert prepared.size == (1009, 1312)
    assert prepared.wire_bytes < len(base64.b64encode(photo)) / 3


def test_small_images_are_never_upscaled() -> None:
    prepared = prepare_image(load_image(textured(200, 100)), PORTRAIT_916)
    assert prepared.size == (200, 100)
    assert decode_value(prepared).size == (200, 100)


def test_the_exact_target_size_is_kept() -> None:
    prepared = prepare_image(load_image(textured(736, 1312)), PORTRAIT_916)
    assert prepared.size == PORTRAIT_916


def test_exif_orientation_is_applied_for_size_and_pixels(tmp_path: Path) -> None:
    # Stored landscape, red on the left; orientation 6 displays it turned 90° clockwise,
    # so the viewer sees a portrait picture with red on top.
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = 6
    data = encoded(halves(1600, 1200, RED, BLUE), quality=95, exif=exif)
    path = tmp_path / "phone.jpg"
    path.write_bytes(data)
    for source in (data, path, Image.open(path)):
        loaded = load_image(source)
        assert loaded.size == (1200, 1600)
        sent = decode_value(prepare_image(loaded, (300, 400)))
        assert sent.size == (300, 400)
        top, bottom = mean_colour(sent, (0, 0, 300, 180)), mean_colour(sent, (0, 220, 300, 400))
        assert np.abs(top - RED).max() < 25, top
        assert np.abs(bottom - BLUE).max() < 25, bottom
        # and it agrees with Pillow's own reading of the tag
        expected = ImageOps.exif_transpose(Image.open(path)).resize((300, 400))
        assert np.abs(np.asarray(sent, np.int16) - np.asarray(expected, np.int16)).mean() < 8


def test_the_callers_pillow_image_is_left_alone(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = 8
    path = tmp_path / "rotated.jpg"
    path.write_bytes(encoded(halves(400, 300, RED, BLUE), exif=exif))
    image = Image.open(path)
    prepare_image(load_image(image), (150, 200))
    assert image.size == (400, 300)
    assert image.getexif().get(ORIENTATION_TAG) == 8


def test_alpha_is_flattened_on_white() -> None:
    rgba = np.zeros((200, 200, 4), np.uint8)
    rgba[:, 100:] = (*BLUE, 255)  # right half opaque blue, left half fully transparent black
    gray_blue = Image.new("RGB", (1, 1), BLUE).convert("L").getpixel((0, 0))
    sources: list[tuple[ImageSource, tuple[Any, ...]]] = [
        (rgba, BLUE),
        (encoded(Image.fromarray(rgba), "PNG"), BLUE),
        (Image.fromarray(rgba).convert("LA"), (gray_blue,) * 3),
    ]
    for source, opaque in sources:
        sent = decode_value(prepare_image(load_image(source), (100, 100)))
        assert sent.mode == "RGB" and sent.size == (100, 100)
        assert np.abs(mean_colour(sent, (0, 0, 40, 100)) - WHITE).max() < 6
        assert np.abs(mean_colour(sent, (60, 0, 100, 100)) - opaque).max() < 12


def test_palette_transparency_is_flattened_too() -> None:
    palette = Image.new("P", (64, 64), 0)
    palette.putpalette([0, 0, 0, *BLUE] + [0] * 762)
    palette.paste(1, (32, 0, 64, 64))
    sent = decode_value(prepare_image(load_image(encoded(palette, "PNG", transparency=0)), (64, 64)))
    assert np.abs(mean_colour(sent, (0, 0, 24, 64)) - WHITE).max() < 6
    assert np.abs(mean_colour(sent, (40, 0, 64, 64)) - BLUE).max() < 12


def test_photo_metadata_is_not_sent() -> None:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] = "N"  # where a phone puts its position
    loaded = load_image(encoded(textured(400, 300), exif=exif))
    sent = decode_value(prepare_image(loaded, (200, 150)))
    assert "exif" not in sent.info
    assert len(sent.getexif()) == 0


def test_thumbnail_is_a_small_jpeg_of_the_same_picture() -> None:
    prepared = prepare_image(load_image(halves(1200, 1600, RED, BLUE)), PORTRAIT_916)
    assert prepared.thumbnail is not None
    thumb = Image.open(io.BytesIO(prepared.thumbnail))
    assert thumb.format == "JPEG"
    assert max(thumb.size) == THUMBNAIL_SIDE and thumb.size == (120, 160)
    assert np.abs(mean_colour(thumb, (0, 0, 50, 160)) - RED).max() < 25
    assert len(prepared.thumbnail) < 16 * 1024  # the journal refuses bigger ones


# --------------------------------------------------------------------------- URLs and digests


@pytest.mark.parametrize(
    "url",
    [
        "https://media.example.com/asset/cat.jpg?sig=a%2Fb&x=1",
        "http://127.0.0.1:9/p.png",
        "HTTPS://EXAMPLE.COM/a.webp",
    ],
)
def test_urls_pass_through_untouched(url: str) -> None:
    loaded = load_image(url)
    assert loaded.url == url and loaded.is_url
    assert loaded.size is None
    assert loaded.digest == hashlib.sha256(url.encode()).hexdigest()
    prepared = prepare_image(loaded, PORTRAIT_916)
    assert prepared.value == url
    assert prepared.thumbnail is None and prepared.size is None
    assert prepared.wire_bytes == len(url)


def test_digest_is_the_sha256_of_the_bytes_whatever_the_wrapping(jpeg_file: Path) -> None:
    data = jpeg_file.read_bytes()
    expected = hashlib.sha256(data).hexdigest()
    data_url = "data:image/jpeg;base64," + base64.b64encode(data).decode()
    digests = {load_image(source).digest for source in (jpeg_file, str(jpeg_file), data, data_url)}
    assert digests == {expected}


def test_digest_is_stable_for_pixels_and_changes_with_them() -> None:
    pixels = np.asarray(textured(64, 48))
    first, again = load_image(pixels), load_image(pixels.copy())
    assert first.digest == again.digest
    assert load_image(Image.fromarray(pixels)).digest == first.digest  # same mode, size and pixels
    changed = pixels.copy()
    changed[0, 0, 0] ^= 1
    assert load_image(changed).digest != first.digest


def test_reprs_are_short_and_carry_no_payload(jpeg_file: Path) -> None:
    loaded = load_image(jpeg_file)
    prepared = prepare_image(loaded, PORTRAIT_916)
    for text in (repr(loaded), repr(prepared), repr(load_image("https://example.com/a.jpg"))):
        assert len(text) < 160, text
        assert "base64" not in text and " at 0x" not in text, text
    assert repr(loaded).startswith("LoadedImage(file, 'photo.jpg', 1200x1600, JPEG,")
    assert repr(prepared).startswith("PreparedImage(jpeg 984x1312, ")
    assert isinstance(loaded, LoadedImage)


# --------------------------------------------------------------------------- probing URLs over HTTP


class ImageServer(LocalServer):
    """An image host: serves byte strings. A path registered as "stalled" sends its first bytes,
    then holds the connection open without finishing, as a slow CDN would."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[str, bytes]] = {}
        self.stalled: dict[str, bytes] = {}
        super().__init__()

    def respond(self, handler: BaseHTTPRequestHandler, path: str) -> None:
        if path in self.stalled:
            stall(self, handler, "image/jpeg", self.stalled[path], len(self.stalled[path]) * 10)
        elif path in self.files:
            content_type, body = self.files[path]
            answer(handler, 200, {"Content-Type": content_type}, body)  # the prober may hang up early
        else:
            super().respond(handler, path)


@pytest.fixture
def image_server() -> Iterator[ImageServer]:
    server = ImageServer()
    yield server
    server.close()


async def test_probe_reads_the_size_of_each_format(image_server: ImageServer) -> None:
    picture = textured(640, 360)
    image_server.files["/a.jpg"] = ("image/jpeg", encoded(picture))
    image_server.files["/a.png"] = ("image/png", encoded(picture, "PNG"))
    image_server.files["/a.webp"] = ("image/webp", encoded(picture, "WEBP"))
    async with httpx.AsyncClient() as http:
        for name in ("a.jpg", "a.png", "a.webp"):
            assert await url_image_size(f"{image_server.base_url}/{name}", http) == (640, 360), name


async def test_probe_reports_the_displayed_size_of_a_rotated_photo(image_server: ImageServer) -> None:
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = 6
    image_server.files["/phone.jpg"] = ("image/jpeg", encoded(textured(400, 300), exif=exif))
    async with httpx.AsyncClient() as http:
        assert await url_image_size(f"{image_server.base_url}/phone.jpg", http) == (300, 400)


async def test_probe_never_sends_the_clients_authorization(image_server: ImageServer) -> None:
    image_server.files["/a.jpg"] = ("image/jpeg", encoded(textured(100, 80)))
    async with httpx.AsyncClient(headers={"Authorization": "Bearer hk-secret-key"}) as http:
        assert await url_image_size(f"{image_server.base_url}/a.jpg", http) == (100, 80)
    async with httpx.AsyncClient(auth=("user", "password")) as http:
        assert await url_image_size(f"{image_server.base_url}/a.jpg", http) == (100, 80)
    assert len(image_server.requests) == 2
    assert all("authorization" not in headers for _, headers in image_server.requests)


async def test_probe_stops_once_the_header_is_read(image_server: ImageServer) -> None:
    # The server sends the first 32 KB of a large JPEG and never the rest: only a
    # prober that stops early gets an answer (a full read would end in a timeout -> None).
    data = encoded(textured(3000, 2000), quality=95)
    image_server.stalled["/big.jpg"] = data[: 32 * 1024]
    async with httpx.AsyncClient() as http:
        assert await url_image_size(f"{image_server.base_url}/big.jpg", http) == (3000, 2000)


async def test_probe_says_why_the_size_could_not_be_read(image_server: ImageServer) -> None:
    image_server.files["/page.html"] = ("text/html", b"<html>" + b"x" * 400_000 + b"</html>")
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{probe.getsockname()[1]}/a.jpg"
    reasons = {
        refused: "it could not be reached (ConnectError)",
        f"{image_server.base_url}/missing.jpg": "it answered HTTP 404",
        f"{image_server.base_url}/page.html": "it did not answer with an image (text/html",
        "http://[::1": "it is not a valid URL",
    }
    async with httpx.AsyncClient() as http:
        for url, reason in reasons.items():
            with pytest.raises(ImageSizeUnknown) as caught:
                await url_image_size(url, http)
            assert caught.value.reason.startswith(reason), caught.value.reason
            assert str(caught.value).endswith("; pass width= and height=")
            assert reason in str(caught.value) and caught.value.field == "width"


async def test_probe_reads_the_emulators_sample_pictures(emulator: Any) -> None:
    from hfwidgets.emulator import SAMPLE_NAMES

    assert SAMPLE_NAMES
    async with httpx.AsyncClient() as http:
        for name in SAMPLE_NAMES:
            url = f"{emulator.base_url}/samples/{name}.jpg"
            whole = (await http.get(url)).content
            assert await url_image_size(url, http) == Image.open(io.BytesIO(whole)).size, name
