"""Sketches: each motion's camera move played on the user's own image, in the browser.

The view needs no image from here: it already shows the first frame's preview. What it
asks for, once per catalogue, is each motion's move (`camera_moves`): the keyframes of every
distinct recipe (`_moves.keyframes`) and which recipe each motion id makes. They come from
the table the emulator renders its clips with (`hfwidgets._moves`), so a sketch moves as the
emulator's video of that motion does. They go in a message, not in a trait: nothing of them
is saved with the notebook. Making a sketch sends nothing anywhere and costs nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from .._models import Motion
from .._moves import Recipe, keyframes, motion_recipe

__all__ = ["camera_moves", "recipe_key"]


def recipe_key(recipe: Recipe) -> str:
    """A short stable name of a recipe: "shake:1", "push_in:0.85+melt:0.6"."""
    return "+".join(f"{name}:{strength:g}" for name, strength in recipe)


@cache
def _frames(recipe: Recipe) -> list[list[float]]:
    return [list(frame) for frame in keyframes(recipe)]


def camera_moves(catalogue: Sequence[Motion]) -> dict[str, Any]:
    """{"moves": {recipe key: keyframes}, "of": {motion id: recipe key}} for the catalogue."""
    moves: dict[str, list[list[float]]] = {}
    of: dict[str, str] = {}
    for motion in catalogue:
        recipe = motion_recipe(motion)
        key = of[motion.id] = recipe_key(recipe)
        if key not in moves:
            moves[key] = _frames(recipe)
    return {"moves": moves, "of": of}
