"""Procedural imagery: sample pictures, the placeholder for unreachable inputs, motion previews.

Everything is drawn with Pillow and numpy at run time; the emulator ships no image files.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import cache

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from ._render import Recipe, render_frames

__all__ = [
    "SAMPLE_NAMES",
    "placeholder_image",
    "preview_webp",
    "sample_image",
    "sample_jpeg",
]

RGB = tuple[int, int, int]


def _vertical_gradient(width: int, height: int, top: RGB, bottom: RGB) -> Image.Image:
    ramp = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    colours = (1 - ramp) * np.array(top, np.float32) + ramp * np.array(bottom, np.float32)
    return Image.fromarray(np.broadcast_to(colours, (height, width, 3)).astype(np.uint8))


def _grain(image: Image.Image, amount: int, seed: int) -> Image.Image:
    # A little film grain gives the encoder and the effects texture to work with.
    rng = np.random.default_rng(seed)
    pixels = np.asarray(image, dtype=np.int16)
    noise = rng.integers(-amount, amount + 1, size=pixels.shape[:2], dtype=np.int16)[..., None]
    return Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8))


def _portrait() -> Image.Image:
    width, height = 720, 1280
    image = _vertical_gradient(width, height, (58, 84, 140), (236, 170, 120))
    draw = ImageDraw.Draw(image)
    draw.ellipse((-200, 980, 920, 1700), fill=(44, 62, 92))  # shoulders
    draw.rectangle((300, 700, 420, 1000), fill=(214, 164, 132))  # neck
    draw.ellipse((190, 300, 530, 760), fill=(232, 186, 152))  # face
    draw.chord((170, 240, 550, 620), 180, 360, fill=(70, 44, 30))  # hair
    for eye_x in (285, 435):
        draw.ellipse((eye_x - 34, 480, eye_x + 34, 522), fill=(250, 250, 250))
        draw.ellipse((eye_x - 16, 484, eye_x + 16, 518), fill=(60, 96, 140))
        draw.ellipse((eye_x - 7, 494, eye_x + 7, 508), fill=(12, 12, 16))
    draw.polygon(((360, 530), (338, 610), (382, 610)), fill=(212, 160, 128))  # nose
    draw.arc((300, 600, 420, 680), 20, 160, fill=(170, 70, 70), width=8)  # smile
    return _grain(image.filter(ImageFilter.GaussianBlur(1.2)), 6, 1)


def _landscape() -> Image.Image:
    width, height = 1280, 720
    image = _vertical_gradient(width, height, (250, 160, 90), (120, 170, 230))
    draw = ImageDraw.Draw(image)
    draw.ellipse((880, 110, 1040, 270), fill=(255, 236, 170))  # sun
    draw.polygon(
        ((0, 520), (260, 230), (520, 470), (760, 260), (1040, 480), (1280, 330), (1280, 720), (0, 720)),
        fill=(70, 88, 120),
    )
    draw.polygon(
        ((0, 600), (300, 420), (640, 580), (980, 440), (1280, 600), (1280, 720), (0, 720)), fill=(44, 96, 72)
    )
    draw.rectangle((0, 640, width, height), fill=(60, 110, 160))  # lake
    for x in range(40, width, 90):  # reflections on the water
        draw.line((x, 660 + (x % 3) * 14, x + 46, 660 + (x % 3) * 14), fill=(200, 220, 240), width=3)
    return _grain(image.filter(ImageFilter.GaussianBlur(1.0)), 5, 2)


def _cat() -> Image.Image:
    size = 960
    image = _vertical_gradient(size, size, (238, 226, 204), (170, 140, 112))
    draw = ImageDraw.Draw(image)
    draw.ellipse((180, 560, 780, 1100), fill=(245, 245, 240))  # body
    draw.polygon(((250, 330), (300, 120), (420, 280)), fill=(245, 245, 240))  # ears
    draw.polygon(((710, 330), (660, 120), (540, 280)), fill=(245, 245, 240))
    draw.polygon(((290, 300), (310, 180), (390, 280)), fill=(240, 180, 180))
    draw.polygon(((670, 300), (650, 180), (570, 280)), fill=(240, 180, 180))
    draw.ellipse((220, 220, 740, 680), fill=(250, 250, 246))  # head
    for eye_x in (370, 590):
        draw.ellipse((eye_x - 58, 360, eye_x + 58, 480), fill=(120, 180, 90))
        draw.ellipse((eye_x - 18, 366, eye_x + 18, 474), fill=(20, 20, 20))
    draw.polygon(((480, 520), (455, 495), (505, 495)), fill=(230, 140, 150))  # nose
    for side in (-1, 1):
        for dy in (-18, 8, 34):
            draw.line(
                (480 + side * 60, 530 + dy // 2, 480 + side * 260, 500 + dy), fill=(90, 90, 90), width=3
            )
    return _grain(image.filter(ImageFilter.GaussianBlur(1.0)), 5, 3)


def _product() -> Image.Image:
    size = 1024
    image = _vertical_gradient(size, size, (232, 238, 246), (182, 196, 220))
    draw = ImageDraw.Draw(image)
    draw.ellipse((292, 850, 732, 930), fill=(150, 160, 182))  # shadow
    draw.rounded_rectangle((372, 330, 652, 890), radius=60, fill=(36, 120, 150))  # bottle
    draw.rectangle((452, 200, 572, 340), fill=(36, 120, 150))  # neck
    draw.rounded_rectangle((432, 150, 592, 220), radius=16, fill=(230, 200, 90))  # cap
    draw.rounded_rectangle((392, 500, 632, 720), radius=20, fill=(246, 244, 236))  # label
    draw.ellipse((462, 560, 562, 660), fill=(230, 120, 80))
    draw.line((402, 360, 402, 860), fill=(120, 200, 220), width=14)  # highlight
    return _grain(image.filter(ImageFilter.GaussianBlur(0.8)), 4, 4)


_SAMPLES: dict[str, Callable[[], Image.Image]] = {
    "portrait": _portrait,
    "landscape": _landscape,
    "cat": _cat,
    "product": _product,
}
SAMPLE_NAMES: tuple[str, ...] = tuple(_SAMPLES)
"""Names served at `/samples/{name}.jpg`."""


@cache
def sample_image(name: str) -> Image.Image:
    """A generated sample picture (RGB); KeyError for an unknown name."""
    return _SAMPLES[name]()


@cache
def sample_jpeg(name: str) -> bytes:
    """The sample picture encoded as JPEG."""
    buffer = io.BytesIO()
    sample_image(name).save(buffer, format="JPEG", quality=88)
    return buffer.getvalue()


def placeholder_image(width: int, height: int, reason: str = "") -> Image.Image:
    """What the clip animates when the input image could not be read: stripes and a label."""
    width, height = max(width, 16), max(height, 16)
    y, x = np.mgrid[0:height, 0:width]
    stripes = ((x + y) // max(8, min(width, height) // 12)) % 2
    base = np.where(
        stripes[..., None] == 1, np.array([96, 92, 110], np.uint8), np.array([70, 66, 84], np.uint8)
    )
    image = Image.fromarray(base.astype(np.uint8))
    draw = ImageDraw.Draw(image)
    font_size = max(12, min(width, height) // 14)
    font = ImageFont.load_default(size=font_size)
    lines = ["input image unavailable"] + ([reason[:40]] if reason else [])
    top = height // 2 - len(lines) * font_size
    for number, line in enumerate(lines):
        box = draw.textbbox((0, 0), line, font=font)
        left = (width - (box[2] - box[0])) // 2
        draw.text((left, top + number * font_size * 2), line, fill=(240, 236, 250), font=font)
    return image


def preview_webp(recipe: Recipe, width: int = 320, height: int = 200, frames: int = 14) -> bytes:
    """An animated WebP of the recipe's effect on the landscape sample (a motion's preview)."""
    pictures = [
        Image.fromarray(frame)
        for frame in render_frames([sample_image("landscape")], recipe, width, height, frames, seed=7)
    ]
    buffer = io.BytesIO()
    pictures[0].save(
        buffer,
        format="WEBP",
        save_all=True,
        append_images=pictures[1:],
        duration=80,
        loop=0,
        quality=60,
        method=0,
    )
    return buffer.getvalue()
