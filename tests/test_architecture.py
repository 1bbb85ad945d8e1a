"""The house: the folders are the architecture (domain < projections, scheduler < api) and no module
imports another that imports it back, directly or through others. Every import counts, those made
only for type checking or inside a function included."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RANK = {"domain": 0, "projections": 1, "scheduler": 1, "api": 2}
# Within the domain, the kernel is below every capability and the composed application above them all.
DOMAIN_BOTTOM = "domain.kernel"
DOMAIN_TOP = {"domain.application", "domain.topics"}


def product_modules() -> dict[str, Path]:
    """Every module of the product, by dotted name."""
    found = {}
    for top in RANK:
        for path in (ROOT / top).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The product modules a module imports (``from a.b import c`` counts a.b, and a.b.c if a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found.update(name for name in names if name in modules)
    return found


def graph() -> dict[str, set[str]]:
    modules = product_modules()
    return {name: imports(path, modules) - {name} for name, path in modules.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_module_imports_one_that_imports_it_back() -> None:
    assert cycles(graph()) == []


def test_the_check_finds_a_circle_when_there_is_one() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_nothing_imports_a_layer_above_its_own() -> None:
    upward = [f"{name} -> {target}" for name, targets in graph().items() for target in targets
              if RANK[target.split(".")[0]] > RANK[name.split(".")[0]]]
    assert upward == []


def test_the_kernel_imports_no_capability_and_no_capability_imports_the_composed_application() -> None:
    wrong = []
    for name, targets in graph().items():
        for target in targets:
            if name.startswith(DOMAIN_BOTTOM + ".") and target.startswith("domain.") \
                    and not target.startswith(DOMAIN_BOTTOM):
                wrong.append(f"{name} -> {target}")
            if name.startswith("domain.") and name not in DOMAIN_TOP and target in DOMAIN_TOP:
                wrong.append(f"{name} -> {target}")
    assert wrong == []


def test_the_domain_imports_nothing_from_the_outside_world() -> None:
    allowed = {"eventsourcing", "stdnum", "holidays", "__future__"}
    outside = []
    for path in (ROOT / "domain").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
                     else [alias.name for alias in node.names] if isinstance(node, ast.Import) else [])
            for name in names:
                top = name.split(".")[0]
                if top not in allowed and top != "domain" and not _stdlib(top):
                    outside.append(f"{path.relative_to(ROOT)}: {name}")
    assert outside == []


def _stdlib(name: str) -> bool:
    import sys

    return name in sys.stdlib_module_names
