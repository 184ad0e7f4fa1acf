"""The explain package's place in the import graph, read from the source with ``ast``: no import
cycles (imports inside functions count; ``if TYPE_CHECKING:`` blocks do not), nothing below it
imports it, the recording never reaches a writer at import time, and no code of it asks for a
loss or an activation by name."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import backprop as bp

SRC = Path(bp.__file__).resolve().parent
EXPLAIN = "backprop.explain"
#: the modules that may use the explanation: the package's front, the command line, the labs
USERS = ("backprop", "backprop.cli", "backprop.labs")
#: what the explanation may import: the engine it observes and the bottom of the package
OBSERVED = ("backprop.layers", "backprop.losses", "backprop.optim", "backprop.models",
            "backprop.io", "backprop.training", "backprop.plots", "backprop.registry",
            "backprop.parameters", "backprop._checks", "backprop._version")
WRITERS = ("text", "markdown", "html", "page")


def module_name(path: Path) -> str:
    parts = ["backprop", *path.relative_to(SRC).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in SRC.rglob("*.py")}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, top_level_only: bool = False):
    """Import nodes, skipping ``if TYPE_CHECKING:`` bodies (and function bodies if asked)."""
    stack = list(ast.iter_child_nodes(tree))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if top_level_only and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def edges(name: str, *, top_level_only: bool = False) -> set[str]:
    """The backprop modules that module ``name`` imports."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in _imports(ast.parse(path.read_text(encoding="utf-8")), top_level_only):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            if node.level:
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            # "from . import page" names a module; "from .words import words" a name in one
            targets = [f"{base}.{a.name}" if _submodule(base, a.name) else base
                       for a in node.names]
        out.update(t for t in targets if t in MODULES and t != name)
    return out


def _submodule(package: str, name: str) -> bool:
    """Whether ``package.name`` is a module: Python source, or compiled (``_kernels``), which
    imports nothing of ours."""
    if f"{package}.{name}" in MODULES or package not in MODULES:
        return True
    folder = MODULES[package].parent
    return MODULES[package].name == "__init__.py" and any(folder.glob(f"{name}.*"))


GRAPH = {name: edges(name) for name in MODULES}


def inside(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def cycles() -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(GRAPH[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    return found


def reachable(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for w in GRAPH[todo.pop()] - seen:
            seen.add(w)
            todo.append(w)
    return seen


def test_the_graph_sees_the_package():
    assert {"backprop.explain.record", "backprop.explain.steps", "backprop.explain.html"} <= set(
        MODULES)
    assert "backprop.explain.steps" in GRAPH["backprop.explain.record"]  # inside to_text()
    assert "backprop.explain.record" not in GRAPH["backprop.explain.steps"]  # TYPE_CHECKING only


def test_no_import_cycles():
    assert cycles() == []


def test_nothing_below_the_explanation_imports_it():
    users = sorted(name for name, targets in GRAPH.items() if not inside(name, EXPLAIN)
                   and any(inside(t, EXPLAIN) for t in targets))
    assert "backprop" in users  # bp.trace
    assert all(any(inside(name, u) for u in USERS[1:]) or name == "backprop"
               for name in users), users


def test_the_explanation_imports_only_what_it_observes():
    for name, targets in GRAPH.items():
        if inside(name, EXPLAIN):
            for t in targets:
                assert inside(t, EXPLAIN) or any(inside(t, o) for o in OBSERVED), (name, t)


def test_recording_never_reaches_a_writer_at_import_time_and_writers_never_read_a_record():
    record = f"{EXPLAIN}.record"
    top = edges(record, top_level_only=True)
    assert not any(t.startswith(f"{EXPLAIN}.{w}") for w in (*WRITERS, "steps", "run_report")
                   for t in top), top
    for module in (*WRITERS, "steps", "document", "diagram", "notation", "words", "run_report"):
        assert record not in reachable(f"{EXPLAIN}.{module}"), module


def _names() -> set[str]:
    names = set(bp.LAYERS.names(aliases=True)) | set(bp.LOSSES.names(aliases=True))
    return {n for n in names if isinstance(n, str)}


@pytest.mark.parametrize("name", sorted(n for n in MODULES if inside(n, EXPLAIN)))
def test_no_code_asks_for_a_loss_or_an_activation_by_name(name):
    """An explanation asks the object (its notation, words, link), never ``if name == "relu"``."""
    names = _names()
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))

    def strings(node: ast.AST) -> list[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            return [s for e in node.elts for s in strings(e)]
        return []

    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            found = [s for part in (node.left, *node.comparators) for s in strings(part)
                     if s in names]
            assert not found, (name, node.lineno, found)
        if isinstance(node, ast.Match):
            for case in node.cases:
                for sub in ast.walk(case.pattern):
                    if isinstance(sub, ast.MatchValue):
                        assert not (set(strings(sub.value)) & names), (name, case.pattern.lineno)
