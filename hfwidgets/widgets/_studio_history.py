"""The Studio's History: its entries, the list the view shows, the comparison of some of them, and
the tasks an earlier kernel left pending, picked up through the core's `Client.resume`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .._errors import ValidationError
from .._journal import TaskRecord
from .._models import Feed
from ._base import describe_error
from ._compare import MAX_COMPARED, MIN_COMPARED, comparison_state
from ._controls import ControlValues
from ._follow import WAIT_TIMEOUT
from ._history import HistoryEntry
from ._status import EntryStatus, entry_status, status_label

if TYPE_CHECKING:
    from ._result_view import ResultState
    from ._studio_state import StudioState

__all__ = ["StudioHistory"]

STILL_RUNNING_NOTE = "not finished in time; it continues on the server"
UNKNOWN_NOTE = "the service does not know this task; `hfwidgets forget` gives up on it"


class StudioHistory:
    """The entries of one Studio, oldest first, and what its History and Comparison regions show."""

    def __init__(self, state: StudioState, result: ResultState, *, on_result: Callable[[Feed], None]) -> None:
        self._state = state
        self._result = result
        self._on_result = on_result
        self.entries: list[HistoryEntry] = []
        self._compared: list[HistoryEntry] = []

    def add(self, entry: HistoryEntry) -> HistoryEntry:
        """Number `entry` next and show it."""
        entry.number = len(self.entries) + 1
        entry.thumb_ref = self._state.media.ref_bytes(entry.thumbnail)
        self.entries.append(entry)
        self.refresh()
        return entry

    def refresh(self) -> None:
        """Draw the list anew (the `history` trait)."""
        lang = self._state.lang
        self._state.history = [entry.state(lang) for entry in self.entries]

    def entry(self, number: object) -> HistoryEntry:
        """The entry of this number; ValidationError for none."""
        for entry in self.entries:
            if entry.number == number:
                return entry
        raise ValidationError("history entry", number, f"1 to {len(self.entries)}")

    def asked(self, content: Mapping[str, Any]) -> list[HistoryEntry]:
        """The entries a view message names by number ({"n": [...]})."""
        numbers = content.get("n")
        if not isinstance(numbers, list):
            raise ValidationError("entries", numbers, "a list of history entry numbers")
        return [self.entry(number) for number in numbers]

    def show(self, entry: HistoryEntry) -> None:
        """Show an entry's result (or its status) in the Result region."""
        self._state.shown_entry = entry.number
        self._result.show(entry.feed)
        if entry.feed is None:
            self._result.update(
                status_text=f"#{entry.number}: {status_label(entry.status, self._state.lang)}"
            )

    def finish(self, entry: HistoryEntry, feed: Feed) -> None:
        """The entry's task ended with `feed`: shown, and a result of the Studio."""
        state = self._state
        entry.status = entry_status(feed.status)
        entry.feed = feed
        self.refresh()
        state.shown_entry = entry.number
        self._result.show(feed)
        self._on_result(feed)
        state.status = state.t(
            "status_done", n=entry.number, status=status_label(feed.status, state.lang), task=feed.id
        )

    def end(self, entry: HistoryEntry, status: EntryStatus, note: str) -> None:
        """The entry's wait ended without a final feed: say why."""
        entry.status = status
        entry.note = note
        self.refresh()

    # ------------------------------------------------------------------ comparison

    def compare(self, entries: Sequence[int | HistoryEntry]) -> list[HistoryEntry]:
        """Show 2 to 4 finished entries (numbers or entries) side by side; returns them."""
        chosen = [entry if isinstance(entry, HistoryEntry) else self.entry(entry) for entry in entries]
        wanted = f"{MIN_COMPARED} to {MAX_COMPARED} finished history entries with a video"
        if not MIN_COMPARED <= len(chosen) <= MAX_COMPARED:
            raise ValidationError("entries", [entry.number for entry in chosen], wanted)
        for entry in chosen:
            if entry not in self.entries or not entry.comparable:
                raise ValidationError(
                    "entries", entry.number, wanted, hint=f"#{entry.number} is {entry.status}"
                )
        self._compared = chosen
        self.show_comparison()
        return list(chosen)

    def close_comparison(self) -> None:
        """Close the Comparison region."""
        self._compared = []
        self.show_comparison()

    def show_comparison(self) -> None:
        """Draw the Comparison region anew (the `comparison` trait)."""
        items = [(entry.number, entry.feed) for entry in self._compared if entry.feed is not None]
        self._state.comparison = comparison_state(items, self._state.media, self._state.lang)

    # ------------------------------------------------------------------ resume

    async def resume(self) -> None:
        """Pick up the tasks an earlier kernel left pending (`Client.resume`), each as an entry."""
        state = self._state
        client = state.client
        if client.journal is None or client.journal_problem:
            return  # the notice says why nothing is picked up
        resumed: dict[str, HistoryEntry] = {}
        ended: set[str] = set()

        def on_start(record: TaskRecord) -> None:
            values = (
                ControlValues.of(record.options) if record.model and record.width and record.height else None
            )
            resumed[record.id] = self.add(
                HistoryEntry(
                    number=0,
                    motion=record.motion,
                    values=values,
                    thumbnail=record.thumbnail,
                    task_id=record.id,
                    status=entry_status(record.status),
                    note=state.t("resumed"),
                )
            )
            state.status = state.t("status_resuming", n=len(resumed))

        def on_update(feed: Feed) -> None:
            entry = resumed.get(feed.id)
            if entry is None:
                return
            changed = feed.status != entry.status
            entry.status = entry_status(feed.status)
            entry.feed = feed
            if changed:  # the list shows statuses: redrawn when one changes, not at every poll
                self.refresh()

        def on_done(record: TaskRecord, feed: Feed | None) -> None:
            ended.add(record.id)
            entry = resumed[record.id]
            if feed is None:
                self.end(entry, EntryStatus.NOT_RESUMED, UNKNOWN_NOTE)
            elif feed.done:
                self.finish(entry, feed)
            else:
                entry.feed = feed
                self.end(entry, EntryStatus.STILL_RUNNING, STILL_RUNNING_NOTE)

        try:
            await client.resume(timeout=WAIT_TIMEOUT, on_update=on_update, on_start=on_start, on_done=on_done)
        except Exception as error:
            for task_id, entry in resumed.items():
                if task_id not in ended:
                    entry.status = EntryStatus.NOT_RESUMED
                    entry.note = describe_error(error)
            self.refresh()
            raise

    def __repr__(self) -> str:
        return f"StudioHistory({len(self.entries)} entries, compared={[e.number for e in self._compared]})"
