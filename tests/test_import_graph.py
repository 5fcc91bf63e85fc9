"""The import graph of ``rl_envs`` and ``baselines``, read from the source with ``ast``: no module
imports itself back through others, ``rl_envs`` never depends on ``baselines``, and no module of
``rl_envs`` imports a deep-learning or cluster framework at module level.

Every ``import`` statement counts, the ones inside functions too.  A function-level import only
delays the loop it closes: the two modules still need each other, and the first call makes
whichever half imports second find the other half-initialised.  So a cycle is a cycle whether
its edges run at import time or at call time, and the failure message marks the lazy ones
(``~>``) so the reader sees where it closes.  Where *when* matters, it is the framework check:
``rl_envs`` may import torch inside the one function that needs it (the extra stays optional),
never at module level.

Imports are resolved as the interpreter resolves them: ``from .x import y`` relative to the
module's package, and ``from pkg import name`` an edge to ``pkg.name`` when that is a module of
the tree, else to ``pkg`` itself (a name its ``__init__`` defines).  The parent packages an
import runs implicitly are not edges: every package whose ``__init__`` re-exports a submodule
would loop through it.  A module that imports a name from its own package's ``__init__``, which
imports the module back, is an explicit edge and does close a cycle.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("rl_envs", "baselines")
# Frameworks ``import rl_envs`` must not load: the extras a user may not have installed.
FRAMEWORKS = ("torch", "stable_baselines3", "jax", "ray")
# Subpackages that are an extra themselves, allowed the framework they are written in, which no
# other module of rl_envs may import at module level (``import rl_envs`` never reaches them).
EXTRA_SUBPACKAGES = {"rl_envs.jax": ("jax", "flax", "optax", "gymnax")}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    lazy: bool  # inside a function (runs when it is called, not at import)
    line: int


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(root: Path, packages=PACKAGES) -> dict[str, Path]:
    """Every module of ``packages`` under ``root``, by dotted name."""
    return {module_name(p, root): p for pkg in packages for p in sorted((root / pkg).rglob("*.py"))}


def _imports(tree: ast.Module):
    """``(node, lazy)`` for every import statement, lazy when inside a function."""

    def visit(node, lazy):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, lazy
            yield from visit(child, lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)))

    return visit(tree, False)


def import_edges(name: str, path: Path, known: set[str]) -> list[Edge]:
    """The modules ``name`` imports (absolute names; those outside the tree too, for the framework check)."""
    is_package = path.name == "__init__.py"
    edges = []
    for node, lazy in _imports(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            if node.level:
                # The package a relative import starts from: the module's own package, one up per extra dot.
                base = name.split(".")[: len(name.split(".")) - node.level + is_package]
                base = ".".join(base + ([node.module] if node.module else []))
            else:
                base = node.module
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        edges += [Edge(name, target, lazy, node.lineno) for target in targets]
    return edges


def import_graph(root: Path = ROOT) -> dict[str, list[Edge]]:
    found = modules(root)
    return {name: import_edges(name, path, set(found)) for name, path in found.items()}


def cycles(graph: dict[str, list[Edge]]) -> list[tuple[list[Edge], set[str]]]:
    """Each group of modules that reach one another (a strongly connected component, by Tarjan's
    algorithm) with one shortest loop through it."""
    inner = {m: [e for e in edges if e.target in graph] for m, edges in graph.items()}
    index, low, on_stack, stack, components = {}, {}, set(), [], []

    def connect(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for e in inner[v]:
            if e.target not in index:
                connect(e.target)
                low[v] = min(low[v], low[e.target])
            elif e.target in on_stack:
                low[v] = min(low[v], index[e.target])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1 or any(e.target == v for e in inner[v]):
                components.append(component)

    for v in sorted(inner):
        if v not in index:
            connect(v)
    return [(_shortest_loop(inner, min(c), c), c) for c in components]


def _shortest_loop(inner, start: str, component: set[str]) -> list[Edge]:
    """The shortest path of edges from ``start`` back to itself within ``component`` (breadth first)."""
    paths, seen = [[e] for e in inner[start] if e.target in component], set()
    while paths:
        path = paths.pop(0)
        if path[-1].target == start:
            return path
        if path[-1].target in seen:
            continue
        seen.add(path[-1].target)
        paths += [path + [e] for e in inner[path[-1].target] if e.target in component]
    raise AssertionError(f"{start} is in a component but on no loop")  # Tarjan's components always have one


def describe(loop: list[Edge]) -> str:
    return " ".join([loop[0].source] + [f"{'~>' if e.lazy else '->'} {e.target} (line {e.line})" for e in loop])


def _in(package: str, module: str) -> bool:
    return module == package or module.startswith(package + ".")


def _cycles_of(package: str) -> list[str]:
    """A loop through each group of ``package``'s modules that import one another, with the group."""
    graph = import_graph()
    return [
        f"{describe(loop)}\n  (the modules that reach one another: {', '.join(sorted(group))})"
        for loop, group in cycles(graph)
        if _in(package, loop[0].source)
    ]


def test_baselines_has_no_import_cycle():
    found = _cycles_of("baselines")
    assert not found, "import cycles (-> at module level, ~> inside a function):\n" + "\n".join(found)


def test_rl_envs_has_no_import_cycle():
    found = _cycles_of("rl_envs")
    assert not found, "import cycles (-> at module level, ~> inside a function):\n" + "\n".join(found)


def test_rl_envs_never_imports_baselines():
    graph = import_graph()
    found = [
        f"{e.source} (line {e.line}) imports {e.target}"
        for m, edges in graph.items()
        if _in("rl_envs", m)
        for e in edges
        if _in("baselines", e.target)
    ]
    assert not found, "\n".join(found)


def _extra_of(module: str) -> str | None:
    return next((p for p in EXTRA_SUBPACKAGES if _in(p, module)), None)


def test_rl_envs_loads_no_framework_at_module_level():
    graph = import_graph()
    found = [
        f"{e.source} (line {e.line}) imports {e.target}"
        for m, edges in graph.items()
        if _in("rl_envs", m)
        for e in edges
        if not e.lazy
        and any(_in(f, e.target) for f in FRAMEWORKS)
        and not (_extra_of(m) and any(_in(f, e.target) for f in EXTRA_SUBPACKAGES[_extra_of(m)]))
    ]
    assert not found, "\n".join(found)


def test_no_module_outside_an_extra_subpackage_imports_it_at_module_level():
    graph = import_graph()
    found = [
        f"{e.source} (line {e.line}) imports {e.target}"
        for m, edges in graph.items()
        if _in("rl_envs", m) and not _extra_of(m)
        for e in edges
        if not e.lazy and _extra_of(e.target)
    ]
    assert not found, "\n".join(found)


# -- the graph reader itself, on a package written for it -------------------------------------------


def _write(root: Path, sources: dict[str, str]) -> None:
    """A module file for each dotted name: a package's ``__init__`` where other names extend it."""
    for name, text in sources.items():
        parts = name.split(".")
        if any(other.startswith(name + ".") for other in sources):
            path = root.joinpath(*parts, "__init__.py")
        else:
            path = root.joinpath(*parts[:-1], parts[-1] + ".py")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_the_reader_resolves_relative_and_lazy_imports_and_finds_the_loop(tmp_path):
    _write(
        tmp_path,
        {
            "baselines": "from .a import A\n",
            "baselines.a": "from . import b\nA = 1\n",
            "baselines.sub": "",
            "baselines.sub.c": "from ..a import A\nfrom .. import b\n",
            "baselines.b": "import numpy\n\ndef f():\n    from .sub import c\n",
            "rl_envs": "import torch\n\ndef g():\n    import ray\n",
            "rl_envs.x": "",
        },
    )
    graph = import_graph(tmp_path)
    assert set(graph) == {
        "baselines",
        "baselines.a",
        "baselines.b",
        "baselines.sub",
        "baselines.sub.c",
        "rl_envs",
        "rl_envs.x",
    }
    assert {(e.target, e.lazy) for e in graph["baselines.sub.c"]} == {("baselines.a", False), ("baselines.b", False)}
    assert {(e.target, e.lazy) for e in graph["baselines.b"]} == {("numpy", False), ("baselines.sub.c", True)}
    assert [(e.target, e.lazy) for e in graph["rl_envs"]] == [("torch", False), ("ray", True)]
    ((loop, group),) = cycles(graph)
    assert group == {"baselines.a", "baselines.b", "baselines.sub.c"}
    assert describe(loop) == ("baselines.a -> baselines.b (line 1) ~> baselines.sub.c (line 4) -> baselines.a (line 1)")


def test_a_name_from_the_own_package_init_closes_a_loop(tmp_path):
    # The module takes X from its package's __init__, which imports the module: the classic half-initialised package.
    _write(tmp_path, {"baselines": "from .a import f\nX = 1\n", "baselines.a": "from . import X\n", "rl_envs": ""})
    ((loop, _),) = cycles(import_graph(tmp_path))
    assert [e.target for e in loop] == ["baselines.a", "baselines"]
