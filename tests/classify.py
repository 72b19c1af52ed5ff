"""Which tests need more than this process: marked at collection from what their code uses.

`make unit` runs the tests that need no Prefect server, no child process and no browser; the
markers that leave the others out are added here (conftest's `pytest_collection_modifyitems`),
so a test written later is classified without anyone remembering a marker:

- `prefect`: the test uses the `prefect_harness` fixture, directly or through another fixture;
- `process`: the test, one of its fixtures, or a helper of `tests/` they call starts a child
  process or a server (`subprocess`, `pexpect`, Playwright, `deployments.runtime.server`):
  the CLI or the demo run as a command, a Prefect server, the portal, LibreOffice;
- `postgres`: the test uses a fixture of the local PostgreSQL server (`pg_server`).

Markers written by hand (`browser`, `scaleout`, …) stay as they are.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parent

# What starts a process: these modules, or these functions wherever they are imported from.
PROCESS_MODULES = frozenset({"subprocess", "pexpect", "multiprocessing", "playwright.sync_api"})
PROCESS_FUNCTIONS = frozenset(
    {
        ("deployments.runtime.server", "start_server"),
        ("deployments.runtime.server", "prefect_api"),
        ("playwright.sync_api", "sync_playwright"),
    }
)
FIXTURE_MARKERS = {"prefect_harness": "prefect", "pg_server": "postgres"}


def _code_objects(code: types.CodeType) -> Iterable[types.CodeType]:
    """A function's code and the code of what it defines inside (closures, lambdas, classes)."""
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def _starts_a_process(value: Any) -> bool:
    if isinstance(value, types.ModuleType):
        return value.__name__ in PROCESS_MODULES
    module = getattr(value, "__module__", None)
    return (module, getattr(value, "__name__", None)) in PROCESS_FUNCTIONS


def _ours(value: Any) -> bool:
    """A function or class written in `tests/` (followed into); product code is not."""
    if not (inspect.isfunction(value) or inspect.isclass(value)):
        return False
    try:
        return Path(inspect.getfile(value)).resolve().is_relative_to(TESTS)
    except (TypeError, OSError):  # built in, or made at run time
        return False


def starts_processes(function: Callable[..., Any], seen: set[int] | None = None) -> bool:
    """True if `function`, or a helper of `tests/` it refers to, starts a process."""
    seen = set() if seen is None else seen
    if id(function) in seen:
        return False
    seen.add(id(function))
    if inspect.isclass(function):
        members = [m for m in vars(function).values() if inspect.isfunction(m)]
        return any(starts_processes(m, seen) for m in members)
    function = inspect.unwrap(function)
    code = getattr(function, "__code__", None)
    if code is None:
        return False
    namespace: dict[str, Any] = getattr(function, "__globals__", {})
    for name in {name for c in _code_objects(code) for name in c.co_names}:
        value = namespace.get(name)
        if value is None:
            continue
        if _starts_a_process(value):
            return True
        if _ours(value) and starts_processes(value, seen):
            return True
    return False


def _fixture_functions(item: pytest.Item) -> Iterable[tuple[str, Callable[..., Any]]]:
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return
    for name in getattr(item, "fixturenames", ()):
        for definition in info.name2fixturedefs.get(name, ()):
            yield name, definition.func


def classify(items: list[pytest.Item]) -> None:
    """Add `prefect`, `process` and `postgres` to the tests that need them (see above)."""
    verdicts: dict[int, bool] = {}

    def cached(function: Callable[..., Any]) -> bool:
        if id(function) not in verdicts:
            verdicts[id(function)] = starts_processes(function)
        return verdicts[id(function)]

    for item in items:
        markers: set[str] = set()
        for name, function in _fixture_functions(item):
            if name in FIXTURE_MARKERS:
                markers.add(FIXTURE_MARKERS[name])
            if _ours(function) and cached(function):
                markers.add("process")
        test = getattr(item, "function", None)
        if test is not None and cached(test):
            markers.add("process")
        for marker in sorted(markers):
            if item.get_closest_marker(marker) is None:
                item.add_marker(marker)
