"""The generation settings of a Studio: values, model labels, seeds, size presets, option traits."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import traitlets

from .._models import MODELS, PRICES, SEED_MAX, SEED_MIN, SIZE_PRESETS
from .._options import RequestOption

__all__ = [
    "CUSTOM_SIZE",
    "ControlValues",
    "OptionTrait",
    "draw_seed",
    "model_choices",
    "model_label",
    "preset_of",
    "size_choices",
]

CUSTOM_SIZE = "custom"
"""The size preset shown when width and height match no preset."""


def model_label(model: str) -> str:
    """The label of a model: its name and price, e.g. "lite · 5 pts"."""
    return f"{model} · {PRICES[model]} pts"


def model_choices() -> list[list[str]]:
    """[value, label] of every model, for the Model combobox."""
    return [[m, model_label(m)] for m in MODELS]


def size_choices() -> list[list[str]]:
    """[value, label] of every size preset, for the Size combobox (the view adds "Custom")."""
    return [[name, f"{name} · {w}×{h}"] for name, (w, h) in SIZE_PRESETS.items()]


def draw_seed() -> int:
    """A fresh seed in the service's range."""
    return random.randint(SEED_MIN, SEED_MAX)


def preset_of(width: int, height: int) -> str:
    """The preset of exactly this size, or CUSTOM_SIZE."""
    for name, size in SIZE_PRESETS.items():
        if size == (width, height):
            return name
    return CUSTOM_SIZE


@dataclass(frozen=True)
class ControlValues:
    """What the controls say: the request options (`GENERATE_OPTIONS`) but the motion, not yet validated.

    `Studio.apply` leaves a control as it is where a value is None (a seed to draw, or an
    option an older journal did not record).
    """

    model: str
    seed: int | None
    width: int
    height: int
    prompt: str
    enhance_prompt: bool | None

    @classmethod
    def of(cls, options: Mapping[str, Any]) -> ControlValues:
        """The values among `options` (a request's or a journal record's `options`)."""
        return cls(**{item.name: options[item.name] for item in fields(cls)})


class OptionTrait(traitlets.TraitType[Any, Any]):
    """A synced widget trait holding one request option, checked by the option's own check.

    A bad value, set from Python or from the view, raises the `ValidationError` the request
    would raise (naming the option and what is allowed), never a `TraitError`; numpy integers
    are taken as ints, floats refused, as `GenerateRequest` does (`_options`).
    """

    def __init__(self, option: RequestOption, default: Any, **kwargs: Any) -> None:
        self.option = option
        super().__init__(default_value=option.check(default), **kwargs)

    def validate(self, obj: Any, value: Any) -> Any:
        return self.option.check(value)

    def info(self) -> str:
        return f"a {self.option.label.lower()} ({self.option.type})"
