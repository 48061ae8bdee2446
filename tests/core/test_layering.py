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


def import_nodes(tree: ast.Module) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement of a module, anywhere in it (`except` handlers, `with` blocks,
    class bodies...), each with True when it runs inside a function (a late import).
    TYPE_CHECKING blocks are left out: they are never run."""

    def visit(node: ast.AST, in_function: bool) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                yield from visit(child, in_function)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, in_function
        inside = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        for part in ast.iter_child_nodes(node):
            yield from visit(part, inside)

    yield from visit(tree, False)


def imported_names(node: ast.Import | ast.ImportFrom, package: str) -> Iterator[str]:
    """Absolute names of the modules one import statement may import."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = node.module or ""
    if node.level:
        anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
        base = ".".join([*anchor, base]) if base else ".".join(anchor)
    if node.module:
        yield base
    for alias in node.names:  # `from . import _video` imports a module
        yield f"{base}.{alias.name}"


def package_of(path: Path) -> str:
    return module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]


def imports(path: Path, *, module_level_only: bool) -> Iterator[str]:
    """Absolute names of the modules `path` imports (TYPE_CHECKING blocks excluded); with
    `module_level_only`, only those imported when the module itself is."""
    for node, in_function in import_nodes(ast.parse(path.read_text("utf-8"))):
        if not (module_level_only and in_function):
            yield from imported_names(node, package_of(path))


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


@pytest.mark.parametrize("module_level_only", [True, False])
def test_modules_import_each_other_without_cycles(module_level_only: bool) -> None:
    """No cycle, counting the imports inside functions too: an import made late does not
    make the dependency go away, it only hides it."""
    edges = graph(module_level_only=module_level_only)
    assert edges["hfwidgets._journal"] >= {"hfwidgets._models"}  # the graph is really read
    if not module_level_only:
        assert "hfwidgets._aiohttp" in edges["hfwidgets._connections"]  # ... with the late imports
        assert "hfwidgets._feed_media" in edges["hfwidgets._models"]
    # A package imports its own submodules by design; a cycle between modules is a defect.
    between_modules = {
        name: {t for t in targets if not name.startswith("hfwidgets") or not t.startswith(name + ".")}
        for name, targets in edges.items()
    }
    for name in between_modules:
        if PACKAGE.joinpath(*name.split(".")[1:], "__init__.py").exists():
            between_modules[name] = set()  # packages re-export; their modules may use siblings
    assert cycles(between_modules) == []


MAX_LATE_IMPORTS = 8
"""Imports of the package's own modules inside functions, outside the command line."""

LATE_IMPORTS_ALLOWED_IN = {"hfwidgets._cli"}
"""The command line imports what each command needs when it runs: `hfwidgets --help` starts fast."""


def late_imports() -> list[str]:
    """`module:line` of every import of a package module made inside a function (the command
    line's aside), `importlib.import_module` calls included (the lazy names of `__init__`)."""
    found: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        if name in LATE_IMPORTS_ALLOWED_IN:
            continue
        tree = ast.parse(path.read_text("utf-8"))
        for node, in_function in import_nodes(tree):
            if in_function and any(
                m.split(".")[0] == "hfwidgets" for m in imported_names(node, package_of(path))
            ):
                found.append(f"{name}:{node.lineno}")
        for function in ast.walk(tree):
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found.extend(
                    f"{name}:{call.lineno}"
                    for call in ast.walk(function)
                    if isinstance(call, ast.Call) and ast.unparse(call.func).endswith("import_module")
                )
    return found


def test_few_imports_of_the_package_inside_functions() -> None:
    """Late imports are kept for start-up speed (aiohttp, the emulator's server, the lazy
    public names); the rest import at the top, where the layering is seen."""
    found = late_imports()
    assert "hfwidgets:" in " ".join(found)  # the lazy names of __init__ are counted
    assert len(found) <= MAX_LATE_IMPORTS, found


def test_models_import_nothing_that_fetches_when_imported() -> None:
    """The models are data shared with the emulator: their media methods import `_feed_media`
    when first used, and nothing below them reaches the journal (a dead link's kept copy is read
    through `_kept`)."""

    def reached(start: str, edges: dict[str, set[str]]) -> set[str]:
        found: set[str] = set()
        todo = [start]
        while todo:
            for target in edges[todo.pop()] - found:
                found.add(target)
                todo.append(target)
        return found

    on_import = reached("hfwidgets._models", graph(module_level_only=True))
    assert "hfwidgets._errors" in on_import
    assert not on_import & {"hfwidgets._video", "hfwidgets._static", "hfwidgets._feed_media"}
    assert "hfwidgets._journal" not in reached("hfwidgets._video", graph(module_level_only=False))


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
