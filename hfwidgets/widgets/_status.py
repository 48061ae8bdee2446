"""The statuses the widgets show, as enums: a History entry's (`EntryStatus`) and a widget's
button state (`Busy`).

Both are `str` enums: a member is its own string ("queued", "waiting stopped"), so the synced
state, saved notebooks and the views keep reading the same strings, and a member compares equal
to its string.
"""

from __future__ import annotations

from enum import Enum

from ._i18n import STRINGS, tr

__all__ = ["Busy", "EntryStatus", "entry_status", "status_label"]


class _Strings(str, Enum):
    """A str enum shown as its value (`str()` and f-strings give "queued", on every Python)."""

    def __str__(self) -> str:
        return str(self.value)


class EntryStatus(_Strings):
    """Where a task of a widget stands: the service's statuses, and what the widget itself knows
    (before an id arrives, or once waiting ended without a final status)."""

    SUBMITTING = "submitting"
    """Being sent; no task id yet."""
    NOT_SUBMITTED = "not submitted"
    """Refused or never delivered: nothing was charged."""
    UNCERTAIN = "uncertain"
    """No answer to the POST: the task may exist and may have been charged."""
    QUEUED = "queued"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"
    NSFW = "nsfw"
    CANCELED = "canceled"
    WAITING_STOPPED = "waiting stopped"
    """Cancel pressed: the task continues on the server."""
    STILL_RUNNING = "still running"
    """Not finished within the wait: the task continues on the server."""
    NOT_RESUMED = "not resumed"
    """A task of an earlier kernel that could not be waited on."""

    def label(self, lang: str = "en") -> str:
        """The status in words ("in progress", "已完成")."""
        return tr(lang, "st_" + self.value.replace(" ", "_"))


def entry_status(status: str) -> EntryStatus | str:
    """The member of a status the widgets know; any other status (a new one of the service) as it
    was reported, so the user sees its raw spelling."""
    try:
        return EntryStatus(status)
    except ValueError:
        return status


def status_label(status: str, lang: str) -> str:
    """A task status in words ("in progress", "已完成"); unknown statuses as they are."""
    known = entry_status(status)
    if isinstance(known, EntryStatus) and "st_" + known.value.replace(" ", "_") in STRINGS["en"]:
        return known.label(lang)
    return status


class Busy(_Strings):
    """What a widget's button is doing (trait `busy`)."""

    IDLE = ""
    """Nothing running: the button can be pressed."""
    SUBMITTING = "submitting"
    """The task is being sent (Studio, AdsPanel)."""
    WAITING = "waiting"
    """Sent; waiting for its result (Studio, AdsPanel: Cancel is offered)."""
    RUNNING = "running"
    """The Explorer's cells are being sent and waited for."""
    DONE = "done"
    """The Explorer's run has ended (it runs once)."""
