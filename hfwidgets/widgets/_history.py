"""The history strip of a Studio: one item per submitted task, newest last.

Clicking an item shows its result; "use these parameters" puts its settings
back into the Studio's controls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import ipywidgets

from .._models import Feed, Motion
from ._base import ErrorArea, shows_errors, small_jpeg_widget
from ._controls import ControlValues

__all__ = ["HistoryEntry", "HistoryStrip"]


@dataclass(eq=False)
class HistoryEntry:
    """One task of the strip: what was asked and what became of it."""

    number: int
    motion: Motion | None
    values: ControlValues | None
    image_sources: tuple[str, ...] = ()
    thumbnail: bytes | None = None
    task_id: str | None = None
    status: str = "submitting"
    feed: Feed | None = None
    note: str = ""
    """Why waiting stopped, when it did (cancelled, failed, ...)."""
    widgets: dict[str, ipywidgets.Widget] = field(default_factory=dict, repr=False)

    @property
    def label(self) -> str:
        motion = self.motion.name if self.motion is not None else "?"
        return f"#{self.number} {motion} · {self.status}"

    def __repr__(self) -> str:
        return f"HistoryEntry(#{self.number}, task={self.task_id!r}, status={self.status!r})"


class HistoryStrip(ipywidgets.VBox):  # type: ignore[misc]  # ipywidgets has no type hints
    """Thumbnails of the tasks made so far; select one to show it, reuse its settings."""

    def __init__(self) -> None:
        self.errors = ErrorArea()
        self.entries: list[HistoryEntry] = []
        self.selected: HistoryEntry | None = None
        self._items = ipywidgets.HBox(layout=ipywidgets.Layout(overflow="auto", flex_flow="row"))
        self._detail = ipywidgets.HTML("")
        self.reuse_button = ipywidgets.Button(
            description="use these parameters",
            icon="undo",
            disabled=True,
            tooltip="put the motion, model, seed, size, prompt and enhance setting of this result back",
        )
        self.reuse_button.add_class("hfw-reuse")
        self.reuse_button.on_click(self._on_reuse)
        self._show_callbacks: list[Callable[[HistoryEntry], None]] = []
        self._reuse_callbacks: list[Callable[[HistoryEntry], None]] = []
        super().__init__(
            children=[self._items, ipywidgets.HBox([self._detail, self.reuse_button]), self.errors]
        )
        self.add_class("hfw-history")

    def add(self, entry: HistoryEntry) -> HistoryEntry:
        """Append an entry (its thumbnail and status button) to the strip."""
        thumb = small_jpeg_widget("hfw-history-thumb", size=80)
        if entry.thumbnail:
            thumb.value = entry.thumbnail
        button = ipywidgets.Button(description=entry.label, tooltip=entry.task_id or "")
        button.add_class("hfw-history-item")
        button.on_click(lambda _b: self.select(entry))
        entry.widgets = {"thumb": thumb, "button": button}
        self.entries.append(entry)
        self._items.children = (*self._items.children, ipywidgets.VBox([thumb, button]))
        return entry

    def refresh(self, entry: HistoryEntry) -> None:
        """Show the entry's current status."""
        button = entry.widgets.get("button")
        if isinstance(button, ipywidgets.Button):
            button.description = entry.label
            button.tooltip = entry.task_id or ""
        if entry is self.selected:
            self._describe(entry)

    @shows_errors
    def select(self, entry: HistoryEntry) -> None:
        """Show this entry (callbacks of `on_show` run) and offer to reuse its settings."""
        self.selected = entry
        for widget_entry in self.entries:
            button = widget_entry.widgets.get("button")
            if isinstance(button, ipywidgets.Button):
                button.button_style = "info" if widget_entry is entry else ""
        self._describe(entry)
        self.reuse_button.disabled = entry.values is None and entry.motion is None
        for callback in self._show_callbacks:
            callback(entry)

    def on_show(self, callback: Callable[[HistoryEntry], None]) -> None:
        """Call `callback(entry)` when an item is clicked."""
        self._show_callbacks.append(callback)

    def on_reuse(self, callback: Callable[[HistoryEntry], None]) -> None:
        """Call `callback(entry)` when "use these parameters" is clicked."""
        self._reuse_callbacks.append(callback)

    def _describe(self, entry: HistoryEntry) -> None:
        import html

        text = f"#{entry.number} task {entry.task_id or '(not submitted)'}: {entry.status}"
        if entry.note:
            text += f" — {entry.note}"
        self._detail.value = f"<small>{html.escape(text)}</small>"

    @shows_errors
    def _on_reuse(self, _button: ipywidgets.Button) -> None:
        if self.selected is None:
            return
        for callback in self._reuse_callbacks:
            callback(self.selected)

    def __repr__(self) -> str:
        return f"HistoryStrip({len(self.entries)} entries)"
