"""MotionGrid: pick a motion template from a searchable grid of animated previews.

`MotionChoice` is the catalogue-and-selection logic the grid and the Studio share
(the same traits: `items`, `selected_id`, `search`, `category`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import traitlets

from .._catalog import bundled_motions, filter_motions, resolve_motion, sort_motions
from .._models import Motion
from .._static import StaticRepr, note_html
from ._assets import compose_css, compose_esm
from ._base import MediaChannel, WidgetBase, describe_error

__all__ = ["MotionChoice", "MotionGrid", "motion_item"]

_ALL_CATEGORIES = ("", "all")  # category values that mean "no category filter"

logger = logging.getLogger("hfwidgets.widgets")


def motion_item(motion: Motion, preview: str = "") -> dict[str, Any]:
    """The plain dict the front end renders for one motion (`preview`: a media ref, see MediaChannel).

    Strings are passed through untouched: the front end renders them as text, so
    escaping here would only show up as stray `&lt;` on screen.
    """
    return {
        "id": motion.id,
        "name": motion.name,
        "preview": preview,
        "tags": list(motion.tags),
        "categories": list(motion.categories),
        "parts": [{"id": p.id, "name": p.name, "strength": p.strength} for p in motion.parts],
    }


class MotionChoice(traitlets.HasTraits):
    """The motion catalogue on show and the selection, as synced traits."""

    items = traitlets.List(traitlets.Dict()).tag(sync=True)
    """The catalogue as plain dicts (see `motion_item`), sorted by priority then name."""
    selected_id = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    """Id of the selected motion, or None."""
    search = traitlets.Unicode("").tag(sync=True)
    """Text typed in the search box: filters by motion name and mix part names."""
    category = traitlets.Unicode("").tag(sync=True)
    """Category button that is on ("" or "all" for every category)."""

    media: MediaChannel

    def _init_catalogue(self, motions: Sequence[Motion]) -> None:
        catalogue = sort_motions(motions)
        self._motions: list[Motion] = catalogue
        self._by_id: dict[str, Motion] = {m.id: m for m in catalogue}
        # A motion selected by name that is only a mix part, or an id outside the
        # catalogue, has no tile; remember it so the selection still returns it.
        self._outside_selection: Motion | None = None
        self.items = self._items(catalogue)

    def _items(self, catalogue: Sequence[Motion]) -> list[dict[str, Any]]:
        return [motion_item(m, self.media.ref(m.preview_url)) for m in catalogue]

    def _selected_motion(self) -> Motion | None:
        selected: str | None = self.selected_id
        if selected is None:
            return None
        motion = self._by_id.get(selected)
        if motion is not None:
            return motion
        if self._outside_selection is not None and self._outside_selection.id == selected:
            return self._outside_selection
        return Motion(id=selected, name=selected)

    def _select(self, motion: Motion | str | None) -> None:
        if motion is None:
            self.selected_id = None
            return
        resolved = resolve_motion(motion, self._motions)  # ValidationError on unknown/ambiguous names
        self._outside_selection = None if resolved.id in self._by_id else resolved
        self.selected_id = resolved.id

    @property
    def motions(self) -> list[Motion]:
        """The motions on show, sorted by priority then name. Assigning keeps the
        selection when the selected id is still in the new catalogue."""
        return list(self._motions)

    @motions.setter
    def motions(self, motions: Sequence[Motion]) -> None:
        catalogue = sort_motions(motions)
        selected: str | None = self.selected_id
        kept = selected is not None and (
            any(m.id == selected for m in catalogue)
            or (self._outside_selection is not None and self._outside_selection.id == selected)
        )
        self._motions = catalogue
        self._by_id = {m.id: m for m in catalogue}
        if self._outside_selection is not None and self._outside_selection.id in self._by_id:
            self._outside_selection = None
        with self.hold_trait_notifications():
            self.items = self._items(catalogue)
            if not kept:
                self.selected_id = None

    @property
    def visible(self) -> list[Motion]:
        """The motions matching the current `search` and `category` (what the grid shows)."""
        category = None if self.category in _ALL_CATEGORIES else self.category
        return filter_motions(self._motions, self.search, category)


class MotionGrid(StaticRepr, WidgetBase, MotionChoice):
    """A grid of motion templates with search, category buttons and keyboard selection.

    >>> grid = MotionGrid(value="Face Punch")
    >>> grid.value
    Motion('Face Punch', id='cd5bfd11-5a1a-46e0-9294-b22b0b733b1e', categories=['vfx', 'trending'])

    `motions=None` shows the bundled catalogue; assign `grid.motions` to show
    another one (the live listing). Follow the selection with `on_select(cb)` or
    `observe(cb, names="selected_id")`.
    """

    _esm = compose_esm("grid.js", "motion_grid.js")
    _css = compose_css("grid.css")

    def __init__(
        self,
        motions: Sequence[Motion] | None = None,
        *,
        value: Motion | str | None = None,
        lang: str | None = None,
        **traits: Any,
    ) -> None:
        super().__init__(lang=lang, uses_client=False, **traits)
        self._select_callbacks: list[Callable[[Motion | None], None]] = []
        self._init_catalogue(bundled_motions() if motions is None else motions)
        self.observe(self._notify_select, names="selected_id")
        if value is not None:
            self.value = value

    @property
    def value(self) -> Motion | None:
        """The selected Motion, or None. Accepts a Motion, a motion id or a name."""
        return self._selected_motion()

    @value.setter
    def value(self, motion: Motion | str | None) -> None:
        self._select(motion)

    def on_select(self, callback: Callable[[Motion | None], None]) -> None:
        """Call `callback(motion)` each time the selection changes (None when cleared).

        An exception raised by the callback is shown in the grid's error line
        (a callback run from a click has nowhere else to report to) and logged.
        """
        self._select_callbacks.append(callback)

    def _notify_select(self, _change: dict[str, Any]) -> None:
        motion = self.value
        for callback in list(self._select_callbacks):
            try:
                callback(motion)
            except Exception as exc:
                logger.exception("motion selection callback %r failed", callback)
                self.error = describe_error(exc)

    def static_html(self) -> str:
        """The selection as standalone HTML (what a reader without a kernel sees)."""
        selected = self.value
        return note_html(
            f"Motion grid: {len(self._motions)} motions",
            f"Selected: {selected.name}"
            if selected is not None
            else "No motion selected when this was saved.",
        )

    def __repr__(self) -> str:
        selected = self.value
        shown = f", selected={selected.name!r}" if selected is not None else ""
        return f"MotionGrid({len(self._motions)} motions{shown})"
