"""
The architecture, read from the source with ``ast`` (nothing here imports the
package): the rooms' layer order, no import cycles between modules, no lazy
import dodging a cycle, modules of a readable size, and a docstring on every test.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "opinion_rules"
TESTS = ROOT / "tests"

#: The modules every room may use; they import nothing of the package above them.
FOUNDATION = frozenset(
    {
        "opinion_rules.exceptions",
        "opinion_rules._problems",
        "opinion_rules._instants",
        "opinion_rules._limits",
        "opinion_rules._validators",
        "opinion_rules._suggest",
        "opinion_rules._reading",
        "opinion_rules._writing",
        "opinion_rules._version",
        # Sets __module__ on public names; imports nothing of the package.
        "opinion_rules._public",
    }
)

#: The layers, lowest first.  A module may import its own room and any room of
#: a lower layer; two rooms in one layer may not import each other.  "public"
#: is ``opinion_rules/__init__.py``, ``__main__`` and every top-level module
#: whose name has no leading underscore (``opinion_rules.conditions``, ...).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("foundation",),
    ("time",),
    ("model",),
    ("plugins",),
    ("planfile", "engine"),
    ("authoring", "pictures"),
    ("store",),
    ("service", "backtest"),
    ("cli",),
    ("public",),
)
RANK = {room: rank for rank, rooms in enumerate(LAYERS) for room in rooms}

#: Optional third-party packages a function may import when first needed, so
#: ``import opinion_rules`` works without them.  Nothing else is imported lazily:
#: an import of the package's own modules inside a function hides a cycle.
LAZY_ALLOWED = frozenset(
    {
        "psycopg",
        "durable",
        "durable_rules_engine",
        "chinese_calendar",
        "icalendar",
        "matplotlib",
        # The dask extra: only the Dask runner imports it, when it runs.
        "dask",
        "distributed",
    }
)
#: The one lazy import of the package's own: ``serve`` imports the service,
#: which needs the optional ``service`` extra, only when it runs.
LAZY_ROOMS = frozenset({("opinion_rules.cli._serve", "opinion_rules.service")})

MAX_LINES = 600


@dataclass(frozen=True)
class Import:
    """One imported name: who imports what, where, and whether inside a function."""

    source: str
    target: str
    path: Path
    line: int
    in_function: bool

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _known(dotted: str) -> str:
    """The longest prefix of *dotted* that is a module of the package (or *dotted*)."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in modules():
            return prefix
    return dotted


def _targets(node: ast.Import | ast.ImportFrom, source: str, path: Path) -> Iterator[str]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield _known(alias.name)
        return
    base = node.module or ""
    if node.level:  # relative: resolve against the importing module's package
        package = source.split(".")
        if path.name != "__init__.py":
            package = package[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join([*package, base] if base else package)
    for alias in node.names:
        # ``from package import module`` imports the module, not the package.
        module = f"{base}.{alias.name}"
        yield module if module in modules() else _known(base)


FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def _find(node: ast.AST, source: str, path: Path, in_function: bool) -> Iterator[Import]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            for target in _targets(child, source, path):
                yield Import(source, target, path, child.lineno, in_function)
        yield from _find(child, source, path, in_function or isinstance(child, FUNCTIONS))


@cache
def imports() -> tuple[Import, ...]:
    """Every import in the package, at any depth (functions, TYPE_CHECKING blocks)."""
    found: list[Import] = []
    for name, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        found.extend(_find(tree, name, path, in_function=False))
    return tuple(found)


def internal() -> list[Import]:
    return [i for i in imports() if i.target in modules() and i.target != i.source]


def room_of(module: str) -> str | None:
    """The room (a key of RANK) a module lives in, or None for one the table misses."""
    parts = module.split(".")
    if module in FOUNDATION:
        return "foundation"
    if module in ("opinion_rules", "opinion_rules.__main__"):
        return "public"
    if len(parts) == 2 and (PACKAGE / f"{parts[1]}.py").is_file():
        return None if parts[1].startswith("_") else "public"
    return parts[1] if parts[1] in RANK else None


def cycles() -> list[list[Import]]:
    """One cycle, as the imports that close it, through each strongly connected group."""
    edges: dict[str, list[Import]] = {}
    for i in internal():
        edges.setdefault(i.source, []).append(i)
    # Tarjan's strongly connected components, iteratively (no recursion limit).
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []
    for start in sorted(modules()):
        if start in index:
            continue
        work = [(start, iter(edges.get(start, [])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, todo = work[-1]
            step = next(todo, None)
            if step is not None:
                nxt = step.target
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(edges.get(nxt, []))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(group)
    return [_cycle_in(group, edges) for group in groups]


def _cycle_in(group: set[str], edges: dict[str, list[Import]]) -> list[Import]:
    """The shortest cycle through the group's first module (breadth first)."""
    start = min(group)
    paths: dict[str, list[Import]] = {start: []}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for step in edges.get(node, []):
                if step.target == start:
                    return [*paths[node], step]
                if step.target in group and step.target not in paths:
                    paths[step.target] = [*paths[node], step]
                    following.append(step.target)
        frontier = following
    raise AssertionError(group)  # a strongly connected group always has a cycle


# -- import graph ----------------------------------------------------------------------


def test_the_reader_sees_the_rooms():
    """The import reader finds the rooms' modules and their absolute and relative imports."""
    found = {(i.source, i.target) for i in internal()}

    assert {"opinion_rules", "opinion_rules.model", "opinion_rules.cli._main"} <= set(modules())
    assert ("opinion_rules.__main__", "opinion_rules.cli._main") in found  # relative
    assert len(found) > 100


def test_there_are_no_import_cycles_between_modules():
    """The module import graph (imports in functions included) has no cycle."""
    found = [" -> ".join([c[0].source, *(f"{i.target} ({i.where})" for i in c)]) for c in cycles()]

    assert [] == found, "import cycles:\n" + "\n".join(found)


def test_every_module_has_a_layer():
    """Every module of the package is in a room of the layer table."""
    unplaced = [f"{m} ({p.relative_to(ROOT)})" for m, p in modules().items() if room_of(m) is None]

    assert [] == unplaced, "modules the layer table does not place: " + ", ".join(unplaced)


def test_imports_go_down_the_layers():
    """A module imports only its own room and rooms of lower layers; one layer's rooms are independent."""
    wrong = []
    for i in internal():
        source, target = room_of(i.source), room_of(i.target)
        if source is None or target is None or source == target:
            continue
        if RANK[target] >= RANK[source]:
            wrong.append(f"{i.where}: {i.source} ({source}) imports {i.target} ({target})")

    assert [] == wrong, "imports that do not go down the layers:\n" + "\n".join(wrong)


def test_room_modules_do_not_import_their_own_rooms_init():
    """Inside a room, modules import the private module, never the room's __init__."""
    wrong = [
        f"{i.where}: {i.source} imports {i.target}"
        for i in internal()
        if room_of(i.source) not in (None, "foundation", "public")
        and i.target == f"opinion_rules.{room_of(i.source)}"
    ]

    assert [] == wrong, "imports of the room's own __init__:\n" + "\n".join(wrong)


def test_no_lazy_imports_but_optional_third_party_packages():
    """Imports inside functions are only of the optional packages in LAZY_ALLOWED (and LAZY_ROOMS)."""
    lazy = [
        f"{i.where}: {i.source} imports {i.target}"
        for i in imports()
        if i.in_function
        and i.target.split(".")[0] not in LAZY_ALLOWED
        and (i.source, i.target) not in LAZY_ROOMS
    ]

    assert [] == lazy, "lazy imports (a hidden cycle or a missing layer):\n" + "\n".join(lazy)


# -- module size -----------------------------------------------------------------------


def test_no_module_exceeds_the_line_limit():
    """No module in src/ is longer than MAX_LINES lines."""
    long = sorted(
        (n, str(p.relative_to(ROOT)))
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    )

    assert [] == long, f"modules over {MAX_LINES} lines: " + ", ".join(
        f"{path} ({n})" for n, path in reversed(long)
    )


# -- tests -----------------------------------------------------------------------------


def test_every_test_has_a_docstring():
    """Every test function (methods and parametrized ones included) has a docstring."""
    bare = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"
        for path in sorted(TESTS.rglob("test_*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test")
        and not (ast.get_docstring(node) or "").strip()
    ]

    assert [] == bare, "tests without a docstring:\n" + "\n".join(bare)
