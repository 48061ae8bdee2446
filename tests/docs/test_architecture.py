"""docs/architecture.md's module table names every module of the package, under its package,
and no module that is gone: a new module gets its one line there."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "hfwidgets"
NAME = r"(?:\w+\.py|\w+/)"
ENTRY = re.compile(rf"^(?P<indent> {{0,8}})(?P<names>{NAME}(?:, {NAME})*)(?:\s|$)")
"""A line of the tree naming modules or a folder (descriptions continue further right)."""


def table_modules() -> set[str]:
    """Paths (relative to the repository) of the modules the table's tree lists."""
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    tree = doc.split("```")[1]
    folders: list[tuple[int, str]] = []  # (indent, folder) of the enclosing entries
    listed: set[str] = set()
    for line in tree.splitlines():
        entry = ENTRY.match(line)
        if entry is None:
            continue  # blank, or the continuation of a description
        indent = len(entry["indent"])
        folders = [(depth, name) for depth, name in folders if depth < indent]
        for name in entry["names"].split(", "):
            if name.endswith("/"):
                folders.append((indent, name))
            elif name.endswith(".py"):
                listed.add("".join(folder for _, folder in folders) + name)
    return listed


def test_every_module_has_a_line_in_the_architecture_table() -> None:
    modules = {
        str(path.relative_to(ROOT))
        for path in PACKAGE.rglob("*.py")
        if path.name not in ("__init__.py", "__main__.py") and "kernel_side" not in path.parts
    }
    listed = table_modules()
    assert not modules - listed, f"modules without a line in docs/architecture.md: {sorted(modules - listed)}"
    assert not listed - modules - {"hfwidgets/__init__.py"}, (
        f"lines for modules that are gone: {sorted(listed - modules)}"
    )
