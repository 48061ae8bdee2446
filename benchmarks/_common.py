"""What every benchmark shares: result records, robust statistics, isolation, reporting.

A benchmark module exposes `run(quick: bool) -> Result` and, when run as a script
(`python -m benchmarks.bench_x --json out.json [--quick]`), prints its detail
tables and writes the result as JSON. `benchmarks/run.py` starts each one in a
fresh subprocess so memory, CPU and import figures are never polluted by the
benchmarks that ran before it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "REPO_ROOT",
    "Figure",
    "Result",
    "format_table",
    "isolated_home",
    "median",
    "percentile",
    "script_main",
    "skipped",
]

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Figure:
    """One measured number, with the target it is read against (when there is one)."""

    name: str
    value: float | None
    unit: str = ""
    target: str = ""
    met: bool | None = None
    """True/False against `target`; None for figures printed for context only."""

    def shown(self) -> str:
        """The value with its unit, as the summary prints it."""
        if self.value is None:
            return "n/a"
        value = self.value
        if self.unit in ("s", "ms") or abs(value) < 10:
            text = f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
        else:
            text = f"{value:,.0f}"
        return f"{text} {self.unit}".strip()

    def __repr__(self) -> str:
        verdict = {True: "met", False: "missed", None: "info"}[self.met]
        return f"Figure({self.name!r}, {self.shown()!r}, target={self.target!r}, {verdict})"


@dataclass
class Result:
    """What one benchmark (P1…P8) measured: headline figures, detail tables, diagnosis notes."""

    key: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    """Pre-formatted lines (side-by-side tables) printed under the benchmark's heading."""
    notes: list[str] = field(default_factory=list)
    """Diagnosis and caveats: why a figure misses, what was not measurable."""
    skipped: str | None = None
    """Why the benchmark could not run (a piece it needs is missing), else None."""
    seconds: float = 0.0

    @property
    def met(self) -> bool | None:
        """False if any target figure missed, True if all met, None when nothing was judged."""
        verdicts = [f.met for f in self.figures if f.met is not None]
        if not verdicts:
            return None
        return all(verdicts)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Result:
        figures = [Figure(**f) for f in data.get("figures", [])]
        return cls(
            key=data["key"],
            title=data["title"],
            figures=figures,
            details=list(data.get("details", [])),
            notes=list(data.get("notes", [])),
            skipped=data.get("skipped"),
            seconds=float(data.get("seconds", 0.0)),
        )

    def __repr__(self) -> str:
        state = "skipped" if self.skipped else {True: "met", False: "missed", None: "info"}[self.met]
        return f"Result({self.key!r}, {len(self.figures)} figures, {state})"


def skipped(key: str, title: str, reason: str) -> Result:
    """A result for a benchmark whose pieces are not there (yet)."""
    return Result(key=key, title=title, skipped=reason)


# --------------------------------------------------------------------------- statistics


def median(values: Sequence[float]) -> float:
    """Median; NaN for no values (printed as such rather than crashing a run)."""
    return statistics.median(values) if values else float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), linear interpolation between closest ranks."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    """A GitHub-flavoured Markdown table (readable as plain text too)."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return lines


def _cell(value: object) -> str:
    if isinstance(value, float):
        if value != value:  # NaN
            return "n/a"
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


# --------------------------------------------------------------------------- isolation


@contextmanager
def isolated_home() -> Iterator[Path]:
    """A private HFWIDGETS_HOME (journal) and no real key: benchmarks never touch the user's files."""
    saved = {
        name: os.environ.get(name) for name in ("HFWIDGETS_HOME", "OPENAI_HK_API_KEY", "OPENAI_HK_BASE_URL")
    }
    with tempfile.TemporaryDirectory(prefix="hfwidgets-bench-") as home:
        os.environ["HFWIDGETS_HOME"] = home
        os.environ.pop("OPENAI_HK_API_KEY", None)
        os.environ.pop("OPENAI_HK_BASE_URL", None)
        try:
            yield Path(home)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def script_main(key: str, title: str, run: Callable[[bool], Result]) -> None:
    """Entry point of `python -m benchmarks.bench_x [--quick] [--json PATH]`.

    A crash is turned into a skipped result naming the exception, so one broken
    piece never hides the other benchmarks' figures.
    """
    parser = argparse.ArgumentParser(description=f"{key}: {title}")
    parser.add_argument("--quick", action="store_true", help="reduced run (fewer tasks and repeats)")
    parser.add_argument("--json", type=Path, help="write the result here as JSON")
    args = parser.parse_args()
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    try:
        with isolated_home():
            result = run(args.quick)
    except Exception as exc:  # reported, not raised: the runner prints it in the summary
        import traceback

        traceback.print_exc()
        result = skipped(key, title, f"crashed: {type(exc).__name__}: {exc}"[:300])
    result.seconds = time.perf_counter() - started
    if not result.skipped:
        # Other work on a shared machine moves every figure: say how busy it was.
        result.notes.append(
            f"machine load average (1 min): {load_before:.1f} at the start, "
            f"{os.getloadavg()[0]:.1f} at the end ({os.cpu_count()} cores)"
        )
    print_result(result)
    if args.json:
        args.json.write_text(json.dumps(result.to_json(), indent=2))


def print_result(result: Result) -> None:
    """The benchmark's heading, detail tables, headline figures and notes."""
    out = sys.stdout
    out.write(f"\n## {result.key} — {result.title}\n\n")
    if result.skipped:
        out.write(f"not measured: {result.skipped}\n")
        out.flush()
        return
    for line in result.details:
        out.write(line + "\n")
    if result.details:
        out.write("\n")
    rows = [
        (f.name, f.shown(), f.target or "—", {True: "yes", False: "NO", None: "—"}[f.met])
        for f in result.figures
    ]
    for line in format_table(("figure", "value", "target", "met"), rows):
        out.write(line + "\n")
    for note in result.notes:
        out.write(f"- {note}\n")
    out.write(f"({result.seconds:.0f} s)\n")
    out.flush()


CHROMIUM = "/usr/bin/chromium"
"""Debian's Chromium, which the browser benchmarks drive (never a browser Playwright downloads)."""
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium keeps trying to reach the internet.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
