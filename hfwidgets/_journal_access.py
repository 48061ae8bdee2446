"""A Client's use of the journal: the file opened on first use, and its failures kept, not raised.

A Client keeps generating when the journal is unusable (a read-only folder, a
corrupt file) and says so in `problem` (`Client.journal_problem`, which the
widgets show as a warning): every `JournalError` of a journal operation is kept
there and logged once, and the next successful operation clears it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ._errors import JournalError
from ._journal import Journal

__all__ = ["JournalAccess"]

logger = logging.getLogger("hfwidgets")


class JournalAccess:
    """`option`: True (the default journal, opened on first use), False (none) or a `Journal`."""

    def __init__(self, option: Journal | bool) -> None:
        self._option = option
        self._opened: Journal | None = None
        self._problem: str | None = None
        self._checked = False

    def __repr__(self) -> str:
        return f"JournalAccess({self._option!r}, problem={self._problem is not None})"

    @property
    def journal(self) -> Journal | None:
        """The journal tasks are written to (None with `journal=False`)."""
        option = self._option
        if option is False:
            return None
        if option is not True:
            return option
        if self._opened is None:
            self._opened = Journal()
        return self._opened

    @property
    def problem(self) -> str | None:
        """Why tasks are not being journalled, else None; checked on first read (opening the file)
        and updated by every journal operation."""
        journal = self.journal
        if journal is not None and self._problem is None and not self._checked:
            self._checked = True
            self.call(journal.check)
        return self._problem

    @property
    def last_problem(self) -> str | None:
        """The problem the last journal operation met (None: it went well), without checking."""
        return self._problem

    def call(self, action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run one journal operation; a JournalError is kept in `problem` (and logged once): None."""
        try:
            result = action(*args, **kwargs)
        except JournalError as error:
            first = self._problem is None
            self._problem = f"tasks are not being journalled: {error}"
            if first:
                logger.warning("%s", self._problem)
            return None
        self._problem = None
        return result

    def close(self) -> None:
        """Close the journal this object opened itself (never one it was given)."""
        if self._opened is not None:
            self._opened.close()
