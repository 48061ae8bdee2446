"""Controls: model (with its price), seed (dice + lock), size presets, prompt and enhance toggle."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import ipywidgets

from .._models import MODELS, PRICES, SEED_MAX, SEED_MIN, SIZE_PRESETS, size_for_aspect
from ._base import ErrorArea, shows_errors

__all__ = ["CUSTOM_SIZE", "ControlValues", "Controls", "draw_seed", "model_label"]

CUSTOM_SIZE = "custom"
"""The size preset shown when width and height match no preset."""


def model_label(model: str) -> str:
    """The dropdown label of a model: its name and price, e.g. "lite · 5 pts"."""
    return f"{model} · {PRICES[model]} pts"


def draw_seed() -> int:
    """A fresh seed in the service's range."""
    return random.randint(SEED_MIN, SEED_MAX)


@dataclass(frozen=True)
class ControlValues:
    """What the controls say, as `client.generate` takes it (not yet validated)."""

    model: str
    seed: int | None
    width: int
    height: int
    prompt: str
    enhance_prompt: bool


class Controls(ipywidgets.VBox):  # type: ignore[misc]  # ipywidgets has no type hints
    """The generation settings of a Studio.

    The seed is drawn afresh for every Generate while unlocked (`seed_lock` off);
    locking it keeps the shown seed; typing a seed locks it. Picking a size
    preset sets width and height; `match_aspect(w, h)` picks the preset closest
    to an image's aspect ratio.
    """

    def __init__(
        self,
        *,
        model: str = "lite",
        seed: int | None = None,
        width: int | None = None,
        height: int | None = None,
        prompt: str = "",
        enhance_prompt: bool = True,
    ) -> None:
        self.errors = ErrorArea()
        self.model = ipywidgets.Dropdown(
            options=[(model_label(m), m) for m in MODELS], value=MODELS[0], description="model"
        )
        self.model.add_class("hfw-model")
        self.seed = ipywidgets.IntText(value=draw_seed(), description="seed")
        self.seed.add_class("hfw-seed")
        self.seed_dice = ipywidgets.Button(
            icon="dice", description="", tooltip="draw a new seed", layout=ipywidgets.Layout(width="40px")
        )
        self.seed_dice.add_class("hfw-seed-dice")
        self.seed_lock = ipywidgets.ToggleButton(
            value=False,
            icon="lock",
            description="keep",
            tooltip="keep this seed for every Generate",
            layout=ipywidgets.Layout(width="80px"),
        )
        self.seed_lock.add_class("hfw-seed-lock")
        self.size_preset = ipywidgets.Dropdown(
            options=[(f"{name} · {w}×{h}", name) for name, (w, h) in SIZE_PRESETS.items()]
            + [(CUSTOM_SIZE, CUSTOM_SIZE)],
            value="9:16",
            description="size",
        )
        self.size_preset.add_class("hfw-size-preset")
        first_w, first_h = SIZE_PRESETS["9:16"]
        self.width = ipywidgets.IntText(value=first_w, description="width")
        self.width.add_class("hfw-width")
        self.height = ipywidgets.IntText(value=first_h, description="height")
        self.height.add_class("hfw-height")
        self.prompt = ipywidgets.Textarea(
            value="",
            placeholder="what happens in the video (optional)",
            description="prompt",
            layout=ipywidgets.Layout(width="100%"),
        )
        self.prompt.add_class("hfw-prompt")
        self.enhance = ipywidgets.Checkbox(value=True, description="enhance prompt", indent=False)
        self.enhance.add_class("hfw-enhance")

        self._quiet = False  # set while the code itself changes fields, so observers don't react
        self.seed_dice.on_click(self._on_dice)
        self.seed.observe(self._on_seed_typed, names="value")
        self.size_preset.observe(self._on_preset, names="value")
        self.width.observe(self._on_size_typed, names="value")
        self.height.observe(self._on_size_typed, names="value")

        super().__init__(
            children=[
                self.model,
                ipywidgets.HBox([self.seed, self.seed_dice, self.seed_lock]),
                self.size_preset,
                ipywidgets.HBox([self.width, self.height]),
                self.prompt,
                self.enhance,
                self.errors,
            ]
        )
        self.add_class("hfw-controls")
        self.apply(
            ControlValues(
                model=model,
                seed=seed,
                width=width if width is not None else first_w,
                height=height if height is not None else first_h,
                prompt=prompt,
                enhance_prompt=enhance_prompt,
            ),
            lock_seed=seed is not None,
        )

    # ------------------------------------------------------------------ values

    @property
    def values(self) -> ControlValues:
        """The settings as shown now."""
        return ControlValues(
            model=str(self.model.value),
            seed=int(self.seed.value),
            width=int(self.width.value),
            height=int(self.height.value),
            prompt=str(self.prompt.value),
            enhance_prompt=bool(self.enhance.value),
        )

    def apply(self, values: ControlValues, *, lock_seed: bool = True) -> None:
        """Show `values` (e.g. those of an earlier result); the seed is locked so it is reused."""
        if values.model not in MODELS:
            from .._errors import ValidationError

            raise ValidationError("model", values.model, f"one of {', '.join(MODELS)}")
        self.model.value = values.model
        if values.seed is not None:
            self._set_seed(values.seed)
        self.seed_lock.value = lock_seed and values.seed is not None
        self._set_size(values.width, values.height)
        self.prompt.value = values.prompt
        self.enhance.value = values.enhance_prompt

    def seed_for_submit(self) -> int:
        """The seed of the next Generate: a fresh one while unlocked (shown), else the kept one."""
        if not self.seed_lock.value:
            self._set_seed(draw_seed())
        return int(self.seed.value)

    def match_aspect(self, width: int, height: int) -> str:
        """Select the size preset closest to an image of `width` x `height`; returns its name."""
        name, (w, h) = size_for_aspect(width, height)
        self._set_size(w, h)
        return name

    # ------------------------------------------------------------------ field plumbing

    def _set_seed(self, seed: int) -> None:
        self._quiet = True
        try:
            self.seed.value = seed
        finally:
            self._quiet = False

    def _set_size(self, width: int, height: int) -> None:
        self._quiet = True
        try:
            self.width.value = width
            self.height.value = height
            self.size_preset.value = _preset_of(width, height)
        finally:
            self._quiet = False

    @shows_errors
    def _on_dice(self, _button: ipywidgets.Button) -> None:
        self._set_seed(draw_seed())

    @shows_errors
    def _on_seed_typed(self, _change: dict[str, Any]) -> None:
        if not self._quiet:
            self.seed_lock.value = True  # a seed typed by hand is meant to be used

    @shows_errors
    def _on_preset(self, change: dict[str, Any]) -> None:
        if self._quiet or change["new"] == CUSTOM_SIZE:
            return
        w, h = SIZE_PRESETS[change["new"]]
        self._set_size(w, h)

    @shows_errors
    def _on_size_typed(self, _change: dict[str, Any]) -> None:
        if self._quiet:
            return
        self._quiet = True
        try:
            self.size_preset.value = _preset_of(int(self.width.value), int(self.height.value))
        finally:
            self._quiet = False

    def __repr__(self) -> str:
        v = self.values
        seed = f"{v.seed} (kept)" if self.seed_lock.value else "new each time"
        return f"Controls(model={v.model!r}, seed={seed}, size={v.width}x{v.height})"


def _preset_of(width: int, height: int) -> str:
    for name, size in SIZE_PRESETS.items():
        if size == (width, height):
            return name
    return CUSTOM_SIZE
