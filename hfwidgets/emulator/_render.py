"""Clip rendering: the input image animated with an effect that fits the motion, encoded with PyAV.

A motion maps to a *recipe*: a tuple of (effect, strength) pairs. A plain motion
is one effect at strength 1; a mix blends the effects of its parts by their
strengths. Each frame is made in two stages, both cheap enough for a 5 s
736x1312 clip to render in a few seconds:

1. camera: zoom, pan and a horizontal squash, done as a crop of the source
   (the scaling happens in libswscale while converting to yuv420p);
2. pixels: effects that change the image itself (fire, melt, glitch, dissolve),
   done with numpy on the uint8 crop.

With two images the clip crossfades from the first to the last across its length.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageOps

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

Recipe = tuple[tuple[str, float], ...]
"""(effect name, strength) pairs; strengths are in 0..1."""


# --------------------------------------------------------------------------- motion -> recipe

# Checked in order against the lower-cased motion name; the first keyword found wins.
_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("eyes in", "zoom_in"),
    ("arc left", "arc_left"),
    ("arc right", "arc_right"),
    ("3d rotation", "rotation_3d"),
    ("face punch", "shake"),
    ("boxing", "shake"),
    ("disintegrat", "disintegrate"),
    ("static", "static"),
    ("melt", "melt"),
    ("set on fire", "fire"),
    ("datamosh", "glitch"),
    ("bullet time", "orbit"),
    ("moonwalk left", "slide_left"),
    ("moonwalk right", "slide_right"),
    ("moonwalk", "slide_left"),
)


def effect_for_name(name: str) -> str:
    """The effect that fits a motion name; a gentle push-in for names without a dedicated one."""
    lowered = name.casefold()
    return next((effect for keyword, effect in _KEYWORDS if keyword in lowered), "push_in")


def recipe_for(name: str, parts: Sequence[tuple[str, float | None]] = ()) -> Recipe:
    """The recipe of a motion: its own effect, or for a mix its parts' effects by strength."""
    if parts:
        return tuple(
            (effect_for_name(part_name), 1.0 if strength is None else max(0.0, min(1.0, strength)))
            for part_name, strength in parts
        )
    return ((effect_for_name(name), 1.0),)


# --------------------------------------------------------------------------- camera stage


@dataclass(frozen=True)
class Camera:
    """Where the virtual camera looks: zoom >= 1 crops in, pans are fractions of the frame,
    squash < 1 narrows the picture horizontally (negative shows it mirrored: its back side)."""

    zoom: float = 1.0
    pan_x: float = 0.0
    pan_y: float = 0.0
    squash: float = 1.0


def _ease(t: float) -> float:
    return t * t * (3 - 2 * t)


def _impact(t: float, at: float = 0.35) -> float:
    """1 at the moment of impact, decaying quickly afterwards, 0 before."""
    return math.exp(-(t - at) * 9) if t >= at else 0.0


_CAMERAS: dict[str, Callable[[float], Camera]] = {
    "push_in": lambda t: Camera(zoom=1 + 0.12 * _ease(t)),
    "zoom_in": lambda t: Camera(zoom=1 + 0.75 * t**1.6, pan_y=-0.07 * _ease(t)),
    "arc_left": lambda t: Camera(zoom=1.22, pan_x=0.08 - 0.16 * _ease(t), pan_y=0.02 * math.sin(math.pi * t)),
    "arc_right": lambda t: Camera(
        zoom=1.22, pan_x=-0.08 + 0.16 * _ease(t), pan_y=0.02 * math.sin(math.pi * t)
    ),
    "rotation_3d": lambda t: Camera(zoom=1.04, squash=math.cos(2 * math.pi * _ease(t))),
    "shake": lambda t: Camera(
        zoom=1.14 + 0.1 * _impact(t),
        pan_x=0.05 * _impact(t) * math.sin(t * 95),
        pan_y=0.04 * _impact(t) * math.cos(t * 77),
    ),
    "orbit": lambda t: Camera(
        zoom=1.18 + 0.08 * math.sin(math.pi * t), pan_x=0.07 * math.sin(2 * math.pi * t)
    ),
    "slide_left": lambda t: Camera(zoom=1.3, pan_x=0.11 * t, pan_y=-0.012 * abs(math.sin(6 * math.pi * t))),
    "slide_right": lambda t: Camera(zoom=1.3, pan_x=-0.11 * t, pan_y=-0.012 * abs(math.sin(6 * math.pi * t))),
    "disintegrate": lambda t: Camera(zoom=1 + 0.04 * t),
    "melt": lambda t: Camera(zoom=1.02),
    "fire": lambda t: Camera(zoom=1 + 0.05 * t),
    "glitch": lambda t: Camera(zoom=1 + 0.06 * t),
    "static": lambda t: Camera(),
    "showcase": lambda t: Camera(zoom=1 + 0.1 * t),
}


def _blend_cameras(recipe: Recipe, t: float) -> Camera:
    zoom, pan_x, pan_y, squash = 1.0, 0.0, 0.0, 1.0
    for name, strength in recipe:
        camera = _CAMERAS[name](t)
        zoom += strength * (camera.zoom - 1)
        pan_x += strength * camera.pan_x
        pan_y += strength * camera.pan_y
        squash += strength * (camera.squash - 1)
    return Camera(zoom=max(zoom, 1.0), pan_x=pan_x, pan_y=pan_y, squash=squash)


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


@dataclass
class _Canvas:
    """Per-clip state the pixel effects share: seeded noise fields at source size, the last frame."""

    height: int
    width: int
    seed: int
    fields: dict[str, np.ndarray] = field(default_factory=dict)
    previous: np.ndarray | None = None

    def noise(self, name: str, coarse: int) -> np.ndarray:
        """A [0, 1) float32 field at source size, blocky at `coarse` pixels (1 = fine grain)."""
        key = f"{name}:{coarse}"
        if key not in self.fields:
            rng = np.random.default_rng([self.seed, coarse, len(name)])
            small = rng.random((self.height // coarse + 1, self.width // coarse + 1), dtype=np.float32)
            self.fields[key] = np.repeat(np.repeat(small, coarse, 0), coarse, 1)[: self.height, : self.width]
        return self.fields[key]


def _scale(frame: np.ndarray, factor: float) -> np.ndarray:
    """frame * factor for uint8 pixels, through a lookup table (one pass, no float image)."""
    lut = np.clip(np.arange(256, dtype=np.float32) * factor, 0, 255).astype(np.uint8)
    scaled: np.ndarray = lut[frame]
    return scaled


def _squash(frame: np.ndarray, squash: float) -> np.ndarray:
    """Narrow the picture horizontally around its centre; mirrored when squash < 0 (3D turn)."""
    if abs(squash - 1) < 1e-3:
        return frame
    width = frame.shape[1]
    new_width = max(2, round(width * min(abs(squash), 1.0)))
    columns = np.linspace(0, width - 1, new_width).round().astype(np.intp)
    if squash < 0:
        columns = columns[::-1]
    out = np.empty_like(frame)
    out[:] = BACKGROUND
    left = (width - new_width) // 2
    # A turned-away surface catches less light.
    out[:, left : left + new_width] = _scale(np.take(frame, columns, axis=1), 0.55 + 0.45 * abs(squash))
    return out


_DUST = np.array(BACKGROUND, np.uint8)
_EMBER = np.array((255, 196, 130), np.uint8)


def _disintegrate(
    frame: np.ndarray, t: float, strength: float, canvas: _Canvas, box: tuple[int, ...]
) -> np.ndarray:
    top, bottom, left, right = box
    progress = _ease(min(1.0, max(0.0, (t - 0.1) / 0.8))) * strength * 1.15
    if progress <= 0:
        return frame
    if "dissolve" not in canvas.fields:
        # When each pixel turns to dust, as a uint8 level: coarse flakes, fine grain, from the left side.
        sweep = np.linspace(0.0, 0.3, canvas.width, dtype=np.float32)[None, :]
        level = 0.45 * canvas.noise("dust", 24) + 0.25 * canvas.noise("grain", 2) + sweep
        canvas.fields["dissolve"] = (level * 255).astype(np.uint8)
    level = canvas.fields["dissolve"][top:bottom, left:right]
    threshold = min(255, round(progress * 255))
    edge = min(255, threshold + 9)
    out = frame.copy()
    np.copyto(out, _DUST, where=(level < threshold)[..., None])
    np.copyto(out, _EMBER, where=((level >= threshold) & (level < edge))[..., None])  # glowing edge
    return out


def _melt(frame: np.ndarray, t: float, strength: float, canvas: _Canvas, box: tuple[int, ...]) -> np.ndarray:
    height, width = frame.shape[:2]
    amount = 0.35 * height * strength * _ease(t) ** 1.4
    if amount < 1:
        return frame
    stripe = max(2, width // 48)
    rng = np.random.default_rng(canvas.seed + 11)
    waves = 0.35 + 0.65 * rng.random(width // stripe + 1)
    out = frame.copy()
    for index, start in enumerate(range(0, width, stripe)):
        drop = min(height - 1, round(amount * waves[index]))
        if drop <= 0:
            continue
        stop = start + stripe
        out[drop:, start:stop] = frame[: height - drop, start:stop]  # slides down...
        out[:drop, start:stop] = frame[0:1, start:stop]  # ...dragging the top edge behind it
    return out


def _fire(frame: np.ndarray, t: float, strength: float, canvas: _Canvas, box: tuple[int, ...]) -> np.ndarray:
    height = frame.shape[0]
    flicker = 0.85 + 0.1 * math.sin(t * 47) + 0.05 * math.sin(t * 113 + 1.3)
    levels = np.arange(256, dtype=np.float32)
    tints = (1 + 0.35 * strength * flicker, 1 + 0.08 * strength, 1 - 0.35 * strength)
    out = np.empty_like(frame)
    glow = np.linspace(0, 1, height, dtype=np.float32) ** 2 * 150 * strength * flicker * min(1.0, 0.3 + t)
    for channel, (tint, warmth) in enumerate(zip(tints, (1.0, 0.55, 0.1), strict=True)):
        lut = np.clip(levels * tint, 0, 255).astype(np.uint8)
        plane = lut[frame[..., channel]]
        add = (glow * warmth).astype(np.uint8)[:, None]
        out[..., channel] = np.minimum(plane, 255 - add) + add
    return out


def _glitch(
    frame: np.ndarray, t: float, strength: float, canvas: _Canvas, box: tuple[int, ...]
) -> np.ndarray:
    height, width = frame.shape[:2]
    rng = np.random.default_rng([canvas.seed, round(t * 1000)])
    out = frame.copy()
    if rng.random() > (0.25 + 0.6 * t) * strength:
        canvas.previous = out
        return out
    block = max(8, min(height, width) // 12)
    previous = (
        canvas.previous if canvas.previous is not None and canvas.previous.shape == frame.shape else frame
    )
    for _ in range(int(rng.integers(3, 10))):
        h = block * int(rng.integers(1, 4))
        w = block * int(rng.integers(1, 6))
        y = int(rng.integers(0, max(1, height - h)))
        x = int(rng.integers(0, max(1, width - w)))
        shift = int(rng.integers(-w, w + 1))
        sx = min(max(x + shift, 0), width - w)
        out[y : y + h, x : x + w] = previous[y : y + h, sx : sx + w]  # stale, misplaced blocks
    if rng.random() < 0.5:
        offset = max(2, width // 60)
        out[:, offset:, 0] = frame[:, :-offset, 0]  # colour channels out of register
    canvas.previous = out
    return out


def _flash(frame: np.ndarray, t: float, strength: float, canvas: _Canvas, box: tuple[int, ...]) -> np.ndarray:
    punch = _impact(t) * strength
    return _scale(frame, 1 + 0.45 * punch) if punch > 0.05 else frame


PixelEffect = Callable[[np.ndarray, float, float, _Canvas, tuple[int, ...]], np.ndarray]
_PIXELS: dict[str, PixelEffect] = {
    "disintegrate": _disintegrate,
    "melt": _melt,
    "fire": _fire,
    "glitch": _glitch,
    "shake": _flash,
}

EFFECTS: tuple[str, ...] = tuple(_CAMERAS)
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


def _frames(
    images: Sequence[Image.Image], recipe: Recipe, width: int, height: int, count: int, seed: int, fit: str
) -> Iterator[np.ndarray]:
    """The processed crops, one per frame; their size varies, the caller scales them to the output."""
    for name, _ in recipe:
        if name not in _CAMERAS:
            raise ValueError(f"unknown effect {name!r}; known: {', '.join(EFFECTS)}")
    sources = [_fit(image, width, height, fit) for image in images[:2]]
    canvas = _Canvas(height=height, width=width, seed=seed)
    for index in range(count):
        t = index / max(1, count - 1)
        camera = _blend_cameras(recipe, t)
        box = _crop_box(camera, width, height)
        top, bottom, left, right = box
        crop = sources[0][top:bottom, left:right]
        if len(sources) == 2:  # first frame -> last frame
            weight = round(_ease(t) * 256)
            mixed = (
                crop.astype(np.uint16) * (256 - weight)
                + sources[1][top:bottom, left:right].astype(np.uint16) * weight
            )
            crop = (mixed >> 8).astype(np.uint8)
        for name, strength in recipe:
            pixel = _PIXELS.get(name)
            if pixel is not None and strength > 0:
                crop = pixel(crop, t, strength, canvas, box)
        yield np.ascontiguousarray(_squash(crop, camera.squash))


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
    for crop in _frames(images, recipe, width, height, count, seed, fit):
        frame = av.VideoFrame.from_ndarray(crop, format="rgb24")
        yield frame.reformat(width, height, "rgb24", interpolation="BILINEAR").to_ndarray()


def min_size(width: int, height: int) -> tuple[int, int]:
    """Size of the reduced `_min.mp4`: half, rounded down to even numbers (yuv420p needs them)."""
    return max(2, width // 2 // 2 * 2), max(2, height // 2 // 2 * 2)


def _open_output(path: Path, width: int, height: int) -> tuple[av.container.OutputContainer, av.VideoStream]:
    # faststart puts the moov atom first so a browser can start playing before the download ends.
    container = av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"})
    stream = container.add_stream("libx264", rate=CLIP_FPS)
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    stream.options = {"preset": "ultrafast", "crf": "26", "tune": "fastdecode"}
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
        for crop in _frames(images, recipe, width, height, frames, seed, fit):
            picture = av.VideoFrame.from_ndarray(crop, format="rgb24").reformat(
                width, height, "yuv420p", interpolation="BILINEAR"
            )
            raw.mux(raw_stream.encode(picture))
            reduced = picture.reformat(small_width, small_height, "yuv420p", interpolation="BILINEAR")
            small.mux(small_stream.encode(reduced))
        raw.mux(raw_stream.encode(None))
        small.mux(small_stream.encode(None))
    finally:
        raw.close()
        small.close()
