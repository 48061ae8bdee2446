"""Controls: model labels with prices, seed dice and lock, size presets, apply."""

from __future__ import annotations

import pytest

from hfwidgets._errors import ValidationError
from hfwidgets._models import MODELS, PRICES, SEED_MAX, SEED_MIN, SIZE_PRESETS
from hfwidgets.widgets._controls import CUSTOM_SIZE, Controls, ControlValues


def test_model_dropdown_is_labelled_with_prices() -> None:
    controls = Controls()
    labels = dict(controls.model.options)
    assert list(labels.values()) == list(MODELS)
    assert labels["lite · 5 pts"] == "lite"
    assert all(f"{PRICES[m]} pts" in label for label, m in labels.items())


def test_dice_draws_a_new_seed_in_range() -> None:
    controls = Controls(seed=17)
    seen = {controls.seed.value}
    for _ in range(5):
        controls.seed_dice.click()
        seen.add(controls.seed.value)
    assert all(SEED_MIN <= s <= SEED_MAX for s in seen)
    assert len(seen) > 1
    assert controls.seed_lock.value is True  # a dice roll keeps the lock as it was


def test_unlocked_seed_changes_for_every_submit_locked_seed_is_kept() -> None:
    controls = Controls()
    assert controls.seed_lock.value is False
    drawn = [controls.seed_for_submit() for _ in range(4)]
    assert len(set(drawn)) > 1
    assert drawn[-1] == controls.seed.value  # the seed used is shown

    controls.seed_lock.value = True
    kept = controls.seed.value
    assert [controls.seed_for_submit() for _ in range(3)] == [kept] * 3


def test_typing_a_seed_locks_it() -> None:
    controls = Controls()
    controls.seed.value = 4242
    assert controls.seed_lock.value is True
    assert controls.seed_for_submit() == 4242


def test_presets_set_width_and_height() -> None:
    controls = Controls()
    controls.size_preset.value = "16:9"
    assert (controls.width.value, controls.height.value) == SIZE_PRESETS["16:9"]
    controls.width.value = 1000
    assert controls.size_preset.value == CUSTOM_SIZE
    controls.width.value = SIZE_PRESETS["16:9"][0]
    assert controls.size_preset.value == "16:9"


@pytest.mark.parametrize(
    ("size", "preset"),
    [((320, 240), "4:3"), ((1080, 1920), "9:16"), ((500, 500), "1:1"), ((1920, 1080), "16:9")],
)
def test_match_aspect_selects_the_closest_preset(size: tuple[int, int], preset: str) -> None:
    controls = Controls()
    assert controls.match_aspect(*size) == preset
    assert controls.size_preset.value == preset
    assert (controls.width.value, controls.height.value) == SIZE_PRESETS[preset]


def test_apply_restores_every_value_and_locks_the_seed() -> None:
    controls = Controls()
    values = ControlValues(
        model="turbo", seed=99, width=1024, height=1024, prompt="a cat waves", enhance_prompt=False
    )
    controls.apply(values)
    assert controls.values == values
    assert controls.seed_lock.value is True
    assert controls.size_preset.value == "1:1"


def test_unknown_model_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError, match="model='fast'"):
        Controls(model="fast")


def test_unknown_keyword_raises_type_error() -> None:
    with pytest.raises(TypeError):
        Controls(modle="lite")  # type: ignore[call-arg]


def test_repr_is_stable() -> None:
    assert repr(Controls(seed=5)) == "Controls(model='lite', seed=5 (kept), size=736x1312)"
    assert repr(Controls()) == "Controls(model='lite', seed=new each time, size=736x1312)"
