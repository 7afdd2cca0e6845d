"""The package tree is the architecture: no import cycles inside ``cairn/`` and no import from a
lower layer to a higher one (the order of DESIGN.md).

Every import counts — module level or inside a function — and importing ``cairn.a.b`` also
imports the package ``cairn.a`` (its ``__init__``), so edges through package ``__init__`` modules
are real edges. Only imports under ``if TYPE_CHECKING:`` are exempt: they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.store_independent(reason="the package's import graph and layers, read from its sources; no store")

PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "cairn"

# Top first; a module may import its own layer and any layer below it, never one above.
LAYERS = [
    "cairn",  # the package face: cairn/__init__.py
    "cairn.cli",
    "cairn.importer",
    "cairn.demo",
    "cairn.server",
    "cairn.ui",
    "cairn.serving",
    "cairn.auth",
    "cairn.web",
    "cairn.integrations",
    "cairn.client",
    "cairn.models",
    "cairn.registry",
    "cairn.datasets",
    "cairn.tracking",
    "cairn.store",
    "cairn.artifacts",
    "cairn.entities",
    "cairn.errors",
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE_ROOT.rglob("*.py") if "migrations" not in p.parts}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _with_parents(name: str, modules: dict[str, Path]) -> list[str]:
    """``cairn.a.b.c`` imports ``cairn.a`` and ``cairn.a.b`` too (their ``__init__`` runs)."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(2, len(parts) + 1) if ".".join(parts[:i]) in modules]


def import_graph() -> dict[str, set[str]]:
    modules = all_modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in _runtime_imports(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                if node.level:
                    base = name.split(".") if is_package else name.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    stem = ".".join(base + ([node.module] if node.module else []))
                else:
                    stem = node.module or ""
                # `from pkg import sub` imports the submodule; `from pkg import thing` reads pkg's __init__
                subs = [f"{stem}.{alias.name}" for alias in node.names]
                targets = [t for t in subs if t in modules]
                if len(targets) < len(subs):
                    targets.append(stem)
            for target in targets:
                if not target.startswith("cairn") or target not in modules and \
                        not any(p in modules for p in _with_parents(target, modules)):
                    continue
                # the named module itself always counts (even one's own package __init__);
                # the packages above it run too, except the ones the importer already sits in
                if target in modules and target != name:
                    graph[name].add(target)
                for dep in _with_parents(target, modules):
                    if dep != name and not name.startswith(dep + "."):
                        graph[name].add(dep)
    return graph


def layer_of(name: str) -> int:
    best = 0
    for index, layer in enumerate(LAYERS):
        if name == layer or name.startswith(layer + "."):
            if len(layer) >= len(LAYERS[best]):
                best = index
    return best


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0

    def strongconnect(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                strongconnect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    import sys
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        for node in sorted(graph):
            if node not in index:
                strongconnect(node)
    finally:
        sys.setrecursionlimit(limit)
    return components


def test_package_root_holds_only_the_layers() -> None:
    allowed = {layer.split(".")[1] for layer in LAYERS[1:]} | {"__init__", "__main__", "py.typed"}
    present = {p.stem if p.suffix == ".py" else p.name for p in PACKAGE_ROOT.iterdir()
               if p.name != "__pycache__"}
    assert present - allowed == set(), "files at cairn/ that are not a layer of the design"


def test_no_import_cycles_inside_cairn() -> None:
    cycles = find_cycles(import_graph())
    assert cycles == [], "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_no_module_imports_a_higher_layer() -> None:
    graph = import_graph()
    upward = sorted(f"{src} -> {dst}" for src, deps in graph.items() for dst in deps
                    if layer_of(dst) < layer_of(src))
    assert upward == [], "imports from a lower layer to a higher one:\n" + "\n".join(upward)


def test_the_checker_sees_cycles_and_upward_imports() -> None:
    """The two checks above can fail: a hand-made graph with a cycle and an upward edge."""
    graph = {"cairn.store.a": {"cairn.store.b"}, "cairn.store.b": {"cairn.store.a"},
             "cairn.tracking.x": {"cairn.cli"}, "cairn.cli": set()}
    assert find_cycles(graph) == [["cairn.store.a", "cairn.store.b"]]
    assert layer_of("cairn.cli") < layer_of("cairn.tracking.x")
    assert layer_of("cairn.entities") > layer_of("cairn.store.schema")
