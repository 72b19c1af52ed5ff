"""The shape of the code: no import cycles, and no layer imports one above it.

Layers, bottom to top: models ← tasks ← flows ← deployments. Inside `tasks`, `common`,
`notify`, `importing` and `samples` serve the process packages. Imports inside functions count
too: a cycle hidden in a function body is still a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("models", "tasks", "flows", "deployments")
LAYER = {"models": 0, "tasks": 1, "flows": 2, "deployments": 3}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                found[_module_name(path)] = path
    return found


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """Every project module `name` imports, at module level or inside a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    targets: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets.add(base)
            targets.update(f"{base}.{alias.name}" for alias in node.names)
    return {t for t in targets if t in known and t != name}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(path, name, known) for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a list of modules, or None (iterative depth-first search)."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    for start in sorted(graph):
        if state.get(start):
            continue
        stack: list[tuple[str, list[str]]] = [(start, sorted(graph[start]))]
        state[start] = 1
        path = [start]
        while stack:
            node, todo = stack[-1]
            if not todo:
                stack.pop()
                path.pop()
                state[node] = 2
                continue
            nxt = todo.pop()
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append((nxt, sorted(graph[nxt])))
    return None


def test_graph_sees_function_level_imports() -> None:
    graph = _graph()
    # app.py imports the demo only inside the `demo` command (a slow import kept off --help)
    assert "deployments.demo.run" in graph["deployments.cli.app"]
    assert len(graph) > 60


def test_no_import_cycle() -> None:
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


def test_cycle_finder_finds_a_planted_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycle(graph) == ["a", "b", "c", "a"]


def test_no_layer_imports_upwards() -> None:
    upward = [
        f"{source} imports {target}"
        for source, targets in _graph().items()
        for target in targets
        if LAYER[target.split(".")[0]] > LAYER[source.split(".")[0]]
    ]
    assert upward == []


def test_shared_task_packages_do_not_import_processes() -> None:
    processes = {"secondment", "ideas", "calendar", "awards", "kpi"}
    shared = {"common", "notify"}
    wrong = [
        f"{source} imports {target}"
        for source, targets in _graph().items()
        for target in targets
        if source.startswith("tasks.")
        and source.split(".")[1] in shared
        and target.startswith("tasks.")
        and target.split(".")[1] in processes
    ]
    assert wrong == []
