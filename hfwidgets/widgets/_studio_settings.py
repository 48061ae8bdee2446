"""The Studio's controls: model, seed, size, prompt and enhance setting, and what follows from them.

`StudioSettings` keeps the controls consistent (a size preset sets width and height, a typed side
makes the preset "custom", a typed seed is kept, a new first image sets the size to its preset
until one was asked for) and redraws what depends on them: the cost line and the code shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .._errors import ImageSizeUnknown, NoEventLoop
from .._models import MODELS, SIZE_PRESETS, size_for_aspect
from .._requests import check_model
from ._base import start_task
from ._controls import CUSTOM_SIZE, ControlValues, draw_seed, preset_of

if TYPE_CHECKING:
    from ._image_input import FrameSet
    from ._studio_state import StudioState

__all__ = ["SETTINGS", "StudioSettings"]

SETTINGS = (*(item.name for item in dataclasses.fields(ControlValues)), "keep_seed", "selected_id")
"""The traits whose change refreshes the cost line and the code shown: every option but the motion
(`ControlValues`), whether the seed is kept, and the motion chosen in the grid."""


class StudioSettings:
    """The controls of one Studio: it watches their traits and sets them, quietly, as a group."""

    def __init__(
        self,
        state: StudioState,
        frames: FrameSet,
        background: list[asyncio.Task[Any]],
        *,
        refresh_cost: Callable[[], None],
        code: Callable[[], str],
    ) -> None:
        self._state = state
        self._frames = frames
        self._background = background
        self._refresh_cost = refresh_cost
        self._code = code
        self._quiet = False  # set while the code itself changes fields, so observers don't react
        self.code_shown = False
        """True once "Copy as code" was pressed: the code then follows the settings."""
        self.size_chosen = False
        """True once a size was asked for (the constructor, the Size, Width or Height controls): a
        new image then no longer sets the size to its own preset."""
        state.observe(self._on_seed, names="seed")
        state.observe(self._on_size, names="size")
        state.observe(self._on_side, names=["width", "height"])
        state.observe(self._on_settings, names=list(SETTINGS))

    @property
    def values(self) -> ControlValues:
        """The settings as shown now."""
        state = self._state
        return ControlValues(
            **{item.name: getattr(state, item.name) for item in dataclasses.fields(ControlValues)}
        )

    def apply(self, values: ControlValues, *, lock_seed: bool = True) -> None:
        """Show `values`; a None leaves its control as it is; the seed is kept when `lock_seed`."""
        check_model(values.model)
        self.size_chosen = True
        shown = {name: value for name, value in dataclasses.asdict(values).items() if value is not None}
        self.quietly(
            **shown,
            size=preset_of(values.width, values.height),
            keep_seed=lock_seed and values.seed is not None,
        )

    def new_seed(self) -> int:
        """Show a fresh seed (keeping it stays as it was)."""
        self.quietly(seed=draw_seed())
        return int(self._state.seed)

    def quietly(self, **changes: Any) -> None:
        """Set traits together without the observers reacting to each, then redraw what follows."""
        self._quiet = True
        try:
            with self._state.hold_trait_notifications():
                for name, value in changes.items():
                    setattr(self._state, name, value)
        finally:
            self._quiet = False
        self.after_change()

    def after_change(self) -> None:
        """Redraw the cost line, and the code when it is shown."""
        state = self._state
        if state.model not in MODELS:
            return
        self._refresh_cost()
        if self.code_shown:
            try:
                state.code = self._code()
            except Exception as error:  # e.g. an invalid width typed: say so, keep the last code
                state.errors.show(error)

    def on_frames(self) -> None:
        """A new first image sets the size to its preset, unless a size was asked for."""
        size = self._frames.first_size
        if self.size_chosen:
            return  # an explicit size wins over the image's preset
        first = self._frames.frames["first"].image
        if size is None and first is not None and first.url is not None and self._state.has_client:
            self._read_url_size(first.url)  # as `generate` and the command line read it
        elif size is not None:
            self._show_size_of(size)

    def _show_size_of(self, image_size: tuple[int, int]) -> None:
        """Select the preset closest to an image of `image_size` (what a new first frame does)."""
        _, (w, h) = size_for_aspect(*image_size)
        self.quietly(width=w, height=h, size=preset_of(w, h))

    def _read_url_size(self, url: str) -> None:
        state = self._state

        async def read() -> None:
            try:
                size = await state.client.image_size(url)
            except ImageSizeUnknown as error:
                state.errors.show(state.t("url_size_unknown", problem=error.problem()))
                return
            current = self._frames.frames["first"].image
            if current is not None and current.url == url and not self.size_chosen:  # still wanted
                self._show_size_of(size)

        with contextlib.suppress(NoEventLoop):  # built outside a running loop: the size stays as shown
            self._background.append(start_task(read(), state.errors, name="hfwidgets-studio-url-size"))

    def _on_seed(self, _change: Mapping[str, Any]) -> None:
        if not self._quiet:
            self._state.keep_seed = True  # a seed typed by hand is meant to be used

    def _on_size(self, change: Mapping[str, Any]) -> None:
        if self._quiet:
            return
        self.size_chosen = True
        if change["new"] == CUSTOM_SIZE:
            return
        state = self._state
        if change["new"] not in SIZE_PRESETS:
            self.quietly(size=preset_of(state.width, state.height))
            return
        w, h = SIZE_PRESETS[change["new"]]
        self.quietly(width=w, height=h)

    def _on_side(self, _change: Mapping[str, Any]) -> None:
        if not self._quiet:
            self.size_chosen = True
            self.quietly(size=preset_of(self._state.width, self._state.height))

    def _on_settings(self, _change: Mapping[str, Any]) -> None:
        if not self._quiet:
            self.after_change()

    def __repr__(self) -> str:
        return f"StudioSettings({self.values!r}, size_chosen={self.size_chosen})"
