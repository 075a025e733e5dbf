"""The import graph of the generator package has no cycle (issue 13). Every import statement
counts — at module level, inside a function (a lazy import for start-up speed), under
``if TYPE_CHECKING`` — read from the source with ``ast``, so a cycle cannot hide behind an
import placed inside a function. The pairs the issue named are checked on their own too: the
batch package never reaches ``generator.cli``, ``excel_reader`` never reaches ``unit_loader``,
and ``cli`` imports the batch package only inside a function.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .conftest import ROOT

PACKAGE = ROOT / "generator"


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int
    lazy: bool          # inside a function (or method)

    def __str__(self) -> str:
        return f"{self.source} → {self.target}（第 {self.line} 行{'，函数内' if self.lazy else ''}）"


def modules(package: Path) -> dict[str, Path]:
    """Dotted name → file, for every .py file under ``package`` (a package is its __init__)."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _lazy_nodes(tree: ast.AST) -> set[int]:
    inside = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            inside.update(id(n) for n in ast.walk(node) if n is not node)
    return inside


@lru_cache(maxsize=None)
def edges(package: Path) -> tuple[Edge, ...]:
    """Every import of one module of ``package`` by another. ``from P import N`` is an import of
    the module P.N when there is one (``from . import batch``), else of P."""
    known = modules(package)
    out = []
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        lazy = _lazy_nodes(tree)
        here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = ".".join(here[:len(here) - node.level + 1] + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
            else:
                continue
            for target in dict.fromkeys(targets):
                if target in known and target != name:
                    out.append(Edge(name, target, node.lineno, id(node) in lazy))
    return tuple(out)


def cycles(graph_edges: tuple[Edge, ...]) -> list[list[str]]:
    """The strongly connected components with more than one module (each holds a cycle)."""
    graph: dict[str, set[str]] = {}
    for e in graph_edges:
        graph.setdefault(e.source, set()).add(e.target)
        graph.setdefault(e.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(v: str) -> None:          # Tarjan; the package is small enough for recursion
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
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

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def reachable(graph_edges: tuple[Edge, ...], start: str) -> set[str]:
    """Every module ``start`` imports, directly or through others (``start`` and its submodules
    included as starting points)."""
    graph: dict[str, set[str]] = {}
    for e in graph_edges:
        graph.setdefault(e.source, set()).add(e.target)
    todo = [m for m in graph if m == start or m.startswith(start + ".")]
    seen: set[str] = set()
    while todo:
        m = todo.pop()
        for n in graph.get(m, ()):
            if n not in seen:
                seen.add(n)
                todo.append(n)
    return seen


def describe(graph_edges: tuple[Edge, ...], component: list[str]) -> str:
    inside = set(component)
    return "；".join(str(e) for e in graph_edges if e.source in inside and e.target in inside)


# ---------------------------------------------------------------- the checker itself

def test_a_cycle_through_a_function_level_import_is_found(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "sub" / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "a.py").write_text("from .sub import b\n", encoding="utf-8")
    (pkg / "sub" / "b.py").write_text("def f():\n    from .. import a\n", encoding="utf-8")
    (pkg / "c.py").write_text("from pkg.sub.b import f\nfrom . import a\n", encoding="utf-8")
    found = edges(pkg)
    assert {(e.source, e.target, e.lazy) for e in found} == {
        ("pkg.a", "pkg.sub.b", False), ("pkg.sub.b", "pkg.a", True),
        ("pkg.c", "pkg.sub.b", False), ("pkg.c", "pkg.a", False)}
    assert cycles(found) == [["pkg.a", "pkg.sub.b"]]
    assert reachable(found, "pkg.c") == {"pkg.a", "pkg.sub.b"}


def test_the_graph_holds_the_known_lazy_imports():
    """The reader sees imports inside functions (else the checks below would pass vacuously)."""
    found = {(e.source, e.target): e for e in edges(PACKAGE)}
    assert found["generator.cli", "generator.batch"].lazy
    assert found["generator.load.unit_loader", "generator.load.excel_reader"].lazy
    assert not found["generator.batch.command", "generator.cli_parser"].lazy


# ---------------------------------------------------------------- the generator package

def test_generator_has_no_import_cycle():
    graph_edges = edges(PACKAGE)
    found = cycles(graph_edges)
    assert not found, "import cycles: " + " | ".join(describe(graph_edges, c) for c in found)


def test_batch_does_not_import_cli():
    graph_edges = edges(PACKAGE)
    assert "generator.cli" not in reachable(graph_edges, "generator.batch")
    assert "generator.batch" not in reachable(graph_edges, "generator.cli_parser")


def test_cli_imports_batch_only_when_the_command_needs_it():
    lazy = [e for e in edges(PACKAGE) if e.source == "generator.cli" and e.target.startswith("generator.batch")]
    assert lazy and all(e.lazy for e in lazy), [str(e) for e in lazy]
    # and so `juesuan check` does not load it
    code = ("import sys; from generator import cli; cli.build_parser('check'); "
            "print(sorted(m for m in sys.modules if m.startswith(('generator.batch', 'generator.preview'))))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_excel_reader_does_not_import_unit_loader():
    graph_edges = edges(PACKAGE)
    assert "generator.load.unit_loader" not in reachable(graph_edges, "generator.load.excel_reader")
    assert "generator.load.excel_reader" in reachable(graph_edges, "generator.load.unit_loader")


# ---------------------------------------------------------------- the stages in order (issue 25)

STAGES = ("load", "derive", "check", "compose", "write")      # the order the data flows in
# modules that run the stages in order (they may import any stage) and the front ends on them
ORCHESTRATION = ("generator.pipeline", "generator.previous_year", "generator.published_texts",
                 "generator.published_figures", "generator.published_forms", "generator.published_eval",
                 "generator.published_report",
                 "generator.consolidation",
                 "generator.cli_consolidate", "generator.review",
                 "generator.preview",
                 "generator.cli", "generator.cli_audit", "generator.cli_excel", "generator.cli_parser", "generator.cli_profiles",
                 "generator.commands",
                 "generator.batch", "generator.web")


def _stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) >= 2 and parts[1] in STAGES else None


def _orchestration(module: str) -> bool:
    return any(module == o or module.startswith(o + ".") for o in ORCHESTRATION)


def stage_violations(graph_edges) -> list[str]:
    """Imports against the flow load → derive → check → compose → write: a stage imports only
    earlier stages, its own and the shared modules (generator/*.py: model, profile, layout,
    numbers, names, atomic …); a shared module imports only shared modules and the load stage's
    readers (profiles, layouts and catalogues are files read like a unit's); the orchestration
    modules (pipeline, the CLI, batch, web) may import anything."""
    out = []
    for e in graph_edges:
        if _orchestration(e.source):
            continue
        source, target = _stage(e.source), _stage(e.target)
        if _orchestration(e.target):
            out.append(f"{e}：阶段与共用模块不导入流程模块")
        elif source is not None and target is not None and STAGES.index(target) > STAGES.index(source):
            out.append(f"{e}：{source} 在 {target} 之前")
        elif source is None and target not in (None, "load"):
            out.append(f"{e}：共用模块只可导入共用模块与 load")
    return out


def test_the_stages_import_in_the_order_the_data_flows():
    found = stage_violations(edges(PACKAGE))
    assert not found, "\n".join(found)


def test_a_stage_importing_a_later_one_is_found(tmp_path):
    pkg = tmp_path / "generator"
    for sub in ("check", "compose"):
        (pkg / sub).mkdir(parents=True)
        (pkg / sub / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "check" / "rules.py").write_text("def f():\n    from ..compose import report\n", encoding="utf-8")
    (pkg / "compose" / "report.py").write_text("from ..check import rules\n", encoding="utf-8")
    (pkg / "model.py").write_text("from .compose import report\n", encoding="utf-8")
    found = stage_violations(edges(pkg))
    assert len(found) == 2 and any("check 在 compose 之前" in f for f in found) \
        and any("共用模块只可导入共用模块与 load" in f for f in found), found


MAX_MODULE_LINES = 800         # a module a newcomer reads in one sitting (issue 25)


def test_no_module_is_longer_than_a_sitting():
    long = {name: n for name, path in modules(PACKAGE).items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert not long, f"超过 {MAX_MODULE_LINES} 行的模块（按其中各节拆开）：{long}"


def test_the_architecture_names_every_module():
    """docs/architecture.md is where a newcomer finds a module: each one is named there (issue 25)."""
    doc = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    unnamed = sorted(str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
                     if path.stem != "__init__" and "__pycache__" not in path.parts and path.stem not in doc)
    assert unnamed == [], f"docs/architecture.md 没有提到：{unnamed}"

