"""Paths shared by the documentation tests, and the browser harness of tests/ui, reused as is."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def ui_harness() -> Any:
    """tests/ui/ui_harness.py: Chromium's path and flags, JupyterLab servers, notebook pages."""
    folder = str(REPO / "tests" / "ui")
    if folder not in sys.path:
        sys.path.append(folder)
    return importlib.import_module("ui_harness")
