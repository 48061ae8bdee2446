"""The Studio's settings: model labels with prices, seeds, size presets, apply."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

import hfwidgets
from hfwidgets import GenerateRequest
from hfwidgets._errors import ValidationError
from hfwidgets._models import MODELS, SEED_MAX, SEED_MIN, SIZE_PRESETS
from hfwidgets.widgets import AdsPanel, Studio
from hfwidgets.widgets._controls import CUSTOM_SIZE, ControlValues, draw_seed, model_choices, preset_of

from .widget_support import fast_client, from_view

if TYPE_CHECKING:
    from hfwidgets._client import Client
    from hfwidgets.emulator import EmulatorServer


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


def test_a_preset_sets_the_size_and_a_typed_size_the_preset(private_emulator: object) -> None:
    studio = Studio(private_emulator.client(), resume_pending=False)  # type: ignore[attr-defined]
    studio.size = "1:1"
    assert (studio.width, studio.height) == SIZE_PRESETS["1:1"]
    studio.width = 1000
    assert studio.size == CUSTOM_SIZE
    studio.width, studio.height = SIZE_PRESETS["16:9"]
    assert studio.size == "16:9"


def test_apply_shows_values_and_keeps_the_seed(private_emulator: object) -> None:
    studio = Studio(private_emulator.client(), resume_pending=False)  # type: ignore[attr-defined]
    studio.apply(ControlValues("turbo", 321, 1024, 1024, "hi", False))
    assert (studio.model, studio.seed, studio.prompt, studio.enhance_prompt) == ("turbo", 321, "hi", False)
    assert studio.keep_seed and studio.size == "1:1"
    with pytest.raises(ValidationError, match="model"):
        studio.apply(ControlValues("ultra", 1, 1024, 1024, "", True))


def test_the_model_changes_the_cost_line(private_emulator: object) -> None:
    studio = Studio(private_emulator.client(), resume_pending=False)  # type: ignore[attr-defined]
    assert "5 pts (lite)" in studio.cost["text"]
    studio.model = "standard"
    assert "10 pts (standard)" in studio.cost["text"]


# --------------------------------------------------------------------------- typed arguments


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"width": "1152", "height": "864"}, "width"),
        ({"seed": "12"}, "seed"),
        ({"seed": 3.0}, "seed"),
        ({"height": 700}, "height"),
        ({"prompt": 3}, "prompt"),
        ({"enhance_prompt": "yes"}, "enhance_prompt"),
        ({"model": "ultra"}, "model"),
    ],
)
async def test_bad_studio_arguments_are_validation_errors_naming_the_field(
    emulator_client: Client, arguments: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        Studio(emulator_client, **arguments)
    assert caught.value.field == field
    studio = Studio(emulator_client)
    name, value = next(iter(arguments.items()))
    before = getattr(studio, name)
    with pytest.raises(ValidationError) as caught:
        setattr(studio, name, value)
    assert caught.value.field == name and getattr(studio, name) == before


async def test_bad_ads_panel_arguments_are_validation_errors_naming_the_field(
    emulator_client: Client,
) -> None:
    with pytest.raises(ValidationError) as caught:
        AdsPanel(emulator_client, template_id=5)  # type: ignore[arg-type]
    assert caught.value.field == "template_id"
    panel = AdsPanel(emulator_client)
    with pytest.raises(ValidationError) as caught:
        panel.size = "1001x1000"
    assert caught.value.field == "size" and panel.size == "1024x1024"


async def test_a_bad_value_from_the_view_is_shown_reverted_and_stops_the_generate_it_came_with(
    private_emulator: EmulatorServer, photo_bytes: bytes
) -> None:
    client = fast_client(private_emulator)
    studio = Studio(client, motion="Face Punch", resume_pending=False)
    await asyncio.gather(*studio._background)
    from_view(studio, {"type": "upload", "frame": "first", "name": "cat.png"}, [photo_bytes])
    width = studio.width
    sent: list[object] = []
    studio.send_state = lambda key=None: sent.append(key)
    studio.set_state({"width": 700, "height": 1312})  # as the view commits a typed size
    assert "ValidationError: width=700" in studio.errors.message
    assert studio.width == width and ["width", "height"] in sent  # the view gets the kept value back
    from_view(studio, {"type": "generate"})  # the click that committed it
    assert "width=700" in studio.errors.message and studio.busy == ""
    assert private_emulator.counters.get("POST /higgsfield/generate", 0) == 0
    # The view shows the kept size again: the next click generates with it.
    from_view(studio, {"type": "generate"})
    feed = await studio.wait()
    assert feed is not None and private_emulator.tasks[feed.id].params["width"] == width
    await client.aclose()


def test_numpy_integers_are_ints_and_integral_floats_refused_in_all_four_entry_points(
    private_emulator: EmulatorServer, photo_bytes: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    numpy_options = {"seed": np.int64(5), "width": np.int32(736), "height": np.uint16(1312)}
    client = fast_client(private_emulator, journal=False)

    request = GenerateRequest(photo_bytes, "Face Punch", **numpy_options)
    assert [type(value) for value in (request.seed, request.width, request.height)] == [int, int, int]
    task = asyncio.run(client.generate(photo_bytes, "Face Punch", **numpy_options))
    feed = hfwidgets.run(
        photo_bytes, "Face Punch", client=client, progress=False, timeout=60, **numpy_options
    )
    studio = Studio(client, motion="Face Punch", image=photo_bytes, resume_pending=False, **numpy_options)
    assert [type(getattr(studio, name)) for name in numpy_options] == [int, int, int]
    assert "seed=5," in studio.copy_as_code() and "np." not in studio.copy_as_code()
    for task_id in (task.id, feed.id):
        sent = private_emulator.tasks[task_id].params
        assert (sent["seed"], sent["width"], sent["height"]) == (5, 736, 1312)

    before = private_emulator.counters.get("POST /higgsfield/generate", 0)
    attempts: list[Callable[[], object]] = [
        lambda: GenerateRequest(photo_bytes, "Face Punch", seed=3.0),  # type: ignore[arg-type]
        lambda: asyncio.run(client.generate(photo_bytes, "Face Punch", seed=3.0)),  # type: ignore[arg-type]
        lambda: hfwidgets.run(photo_bytes, "Face Punch", seed=3.0, client=client, progress=False),  # type: ignore[arg-type]
        lambda: Studio(client, seed=3.0, resume_pending=False),  # type: ignore[arg-type]
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError) as caught:
            attempt()
        assert caught.value.field == "seed" and "an int" in caught.value.allowed
    assert private_emulator.counters.get("POST /higgsfield/generate", 0) == before
