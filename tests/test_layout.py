"""The architecture of issue 8, checked on the source: import directions, no cycles, sizes.

Imports are read with ``ast`` from every module of ``awa/`` and ``data_build/``, at module
level and inside functions (``TYPE_CHECKING`` blocks included: a type-only import is still a
dependency).  An import names the most specific project module it reaches: ``from awa.chem
import schema`` names ``awa.chem.schema``, ``from awa.query import Hist2D`` names the package
``awa.query`` (its ``__init__``).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("awa", "data_build")
MAX_LINES = 500


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    """Every Python module of the project packages, by dotted name."""
    found = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            found[_module_name(path)] = path
    return found


def _is_package(name: str) -> bool:
    return modules()[name].name == "__init__.py"


def _resolve(name: str, node: ast.ImportFrom) -> str:
    """The absolute module of ``from ... import`` in module ``name`` (relative levels)."""
    if not node.level:
        return node.module or ""
    base = name.split(".")
    if not _is_package(name):
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _targets(name: str) -> Iterator[tuple[str, int]]:
    """Dotted names imported by module ``name`` and their line numbers, anywhere in it."""
    tree = ast.parse(modules()[name].read_text(), filename=str(modules()[name]))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(name, node)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield (full if full in modules() else base), node.lineno


def _project_module(target: str) -> str | None:
    """The project module an imported name reaches (longest known prefix), or None."""
    parts = target.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules():
            return candidate
        parts.pop()
    return None


@cache
def imports() -> dict[str, tuple[tuple[str, int], ...]]:
    """Module -> (imported dotted name, line) for every module of the project."""
    return {name: tuple(_targets(name)) for name in modules()}


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _violations(importers: str, forbidden: object) -> list[str]:
    """``module:line -> target`` for imports by modules under ``importers`` that break a rule."""
    assert callable(forbidden)
    out = []
    for name, targets in imports().items():
        if not _within(name, importers):
            continue
        for target, line in targets:
            if forbidden(name, target):
                out.append(f"{modules()[name].relative_to(ROOT)}:{line} imports {target}")
    return out


# ---------------------------------------------------------------------------------------
# Directions
# ---------------------------------------------------------------------------------------


def test_importing_awa_chem_loads_no_web_framework() -> None:
    code = (
        "import sys, awa.chem\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'dash', 'flask', 'plotly'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_data_build_imports_only_awa_chem_from_awa() -> None:
    def bad(_name: str, target: str) -> bool:
        return _within(target, "awa") and not _within(target, "awa.chem")

    assert _violations("data_build", bad) == []


def test_awa_chem_imports_nothing_else_of_the_project() -> None:
    def bad(_name: str, target: str) -> bool:
        outside = _within(target, "awa") and not _within(target, "awa.chem")
        return outside or _within(target, "data_build")

    assert _violations("awa.chem", bad) == []
    web = {"dash", "flask", "plotly"}
    assert _violations("awa.chem", lambda _n, t: t.split(".")[0] in web) == []


def _pytables_modules() -> set[str]:
    """Project modules that import PyTables themselves."""
    return {
        name
        for name, targets in imports().items()
        if any(_within(t, "tables") for t, _ in targets)
    }


def test_figures_never_touch_pytables() -> None:
    """Figures draw result types: no ``tables``, no store access, no module that opens one."""
    closed = _pytables_modules() | {"awa.query", "awa.query.store"}

    def bad(_name: str, target: str) -> bool:
        return _within(target, "tables") or _project_module(target) in closed

    assert _violations("awa.figures", bad) == []


def test_nothing_below_the_pages_imports_a_page() -> None:
    """Only the pages themselves and the app that composes them import ``awa.pages``."""

    def bad(name: str, target: str) -> bool:
        composer = _within(name, "awa.pages") or name in {"awa", "awa.app"}
        return _within(target, "awa.pages") and not composer

    assert _violations("awa", bad) == []


# ---------------------------------------------------------------------------------------
# No cycles, no upward imports
# ---------------------------------------------------------------------------------------


def _graph() -> dict[str, set[str]]:
    """Project import graph without a package's imports of its own submodules (re-exports)."""
    graph: dict[str, set[str]] = {name: set() for name in modules()}
    for name, targets in imports().items():
        for target, _ in targets:
            mod = _project_module(target)
            if mod is None or mod == name:
                continue
            if _is_package(name) and _within(mod, name):
                continue  # pkg/__init__ re-exporting pkg.sub
            graph[name].add(mod)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle() -> None:
    assert _cycles(_graph()) == []


def test_no_module_imports_its_own_package() -> None:
    """``pkg.sub`` importing ``pkg`` (its ``__init__``) is an upward import."""

    def bad(name: str, target: str) -> bool:
        mod = _project_module(target)
        return mod is not None and mod != name and _is_package(mod) and _within(name, mod)

    assert _violations("awa", bad) + _violations("data_build", bad) == []


# ---------------------------------------------------------------------------------------
# Sizes and faces
# ---------------------------------------------------------------------------------------


def test_no_source_module_over_500_lines() -> None:
    long = {
        f"{path.relative_to(ROOT)}: {n} lines"
        for path in modules().values()
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == set()


def _defines_all(path: Path) -> bool:
    for node in ast.parse(path.read_text()).body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            return True
    return False


def test_every_package_lists_its_public_api() -> None:
    missing = [
        str(path.relative_to(ROOT))
        for path in modules().values()
        if path.name == "__init__.py" and not _defines_all(path)
    ]
    assert missing == []
