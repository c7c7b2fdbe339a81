"""
The plans the service holds: the plan files of one folder, read when it
starts and stored in the case store, found by id or by key.

Only plan files are read (``.yaml``, ``.yml``, ``.toml``, ``.json``, at the
top of the folder; ``extends`` may read files below it): the service never
runs code, so a Python plan in the folder is skipped with a warning.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from opinion_rules._suggest import expected_names_capped, one_of
from opinion_rules.exceptions import (
    FactError,
    PlanConflictError,
    Problem,
    ServiceError,
    UnknownPlanError,
)
from opinion_rules.model._plan import Plan
from opinion_rules.planfile._loaders import load_plan_file
from opinion_rules.planfile._sources import SUFFIXES
from opinion_rules.plugins._manager import PluginSet
from opinion_rules.store._casestore import CaseStore
from opinion_rules.store._plans import plan_key


__all__ = ["HeldPlan", "HeldPlans", "load_plans"]

logger = logging.getLogger("opinion_rules.service")


@attrs.frozen
class HeldPlan:
    """
    One plan the service holds: its store key and the file it came from.
    """

    key: str
    file: str
    plan: Plan

    def to_dict(self) -> dict[str, Any]:
        """
        Render as JSON-ready data (``GET /v1/plans``).
        """
        return {
            "key": self.key,
            "id": self.plan.id,
            "version": self.plan.version,
            "title": self.plan.title,
            "timezone": self.plan.timezone,
            "file": self.file,
        }


@attrs.frozen
class HeldPlans:
    """
    The plans the service holds, by key.
    """

    by_key: dict[str, HeldPlan]

    def find(self, name: str, where: str) -> HeldPlan:
        """
        The plan *name* names: a key (``work-safety@2023-1``), or a plan id
        when the service holds one version of it.

        Raises:
            FactError: *name* is an id held in several versions (*where*
                names the field).
            UnknownPlanError: no plan held has that key or id.
        """
        if name in self.by_key:
            return self.by_key[name]
        versions = sorted(k for k, p in self.by_key.items() if p.plan.id == name)
        if len(versions) == 1:
            return self.by_key[versions[0]]
        if versions:
            raise FactError(
                where,
                [
                    Problem(
                        "",
                        f"names plan {name!r}, held in {len(versions)} versions",
                        f"a key, one of {', '.join(repr(v) for v in versions)}",
                        repr(name),
                    )
                ],
            )
        known = [*self.by_key, *{p.plan.id for p in self.by_key.values()}]
        raise UnknownPlanError(name, expected_names_capped(name, known))


def load_plans(
    folder: str | os.PathLike[str],
    store: CaseStore,
    plugins: PluginSet,
    parameters: Mapping[str, float] | None = None,
) -> HeldPlans:
    """
    Read every plan file at the top of *folder* (or the one plan file
    *folder* names), set the *parameters* each plan declares, and store it.

    Raises:
        ServiceError: *folder* is neither a folder nor a plan file, or
            holds no plan file; a parameter is declared by no plan held.
        PlanError: a plan file is wrong (located), or two files hold one
            plan version with different content.
        PluginError: a plan needs a plug-in that is not enabled.
    """
    root = Path(folder)
    shown = os.fspath(folder)
    suffixes = ", ".join(sorted(SUFFIXES))
    if root.is_file():
        if root.suffix.lower() not in SUFFIXES:
            raise ServiceError(
                shown, f"is not a plan file the service reads; expected a {suffixes} file"
            )
        paths, allowed = [root], root.parent
    elif root.is_dir():
        paths, allowed = sorted(root.iterdir()), root
    else:
        raise ServiceError(
            shown, "is neither a folder nor a file; expected the plan files to hold (a folder)"
        )
    given = dict(parameters or {})
    used: set[str] = set()
    held: dict[str, HeldPlan] = {}
    for path in paths:
        if path.suffix.lower() == ".py":
            logger.warning("%s: skipped: the service reads plan files only, never code", path)
            continue
        if path.suffix.lower() not in SUFFIXES or not path.is_file():
            continue
        plan = load_plan_file(path, allowed_dirs=[allowed], plugins=plugins)
        declared = {p.id for p in plan.parameters}
        used.update(declared)
        values = {name: v for name, v in given.items() if name in declared}
        if values:
            plan = plan.with_parameters(**values)
        key = plan_key(plan)
        if key in held and held[key].plan != plan:
            raise PlanConflictError(key)
        store.add_plan(plan)
        held.setdefault(key, HeldPlan(key, path.name, plan))
    if not held:
        raise ServiceError(shown, f"holds no plan file; expected {suffixes} files")
    unused = sorted(set(given) - used)
    if unused:
        expected = one_of(used) if used else "none: no plan held declares a parameter"
        raise ServiceError(
            f"parameter {unused[0]!r}", f"is declared by no plan in {shown}; expected {expected}"
        )
    return HeldPlans(held)
