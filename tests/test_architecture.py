"""The package's shape, checked: imports flow one way, the engine sits below training, every
module imports by its name, no attribute hides a submodule, ``import backprop`` stays lazy, and
every example in the README runs.
"""

from __future__ import annotations

import ast
import importlib
import os
import pkgutil
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import backprop

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PACKAGE = SRC / "backprop"


# --- the import graph, read from the source -------------------------------------------------------
def _module_files() -> dict[str, tuple[Path | None, bool]]:
    """Every module of the package: dotted name -> (its .py file or None for a compiled
    extension, whether it is a package)."""
    modules: dict[str, tuple[Path | None, bool]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        modules[".".join(parts)] = (path, is_package)
    for path in PACKAGE.rglob("*"):
        if path.suffix in (".so", ".pyd"):  # _kernels.cpython-311-x86_64-linux-gnu.so
            parts = path.relative_to(SRC).parent.parts + (path.name.split(".")[0],)
            modules.setdefault(".".join(parts), (None, False))
    return modules


MODULES = _module_files()


def _is_type_checking(test: ast.expr) -> bool:
    return ((isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
            or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def _imports(name: str, path: Path, is_package: bool, *,
             top_level_only: bool = False) -> dict[str, int]:
    """The package's modules ``name`` imports (at top level or inside functions, not under
    ``if TYPE_CHECKING:``) -> the line of the first such import. ``from P import m`` counts as
    importing the submodule ``P.m`` when there is one, else the module ``P`` itself. With
    ``top_level_only``, only what importing the module runs (no function bodies)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if is_package else name.rpartition(".")[0]
    found: dict[str, int] = {}

    def add(target: str, line: int) -> None:
        if target in MODULES and target != name:
            found.setdefault(target, line)

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if top_level_only and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                sub = f"{module}.{alias.name}"
                add(sub if sub in MODULES else module, node.lineno)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


GRAPH: dict[str, dict[str, int]] = {name: _imports(name, path, is_package)
                                    for name, (path, is_package) in MODULES.items()
                                    if path is not None}


def _inside(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _reachable_from(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in GRAPH.get(todo.pop(), {}):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _find_cycle(graph: dict[str, dict[str, int]]) -> list[str] | None:
    """One cycle of ``graph`` as ``[a, b, ..., a]``, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, {})):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            cycle = visit(start)
            if cycle:
                return cycle
    return None


def _spell(cycle: list[str], graph: dict[str, dict[str, int]]) -> str:
    """``a -> b  (src/backprop/a.py:12)`` per edge of the cycle."""
    steps = []
    for a, b in zip(cycle, cycle[1:], strict=False):
        where = MODULES[a][0].relative_to(ROOT)
        steps.append(f"{a} -> {b}  ({where}:{graph[a][b]})")
    return "import cycle:\n  " + "\n  ".join(steps)


def test_the_graph_sees_the_package():
    assert "backprop.layers.dense" in GRAPH and "backprop._kernels" in MODULES
    assert GRAPH["backprop.layers.dense"].keys() >= {"backprop.init", "backprop.layers.base"}
    # an import inside a function counts: init.gain asks the activation classes
    assert "backprop.layers.base" in GRAPH["backprop.init"]
    # "from . import _kernels" is the compiled extension, not the package
    assert set(GRAPH["backprop.compiled"]) == {"backprop._kernels"}


def test_no_import_cycles():
    """No cycle anywhere in the package, imports inside functions included."""
    cycle = _find_cycle(GRAPH)
    assert cycle is None, _spell(cycle, GRAPH)


# --- the explanation: one-way, and it asks the object -----------------------------------------
EXPLAIN = "backprop.explain"
#: the modules that may use the explanation: the package's front, the command line, the labs,
#: the scikit-learn estimators (``explain()``)
EXPLAIN_USERS = ("backprop", "backprop.cli", "backprop.labs", "backprop.sklearn")
#: what the explanation may import: the engine it observes and the bottom of the package
EXPLAIN_READS = ("backprop.layers", "backprop.losses", "backprop.optim", "backprop.models",
                 "backprop.io", "backprop.training", "backprop.plots", "backprop.registry",
                 "backprop.parameters", "backprop._checks", "backprop._version")
WRITERS = ("text", "markdown", "html", "page")


def test_nothing_below_the_explanation_imports_it():
    users = sorted(name for name, targets in GRAPH.items() if not _inside(name, EXPLAIN)
                   and any(_inside(t, EXPLAIN) for t in targets))
    assert all(any(_inside(name, u) for u in EXPLAIN_USERS) for name in users), users


def test_the_explanation_imports_only_what_it_observes():
    for name, targets in GRAPH.items():
        if _inside(name, EXPLAIN):
            for t in targets:
                assert _inside(t, EXPLAIN) or any(_inside(t, o) for o in EXPLAIN_READS), (name, t)


def test_recording_never_reaches_a_writer_at_import_time_and_writers_never_read_a_record():
    """record -> document -> text / Markdown / HTML: a writer never needs the record, and the
    record reaches the writers only inside its ``to_*`` methods."""
    record = f"{EXPLAIN}.record"
    path, is_package = MODULES[record]
    top = _imports(record, path, is_package, top_level_only=True)
    assert not any(t.startswith(f"{EXPLAIN}.{w}") for w in (*WRITERS, "steps", "run_report")
                   for t in top), top
    assert f"{EXPLAIN}.steps" in GRAPH[record]  # inside to_text() and friends
    for module in (*WRITERS, "steps", "document", "diagram", "notation", "words", "run_report"):
        assert record not in _reachable_from(f"{EXPLAIN}.{module}"), module


def test_the_chain_records_without_writing_and_its_writers_never_read_the_record():
    """The same one-way flow for ``bp.chain``: formula -> graph -> chain_rule -> writers."""
    graph = f"{EXPLAIN}.graph"
    path, is_package = MODULES[graph]
    top = _imports(graph, path, is_package, top_level_only=True)
    later = (*WRITERS, "chain_rule", "graph_diagram")
    assert not any(t.startswith(f"{EXPLAIN}.{w}") for w in later for t in top), top
    assert f"{EXPLAIN}.chain_rule" in GRAPH[graph]  # inside to_text() and friends
    for module in (*later, "operations", "formula", "document", "notation", "words"):
        assert graph not in _reachable_from(f"{EXPLAIN}.{module}"), module


def _registered_names() -> set[str]:
    names = set(backprop.LAYERS.names(aliases=True)) | set(backprop.LOSSES.names(aliases=True))
    return {n for n in names if isinstance(n, str)}


@pytest.mark.parametrize("name", sorted(n for n in MODULES if _inside(n, EXPLAIN)
                                        and MODULES[n][0] is not None))
def test_the_explanation_never_asks_for_a_loss_or_an_activation_by_name(name):
    """An explanation asks the object (its notation, words, link), never ``if name == "relu"``."""
    names = _registered_names()
    tree = ast.parse(MODULES[name][0].read_text(encoding="utf-8"))

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


# --- layering: the engine imports nothing above it ------------------------------------------------
ENGINE = ["backprop.layers", "backprop.losses", "backprop.init", "backprop.optim",
          "backprop.parameters", "backprop.registry", "backprop.compiled", "backprop._checks"]
ABOVE = ["backprop.training", "backprop.models", "backprop.io", "backprop.data", "backprop.cli",
         "backprop.labs", "backprop.diagnostics", "backprop.explain", "backprop.plots",
         "backprop.gradient_check", "backprop.interop", "backprop.sklearn"]


def _reachable(start: str) -> dict[str, list[str]]:
    """Every module ``start`` imports directly or through others -> one import chain to it."""
    chains = {start: [start]}
    todo = [start]
    while todo:
        node = todo.pop()
        for nxt in GRAPH.get(node, {}):
            if nxt not in chains:
                chains[nxt] = chains[node] + [nxt]
                todo.append(nxt)
    return chains


@pytest.mark.parametrize("engine", ENGINE)
def test_engine_imports_nothing_above_it(engine):
    modules = [m for m in GRAPH if _inside(m, engine)]
    assert modules
    for module in modules:
        for target, chain in _reachable(module).items():
            bad = next((a for a in ABOVE if _inside(target, a)), None)
            assert bad is None, f"{module} imports {bad}: {' -> '.join(chain)}"


# --- modules by name, and no attribute hiding a submodule -----------------------------------------
def _all_modules() -> list[str]:
    """Every module of the package by dotted name (``__main__`` runs the program when
    imported, so it is left out)."""
    names = ["backprop"]
    names += [m.name for m in pkgutil.walk_packages(backprop.__path__, "backprop.")]
    return [n for n in names if not n.endswith(".__main__")]


_IMPORT_EACH = r"""
import importlib, os, sys, traceback
names = sys.argv[1:]
# A submodule's package runs first, so importing any module that "import backprop" loads is
# the same as "import backprop": only the modules it leaves for later need a run of their own.
import backprop
eager = {k for k in sys.modules if k.startswith("backprop.")}
names = [n for n in names if n not in eager]
if hasattr(os, "fork"):
    # Load every third-party and standard module the package uses, then forget the package:
    # each forked child imports one module of it first, from scratch, without paying again
    # for NumPy, argparse, matplotlib, ...
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:
            pass  # the child importing it first reports it
    for key in [k for k in sys.modules if k == "backprop" or k.startswith("backprop.")]:
        del sys.modules[key]
failed = []
for name in names:
    if hasattr(os, "fork"):
        pid = os.fork()
        if pid == 0:
            try:
                importlib.import_module(name)
            except BaseException:
                traceback.print_exc()
                os._exit(1)
            os._exit(0)
        ok = os.waitpid(pid, 0)[1] == 0
    else:
        import subprocess
        ok = subprocess.run([sys.executable, "-c", f"import {name}"]).returncode == 0
    if not ok:
        failed.append(name)
print("imported", len(names), "modules first; failed:", " ".join(failed))
sys.exit(1 if failed else 0)
"""


def test_every_module_imports_by_its_dotted_name_in_a_fresh_interpreter():
    names = _all_modules()
    assert "backprop.layers.dense" in names and "backprop.cli.train" in names
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", _IMPORT_EACH, *names], capture_output=True,
                          text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]


def _package_submodules() -> list[tuple[str, str]]:
    pairs = []
    for name in _all_modules():
        parent, _, child = name.rpartition(".")
        if parent:
            pairs.append((parent, child))
    return pairs


@pytest.mark.parametrize(("package", "child"), _package_submodules(),
                         ids=[f"{p}.{c}" for p, c in _package_submodules()])
def test_no_attribute_shadows_a_submodule(package, child):
    module = importlib.import_module(f"{package}.{child}")
    assert getattr(importlib.import_module(package), child) is module, (
        f"{package}.{child} is {getattr(importlib.import_module(package), child)!r}, "
        f"not the module")


def test_import_backprop_is_lazy():
    """``import backprop`` loads the engine only; training, data, files, the labs and the
    diagnostics load on first use."""
    code = ("import sys, backprop as bp\n"
            "heavy = [m for m in ('backprop.training', 'backprop.data', 'backprop.io', "
            "'backprop.labs', 'backprop.diagnostics', 'zipfile') if m in sys.modules]\n"
            "assert not heavy, heavy\n"
            "assert bp.fit.__module__ == 'backprop.training.loop'\n"
            "assert 'backprop.training' in sys.modules\n"
            "assert callable(bp.trace) and bp.Standardizer is bp.data.Standardizer\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr


# --- the README's examples run --------------------------------------------------------------------
def _readme_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_every_python_example_in_the_readme_runs(tmp_path, monkeypatch, capsys):
    """The blocks run in order in one namespace (later ones use earlier ones' names), in a
    temporary directory holding a copy of ``examples/``; printed numbers are not checked."""
    pytest.importorskip("matplotlib", reason="the README's diagnostics example draws plots")
    blocks = _readme_blocks()
    assert len(blocks) >= 3
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__readme__"}
    for i, block in enumerate(blocks):
        try:
            exec(compile(block, f"README.md python block {i + 1}", "exec"), namespace)
        except Exception as exc:  # name the block, not just the line inside it
            raise AssertionError(f"README python block {i + 1} failed:\n{block}") from exc
    capsys.readouterr()
    written = {p.name for p in tmp_path.iterdir()}
    assert {"spirals.npz", "grad-heatmap.png", "boundary.png"} <= written


def test_the_extending_guide_s_activation_works_everywhere(run_cli):
    """docs/extending.md's example activation, registered as the guide says, trains from the
    command line and is explained by name -- then it is removed from the registry again."""
    text = (ROOT / "docs" / "extending.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)
    assert blocks, "docs/extending.md has no python example"
    namespace: dict[str, object] = {"__name__": "__guide__"}
    try:
        for block in blocks:
            exec(compile(block, "docs/extending.md", "exec"), namespace)
        assert "softsign" in backprop.LAYERS
        code, out, err = run_cli("train", "--activation", "softsign", "--epochs", "1", "--quiet")
        assert code == 0, err
        spec = backprop.load_spec({"x": [0.5, -1.0], "y": [1.0], "loss": "squared",
                                   "layers": [{"W": [[0.3, -0.2]], "b": [0.1],
                                               "activation": "softsign"}]})
        text = backprop.trace(spec.net, spec.loss, spec.x, spec.y, lr=0.1).to_text()
        assert "softsign" in text and "/(1 + |" in text  # its own notation, with numbers
    finally:
        if "softsign" in backprop.LAYERS:
            backprop.LAYERS.remove("softsign")
