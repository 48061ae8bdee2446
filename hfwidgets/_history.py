"""`History`: the journalled tasks as a list that shows itself (a text table, HTML, a DataFrame, a zip).

`hfwidgets.history()` (in `_journal`) makes one from the journal's records.
"""

from __future__ import annotations

import os
from dataclasses import fields
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ._export import export_records, select_records
from ._extras import require
from ._journal_rows import SUBMITTING, UNCERTAIN, TaskRecord
from ._static import HISTORY_ROWS, history_html

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["History"]


class History(list[TaskRecord]):
    """Journalled tasks, newest first: a list of TaskRecord that shows itself as a table."""

    def to_dataframe(self) -> pd.DataFrame:
        """A pandas DataFrame, one row per task (thumbnails left out). Needs the "analysis" extra."""
        require("analysis", "History.to_dataframe()")
        import pandas as pd

        columns = [item.name for item in fields(TaskRecord) if item.name != "thumbnail"]
        return pd.DataFrame([record.to_dict() for record in self], columns=columns)

    def _summary(self) -> str:
        if not self:
            return "History(empty)"
        counts: dict[str, int] = {}
        for record in self:
            counts[record.status] = counts.get(record.status, 0) + 1
        spent = sum(record.cost for record in self)
        unsure = sum(record.cost for record in self if record.status in (UNCERTAIN, SUBMITTING))
        by_status = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        noun = "task" if len(self) == 1 else "tasks"
        maybe = f", {unsure} of them uncertain" if unsure else ""
        return f"History({len(self)} {noun}: {by_status}; {spent} points{maybe})"

    def __repr__(self) -> str:
        lines = [self._summary()]
        lines += [f"  {record!r}" for record in self[:HISTORY_ROWS]]
        if len(self) > HISTORY_ROWS:
            lines.append(f"  ... {len(self) - HISTORY_ROWS} more")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return history_html(self, self._summary())

    def export(
        self,
        path: str | os.PathLike[str],
        *,
        since: datetime | date | str | None = None,
        status: str | None = None,
    ) -> Path:
        """Write these tasks as a zip to `path`: their kept videos, `manifest.json` and an `index.html`
        that reads offline (posters embedded, videos played from their files). Returns the path.

        `since` (a datetime, a date or an ISO text; naive means UTC) and `status` (e.g.
        "completed") choose among them. A task whose video is not kept is listed with its link
        and a note. Written atomically: an interrupted export leaves no half zip.
        """
        return export_records(select_records(self, since=since, status=status), path)
