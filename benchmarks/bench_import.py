"""P5: `import hfwidgets`, cold, in a fresh process, side by side with `import ipywidgets`.

Each sample is a new interpreter that times only the import statement
(`time.perf_counter()` around it); hfwidgets and ipywidgets alternate so drift
in machine load hits both alike. The whole-process wall time (interpreter
start included) is printed too. When the ratio is over target, the top
offenders of `python -X importtime -c "import hfwidgets"` are listed.
"""

from __future__ import annotations

import subprocess
import sys
import time

from ._common import REPO_ROOT, Figure, Result, format_table, median, script_main

KEY, TITLE = "P5", "import hfwidgets, cold, fresh process"
TARGET_RATIO = 1.3

_TIMER = "import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"

# label -> statement timed. The first two are the target's pair; the third shows what a
# notebook pays once it touches a widget (hfwidgets loads its widgets lazily).
STATEMENTS = {
    "hfwidgets": "import hfwidgets",
    "ipywidgets": "import ipywidgets",
    "hfwidgets + Studio": "import hfwidgets; hfwidgets.Studio",
}


def _import_seconds(statement: str) -> tuple[float, float]:
    """(seconds spent in the import statement, seconds for the whole process)."""
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", _TIMER.format(statement=statement)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    whole = time.perf_counter() - started
    return float(out.stdout.strip().splitlines()[-1]), whole


def import_offenders(module: str, top: int = 12) -> list[tuple[str, float]]:
    """The modules with the largest cumulative import time (seconds) under `-X importtime`."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    rows: list[tuple[str, float]] = []
    for line in out.stderr.splitlines():
        # "import time: self [us] | cumulative | imported package"
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, self_us, cumulative_us, name = (
            part.strip() for part in line.replace("import time:", "|").split("|")
        )
        del self_us
        rows.append((name.strip(), int(cumulative_us) / 1e6))
    rows.sort(key=lambda row: row[1], reverse=True)
    return rows[:top]


def modules_loaded(statement: str) -> int:
    """How many modules `statement` adds to sys.modules (beyond a bare interpreter)."""
    code = f"import sys; before = set(sys.modules); {statement}; print(len(set(sys.modules) - before))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip())


def _works(statement: str) -> bool:
    probe = subprocess.run([sys.executable, "-c", statement], cwd=REPO_ROOT, capture_output=True, check=False)
    return probe.returncode == 0


def run(quick: bool) -> Result:
    """Alternate fresh-process imports of hfwidgets and ipywidgets; compare medians."""
    repeats = 7 if quick else 11
    statements = {label: code for label, code in STATEMENTS.items() if _works(code)}
    result = Result(KEY, TITLE)
    for label in STATEMENTS.keys() - statements.keys():
        result.notes.append(f"`{STATEMENTS[label]}` fails at the moment: not measured.")
    samples: dict[str, list[float]] = {label: [] for label in statements}
    whole: dict[str, list[float]] = {label: [] for label in statements}
    for _ in range(repeats):
        for label, statement in statements.items():
            seconds, process = _import_seconds(statement)
            samples[label].append(seconds)
            whole[label].append(process)
    hf, ipw = median(samples["hfwidgets"]), median(samples["ipywidgets"])
    ratio = hf / ipw
    result.details = format_table(
        ("statement", "median (ms)", "min (ms)", "max (ms)", "process median (ms)", "modules added"),
        [
            (
                f"`{statements[label]}`",
                median(samples[label]) * 1e3,
                min(samples[label]) * 1e3,
                max(samples[label]) * 1e3,
                median(whole[label]) * 1e3,
                modules_loaded(statements[label]),
            )
            for label in samples
        ],
    )
    result.figures = [
        Figure("import hfwidgets (median)", hf * 1e3, "ms"),
        Figure("import ipywidgets (median)", ipw * 1e3, "ms"),
        Figure(
            "ratio hfwidgets / ipywidgets",
            ratio,
            "×",
            target=f"≤ {TARGET_RATIO} ×",
            met=ratio <= TARGET_RATIO,
        ),
    ]
    if "hfwidgets + Studio" in samples:
        studio = median(samples["hfwidgets + Studio"])
        result.figures.append(Figure("ratio (hfwidgets + Studio) / ipywidgets", studio / ipw, "×"))
    result.notes.append(
        f"{repeats} alternating fresh-process samples each after the first run of each"
        " (the OS file cache is warm: 'cold' means a fresh interpreter)."
    )
    if ratio > TARGET_RATIO:
        offenders = import_offenders("hfwidgets")
        result.notes.append(
            "over target; top cumulative imports (-X importtime): "
            + ", ".join(f"{name} {seconds * 1e3:.0f} ms" for name, seconds in offenders)
        )
    return result


if __name__ == "__main__":
    script_main(KEY, TITLE, run)
