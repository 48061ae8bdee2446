"""The clip renderer: every effect renders, each does what its name says, and the `_min` twin matches."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from hfwidgets.emulator._imagery import sample_image
from hfwidgets.emulator._render import (
    BACKGROUND,
    EFFECTS,
    min_size,
    recipe_for,
    render_clip,
    render_frames,
)

WIDTH, HEIGHT = 96, 160
PORTRAIT = sample_image("portrait").convert("RGB").resize((WIDTH, HEIGHT))


def frames_of(effect: str, image: Image.Image = PORTRAIT, count: int = 9) -> np.ndarray:
    """The animation of one effect at full strength, (count, HEIGHT, WIDTH, 3) RGB."""
    return np.stack(list(render_frames([image], ((effect, 1.0),), WIDTH, HEIGHT, count, seed=5)))


def decode(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return np.stack([frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)])


def halves(left: tuple[int, int, int], right: tuple[int, int, int]) -> Image.Image:
    """A picture whose left half and right half are flat colours."""
    pixels = np.empty((HEIGHT, WIDTH, 3), np.uint8)
    pixels[:, : WIDTH // 2], pixels[:, WIDTH // 2 :] = left, right
    return Image.fromarray(pixels)


@pytest.mark.parametrize("effect", EFFECTS)
def test_every_effect_renders_both_clips_at_their_sizes(effect: str, tmp_path: Path) -> None:
    raw, small = tmp_path / "clip.mp4", tmp_path / "clip_min.mp4"
    render_clip([PORTRAIT], ((effect, 1.0),), WIDTH, HEIGHT, raw, small, seed=3, frames=12)
    full, reduced = decode(raw), decode(small)
    assert full.shape == (12, HEIGHT, WIDTH, 3)
    assert reduced.shape == (12, *min_size(WIDTH, HEIGHT)[::-1], 3)
    assert full.std() > 10  # a picture, not a blank frame


def test_the_min_clip_is_the_finished_picture_scaled_down(tmp_path: Path) -> None:
    raw, small = tmp_path / "clip.mp4", tmp_path / "clip_min.mp4"
    render_clip([PORTRAIT], recipe_for("Set on Fire"), WIDTH, HEIGHT, raw, small, frames=6)
    full, reduced = decode(raw).astype(np.float32), decode(small).astype(np.float32)
    scaled = full.reshape(6, HEIGHT // 2, 2, WIDTH // 2, 2, 3).mean(axis=(2, 4))
    assert np.abs(scaled - reduced).mean() < 6  # same effect, same frame, only smaller


def test_fire_warms_the_picture_towards_the_bottom() -> None:
    plain, fire = frames_of("static")[-1].astype(np.int32), frames_of("fire")[-1].astype(np.int32)
    red_minus_blue = (fire[..., 0] - fire[..., 2]) - (plain[..., 0] - plain[..., 2])
    assert red_minus_blue.mean() > 40
    brighter = fire.sum(axis=2) - plain.sum(axis=2)
    assert brighter[-HEIGHT // 4 :].mean() > brighter[: HEIGHT // 4].mean() + 40  # the glow rises from below


def test_disintegration_leaves_dust_then_nothing() -> None:
    frames = frames_of("disintegrate", count=11)
    background = np.array(BACKGROUND)

    def dust_share(frame: np.ndarray) -> float:
        return float((np.abs(frame.astype(np.int32) - background).max(axis=2) < 12).mean())

    shares = [dust_share(frame) for frame in frames]
    assert shares[0] < 0.05
    assert 0.1 < shares[5] < 0.9
    assert shares[-1] > 0.95
    assert all(later >= earlier - 0.01 for earlier, later in pairwise(shares))  # dust only grows
    left, right = frames[4][:, : WIDTH // 2], frames[4][:, WIDTH // 2 :]
    assert dust_share(left) > dust_share(right)  # it sweeps in from the left side


def test_a_3d_rotation_narrows_the_picture_and_shows_it_mirrored() -> None:
    frames = frames_of("rotation_3d", halves((220, 30, 30), (30, 30, 220)), count=9)
    edge_on = frames[2]  # a quarter turn: only a sliver is left, the rest is background
    assert np.abs(edge_on[:, :8].astype(np.int32) - np.array(BACKGROUND)).max() < 12
    back = frames[4].astype(np.int32)  # half a turn: its back side, red on the right
    assert back[:, : WIDTH // 3, 2].mean() > back[:, : WIDTH // 3, 0].mean() + 80
    assert back[:, -WIDTH // 3 :, 0].mean() > back[:, -WIDTH // 3 :, 2].mean() + 80
    front = frames[-1].astype(np.int32)
    assert front[:, : WIDTH // 3, 0].mean() > front[:, : WIDTH // 3, 2].mean() + 80


def test_melting_drags_the_top_downwards() -> None:
    top_white = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    top_white[: HEIGHT // 2] = 240
    frames = frames_of("melt", Image.fromarray(top_white))
    lower_half = [float(frame[HEIGHT // 2 :].mean()) for frame in frames]
    assert lower_half[0] < 20
    assert lower_half[-1] > lower_half[0] + 40


def test_glitch_is_repeatable_for_a_seed_and_changes_the_picture() -> None:
    first, second = frames_of("glitch", count=12), frames_of("glitch", count=12)
    assert np.array_equal(first, second)
    plain = frames_of("static", count=12)
    changed = [not np.array_equal(a, b) for a, b in zip(first, plain, strict=True)]
    assert any(changed[1:])


def test_two_images_crossfade_from_the_first_to_the_last() -> None:
    red, blue = (
        Image.new("RGB", (WIDTH, HEIGHT), (220, 20, 20)),
        Image.new("RGB", (WIDTH, HEIGHT), (20, 20, 220)),
    )
    frames = list(render_frames([red, blue], (("static", 1.0),), WIDTH, HEIGHT, 5))
    reds = [float(frame[..., 0].mean()) for frame in frames]
    assert reds[0] > 200 and reds[-1] < 40
    assert reds == sorted(reds, reverse=True)


def test_preview_frames_keep_odd_sizes() -> None:
    frames = list(render_frames([PORTRAIT], recipe_for("Melting"), 75, 41, 3))
    assert [frame.shape for frame in frames] == [(41, 75, 3)] * 3


def test_an_unknown_effect_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown effect 'sparkle'"):
        next(render_frames([PORTRAIT], (("sparkle", 1.0),), WIDTH, HEIGHT, 2))
