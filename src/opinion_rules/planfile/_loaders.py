"""
Find a plan: a plan file (YAML, TOML, JSON), a Python file or a
``module:attribute`` reference.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from pathlib import Path

from opinion_rules.exceptions import PlanError, PlanLoadError
from opinion_rules.model._plan import Plan

from ._planfile import SUFFIXES, Folders, load_plan_file


__all__ = ["add_allow_dir_option", "load_plan"]

#: The command-line option that widens where ``extends`` may read from.
ALLOW_DIR = "--allow-dir"


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


def load_plan(source: str | Path, *, allowed_dirs: Folders = ()) -> Plan:
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

    Raises:
        PlanLoadError: if the file or module cannot be found or run, or holds
            no plan; for a plan file, if it is not valid YAML/TOML/JSON.
        PlanValidationError: for a plan file, listing every problem, each
            with its file, line and column.
        PlanError: if building the plan raised one (it is passed through).

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.2.0 plan files.
    .. versionchanged:: 0.5.0 *allowed_dirs*.
    """
    text = str(source)
    if Path(text).suffix.lower() in SUFFIXES:
        return load_plan_file(text, allowed_dirs=allowed_dirs)
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
    return _pick(text, module.__dict__, attribute or None)


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
