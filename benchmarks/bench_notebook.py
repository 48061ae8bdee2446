"""P7: how big is the quickstart notebook once saved after a Studio and 3 results?

Executes a temp copy of `notebooks/01_quickstart.ipynb` with nbclient (a real
kernel, no key: the Studio uses the embedded emulator), plus cells that make 3
results in the Studio the notebook displays and open a comparison of them, then
saves it. The size is measured as JupyterLab saves by default (no widget state)
and with the widget state stored in the notebook's metadata (nbclient's
`store_widget_state`), and the Studio's own stored state apart (goal ≤ 60 KB).
"""

from __future__ import annotations

import importlib
import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ._common import REPO_ROOT, Figure, Result, format_table, script_main

KEY, TITLE = "P7", "saved quickstart notebook after a Studio and 3 results"
TARGET_KB = 100.0
STUDIO_TARGET_KB = 60.0
RESULTS = 3

_MAKE_RESULTS = f"""
studio.set_image("images/cat.jpg")
studio.motion = "Eyes In"
for _ in range({RESULTS}):
    running = studio.generate()
    assert running is not None, "Generate refused: see the Studio's error area"
    await running
studio.compare(range(1, {RESULTS} + 1))  # the Comparison region open, as saved
print(len(studio.results), "results:", [feed.status for feed in studio.results])
"""


def _cell_sizes(notebook: dict[str, Any]) -> list[tuple[int, str, int]]:
    """(cell index, first source line, bytes of its outputs) for the largest outputs."""
    sizes = []
    for index, cell in enumerate(notebook["cells"]):
        if cell.get("cell_type") != "code":
            continue
        size = len(json.dumps(cell.get("outputs", [])).encode())
        sizes.append((index, "".join(cell.get("source", "")).splitlines()[0][:50], size))
    return sorted(sizes, key=lambda row: row[2], reverse=True)


def _state_by_model(widget_state: Any, top: int = 8) -> list[tuple[str, int, int]]:
    """(widget model name, instances, bytes of their state) for the largest contributors."""
    models = (widget_state or {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    totals: dict[str, list[int]] = {}
    for entry in models.values():
        name = str(entry.get("model_name", "?"))
        count_and_bytes = totals.setdefault(name, [0, 0])
        count_and_bytes[0] += 1
        count_and_bytes[1] += len(json.dumps(entry).encode())
    rows = sorted(totals.items(), key=lambda item: item[1][1], reverse=True)[:top]
    return [(name, count, size) for name, (count, size) in rows]


def _state_contributors(widget_state: Any, top: int = 6) -> list[tuple[str, str, int]]:
    """(widget model, trait, bytes) of the largest traits in the stored widget state."""
    models = (widget_state or {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    by_trait: dict[tuple[str, str], int] = {}
    for entry in models.values():
        model = str(entry.get("model_name", "?"))
        for trait, value in (entry.get("state") or {}).items():
            key = (model, trait)
            by_trait[key] = by_trait.get(key, 0) + len(json.dumps(value).encode())
    rows = sorted(by_trait.items(), key=lambda item: item[1], reverse=True)[:top]
    return [(model, trait, size) for (model, trait), size in rows]


def _studio_state_bytes(widget_state: Any) -> int:
    """Bytes of the stored state of the Studio (the model with a History), compact JSON."""
    models = (widget_state or {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    sizes = [len(json.dumps(m).encode()) for m in models.values() if "history" in (m.get("state") or {})]
    return max(sizes, default=0)


def run(quick: bool) -> Result:
    """Execute, save, measure: without and with the widget state."""
    from nbclient import NotebookClient

    nbformat: Any = importlib.import_module("nbformat")  # untyped: keep mypy strict elsewhere

    del quick  # one execution either way: a few seconds of emulated videos
    result = Result(KEY, TITLE)
    with tempfile.TemporaryDirectory(prefix="hfwidgets-p7-") as tmp:
        folder = Path(tmp) / "notebooks"
        shutil.copytree(REPO_ROOT / "notebooks", folder)
        path = folder / "01_quickstart.ipynb"
        notebook = nbformat.read(path, as_version=4)
        notebook.cells.append(nbformat.v4.new_code_cell(_MAKE_RESULTS.strip()))
        client = NotebookClient(
            notebook,
            timeout=300,
            kernel_name="python3",
            resources={"metadata": {"path": str(folder)}},
            store_widget_state=True,
        )
        client.execute()
        with_state = folder / "with_widget_state.ipynb"
        nbformat.write(notebook, with_state)
        widget_state = notebook.metadata.pop("widgets", None)
        nbformat.write(notebook, path)
        plain_bytes = path.stat().st_size
        state_bytes = with_state.stat().st_size
        plain_text = path.read_text()
        text = plain_text + with_state.read_text()
        last_output = "".join(
            output.get("text", "") for output in notebook.cells[-1].get("outputs", []) if "text" in output
        )
        largest = _cell_sizes(json.loads(path.read_text()))[:4]
    state_only = len(json.dumps(widget_state).encode()) if widget_state else 0
    studio_bytes = _studio_state_bytes(widget_state)
    result.details = format_table(
        ("saved as", "bytes", "KB"),
        [
            ("JupyterLab default (no widget state)", plain_bytes, plain_bytes / 1000),
            ("with widget state stored", state_bytes, state_bytes / 1000),
            ("  of which metadata.widgets", state_only, state_only / 1000),
            ("    of which the Studio (3 results, a comparison)", studio_bytes, studio_bytes / 1000),
        ],
    )
    contributors = _state_contributors(widget_state)
    if contributors:
        widget_count = len(
            (widget_state or {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
        )
        result.details += ["", f"Stored widget state by widget model ({widget_count} models in all):", ""]
        result.details += format_table(
            ("widget model", "instances", "bytes (compact JSON)"), _state_by_model(widget_state)
        )
        result.details += ["", "Largest traits in the stored widget state (summed over instances):", ""]
        result.details += format_table(("widget model", "trait", "bytes (summed)"), contributors)
    result.details += ["", "Largest cell outputs:", ""]
    result.details += format_table(("cell", "source", "output bytes"), largest)
    result.figures = [
        Figure(
            "saved notebook, no widget state",
            plain_bytes / 1000,
            "KB",
            f"≤ {TARGET_KB:g} KB",
            plain_bytes / 1000 <= TARGET_KB,
        ),
        Figure(
            "saved notebook, widget state stored",
            state_bytes / 1000,
            "KB",
            f"≤ {TARGET_KB:g} KB",
            state_bytes / 1000 <= TARGET_KB,
        ),
        Figure(
            "stored state of the Studio, 3 results and a comparison",
            studio_bytes / 1000,
            "KB",
            f"≤ {STUDIO_TARGET_KB:g} KB",
            studio_bytes / 1000 <= STUDIO_TARGET_KB,
        ),
    ]
    result.notes.append(f"last cell printed: {last_output.strip()[:120]!r}")
    leaks = [marker for marker in ("data:video", "hk-emulator") if marker in text]
    result.notes.append(
        "no base64 video and no key in either file" if not leaks else f"found in the saved file(s): {leaks}"
    )
    posters = re.findall(r"data:image/webp;base64,[A-Za-z0-9+/=]+", plain_text)
    result.notes.append(
        f"inline images in the plain file: {len(posters)} WebP posters of the static views, "
        f"{sum(map(len, posters)) / 1000:.1f} KB of base64 (by design: the notebook reads without a kernel)"
    )
    return result


if __name__ == "__main__":
    script_main(KEY, TITLE, run)
