"""
Loading a plan: from a plan file (YAML, TOML, JSON), from the text of one,
from a Python file or from a ``module:attribute`` reference; and a plan
file together with the place of every value in it, for tools that report
on the plan (``opinion-rules check``).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType

import attrs

from opinion_rules.exceptions import PlanError, PlanLoadError, PlanValidationError
from opinion_rules.model._plan import Plan
from opinion_rules.planfile._located import Node
from opinion_rules.planfile._plan_reader import read_plan_document
from opinion_rules.planfile._reader import index_nodes, nearest
from opinion_rules.planfile._sources import (
    FORMATS,
    SUFFIXES,
    Folders,
    Load,
    allowed_folders,
    read_plan_bytes,
    real_folder,
    real_path,
)
from opinion_rules.plugins._manager import PluginSet, plugin_set
from opinion_rules.plugins._requirements import name_problems, plugin_problems


__all__ = [
    "LoadedPlan",
    "add_allow_dir_option",
    "load_plan",
    "load_plan_file",
    "load_plan_with_places",
    "read_plan_text",
]

#: The command-line option that widens where ``extends`` may read from.
ALLOW_DIR = "--allow-dir"


#: The plug-ins a load enables: entry-point names, modules or objects, or a PluginSet.
PluginsArg = PluginSet | Iterable[str | ModuleType | object] | None


def add_allow_dir_option(parser: argparse.ArgumentParser) -> None:
    """
    Give a command that loads a plan the repeatable ``--allow-dir DIR``
    option (``args.allow_dir``, a list), passed to :func:`load_plan` as
    *allowed_dirs*.
    """
    parser.add_argument(
        ALLOW_DIR,
        metavar="DIR",
        action="append",
        default=[],
        dest="allow_dir",
        help="let 'extends' in a plan file also read plan files in DIR (repeatable); by "
        "default only plan files in the plan file's own folder and below",
    )


def load_plan(
    source: str | Path, *, allowed_dirs: Folders = (), plugins: PluginsArg = None
) -> Plan:
    """
    Load a plan from a plan file, a Python file or a ``module:attribute``
    reference.

    *source* may be:

    * ``path/to/plan.yaml`` (or ``.yml``, ``.toml``, ``.json``) — a plan file,
      read safely (see docs/reference/plan-file-format.md);
    * ``path/to/plan.py`` — the file is run as a module, and its ``PLAN``
      attribute is used (or its only :class:`Plan` if it has no ``PLAN``);
    * ``path/to/plan.py:NAME`` — the same, using attribute ``NAME``;
    * ``package.module:NAME`` — an importable module's attribute.

    *allowed_dirs* are folders whose plan files a plan file's ``extends`` may
    read, besides its own folder (see :func:`load_plan_file`); Python plans
    ignore it.

    *plugins* are the plug-ins to enable (entry-point names, modules or
    objects, or a :class:`~opinion_rules.plugins.PluginSet`): a plan file
    names calendars they provide, and a plan that requires a plug-in, or
    names a function or aggregation, is refused unless one enabled
    provides it.  A plan file never loads code by itself.

    Raises:
        PlanLoadError: if the file or module cannot be found or run, or holds
            no plan; for a plan file, if it is not valid YAML/TOML/JSON.
        PlanValidationError: for a plan file, listing every problem, each
            with its file, line and column.
        PlanError: if building the plan raised one (it is passed through).
        PluginError: if a plug-in cannot be loaded or breaks its contract.

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.2.0 plan files.
    .. versionchanged:: 0.5.0 *allowed_dirs*.
    .. versionchanged:: 0.6.0 *plugins*.
    """
    text = str(source)
    if Path(text).suffix.lower() in SUFFIXES:
        return load_plan_file(text, allowed_dirs=allowed_dirs, plugins=plugins)
    where, _, attribute = text.partition(":") if not _is_windows_drive(text) else (text, "", "")
    if where.endswith(".py") or Path(where).suffix == ".py":
        module = _run_file(text, Path(where))
    elif attribute:
        try:
            module = importlib.import_module(where)
        except PlanError:
            raise
        except Exception as exc:
            raise PlanLoadError(text, f"cannot import module {where!r}: {exc}") from exc
    else:
        raise PlanLoadError(
            text,
            "expected a plan file (.yaml, .yml, .toml, .json), a Python file "
            "('plan.py', 'plan.py:NAME') or 'module:NAME'",
        )
    plan = _pick(text, module.__dict__, attribute or None)
    _check_plugins(plan, text, plugin_set(plugins), None)
    return plan


def _is_windows_drive(text: str) -> bool:
    return len(text) > 1 and text[1] == ":" and text[0].isalpha()


def _run_file(text: str, path: Path) -> object:
    if not path.is_file():
        raise PlanLoadError(text, f"no such file: {path}")
    name = f"_opinion_rules_plan_{abs(hash(path.resolve()))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - .py files always get a loader
        raise PlanLoadError(text, "cannot load the file as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except PlanError:
        raise
    except Exception as exc:
        raise PlanLoadError(text, f"running the file failed: {type(exc).__name__}: {exc}") from exc
    finally:
        sys.modules.pop(name, None)
    return module


def _pick(text: str, namespace: dict[str, object], attribute: str | None) -> Plan:
    if attribute is not None:
        if attribute not in namespace:
            raise PlanLoadError(text, f"has no attribute {attribute!r}")
        value = namespace[attribute]
    elif "PLAN" in namespace:
        value = namespace["PLAN"]
    else:
        plans = [v for v in namespace.values() if isinstance(v, Plan)]
        if len(plans) != 1:
            raise PlanLoadError(
                text,
                f"expected a PLAN attribute or exactly one Plan (found {len(plans)}); "
                "name one with 'file.py:NAME'",
            )
        value = plans[0]
    if not isinstance(value, Plan):
        raise PlanLoadError(
            text, f"{attribute or 'PLAN'} is not a Plan (it is a {type(value).__name__})"
        )
    return value


def load_plan_file(
    path: str | os.PathLike[str], *, allowed_dirs: Folders = (), plugins: PluginsArg = None
) -> Plan:
    """
    Read a plan file; the suffix chooses the format.

    ``extends`` in the file may name plan files in the file's own folder
    (and below it), or in one of *allowed_dirs*; see the plan file format.

    Raises:
        PlanLoadError: the file cannot be read, is not a regular file, is
            larger than ``PLAN_FILE_BYTES``, or is not valid YAML, TOML or
            JSON (located).
        PlanValidationError: listing every problem, each located.

    .. versionchanged:: 0.5.0 *allowed_dirs*; files are size-checked before
       they are read, and ``extends`` is confined.
    .. versionchanged:: 0.6.0 *plugins*, as for :func:`load_plan`.
    """
    plan, _root = _read_plan_file(Path(path), allowed_dirs, plugins)
    return plan


def _read_plan_file(
    path: Path, allowed_dirs: Folders, plugins: PluginsArg = None
) -> tuple[Plan, Node]:
    source = str(path)
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise PlanLoadError(source, f"unknown plan file suffix; expected one of {list(SUFFIXES)}")
    text = read_plan_bytes(path, source)
    folder = real_folder(path, source)
    enabled = plugin_set(plugins)
    load = Load(
        allowed=(folder, *allowed_folders(allowed_dirs, source)),
        chain=(real_path(path, source),),
        plugins=enabled,
    )
    plan, root = read_plan_document(text, fmt, source, folder, load)
    _check_plugins(plan, source, enabled, root)
    return plan, root


def read_plan_text(
    text: str,
    fmt: str,
    source: str = "<string>",
    *,
    allowed_dirs: Folders = (),
    plugins: PluginsArg = None,
) -> Plan:
    """
    Read a plan from *text* in format *fmt* (``yaml``, ``toml``, ``json``);
    *source* names it in messages.

    A text has no folder of its own: its ``extends`` is resolved against the
    folder of *source* and may name only plan files inside *allowed_dirs*
    (none by default, so a plan read from text extends nothing unless the
    host says where from).

    .. versionchanged:: 0.5.0 *allowed_dirs*.
    .. versionchanged:: 0.6.0 *plugins*, as for :func:`load_plan`.
    """
    if fmt not in FORMATS:
        raise PlanLoadError(source, f"unknown plan file format {fmt!r}; expected one of {FORMATS}")
    folder = Path(source).parent.absolute()
    enabled = plugin_set(plugins)
    load = Load(allowed=allowed_folders(allowed_dirs, source), chain=(), plugins=enabled)
    plan, root = read_plan_document(text, fmt, source, folder, load)
    _check_plugins(plan, source, enabled, root)
    return plan


@attrs.frozen
class LoadedPlan:
    """
    A plan with the place of every value in the plan file it was read from.

    Attributes:
        plan: The plan.
        places: Line and column (1-based) of every value in the file, by
            path such as ``grades[1].criteria``; empty for a plan that was
            not read from a plan file (a Python file, ``module:NAME``).
    """

    plan: Plan
    places: Mapping[str, tuple[int, int]] = attrs.field(factory=dict)

    def place(self, path: str) -> tuple[int, int] | None:
        """
        Line and column of *path*, or of its closest enclosing path in the
        file (``actions[2].owners[0]`` -> ``actions[2].owners`` …); ``None``
        when the file holds none of them.
        """
        return nearest(self.places, path)


def load_plan_with_places(
    source: str | Path, *, allowed_dirs: Folders = (), plugins: PluginsArg = None
) -> LoadedPlan:
    """
    :func:`load_plan`, keeping the places of the values in a plan file
    from the same reading (the file is read and parsed once).

    Raises:
        The same errors as :func:`load_plan`.
    """
    text = str(source)
    if Path(text).suffix.lower() not in SUFFIXES:
        return LoadedPlan(load_plan(text, allowed_dirs=allowed_dirs, plugins=plugins))
    plan, root = _read_plan_file(Path(text), allowed_dirs, plugins)
    return LoadedPlan(plan, _places(root))


def _check_plugins(plan: Plan, source: str, plugins: PluginSet, root: Node | None) -> None:
    """
    Refuse *plan* when the enabled *plugins* leave a requirement or a name
    unmet, each problem placed in the file (*root*) where it can be (a
    plan file's requirements were checked as it was read).
    """
    found_all = list(
        plugin_problems(plan, plugins) if root is None else name_problems(plan, plugins)
    )
    if not found_all:
        return
    places = {} if root is None else _places(root)
    problems = []
    for found in found_all:
        place = nearest(places, found.path)
        if place is not None:
            found = attrs.evolve(found, file=source, line=place[0], column=place[1])  # noqa: PLW2901 - placed
        problems.append(found)
    if problems:
        raise PlanValidationError(source, problems)


def _places(root: Node) -> dict[str, tuple[int, int]]:
    return {path: (node.line, node.column) for path, node in index_nodes(root)}
