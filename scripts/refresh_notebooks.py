"""Re-execute the tutorial notebooks in place and store their outputs (what nbval compares).

Run from the repository root: `.venv/bin/python scripts/refresh_notebooks.py [notebooks/NAME.ipynb ...]`.
Runs with no API key (the notebooks use the local emulator), keeps no widget state
(saved notebooks stay small) and drops per-run execution metadata.

Widget views are dropped from the saved outputs, leaving each widget's static
HTML and text: a widget view whose model is gone shows "Error displaying widget:
model not found" in JupyterLab (once the notebook is trusted), while the static
view shows the same results with or without a kernel. Running a cell brings the
live widget back.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def refresh(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=False,
        record_timing=False,
    )
    client.execute()
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                del data[WIDGET_VIEW]
    nbformat.write(notebook, path)
    print(f"{path.name}: {path.stat().st_size} bytes")


def main() -> None:
    for name in ("OPENAI_HK_API_KEY", "OPENAI_HK_BASE_URL", "HFWIDGETS_MOTIONS_URL"):
        os.environ.pop(name, None)
    os.environ["HFWIDGETS_HOME"] = tempfile.mkdtemp(prefix="hfwidgets-notebooks-")
    paths = [Path(p).resolve() for p in sys.argv[1:]] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    try:
        for path in paths:
            refresh(path)
    finally:
        from hfwidgets._home_emulator import stop_emulator

        stop_emulator()  # the kernels started the emulator of this home in the background


if __name__ == "__main__":
    main()
