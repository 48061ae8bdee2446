"""Clip rendering: the input image animated with an effect that fits the motion, encoded with PyAV.

A motion maps to a *recipe* of camera moves (`hfwidgets._moves`, which the Studio's
sketches read too): (effect, strength) pairs, one effect for a plain motion, its
parts' effects by strength for a mix. Each frame is made in two stages, both cheap
enough for a 5 s 736x1312 clip to render in a few seconds whatever the effect:

1. camera: zoom, pan and a horizontal squash, done as a crop of the source that
   libswscale scales to the output while converting it to yuv420p;
2. pixels: effects that change the image itself (fire, melt, glitch, dissolve,
   flash), done in place with numpy on the yuv420p planes the encoder receives.

The half-size `_min` clip is the finished picture scaled down, so the effects
run once per frame. With two images the clip crossfades from the first to the
last across its length.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import av
import numpy as np
from PIL import Image, ImageOps

from .._moves import MOVES, Camera, Recipe, camera_at, ease, impact, recipe_for

__all__ = [
    "CLIP_FPS",
    "CLIP_FRAMES",
    "EFFECTS",
    "Recipe",
    "min_size",
    "recipe_for",
    "render_clip",
    "render_frames",
]

CLIP_FRAMES = 81
CLIP_FPS = 16  # 81 frames at 16 fps is 5.06 s, the provider's "duration": 5
BACKGROUND = (18, 18, 22)

# --------------------------------------------------------------------------- camera stage
#
# Which move a motion makes and the camera's path during it are the core's (`_moves`): the
# Studio sketches the same moves on the user's image.


def _crop_box(camera: Camera, width: int, height: int) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the source region the camera sees, kept inside the source."""
    crop_w = max(2, round(width / camera.zoom))
    crop_h = max(2, round(height / camera.zoom))
    left = round(width / 2 + camera.pan_x * width - crop_w / 2)
    top = round(height / 2 + camera.pan_y * height - crop_h / 2)
    left = min(max(left, 0), width - crop_w)
    top = min(max(top, 0), height - crop_h)
    return top, top + crop_h, left, left + crop_w


# --------------------------------------------------------------------------- pixel stage
#
# The effects work on the yuv420p picture the encoder receives, through writable views of
# its planes: 1.5 bytes a pixel instead of RGB's 3, and most effects touch only the luma or
# only the chroma. Each pass over a full RGB frame costs milliseconds; the planes keep every
# effect to a few of them per frame.


class _Planes(NamedTuple):
    """Writable views of a yuv420p picture, or of a band of its columns: luma, then chroma at half size."""

    y: np.ndarray
    u: np.ndarray
    v: np.ndarray

    @classmethod
    def of(cls, frame: av.VideoFrame, left: int = 0, width: int | None = None) -> _Planes:
        """Views into `frame`'s own buffers, of columns left..left+width (both even) or all of them."""
        views = []
        for index, plane in enumerate(frame.planes):
            rows = np.frombuffer(memoryview(plane), np.uint8).reshape(plane.height, plane.line_size)
            halved = 0 if index == 0 else 1
            start = left >> halved
            stop = plane.width if width is None else start + (width >> halved)
            views.append(rows[:, start:stop])
        return cls(*views)

    def copy(self) -> _Planes:
        """A copy detached from the frame (the frame goes to the encoder)."""
        return _Planes(self.y.copy(), self.u.copy(), self.v.copy())


def _yuv_delta(red: float, green: float, blue: float) -> tuple[float, float, float]:
    """How much Y, U and V move for a change of (red, green, blue), in 8-bit units (BT.601, limited range)."""
    return (
        0.257 * red + 0.504 * green + 0.098 * blue,
        -0.148 * red - 0.291 * green + 0.439 * blue,
        0.439 * red - 0.368 * green - 0.071 * blue,
    )


def _yuv(colour: tuple[int, int, int]) -> tuple[int, int, int]:
    """The yuv420p levels libswscale gives an RGB colour."""
    luma, blue_difference, red_difference = _yuv_delta(*colour)
    return round(16 + luma), round(128 + blue_difference), round(128 + red_difference)


def _shift_rows(plane: np.ndarray, amounts: np.ndarray) -> None:
    """Add one amount per row (all of one sign) to `plane` in place, saturating at 0 and 255."""
    steps = np.minimum(np.abs(np.rint(amounts)), 255).astype(np.uint8)[:, None]
    if amounts.max(initial=0) > 0:
        np.minimum(plane, 255 - steps, out=plane)
        np.add(plane, steps, out=plane)
    else:
        np.maximum(plane, steps, out=plane)
        np.subtract(plane, steps, out=plane)


def _gain(factor: float, pivot: int) -> np.ndarray:
    """Lookup table moving levels away from `pivot` (factor > 1) or towards it (black luma, grey chroma)."""
    levels = np.arange(256, dtype=np.float32)
    table: np.ndarray = np.clip(pivot + (levels - pivot) * factor, 0, 255).astype(np.uint8)
    return table


_PIVOTS = (16, 128, 128)  # black luma, neutral chroma
_BACKGROUND_YUV = _yuv(BACKGROUND)
_DUST_YUV = _BACKGROUND_YUV
_EMBER_YUV = _yuv((255, 196, 130))
_GRAIN = 8
"""Pixels per dust grain: coarse grain keeps the clip small and quick to encode."""


@dataclass
class _Canvas:
    """Per-clip state the pixel effects share: the picture size, the seed, the last picture."""

    height: int
    width: int
    seed: int
    previous: _Planes | None = None
    _dissolve: np.ndarray | None = field(default=None, repr=False)

    def dissolve_levels(self) -> np.ndarray:
        """When each pixel turns to dust, as an 8-bit level: coarse flakes of 3 x 3 grains, finer
        grains, and a sweep from the left side. Made once per clip, at the picture's size."""
        if self._dissolve is None:
            rows, columns = -(-self.height // _GRAIN), -(-self.width // _GRAIN)
            rng = np.random.default_rng([self.seed, _GRAIN])
            flakes = rng.random((rows // 3 + 1, columns // 3 + 1), dtype=np.float32)
            flakes = np.repeat(np.repeat(flakes, 3, 0), 3, 1)[:rows, :columns]
            grains = rng.random((rows, columns), dtype=np.float32)
            sweep = np.linspace(0.0, 0.38, columns, dtype=np.float32)[None, :]
            level = ((0.5 * flakes + 0.12 * grains + sweep) * 255).astype(np.uint8)
            self._dissolve = np.repeat(np.repeat(level, _GRAIN, 0), _GRAIN, 1)[: self.height, : self.width]
        return self._dissolve


def _disintegrate(picture: _Planes, t: float, strength: float, canvas: _Canvas, box: Box) -> None:
    progress = ease(min(1.0, max(0.0, (t - 0.1) / 0.8))) * strength * 1.15
    if progress <= 0:
        return
    rows, columns = picture.y.shape
    # The grains stay put on the screen rather than follow the camera: rescaling them every
    # frame makes their edges shimmer, which more than doubles the size of the clip.
    level = canvas.dissolve_levels()[:rows, :columns]
    threshold = min(255, round(progress * 255))
    edge = min(255, threshold + 7)
    chroma_level = level[::2, ::2]
    for plane, levels, dust, ember in zip(
        picture, (level, chroma_level, chroma_level), _DUST_YUV, _EMBER_YUV, strict=True
    ):
        gone = levels < threshold
        np.copyto(plane, dust, where=gone)
        np.copyto(plane, ember, where=(levels < edge) & ~gone)  # the glowing edge


def _melt(picture: _Planes, t: float, strength: float, canvas: _Canvas, box: Box) -> None:
    rows, columns = picture.y.shape
    amount = 0.35 * rows * strength * ease(t) ** 1.4
    if amount < 1:
        return
    stripe = max(2, columns // 48 // 2 * 2)
    rng = np.random.default_rng(canvas.seed + 11)
    waves = 0.35 + 0.65 * rng.random(columns // stripe + 1)
    for halved, plane in zip((0, 1, 1), picture, strict=True):
        source = plane.copy()
        height, width = plane.shape
        band = stripe >> halved
        for index, start in enumerate(range(0, width, band)):
            drop = min(height - 1, round(amount * waves[index]) >> halved)
            if drop <= 0:
                continue
            stop = start + band
            plane[drop:, start:stop] = source[: height - drop, start:stop]  # slides down...
            plane[:drop, start:stop] = source[0:1, start:stop]  # ...dragging the top edge behind it


def _fire(picture: _Planes, t: float, strength: float, canvas: _Canvas, box: Box) -> None:
    flicker = 0.85 + 0.1 * math.sin(t * 47) + 0.05 * math.sin(t * 113 + 1.3)
    # A warm cast (red up by a third, blue down by a third, on a light picture) and a glow rising
    # from the bottom edge, orange: (1, 0.55, 0.1) of its strength in red, green and blue.
    tint = _yuv_delta(60 * strength * flicker, 12 * strength, -55 * strength)
    warmth = _yuv_delta(1.0, 0.55, 0.1)
    rows = picture.y.shape[0]
    glow = np.linspace(0, 1, rows, dtype=np.float32) ** 2 * (150 * strength * flicker * min(1.0, 0.3 + t))
    chroma_glow = glow[::2]
    for plane, rise, per_glow, glow_rows in zip(
        picture, tint, warmth, (glow, chroma_glow, chroma_glow), strict=True
    ):
        _shift_rows(plane, glow_rows * per_glow + rise)


def _glitch(picture: _Planes, t: float, strength: float, canvas: _Canvas, box: Box) -> None:
    rows, columns = picture.y.shape
    rng = np.random.default_rng([canvas.seed, round(t * 1000)])
    if rng.random() > (0.25 + 0.6 * t) * strength:
        canvas.previous = picture.copy()
        return
    block = max(8, min(rows, columns) // 12) // 2 * 2
    previous = canvas.previous
    if previous is None or previous.y.shape != picture.y.shape:
        previous = picture.copy()
    current_v = picture.v.copy()
    for _ in range(int(rng.integers(3, 10))):
        height = block * int(rng.integers(1, 4))
        width = block * int(rng.integers(1, 6))
        y = int(rng.integers(0, max(1, rows - height))) // 2 * 2
        x = int(rng.integers(0, max(1, columns - width))) // 2 * 2
        shift = int(rng.integers(-width, width + 1))
        source_x = min(max(x + shift, 0), columns - width) // 2 * 2
        for halved, target, source in zip((0, 1, 1), picture, previous, strict=True):
            # stale, misplaced blocks
            target[y >> halved : (y + height) >> halved, x >> halved : (x + width) >> halved] = source[
                y >> halved : (y + height) >> halved, source_x >> halved : (source_x + width) >> halved
            ]
    if rng.random() < 0.5:
        offset = max(1, columns // 120)
        picture.v[:, offset:] = current_v[:, :-offset]  # colour out of register
    canvas.previous = picture.copy()


def _flash(picture: _Planes, t: float, strength: float, canvas: _Canvas, box: Box) -> None:
    punch = impact(t) * strength
    if punch > 0.05:
        picture.y[...] = np.take(_gain(1 + 0.45 * punch, 0), picture.y)


Box = tuple[int, int, int, int]
PixelEffect = Callable[[_Planes, float, float, _Canvas, Box], None]
_PIXELS: dict[str, PixelEffect] = {
    "disintegrate": _disintegrate,
    "melt": _melt,
    "fire": _fire,
    "glitch": _glitch,
    "shake": _flash,
}

EFFECTS: tuple[str, ...] = tuple(MOVES)
"""Every effect a recipe may name."""


# --------------------------------------------------------------------------- frames


def _fit(image: Image.Image, width: int, height: int, fit: str) -> np.ndarray:
    image = image.convert("RGB")
    if fit == "contain":  # a product on a backdrop, whole and centred
        backdrop = Image.new("RGB", (width, height), (226, 230, 238))
        inner = ImageOps.contain(image, (round(width * 0.8), round(height * 0.8)), Image.Resampling.LANCZOS)
        backdrop.paste(inner, ((width - inner.width) // 2, (height - inner.height) // 2))
        return np.asarray(backdrop)
    return np.asarray(ImageOps.fit(image, (width, height), Image.Resampling.BILINEAR))


def _picture(crop: np.ndarray, width: int, height: int, squash: float) -> tuple[av.VideoFrame, _Planes]:
    """The crop scaled to width x height in yuv420p (libswscale does the scaling and the conversion
    in one pass), and the views of where it sits. With a squash the crop is scaled narrower instead,
    mirrored when negative (its back side), dimmed, and centred on the background."""
    # A view, not a copy: libswscale reads the crop straight from the source array.
    source = av.VideoFrame.from_numpy_buffer(crop, format="rgb24")
    if abs(squash - 1) < 1e-3:
        frame = source.reformat(width, height, "yuv420p", interpolation="BILINEAR")
        return frame, _Planes.of(frame)
    narrow = max(2, round(width * min(abs(squash), 1.0) / 2) * 2)
    narrowed = _Planes.of(source.reformat(narrow, height, "yuv420p", interpolation="BILINEAR"))
    frame = av.VideoFrame(width, height, "yuv420p")
    for plane, level in zip(_Planes.of(frame), _BACKGROUND_YUV, strict=True):
        plane[...] = level
    region = _Planes.of(frame, (width - narrow) // 4 * 2, narrow)
    dimming = 0.55 + 0.45 * abs(squash)  # a turned-away surface catches less light
    for target, plane, pivot in zip(region, narrowed, _PIVOTS, strict=True):
        np.take(_gain(dimming, pivot), plane[:, ::-1] if squash < 0 else plane, out=target, mode="clip")
    return frame, region


def _frames(
    images: Sequence[Image.Image], recipe: Recipe, width: int, height: int, count: int, seed: int, fit: str
) -> Iterator[av.VideoFrame]:
    """The clip's pictures, yuv420p at width x height (even), one per frame."""
    for name, _ in recipe:
        if name not in MOVES:
            raise ValueError(f"unknown effect {name!r}; known: {', '.join(EFFECTS)}")
    sources = [_fit(image, width, height, fit) for image in images[:2]]
    canvas = _Canvas(height=height, width=width, seed=seed)
    pixel_effects = [
        (_PIXELS[name], strength) for name, strength in recipe if name in _PIXELS and strength > 0
    ]
    for index in range(count):
        t = index / max(1, count - 1)
        camera = camera_at(recipe, t)
        box = _crop_box(camera, width, height)
        top, bottom, left, right = box
        crop = sources[0][top:bottom, left:right]
        if len(sources) == 2:  # first frame -> last frame
            crop = np.asarray(
                Image.blend(
                    Image.fromarray(crop), Image.fromarray(sources[1][top:bottom, left:right]), ease(t)
                )
            )
        frame, picture = _picture(crop, width, height, camera.squash)
        for effect, strength in pixel_effects:
            effect(picture, t, strength, canvas, box)
        yield frame


def render_frames(
    images: Sequence[Image.Image],
    recipe: Recipe,
    width: int,
    height: int,
    count: int,
    *,
    seed: int = 0,
    fit: str = "cover",
) -> Iterator[np.ndarray]:
    """RGB frames (height, width, 3) of the animation; used for previews."""
    # yuv420p needs even sizes: render one pixel larger where needed and trim.
    even_width, even_height = width + width % 2, height + height % 2
    for frame in _frames(images, recipe, even_width, even_height, count, seed, fit):
        pixels: np.ndarray = frame.reformat(format="rgb24").to_ndarray()
        yield np.ascontiguousarray(pixels[:height, :width])


def min_size(width: int, height: int) -> tuple[int, int]:
    """Size of the reduced `_min.mp4`: half, rounded down to even numbers (yuv420p needs them)."""
    return max(2, width // 2 // 2 * 2), max(2, height // 2 // 2 * 2)


def _open_output(path: Path, width: int, height: int) -> tuple[av.container.OutputContainer, av.VideoStream]:
    # faststart puts the moov atom first so a browser can start playing before the download ends.
    container = av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"})
    stream = container.add_stream("libx264", rate=CLIP_FPS)
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    # zerolatency: no lookahead and slice threads instead of frame threads; as fast as the
    # default on 2 cores, a third less CPU, the same file size (ultrafast has no B-frames anyway).
    stream.options = {"preset": "ultrafast", "crf": "26", "tune": "fastdecode,zerolatency"}
    return container, stream


def render_clip(
    images: Sequence[Image.Image],
    recipe: Recipe,
    width: int,
    height: int,
    raw_path: Path,
    min_path: Path,
    *,
    seed: int = 0,
    frames: int = CLIP_FRAMES,
    fit: str = "cover",
) -> None:
    """Write the H.264 mp4 at width x height (rounded down to even) and its half-size `_min` twin."""
    width, height = max(2, width // 2 * 2), max(2, height // 2 * 2)
    small_width, small_height = min_size(width, height)
    raw, raw_stream = _open_output(raw_path, width, height)
    small, small_stream = _open_output(min_path, small_width, small_height)
    try:
        for picture in _frames(images, recipe, width, height, frames, seed, fit):
            raw.mux(raw_stream.encode(picture))
            # The `_min` twin scales the finished picture down: no effect runs twice.
            reduced = picture.reformat(small_width, small_height, "yuv420p", interpolation="BILINEAR")
            small.mux(small_stream.encode(reduced))
        raw.mux(raw_stream.encode(None))
        small.mux(small_stream.encode(None))
    finally:
        raw.close()
        small.close()
