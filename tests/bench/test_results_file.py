"""The benchmark runner's RESULTS.md: a partial run refreshes its own sections and keeps the rest."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from benchmarks import run
from benchmarks._common import Figure, Result


def result(key: str, value: float, note: str) -> Result:
    figure = Figure(f"{key} headline", value, "s", "≤ 1 s", value <= 1)
    return Result(key, f"title of {key}", figures=[figure], details=[f"| table of {key} |"], notes=[note])


def test_a_partial_run_keeps_the_other_benchmarks_as_they_were(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run, "RESULTS_PATH", tmp_path / "RESULTS.md")
    first = datetime(2026, 1, 2, 3, 4, tzinfo=timezone.utc)
    run.write_results(
        [result("P1", 0.5, "first P1"), result("P2", 2.0, "first P2")], quick=False, started=first
    )
    later = datetime(2026, 2, 3, 4, 5, tzinfo=timezone.utc)
    run.write_results([result("P2", 0.7, "second P2")], quick=True, started=later)

    text = (tmp_path / "RESULTS.md").read_text()
    assert "first P1" in text and "second P2" in text and "first P2" not in text
    assert text.index("## P1 —") < text.index("## P2 —")
    assert "Measured 2026-01-02 03:04 UTC (full run)" in text
    assert "Measured 2026-02-03 04:05 UTC (quick run)" in text
    assert "- measured: 2026-01-02 03:04 UTC to 2026-02-03 04:05 UTC" in text
    summary = text.split("## Summary", 1)[1].split("## P1", 1)[0]
    rows = [line for line in summary.splitlines() if line.startswith("| P")]
    assert len(rows) == 2
    assert "0.5 s" in rows[0] and "yes" in rows[0]
    assert "0.7 s" in rows[1] and "yes" in rows[1] and "2 s" not in rows[1]
