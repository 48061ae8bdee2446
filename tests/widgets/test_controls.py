"""The Studio's settings: model labels with prices, seeds, size presets, apply."""

from __future__ import annotations

import pytest

from hfwidgets._errors import ValidationError
from hfwidgets._models import MODELS, SEED_MAX, SEED_MIN, SIZE_PRESETS
from hfwidgets.widgets import Studio
from hfwidgets.widgets._controls import CUSTOM_SIZE, ControlValues, draw_seed, model_choices, preset_of


def test_models_are_labelled_with_prices() -> None:
    labels = dict(model_choices())
    assert list(labels) == list(MODELS)
    # The provider's documented prices, not the table the labels are made from.
    assert labels == {"lite": "lite · 5 pts", "turbo": "turbo · 7 pts", "standard": "standard · 10 pts"}


def test_seeds_are_drawn_in_range() -> None:
    seen = {draw_seed() for _ in range(20)}
    assert all(SEED_MIN <= s <= SEED_MAX for s in seen) and len(seen) > 1


def test_presets_match_exact_sizes_only() -> None:
    for name, (w, h) in SIZE_PRESETS.items():
        assert preset_of(w, h) == name
    assert preset_of(100, 100) == CUSTOM_SIZE


def test_a_preset_sets_the_size_and_a_typed_size_the_preset(fresh_emulator: object) -> None:
    studio = Studio(fresh_emulator.client(), resume_pending=False)  # type: ignore[attr-defined]
    studio.size = "1:1"
    assert (studio.width, studio.height) == SIZE_PRESETS["1:1"]
    studio.width = 1000
    assert studio.size == CUSTOM_SIZE
    studio.width, studio.height = SIZE_PRESETS["16:9"]
    assert studio.size == "16:9"


def test_apply_shows_values_and_keeps_the_seed(fresh_emulator: object) -> None:
    studio = Studio(fresh_emulator.client(), resume_pending=False)  # type: ignore[attr-defined]
    studio.apply(ControlValues("turbo", 321, 1024, 1024, "hi", False))
    assert (studio.model, studio.seed, studio.prompt, studio.enhance_prompt) == ("turbo", 321, "hi", False)
    assert studio.keep_seed and studio.size == "1:1"
    with pytest.raises(ValidationError, match="model"):
        studio.apply(ControlValues("ultra", 1, 1024, 1024, "", True))


def test_the_model_changes_the_cost_line(fresh_emulator: object) -> None:
    studio = Studio(fresh_emulator.client(), resume_pending=False)  # type: ignore[attr-defined]
    assert "5 pts (lite)" in studio.cost["text"]
    studio.model = "standard"
    assert "10 pts (standard)" in studio.cost["text"]
