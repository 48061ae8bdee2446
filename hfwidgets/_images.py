"""Any image input -> what goes in a request's `image` list.

`load_image` accepts a URL, a `data:` URL, a file path, encoded bytes, a Pillow
image or a numpy array, and refuses anything else with a `ValidationError`
before a request is built. `prepare_image` turns a local image into a compact
JPEG `data:` URL just large enough to cover the video size, plus a small
thumbnail for the journal and the widgets. http(s) URLs go through untouched:
the service fetches them itself.

Local images are re-encoded on purpose: the payload shrinks from megabytes to a
few hundred kilobytes, and the photo's metadata (EXIF, GPS position) is not
sent to the service.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import io
import math
import os
import re
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeAlias, TypeGuard

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from ._errors import APIError, ImageSizeUnknown, ValidationError
from ._extras import available
from ._fetch import fetch_async

if TYPE_CHECKING:
    import httpx
    import numpy.typing as npt

__all__ = [
    "ImageSource",
    "LoadedImage",
    "PreparedImage",
    "load_image",
    "prepare_image",
    "upscale_note",
    "url_image_size",
]

ImageSource: TypeAlias = "str | bytes | os.PathLike[str] | Image.Image | npt.NDArray[Any] | LoadedImage"
"""What `image=` accepts: an http(s) URL, a `data:image/...;base64,` URL or a file path (as str),
encoded image bytes, a path object, a Pillow image, an HxW / HxWx3 / HxWx4 array, or an image
already checked by `load_image` (used as is, so widgets convert an upload only once)."""

ACCEPTED: Final = (
    "an http(s) URL, a data:image/...;base64, URL, a file path (str or pathlib.Path), "
    "encoded image bytes, a PIL.Image.Image, or a numpy array (HxW, HxWx3 or HxWx4)"
)
MIN_IMAGE_SIDE: Final = 16
"""Smaller than this on either side is no picture to animate."""
MAX_IMAGE_SIDE: Final = 20_000
MAX_PIXELS: Final = 80_000_000
"""Below Pillow's decompression-bomb threshold (about 89 MP), above any phone camera in common use."""
MAX_FILE_BYTES: Final = 100 * 1024 * 1024
JPEG_QUALITY: Final = 85
THUMBNAIL_SIDE: Final = 160
THUMBNAIL_QUALITY: Final = 80
PROBE_LIMIT_BYTES: Final = 256 * 1024
PROBE_TIMEOUT_S: Final = 5.0
PROBE_DEADLINE_S: Final = 10.0
"""Overall limit of a size probe: a host trickling bytes (1 byte/s) must not hold up generate()."""

_DATA_URL = re.compile(r"^data:(?P<mime>[^;,]*)(?P<params>(?:;[^;,]*)*),(?P<payload>.*)$", re.DOTALL)
# A URL scheme: two characters at least, so a Windows drive ("C:\\...") stays a path.
_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]+):")
# EXIF orientations 5..8 swap width and height.
_SWAPPING_ORIENTATIONS: Final = frozenset({5, 6, 7, 8})


# --------------------------------------------------------------------------- loaded images


@dataclass(frozen=True, repr=False)
class LoadedImage:
    """An image input checked and identified, not yet sized for a video.

    `url` is set for an http(s) URL (passed to the service as is), `size` is the
    pixel size as displayed (EXIF orientation applied; None for a URL), `digest`
    the sha256 of the source bytes (or of the URL), `kind` where it came from:
    "url", "data-url", "file", "bytes", "pil" or "array".
    """

    kind: str
    digest: str
    url: str | None = None
    size: tuple[int, int] | None = None
    format: str | None = None
    """The encoded format Pillow recognised (JPEG, PNG, WEBP, ...); None for URLs and in-memory images."""
    name: str | None = None
    """The file name, for a file input."""
    source_bytes: int | None = None
    """Size of the encoded input, when there is one."""
    field: str = "image"
    """The request field the image was given as, used in error messages."""
    encoded: bytes | None = dataclasses.field(default=None, compare=False)
    """The encoded input (file, bytes or data: URL), kept undecoded until `prepare_image`."""
    pixels: Image.Image | None = dataclasses.field(default=None, compare=False)
    """The in-memory picture (a Pillow image as given, or one made from an array)."""

    @property
    def is_url(self) -> bool:
        """True for an http(s) URL that goes to the service untouched."""
        return self.url is not None

    def __repr__(self) -> str:
        if self.url is not None:
            return f"LoadedImage(url={_clip(self.url)!r}, digest={self.digest[:12]!r})"
        parts = [self.kind]
        if self.name:
            parts.append(repr(self.name))
        if self.size:
            parts.append(f"{self.size[0]}x{self.size[1]}")
        if self.format:
            parts.append(self.format)
        if self.source_bytes is not None:
            parts.append(_human_bytes(self.source_bytes))
        return f"LoadedImage({', '.join(parts)}, digest={self.digest[:12]!r})"


def load_image(source: ImageSource, *, field: str = "image", name: str | None = None) -> LoadedImage:
    """Check an image input and identify it; raises `ValidationError` naming `field` when unusable.

    `name`: the file name of encoded bytes (an uploaded file), shown in errors instead of
    the bytes. http(s) URLs are returned untouched (not fetched). Encoded inputs are parsed
    only as far as their header here; the pixels are decoded once, by
    `prepare_image`, at the reduced scale the video needs.
    """
    if isinstance(source, LoadedImage):
        return source if source.field == field else dataclasses.replace(source, field=field)
    if isinstance(source, Image.Image):
        return _load_pil(source, field)
    if _is_ndarray(source):
        return _load_array(source, field)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _load_encoded(bytes(source), field, kind="bytes", shown=name or _brief(source), name=name)
    if isinstance(source, str):
        text = source.strip()
        if not text:
            raise ValidationError(field, source, ACCEPTED, hint="the string is empty")
        if text[:5].lower() == "data:":
            return _load_data_url(text, field, shown=_brief(text))
        scheme = _SCHEME.match(text)
        if scheme and scheme["scheme"].lower() in ("http", "https"):
            return _load_url(text, field)
        # "javascript:", "ftp://", "file://"... (a NUL byte cannot be in a path: _load_path says so)
        if scheme and "\x00" not in text and not Path(text).expanduser().exists():
            raise ValidationError(
                field,
                _brief(text),
                "an http:// or https:// URL, a data:image/... URL or a file path",
                hint=f"unsupported URL scheme {scheme['scheme'].lower() + ':'!r}",
            )
        return _load_path(Path(text).expanduser(), field, shown=source)
    if isinstance(source, os.PathLike):
        return _load_path(Path(os.fspath(source)).expanduser(), field, shown=source)
    raise ValidationError(field, source, ACCEPTED, hint=f"got a {type(source).__name__}")


def _load_url(url: str, field: str) -> LoadedImage:
    import httpx

    try:
        host = httpx.URL(url).host
    except (httpx.InvalidURL, ValueError) as exc:
        raise ValidationError(field, url, "a well-formed http(s) URL", hint=str(exc)) from None
    if not host:
        raise ValidationError(field, url, "a well-formed http(s) URL", hint="the URL has no host")
    return LoadedImage(kind="url", digest=_sha256(url.encode()), url=url, field=field)


def _load_data_url(text: str, field: str, *, shown: object) -> LoadedImage:
    allowed = "a data:image/<type>;base64,<payload> URL"
    match = _DATA_URL.match(text)
    if match is None:
        raise ValidationError(field, shown, allowed, hint="there is no ',' before the payload")
    mime = match["mime"].strip().lower()
    if not mime.startswith("image/"):
        raise ValidationError(field, shown, allowed, hint=f"its media type is {mime or 'missing'!r}")
    if "base64" not in [p.strip().lower() for p in match["params"].split(";")]:
        raise ValidationError(field, shown, allowed, hint="the payload is not marked ;base64")
    if len(match["payload"]) // 4 * 3 > MAX_FILE_BYTES:  # refuse before decoding a huge string
        raise ValidationError(
            field,
            shown,
            f"at most {_human_bytes(MAX_FILE_BYTES)} of image data",
            hint="the payload is larger",
        )
    payload = re.sub(r"\s+", "", match["payload"])  # base64 wrapped over lines is still base64
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(field, shown, allowed, hint="the payload is not valid base64") from None
    return _load_encoded(data, field, kind="data-url", shown=shown)


def _load_path(path: Path, field: str, *, shown: object) -> LoadedImage:
    allowed = "a path to an existing image file"
    if "\x00" in str(path):  # the OS would refuse it with a bare ValueError
        raise ValidationError(field, shown, allowed, hint="the path contains a NUL byte (\\x00)")
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ValidationError(field, shown, allowed, hint=f"no file or directory at {str(path)!r}") from None
    except OSError as exc:
        raise ValidationError(field, shown, allowed, hint=f"cannot read it: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        raise ValidationError(
            field, shown, allowed, hint=f"{str(path)!r} is {_file_kind(mode)}, not a regular file"
        )
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ValidationError(
            field,
            shown,
            f"an image file of at most {_human_bytes(MAX_FILE_BYTES)}",
            hint=f"this one is {_human_bytes(size)}",
        )
    try:
        with path.open("rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)  # a file growing while read stays bounded too
    except OSError as exc:
        raise ValidationError(field, shown, allowed, hint=f"cannot read it: {exc.strerror or exc}") from None
    return _load_encoded(data, field, kind="file", shown=shown, name=path.name)


def _file_kind(mode: int) -> str:
    """What a non-regular file is, for an error message."""
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((name for test, name in kinds if test(mode)), "a special file")


def _load_encoded(
    data: bytes, field: str, *, kind: str, shown: object, name: str | None = None
) -> LoadedImage:
    if not data:
        raise ValidationError(field, shown, "encoded image data (JPEG, PNG, WebP, ...)", hint="it is empty")
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError(
            field,
            shown,
            f"at most {_human_bytes(MAX_FILE_BYTES)} of image data",
            hint=f"got {_human_bytes(len(data))}",
        )
    image = _open_encoded(data, field, shown)
    return LoadedImage(
        kind=kind,
        digest=_sha256(data),
        size=_check_size(_displayed_size(image), field, shown),
        format=image.format,
        name=name,
        source_bytes=len(data),
        field=field,
        encoded=data,
    )


# ISO-BMFF brands of HEIF files (HEIC photos of phones among them).
_HEIF_BRANDS: Final = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"})


def _is_heif(data: bytes) -> bool:
    return data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS


def _heif_readable(field: str, shown: object) -> None:
    """Teach Pillow HEIF (pillow-heif, the `heic` extra); a clear refusal without it."""
    if not available("heic"):
        raise ValidationError(
            field,
            shown,
            "a HEIC photo with pillow-heif installed, or a JPEG/PNG",
            hint="this is a HEIC photo: pip install 'hfwidgets[heic]', or export it as JPEG",
        )
    import pillow_heif  # type: ignore[import-not-found,unused-ignore]  # optional

    pillow_heif.register_heif_opener()  # idempotent


def _open_encoded(data: bytes, field: str, shown: object) -> Image.Image:
    """Parse the header only (Pillow opens lazily); the pixels are decoded later, once."""
    allowed = "image data Pillow can decode (JPEG, PNG, WebP, GIF, BMP, TIFF, HEIC, ...)"
    if _is_heif(data):
        _heif_readable(field, shown)
    try:
        return Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise ValidationError(
            field,
            shown,
            f"an image of at most {MAX_PIXELS // 1_000_000} megapixels",
            hint="this one is far larger",
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(
            field, shown, allowed, hint="these bytes are not a recognisable image"
        ) from None


def _load_pil(image: Image.Image, field: str) -> LoadedImage:
    if image.width <= 0 or image.height <= 0:
        raise ValidationError(
            field, image, "a non-empty image", hint=f"its size is {image.width}x{image.height}"
        )
    size = _check_size(_displayed_size(image), field, image)
    try:
        pixels = image.tobytes()
    except (OSError, ValueError) as exc:
        raise ValidationError(field, image, "an image Pillow can decode", hint=str(exc)) from None
    digest = _sha256(f"{image.mode}:{image.width}x{image.height}:".encode() + pixels)
    return LoadedImage(kind="pil", digest=digest, size=size, field=field, pixels=image)


def _is_ndarray(value: object) -> TypeGuard[npt.NDArray[Any]]:
    """True for a numpy array, without importing numpy (an array exists only once numpy is imported)."""
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(value, numpy.ndarray)


def _load_array(array: npt.NDArray[Any], field: str) -> LoadedImage:
    import numpy as np

    shapes = "an array of shape HxW (gray), HxWx3 (RGB) or HxWx4 (RGBA)"
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ValidationError(field, array, shapes, hint=f"its shape is {array.shape}")
    if array.size == 0:
        raise ValidationError(field, array, shapes, hint=f"it is empty (shape {array.shape})")
    dtypes = "dtype uint8 (0..255) or float (0..1)"
    if array.dtype == np.uint8:
        pixels = array
    elif np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all():
            raise ValidationError(field, array, dtypes, hint="it holds NaN or infinite values")
        low, high = float(array.min()), float(array.max())
        if low < 0.0 or high > 1.0:
            raise ValidationError(
                field,
                array,
                dtypes,
                hint=f"its values span {low:g}..{high:g}; scale floats to 0..1 or use astype(np.uint8)",
            )
        pixels = np.rint(array * 255.0).astype(np.uint8)
    else:
        raise ValidationError(field, array, dtypes, hint=f"its dtype is {array.dtype}")
    height, width = pixels.shape[:2]
    size = _check_size((width, height), field, array)
    mode = "L" if pixels.ndim == 2 else ("RGB" if pixels.shape[2] == 3 else "RGBA")
    contiguous = np.ascontiguousarray(pixels)
    digest = _sha256(f"{mode}:{width}x{height}:".encode() + contiguous.tobytes())
    return LoadedImage(
        kind="array", digest=digest, size=size, field=field, pixels=Image.fromarray(contiguous, mode=mode)
    )


def _check_size(size: tuple[int, int], field: str, shown: object) -> tuple[int, int]:
    width, height = size
    allowed = (
        f"an image between {MIN_IMAGE_SIDE} and {MAX_IMAGE_SIDE} px a side, "
        f"at most {MAX_PIXELS // 1_000_000} megapixels"
    )
    too_small = min(width, height) < MIN_IMAGE_SIDE
    if too_small or max(width, height) > MAX_IMAGE_SIDE or width * height > MAX_PIXELS:
        raise ValidationError(field, shown, allowed, hint=f"this one is {width}x{height}")
    return size


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(ExifTags.Base.Orientation, 1)
    except (OSError, ValueError, SyntaxError):  # broken EXIF must not make a good picture unusable
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _displayed_size(image: Image.Image) -> tuple[int, int]:
    width, height = image.size
    return (height, width) if _orientation(image) in _SWAPPING_ORIENTATIONS else (width, height)


# --------------------------------------------------------------------------- prepared images


@dataclass(frozen=True, repr=False)
class PreparedImage:
    """One entry of a request's `image` list, sized for a video.

    `value` is the URL as given or a JPEG `data:` URL; `size` the pixel size sent
    (None for a URL); `wire_bytes` the length of `value`; `thumbnail` a JPEG of at
    most 160 px a side (None for a URL); `digest` the source's digest.
    """

    value: str
    digest: str
    wire_bytes: int
    size: tuple[int, int] | None = None
    thumbnail: bytes | None = dataclasses.field(default=None, compare=False)

    @property
    def is_url(self) -> bool:
        return not self.value.startswith("data:")

    def __repr__(self) -> str:
        if self.is_url:
            return f"PreparedImage(url={_clip(self.value)!r}, digest={self.digest[:12]!r})"
        size = f"{self.size[0]}x{self.size[1]}" if self.size else "?"
        return (
            f"PreparedImage(jpeg {size}, {_human_bytes(self.wire_bytes)} on the wire, "
            f"digest={self.digest[:12]!r})"
        )


def prepare_image(loaded: LoadedImage, target: tuple[int, int]) -> PreparedImage:
    """Size `loaded` for a video of `target` (width, height) and encode it for the request.

    A URL passes through. A local image is decoded once (JPEGs at a reduced scale
    via `Image.draft` when the target allows), turned upright from its EXIF
    orientation, scaled down to the smallest size that still covers the target
    (never up; filter chosen by `_filter_for`), flattened on white when it has
    transparency, and encoded as JPEG (quality 85, optimized). Metadata is not
    carried over. CPU-bound: call it in a worker thread from async code.
    """
    tw, th = _check_target(target)
    if loaded.url is not None:
        return PreparedImage(value=loaded.url, digest=loaded.digest, wire_bytes=len(loaded.url))
    image = _as_rgb_or_rgba(_decode_upright(loaded, (tw, th)), loaded)
    cover = _cover_size(image.size, (tw, th))
    if cover != image.size:
        image = image.resize(cover, _filter_for(cover[0] / image.width), reducing_gap=3.0)
    image = _flatten_on_white(image)
    jpeg = _encode_jpeg(image, JPEG_QUALITY, optimize=True)
    value = "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")
    thumbnail = image.copy()
    thumbnail.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    return PreparedImage(
        value=value,
        digest=loaded.digest,
        wire_bytes=len(value),
        size=image.size,
        thumbnail=_encode_jpeg(thumbnail, THUMBNAIL_QUALITY, optimize=False),
    )


UPSCALE_WARNING: Final = 4.0
"""A video side more than this many times the image's: the service upscales it, and it looks blurry."""


def upscale_note(size: tuple[int, int], target: tuple[int, int]) -> str | None:
    """What to tell the user when a `size` image will be upscaled a lot for a `target` video (else None)."""
    (width, height), (tw, th) = size, target
    factor = max(tw / width, th / height)
    if factor <= UPSCALE_WARNING:
        return None
    return (
        f"the image is {width}×{height} pixels and the video {tw}×{th}: it is upscaled {factor:.0f}× and "
        f"will look blurry; an image of at least {math.ceil(tw / UPSCALE_WARNING)}×"
        f"{math.ceil(th / UPSCALE_WARNING)} avoids that"
    )


def _filter_for(ratio: float) -> Image.Resampling:
    """The resampling filter for a reduction to `ratio` (output/input width).

    Measured on a 12 MP photo against a LANCZOS resize of the full-resolution
    decode: after a JPEG draft the remaining reduction is mild, and there BILINEAR
    (0.87: 44.3 dB PSNR) and BICUBIC (44.6 dB) match it as well as LANCZOS from
    the draft does (43.8 dB), at half and two thirds of its cost. For stronger
    reductions BICUBIC keeps more detail (0.55: 49.0 dB vs BILINEAR 43.9 dB).
    """
    return Image.Resampling.BILINEAR if ratio >= 0.75 else Image.Resampling.BICUBIC


def _check_target(target: tuple[int, int]) -> tuple[int, int]:
    ok = (
        isinstance(target, tuple)
        and len(target) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in target)
    )
    if not ok:
        raise ValidationError("target", target, "a (width, height) tuple of positive ints")
    return target


def _decode_upright(loaded: LoadedImage, target: tuple[int, int]) -> Image.Image:
    """The pixels, decoded once, upright; the caller's own Pillow image is never modified."""
    if loaded.pixels is not None:
        image = loaded.pixels
        if _orientation(image) != 1:
            image = ImageOps.exif_transpose(image)  # a transposed copy
        return image
    assert loaded.encoded is not None, "a non-URL LoadedImage holds either pixels or encoded bytes"
    image = _open_encoded(loaded.encoded, loaded.field, loaded)
    orientation = _orientation(image)
    cover = _cover_size(_displayed_size(image), target)
    if orientation in _SWAPPING_ORIENTATIONS:
        cover = (cover[1], cover[0])  # draft works in the file's own (unrotated) frame
    # JPEG only: libjpeg decodes straight at 1/2, 1/4 or 1/8 scale, never below `cover`.
    image.draft("RGB" if image.mode == "RGB" else None, cover)
    try:
        image.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(
            loaded.field, loaded, "a complete, decodable image", hint=f"decoding failed: {exc}"
        ) from None
    if orientation != 1:
        ImageOps.exif_transpose(image, in_place=True)
    return image


def _as_rgb_or_rgba(image: Image.Image, loaded: LoadedImage) -> Image.Image:
    if image.mode in _WIDE_GRAY_MODES:
        image = _gray_to_8bit(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    )
    wanted = "RGBA" if has_alpha else "RGB"
    if image.mode == wanted:
        return image
    try:
        return image.convert(wanted)
    except (ValueError, OSError) as exc:  # exotic modes (e.g. 16-bit gray) Pillow cannot map to RGB
        raise ValidationError(
            loaded.field, loaded, "an image in a colour mode Pillow converts to RGB", hint=str(exc)
        ) from None


_WIDE_GRAY_MODES: Final = frozenset({"I", "F", "I;16", "I;16L", "I;16B", "I;16N"})
"""16-bit and 32-bit gray: Pillow's own conversion to 8 bits clips them (nearly white)."""


def _gray_to_8bit(image: Image.Image) -> Image.Image:
    """A 16/32-bit gray image as 8-bit gray with its tones kept.

    Integer images are taken as 16-bit (0..65535: 16-bit PNG and TIFF); floats in
    0..1 or 0..255 as such; anything outside those ranges is stretched over its
    own minimum..maximum.
    """
    if image.mode != "F":
        image = image.convert("I")
    extrema = image.getextrema()  # (low, high) for a one-band image
    low, high = float(extrema[0]), float(extrema[1])  # type: ignore[arg-type]
    if image.mode == "F" and low >= 0.0 and high <= 1.0:
        scale, offset = 255.0, 0.0
    elif image.mode == "F" and low >= 0.0 and high <= 255.0:
        scale, offset = 1.0, 0.0
    elif low >= 0 and high <= 65535:
        scale, offset = 255.0 / 65535.0, 0.0
    else:
        scale = 255.0 / (high - low) if high > low else 0.0
        offset = -low * scale
    return image.point(lambda value: value * scale + offset).convert("L")


def _flatten_on_white(image: Image.Image) -> Image.Image:
    if image.mode != "RGBA":
        return image
    background = Image.new("RGBA", image.size, (255, 255, 255, 255))
    return Image.alpha_composite(background, image).convert("RGB")


def _cover_size(size: tuple[int, int], target: tuple[int, int]) -> tuple[int, int]:
    """The smallest size with the image's aspect ratio that covers `target`; never above `size`."""
    width, height = size
    scale = max(target[0] / width, target[1] / height)
    if scale >= 1.0:
        return size
    # One side lands exactly on the target; rounding must not leave the other below it.
    return (
        min(width, max(target[0], round(width * scale))),
        min(height, max(target[1], round(height * scale))),
    )


def _encode_jpeg(image: Image.Image, quality: int, *, optimize: bool) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, optimize=optimize)
    return buffer.getvalue()


# --------------------------------------------------------------------------- URL probing


async def url_image_size(url: str, http: httpx.AsyncClient) -> tuple[int, int]:
    """The pixel size (as displayed) of the image at `url`; ImageSizeUnknown saying why when it
    cannot be learned (an HTTP error status, no connection, not an image, too slow).

    Reads the image with the one media fetch (`_fetch`: no credentials, even when `http`
    carries some by default; redirects; proxies) on `http`'s connections, and stops as soon
    as Pillow can parse its header, or after 256 KB, or after PROBE_DEADLINE_S seconds in all
    (PROBE_TIMEOUT_S for any one step). The client's `image_size` (used by `generate`, the
    command line and the Studio) calls it.
    """
    head = bytearray()
    found: list[tuple[int, int]] = []

    async def parse(chunk: bytes) -> bool:
        head.extend(chunk)
        size = _size_from_header(bytes(head))
        if size is not None:
            found.append(size)
        return size is not None or len(head) >= PROBE_LIMIT_BYTES

    try:
        fetched = await fetch_async(
            url,
            what="it",
            expected="an image",
            max_bytes=MAX_FILE_BYTES,
            timeout=PROBE_DEADLINE_S,
            wait=PROBE_TIMEOUT_S,
            sink=parse,
            http=http,
        )
    except ValidationError:
        raise ImageSizeUnknown(url, "it is not a valid URL") from None
    except APIError as error:
        raise ImageSizeUnknown(url, error.message) from None
    if found:
        return found[0]
    media = fetched.mime or "no content type"
    raise ImageSizeUnknown(url, f"it did not answer with an image ({media}, {_human_bytes(len(head))})")


def _size_from_header(data: bytes) -> tuple[int, int] | None:
    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    width, height = _displayed_size(image)
    return (width, height) if width > 0 and height > 0 else None


# --------------------------------------------------------------------------- helpers


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _brief(value: str | bytes | bytearray | memoryview) -> object:
    """The value itself when short; else a clipped stand-in, so an error never copies megabytes."""
    if len(value) <= 200:
        return value
    head = value[:60] if isinstance(value, str) else bytes(value[:24])
    return f"<{len(value)} {'characters' if isinstance(value, str) else 'bytes'}: {head!r}...>"


def _clip(text: str, limit: int = 72) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _human_bytes(count: int) -> str:
    if count < 1024:
        return f"{count} B"
    exponent = min(int(math.log(count, 1024)), 3)
    return f"{count / 1024**exponent:.1f} {('B', 'KB', 'MB', 'GB')[exponent]}"
