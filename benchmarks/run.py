"""Run every hfwidgets benchmark against the local emulator and print one table of figures.

    .venv/bin/python -m benchmarks                 # everything (about 10 minutes on 2 cores)
    .venv/bin/python -m benchmarks --quick         # reduced run (fewer tasks and repeats)
    .venv/bin/python -m benchmarks --only P1,P5    # a selection
    .venv/bin/python -m benchmarks --write         # also rewrite benchmarks/RESULTS.md

Each benchmark runs in its own fresh Python process (so memory, CPU and import
figures are its own) with a private HFWIDGETS_HOME. Figures are printed, never
asserted: the exit status is 0 whatever they are.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

if __package__ in (None, ""):  # `python benchmarks/run.py` as well as `python -m benchmarks`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "benchmarks"

from benchmarks._common import REPO_ROOT, Figure, Result, format_table, print_result, skipped

__all__ = ["BENCHMARKS", "Benchmark", "main"]

RESULTS_PATH = Path(__file__).resolve().parent / "RESULTS.md"
SUMMARY_HEADERS = ("#", "figure", "value", "target", "met?")


@dataclass(frozen=True)
class Benchmark:
    """One row of the benchmark plan: its key, what it measures and the module that measures it."""

    key: str
    title: str
    module: str

    def __repr__(self) -> str:
        return f"Benchmark({self.key!r}, {self.module!r})"


BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark("P1", "completion-detection delay and requests per task", "benchmarks.bench_polling"),
    Benchmark("P2", "1,000 concurrent tasks in one process", "benchmarks.bench_scale"),
    Benchmark("P3", "kernel responsiveness with 50 waits in the kernel's loop", "benchmarks.bench_kernel"),
    Benchmark("P4", "12-megapixel JPEG as the input", "benchmarks.bench_images"),
    Benchmark("P5", "import hfwidgets, cold, fresh process", "benchmarks.bench_import"),
    Benchmark("P6", "motion grid with 1,000 templates in Chromium", "benchmarks.bench_grid"),
    Benchmark("P7", "saved quickstart notebook after a Studio and 3 results", "benchmarks.bench_notebook"),
    Benchmark("P8", "emulator rendering a 5 s 736×1312 clip", "benchmarks.bench_render"),
    Benchmark("P9", "first run() on the embedded emulator, fresh process", "benchmarks.bench_first_run"),
    Benchmark("P10", "two Studios and a run() sharing one client, 30 req/s limit", "benchmarks.bench_shared"),
    Benchmark("P11", "a 40 MB PNG chosen as the first frame in JupyterLab", "benchmarks.bench_upload"),
    Benchmark("P12", "ETA at submission vs actual duration, emulator tasks", "benchmarks.bench_eta"),
    Benchmark("P13", "sketches on the user's image: time to the 12th and 30th", "benchmarks.bench_sketch"),
    # Not in the plan's table: journal write latency, by the journal's owner (same result format).
    Benchmark(
        "journal", "task journal: write latency, contention, pending() scan", "benchmarks.bench_journal"
    ),
)


def run_one(bench: Benchmark, *, quick: bool, timeout: float) -> Result:
    """Run one benchmark in a fresh interpreter; its own output streams through."""
    module_file = REPO_ROOT / (bench.module.replace(".", "/") + ".py")
    if not module_file.exists():
        return skipped(bench.key, bench.title, f"{module_file.relative_to(REPO_ROOT)} does not exist yet")
    if bench.key == "P4":
        return _run_images(bench, quick=quick, timeout=timeout)
    with tempfile.TemporaryDirectory(prefix="hfwidgets-bench-") as tmp:
        out = Path(tmp) / "result.json"
        command = [sys.executable, "-m", bench.module, "--json", str(out)]
        if quick:
            command.append("--quick")
        try:
            subprocess.run(command, cwd=REPO_ROOT, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return skipped(bench.key, bench.title, f"did not finish within {timeout:.0f} s")
        if not out.exists():
            return skipped(bench.key, bench.title, "the benchmark process exited without a result")
        return Result.from_json(json.loads(out.read_text()))


# --------------------------------------------------------------------------- P4 (bench_images.py)

_SIZE = re.compile(r"([\d.,]+)\s*(KB|KiB|kB|MB|MiB|B)\b")
_TIME = re.compile(r"([\d.]+)\s*ms\b")


def _run_images(bench: Benchmark, *, quick: bool, timeout: float) -> Result:
    """P4 is measured by `benchmarks/bench_images.py` (owned with `_images.py`).

    It prints its own table; this runner shows it, then reads the headline
    figures from its output lines naming the wire size, the naive size and the
    time to prepare.
    """
    command = [sys.executable, "-m", bench.module, "--runs", "5" if quick else "9"]
    started, load_before = time.perf_counter(), os.getloadavg()[0]
    try:
        done = subprocess.run(
            command, cwd=REPO_ROOT, timeout=timeout, check=False, capture_output=True, text=True
        )
    except subprocess.TimeoutExpired:
        return skipped(bench.key, bench.title, f"did not finish within {timeout:.0f} s")
    if done.returncode != 0:
        tail = " ".join(done.stderr.strip().splitlines()[-2:])
        return skipped(bench.key, bench.title, f"bench_images.py exited {done.returncode}: {tail[:200]}")
    result = _parse_images_output(bench, done.stdout)
    result.details = ["```text", *done.stdout.rstrip().splitlines(), "```"]
    result.seconds = time.perf_counter() - started
    result.notes.append(
        f"machine load average (1 min): {load_before:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end ({os.cpu_count()} cores)"
    )
    return result


def _kilobytes(match: re.Match[str]) -> float:
    value = float(match.group(1).replace(",", ""))
    unit = match.group(2).lower()
    return {
        "b": value / 1000,
        "kb": value,
        "kib": value * 1.024,
        "mb": value * 1000,
        "mib": value * 1048.576,
    }[unit]


def _parse_images_output(bench: Benchmark, text: str) -> Result:
    result = Result(bench.key, bench.title)
    wire = naive = prepare = None
    for line in text.splitlines():
        lower = line.lower()
        size = _SIZE.search(line)
        if size and "naive" in lower and naive is None:
            naive = _kilobytes(size)
        elif size and "wire" in lower and wire is None:
            wire = _kilobytes(size)
        millis = _TIME.search(line)
        if millis and "prepar" in lower and prepare is None:
            prepare = float(millis.group(1))
    result.figures = [
        Figure("bytes on the wire (736×1312)", wire, "KB", "≤ 400 KB", None if wire is None else wire <= 400),
        Figure(
            "time to prepare (median)", prepare, "ms", "≤ 150 ms", None if prepare is None else prepare <= 150
        ),
        Figure("naive base64 of the file", naive, "KB"),
    ]
    if None in (wire, naive, prepare):
        result.notes.append(
            "some figures could not be read from bench_images.py's output; see its table above"
        )
    return result


# --------------------------------------------------------------------------- summary


def machine() -> str:
    """A one-line description of the machine the figures come from."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        memory_text = f", {memory:.0f} GiB RAM"
    except (ValueError, OSError, AttributeError):
        memory_text = ""
    return (
        f"{os.cpu_count()} cores ({cpu}){memory_text}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def summary_rows(results: Sequence[Result]) -> list[tuple[str, ...]]:
    """Every headline figure with its target and whether it was met."""
    rows: list[tuple[str, ...]] = []
    for result in results:
        if result.skipped:
            rows.append((result.key, result.title, "not measured", "", result.skipped))
            continue
        for figure in result.figures:
            verdict = {True: "yes", False: "**NO**", None: ""}[figure.met]
            rows.append((result.key, figure.name, figure.shown(), figure.target, verdict))
    return rows


def summary_lines(results: Sequence[Result]) -> list[str]:
    """One table: every headline figure with its target and whether it was met."""
    return format_table(SUMMARY_HEADERS, summary_rows(results))


def write_results(results: Sequence[Result], *, quick: bool, started: datetime) -> None:
    """Rewrite RESULTS.md with these results.

    The file is its own store: a benchmark not run this time keeps its summary rows and
    its section as they were, with the date they were measured, so `--only P2 --write`
    refreshes P2 alone.
    """
    previous = RESULTS_PATH.read_text() if RESULTS_PATH.exists() else ""
    rows, sections = _parse_results(previous)
    stamp = started.strftime("%Y-%m-%d %H:%M UTC")
    run_kind = "quick run" if quick else "full run"
    for result in results:
        rows[result.key] = summary_rows([result])
        section = [
            f"## {result.key} — {result.title}",
            "",
            f"Measured {stamp} ({run_kind}) on {machine()}.",
            "",
        ]
        if result.skipped:
            section += [f"Not measured: {result.skipped}", ""]
        else:
            section += [*result.details, ""] if result.details else []
            section += [f"- {note}" for note in result.notes]
            section += [f"- run time: {result.seconds:.0f} s", ""]
        sections[result.key] = section
    order = [b.key for b in BENCHMARKS]
    keys = sorted(sections, key=lambda key: (order.index(key) if key in order else len(order), key))
    dates = sorted(
        {
            match
            for key in keys
            for match in re.findall(r"^Measured (\S+ \S+ UTC)", "\n".join(sections[key]), re.M)
        }
    )
    lines = [
        "# Benchmark results",
        "",
        f"- measured: {' to '.join(dates[:1] + dates[-1:]) if len(dates) > 1 else ''.join(dates)} "
        "(each section says when, on which machine)",
        "- figures are noisy on a shared machine (each benchmark notes the load average): read them next to",
        "  their side-by-side baselines",
        "- command: `.venv/bin/python -m benchmarks --write` (see `benchmarks/README.md`)",
        "",
        "## Summary",
        "",
        *format_table(SUMMARY_HEADERS, [row for key in keys for row in rows.get(key, [])]),
        "",
    ]
    for key in keys:
        lines += sections[key]
    RESULTS_PATH.write_text("\n".join(lines).rstrip("\n") + "\n")


def _parse_results(text: str) -> tuple[dict[str, list[tuple[str, ...]]], dict[str, list[str]]]:
    """Summary rows and section lines per benchmark key, from a RESULTS.md as this module writes it."""
    rows: dict[str, list[tuple[str, ...]]] = {}
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    in_summary = False
    for line in text.splitlines():
        heading = re.match(r"^## (\S+) — ", line)
        if line.startswith("## "):
            in_summary = line == "## Summary"
            current = sections.setdefault(heading.group(1), []) if heading else None
        if current is not None:
            current.append(line)
        elif in_summary and line.startswith("|") and not line.startswith("|-"):
            cells = tuple(cell.strip() for cell in line.strip().strip("|").split("|"))
            if cells != SUMMARY_HEADERS and len(cells) == len(SUMMARY_HEADERS):
                rows.setdefault(cells[0], []).append(cells)
    for section in sections.values():
        if section and section[-1]:
            section.append("")
    return rows, sections


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; returns the process exit status (always 0 unless misused)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="reduced run: fewer tasks and repeats")
    parser.add_argument("--only", help="comma-separated selection, e.g. P1,P5")
    parser.add_argument("--write", action="store_true", help=f"write the results to {RESULTS_PATH.name}")
    parser.add_argument("--timeout", type=float, default=900, help="seconds allowed per benchmark")
    args = parser.parse_args(argv)
    selected = BENCHMARKS
    if args.only:
        wanted = {key.strip().upper() for key in args.only.split(",") if key.strip()}
        unknown = wanted - {b.key.upper() for b in BENCHMARKS}
        if unknown:
            parser.error(f"unknown benchmark(s) {sorted(unknown)}; choose from {[b.key for b in BENCHMARKS]}")
        selected = tuple(b for b in BENCHMARKS if b.key.upper() in wanted)
    started = datetime.now(timezone.utc)
    clock = time.perf_counter()
    results = []
    for bench in selected:
        result = run_one(bench, quick=args.quick, timeout=args.timeout)
        if result.skipped or bench.key == "P4":
            print_result(result)  # the others print their own from their process
        results.append(result)
    print(f"\n# Summary ({machine()}; {time.perf_counter() - clock:.0f} s)\n")
    print("\n".join(summary_lines(results)))
    if args.write:
        write_results(results, quick=args.quick, started=started)
        print(f"\nwritten to {RESULTS_PATH.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
