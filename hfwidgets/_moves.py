"""Camera moves: which move each motion makes, and the path the camera takes during a move.

One table for everything that shows a motion's move: the emulator renders its clips and
previews with it (`emulator/_render.py` adds the pixel effects on top), and the Studio
sketches each motion on the user's own image from it, in the browser.

A motion maps to a *recipe*: a tuple of (move, strength) pairs. A plain motion is one
move at strength 1, chosen by keywords of its name; a mix blends the moves of its parts
by their strengths. A move's camera at time t (0 at the first frame, 1 at the last) is a
`Camera`: zoom >= 1 crops in, pans are fractions of the frame, squash < 1 narrows the
picture horizontally (negative: mirrored, its back side).

```pycon
>>> recipe_for("Face Punch")
(('shake', 1.0),)
>>> camera_at(recipe_for("Eyes In"), 1.0).zoom
1.75
```
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ._models import Motion

__all__ = [
    "MOVES",
    "Camera",
    "Recipe",
    "camera_at",
    "keyframes",
    "motion_recipe",
    "move_for_name",
    "recipe_for",
]

Recipe = tuple[tuple[str, float], ...]
"""(move name, strength) pairs; strengths are in 0..1."""


# --------------------------------------------------------------------------- motion -> move

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


def move_for_name(name: str) -> str:
    """The move that fits a motion name; a gentle push-in for names without a dedicated one."""
    lowered = name.casefold()
    return next((move for keyword, move in _KEYWORDS if keyword in lowered), "push_in")


def recipe_for(name: str, parts: Sequence[tuple[str, float | None]] = ()) -> Recipe:
    """The recipe of a motion: its own move, or for a mix its parts' moves by strength."""
    if parts:
        return tuple(
            (move_for_name(part_name), 1.0 if strength is None else max(0.0, min(1.0, strength)))
            for part_name, strength in parts
        )
    return ((move_for_name(name), 1.0),)


def motion_recipe(motion: Motion) -> Recipe:
    """`recipe_for` a Motion (a mix by its parts)."""
    return recipe_for(motion.name, [(part.name, part.strength) for part in motion.parts])


# --------------------------------------------------------------------------- camera paths


@dataclass(frozen=True)
class Camera:
    """Where the virtual camera looks: zoom >= 1 crops in, pans are fractions of the frame,
    squash < 1 narrows the picture horizontally (negative shows it mirrored: its back side)."""

    zoom: float = 1.0
    pan_x: float = 0.0
    pan_y: float = 0.0
    squash: float = 1.0


def ease(t: float) -> float:
    """Smoothstep: slow at both ends."""
    return t * t * (3 - 2 * t)


def impact(t: float, at: float = 0.35) -> float:
    """1 at the moment of impact, decaying quickly afterwards, 0 before."""
    return math.exp(-(t - at) * 9) if t >= at else 0.0


MOVES: dict[str, Callable[[float], Camera]] = {
    "push_in": lambda t: Camera(zoom=1 + 0.12 * ease(t)),
    "zoom_in": lambda t: Camera(zoom=1 + 0.75 * t**1.6, pan_y=-0.07 * ease(t)),
    "arc_left": lambda t: Camera(zoom=1.22, pan_x=0.08 - 0.16 * ease(t), pan_y=0.02 * math.sin(math.pi * t)),
    "arc_right": lambda t: Camera(
        zoom=1.22, pan_x=-0.08 + 0.16 * ease(t), pan_y=0.02 * math.sin(math.pi * t)
    ),
    "rotation_3d": lambda t: Camera(zoom=1.04, squash=math.cos(2 * math.pi * ease(t))),
    "shake": lambda t: Camera(
        zoom=1.14 + 0.1 * impact(t),
        pan_x=0.05 * impact(t) * math.sin(t * 95),
        pan_y=0.04 * impact(t) * math.cos(t * 77),
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
"""Every move a recipe may name, and the camera at time t (0..1) of it."""


def camera_at(recipe: Recipe, t: float) -> Camera:
    """The camera of a recipe at time t: its moves' offsets from a still camera, weighted by strength."""
    zoom, pan_x, pan_y, squash = 1.0, 0.0, 0.0, 1.0
    for name, strength in recipe:
        camera = MOVES[name](t)
        zoom += strength * (camera.zoom - 1)
        pan_x += strength * camera.pan_x
        pan_y += strength * camera.pan_y
        squash += strength * (camera.squash - 1)
    return Camera(zoom=max(zoom, 1.0), pan_x=pan_x, pan_y=pan_y, squash=squash)


Keyframe = tuple[float, float, float, float, float]
"""(t, zoom, pan_x, pan_y, squash); t exact (frames are 1/80 apart), the rest to 3 decimals."""


def keyframes(recipe: Recipe, *, frames: int = 81, tolerance: float = 0.004) -> list[Keyframe]:
    """The recipe's camera path as few keyframes as reproduce it, by linear interpolation, within
    `tolerance` (a fraction of the frame) at each of `frames` evenly spaced times.

    What the Studio sends its view so the browser can play the move on the user's image: a
    still camera is 2 keyframes, a shake a few dozen.
    """
    times = [index / max(1, frames - 1) for index in range(frames)]
    samples = [
        (t, camera.zoom, camera.pan_x, camera.pan_y, camera.squash)
        for t, camera in ((t, camera_at(recipe, t)) for t in times)
    ]
    kept = _simplify(samples, 0, len(samples) - 1, tolerance)
    return [
        (round(sample[0], 4), *(round(value, 3) for value in sample[1:]))  # type: ignore[misc]
        for sample in (samples[i] for i in kept)
    ]


def _simplify(samples: Sequence[Keyframe], first: int, last: int, tolerance: float) -> list[int]:
    """Indices to keep between first and last (both kept): split at the worst-interpolated sample
    until every sample is within tolerance of the line between its neighbours kept."""
    worst, worst_error = -1, tolerance
    t0, t1 = samples[first][0], samples[last][0]
    for index in range(first + 1, last):
        share = (samples[index][0] - t0) / (t1 - t0)
        error = max(
            abs(samples[first][k] + share * (samples[last][k] - samples[first][k]) - samples[index][k])
            for k in range(1, 5)
        )
        if error > worst_error:
            worst, worst_error = index, error
    if worst < 0:
        return [first, last]
    return _simplify(samples, first, worst, tolerance)[:-1] + _simplify(samples, worst, last, tolerance)
