"""The camera moves of motions: one table for the emulator's clips and the Studio's sketches."""

from __future__ import annotations

from itertools import pairwise

import pytest

from hfwidgets._catalog import bundled_motions, resolve_motion
from hfwidgets._moves import MOVES, camera_at, keyframes, motion_recipe, move_for_name, recipe_for
from hfwidgets.emulator import _render


@pytest.mark.parametrize(
    ("name", "move"),
    [
        ("Face Punch", "shake"),
        ("Eyes In", "zoom_in"),
        ("Arc Left", "arc_left"),
        ("3D Rotation", "rotation_3d"),
        ("Bullet Time", "orbit"),
        ("Moonwalk Right", "slide_right"),
        ("Set on Fire", "fire"),
        ("Some motion nobody knows", "push_in"),
    ],
)
def test_a_motion_name_picks_its_move(name: str, move: str) -> None:
    assert move_for_name(name) == move
    assert recipe_for(name) == ((move, 1.0),)


def test_a_mix_blends_the_moves_of_its_parts_by_strength() -> None:
    mix = next(m for m in bundled_motions() if m.parts)
    recipe = motion_recipe(mix)
    assert [name for name, _ in recipe] == [move_for_name(part.name) for part in mix.parts]
    assert all(0.0 <= strength <= 1.0 for _, strength in recipe)
    assert motion_recipe(resolve_motion("Face Punch")) == (("shake", 1.0),)


def test_the_emulator_renders_every_move_of_the_table() -> None:
    """The renderer's effects are the table's moves: nothing the sketches know is missing there."""
    assert set(_render.EFFECTS) == set(MOVES)


def interpolate(frames: list[tuple[float, float, float, float, float]], t: float) -> list[float]:
    for (t0, *a), (t1, *b) in pairwise(frames):
        if t0 <= t <= t1:
            share = 0.0 if t1 == t0 else (t - t0) / (t1 - t0)
            return [x + share * (y - x) for x, y in zip(a, b, strict=True)]
    raise AssertionError(f"t={t} outside the keyframes")


@pytest.mark.parametrize("recipe", [*(((name, 1.0),) for name in MOVES), (("push_in", 0.85), ("melt", 0.6))])
def test_keyframes_follow_the_camera_path_at_every_frame(recipe: tuple[tuple[str, float], ...]) -> None:
    frames = keyframes(recipe)
    assert frames[0][0] == 0.0 and frames[-1][0] == 1.0
    assert len(frames) <= 81
    for index in range(81):
        t = index / 80
        camera = camera_at(recipe, t)
        got = interpolate(frames, t)
        want = [camera.zoom, camera.pan_x, camera.pan_y, camera.squash]
        # The tolerance, plus the rounding to 3 decimals of the keyframes.
        assert max(abs(g - w) for g, w in zip(got, want, strict=True)) <= 0.004 + 0.001, (recipe, t)


def test_a_still_move_is_two_keyframes_and_a_shake_keeps_its_jolts() -> None:
    assert len(keyframes((("static", 1.0),))) == 2
    shake = keyframes((("shake", 1.0),))
    assert len(shake) > 10
    assert max(abs(frame[2]) for frame in shake) > 0.02  # the camera really jolts sideways
