"""The history of a Studio: one entry per submitted task, shown newest first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._models import Feed, Motion
from ._compare import is_comparable
from ._controls import ControlValues
from ._i18n import tr
from ._status import EntryStatus, status_label

__all__ = ["HistoryEntry", "status_label"]


@dataclass(eq=False)
class HistoryEntry:
    """One task of the history: what was asked and what became of it."""

    number: int
    motion: Motion | None
    values: ControlValues | None
    image_sources: tuple[str, ...] = ()
    thumbnail: bytes | None = None
    task_id: str | None = None
    status: EntryStatus | str = EntryStatus.SUBMITTING
    """An `EntryStatus`; a status the service reported that the widgets do not know, as reported."""
    feed: Feed | None = None
    note: str = ""
    """Why waiting stopped, when it did (cancelled, failed, ...)."""
    thumb_ref: str = ""
    """The media ref of the thumbnail, for the view."""

    @property
    def comparable(self) -> bool:
        """Finished with a video: it can be compared with others."""
        return self.status == EntryStatus.COMPLETED and is_comparable(self.feed)

    def label(self, lang: str = "en") -> str:
        """ "#1 Face Punch · lite · seed 42 · completed": motion, model, seed and status, in full."""
        values = self.values
        return tr(
            lang,
            "history_item",
            n=self.number,
            motion=self.motion.name if self.motion is not None else "?",
            model=values.model if values is not None else "?",
            seed=values.seed if values is not None and values.seed is not None else "?",
            status=status_label(self.status, lang),
        )

    def state(self, lang: str) -> dict[str, Any]:
        """The dict the view shows."""
        return {
            "n": self.number,
            "label": self.label(lang),
            "thumb": self.thumb_ref,
            "task_id": self.task_id or "",
            "note": self.note,
            "reusable": self.values is not None or self.motion is not None,
            "comparable": self.comparable,
        }

    def __repr__(self) -> str:
        return f"HistoryEntry(#{self.number}, task={self.task_id!r}, status={str(self.status)!r})"
