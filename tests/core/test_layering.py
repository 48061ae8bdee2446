"""The import graph: no cycles between modules, core below widgets, widgets without HTTP."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "hfwidgets"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path, *, module_level_only: bool) -> Iterator[str]:
    """Absolute names of the modules `path` imports (TYPE_CHECKING blocks excluded)."""
    tree = ast.parse(path.read_text("utf-8"))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]

    def walk(nodes: list[ast.stmt]) -> Iterator[ast.stmt]:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                yield from walk(node.orelse)
                continue
            yield node
            if not module_level_only or isinstance(node, (ast.If, ast.Try)):
                for child in ast.iter_child_nodes(node):
                    if isinstance(child, ast.stmt):
                        yield from walk([child])

    for node in walk(tree.body):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            if node.module:
                yield base
            for alias in node.names:  # `from . import _video` imports a module
                yield f"{base}.{alias.name}"


def graph(*, module_level_only: bool) -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {
        name: {m for m in imports(path, module_level_only=module_level_only) if m in modules and m != name}
        for name, path in modules.items()
    }


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                found.append([*stack[stack.index(target) :], target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    return found


def test_modules_import_each_other_without_cycles() -> None:
    edges = graph(module_level_only=True)
    assert edges["hfwidgets._models"] >= {"hfwidgets._video"}  # the graph is really read
    # A package imports its own submodules by design; a cycle between modules is a defect.
    between_modules = {
        name: {t for t in targets if not name.startswith("hfwidgets") or not t.startswith(name + ".")}
        for name, targets in edges.items()
    }
    for name in between_modules:
        if PACKAGE.joinpath(*name.split(".")[1:], "__init__.py").exists():
            between_modules[name] = set()  # packages re-export; their modules may use siblings
    assert cycles(between_modules) == []


@pytest.mark.parametrize("module_level_only", [True, False])
def test_core_never_imports_widgets(module_level_only: bool) -> None:
    edges = graph(module_level_only=module_level_only)
    core = [
        n
        for n in edges
        if n.count(".") == 1 and not n.startswith(("hfwidgets.widgets", "hfwidgets.emulator"))
    ]
    for name in core:
        assert not any(t.startswith("hfwidgets.widgets") for t in edges[name]), name


def test_widgets_do_no_http_of_their_own() -> None:
    for path in (PACKAGE / "widgets").rglob("*.py"):
        names = set(imports(path, module_level_only=False))
        assert not {n for n in names if n.split(".")[0] in ("httpx", "aiohttp")}, path.name
