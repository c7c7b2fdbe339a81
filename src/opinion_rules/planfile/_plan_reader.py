"""
Reading a whole plan file: its sections and values by the layout in
:mod:`._fields`, then the model's checks of the whole plan, each problem
placed in the file; and ``extends``, which reads the base plan file (by
the same function, within the load's folders and depth) and merges this
file's items into it by id.

Reading never runs anything: the text is parsed by :mod:`._located` into
plain data with places, conditions are parsed by :mod:`._expr`, and the
model classes validate what they are given.  All problems are collected in
one pass and raised together.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from opinion_rules._limits import EXTENDS_DEPTH, TIMEZONE_CHARACTERS
from opinion_rules.exceptions import PlanError, PlanLoadError, PlanValidationError, Problem
from opinion_rules.model._plan import ID_SECTIONS, Plan, timezone_problem
from opinion_rules.planfile._fields import PLAN_OPTIONAL, PLAN_REQUIRED, PLAN_SCALARS, SECTIONS
from opinion_rules.planfile._located import FileSyntaxError, Node, parse_document
from opinion_rules.planfile._reader import Reader, clip, index_nodes, nearest
from opinion_rules.planfile._simple_fields import read_text, read_texts
from opinion_rules.planfile._sources import (
    SUFFIXES,
    Load,
    check_text_size,
    read_plan_bytes,
    reason,
)
from opinion_rules.plugins._requirements import requirement_problems
from opinion_rules.time._calendars import ChinaCalendar


__all__ = ["read_plan_document"]

# Items built, by section: (position in the file, item).
_Built = Mapping[str, list[tuple[int, Any]]]


def read_plan_document(
    text: str, fmt: str, source: str, folder: Path, load: Load
) -> tuple[Plan, Node]:
    """
    The plan in *text* (format *fmt*, named *source* in messages, resolving
    ``extends`` against *folder*) and the located tree it was read from.

    Raises:
        PlanLoadError: the text is too large or not valid *fmt* (located).
        PlanValidationError: listing every problem, each located.
    """
    check_text_size(text, source)
    try:
        root = parse_document(text, fmt)
    except FileSyntaxError as exc:
        raise PlanLoadError(source, exc.message, line=exc.line, column=exc.column) from None
    reader = Reader(source, folder, load)
    plan = _read_plan(reader, root)
    if reader.problems or plan is None:
        raise PlanValidationError(source, reader.problems)
    return plan, root


def _read_plan(reader: Reader, node: Node) -> Plan | None:
    if isinstance(node.value, dict) and "extends" in node.value:
        return _read_extending_plan(reader, node)
    root = reader.mapping(node, "", PLAN_REQUIRED, PLAN_OPTIONAL)
    if root is None:
        return None
    reader.measures = _declared_ids(root, "measures")
    reader.facts = _declared_ids(root, "facts")
    top: dict[str, Any] = {}
    for key, kind in PLAN_SCALARS.items():
        if key in root:
            top[key] = kind.read(reader, root[key], key)
    if isinstance(top.get("timezone"), str):
        top["timezone"] = _read_timezone(reader, root["timezone"], top["timezone"])
    for key in ("metrics", "local"):
        if key in root:
            top[key] = read_texts(reader, root[key], key)
    if "calendar" in root and top.get("calendar") is None:
        # A calendar that failed to read: a placeholder spares its users
        # follow-on "needs a working calendar" problems.
        top["calendar"] = ChinaCalendar()
    sections = {key: _read_section(reader, root, key) for key in SECTIONS}
    _requirements(reader, node, sections["requires"])
    # Check the whole plan even when some parts failed, so one pass
    # reports everything: failed scalars get placeholders, failed items
    # are left out, and cross-references to items that exist in the file
    # but failed to build are not reported twice.
    partial = bool(reader.problems)
    for key in PLAN_REQUIRED:
        if key in PLAN_SCALARS and top.get(key) is None:
            top[key] = "?"
    try:
        arguments: dict[str, Any] = {k: v for k, v in top.items() if v is not None}
        arguments.update({key: [item for _, item in items] for key, items in sections.items()})
        plan = Plan(**arguments)
    except PlanValidationError as exc:
        index = dict(index_nodes(node))
        in_file = _ids_in_file(root) if partial else frozenset()
        for problem in exc.problems:
            path = _file_path(problem.path, sections)
            if _names_one_of(problem, in_file):
                continue
            target = nearest(index, path) or node
            reader.problems.append(
                attrs.evolve(
                    problem, path=path, file=reader.source, line=target.line, column=target.column
                )
            )
        return None
    except (TypeError, ValueError) as exc:
        reader.problem(node, "", reason(exc))
        return None
    return None if partial else plan


def _requirements(reader: Reader, node: Node, requires: list[tuple[int, Any]]) -> None:
    """
    Report, at their lines, the plug-ins the plan requires and the load
    has not enabled (or at a version the plan does not allow).
    """
    if reader.load.plugins is None:
        return
    index = dict(index_nodes(node))
    for problem in requirement_problems(requires, reader.load.plugins):
        target = nearest(index, problem.path) or node
        reader.problem(target, problem.path, problem.message, problem.expected)


def _read_section(reader: Reader, root: dict[str, Node], key: str) -> list[tuple[int, Any]]:
    """
    Build every item of a list section; returns (index in the file, item)
    for the items that could be built.
    """
    if key not in root:
        return []
    section = SECTIONS[key]
    out = []
    for i, item in enumerate(reader.items(root[key], key)):
        path = f"{key}[{i}]"
        kwargs = reader.fields(item, path, section.fields)
        if kwargs is not None:
            built = reader.build(section.model, item, path, **section.adapt(kwargs))
            if built is not None:
                out.append((i, built))
    return out


def _declared_ids(root: dict[str, Node], key: str) -> dict[str, object]:
    # Conditions name measures and facts; collect the ids first so an
    # error in one measure does not also make every condition using it fail.
    ids: dict[str, object] = {}
    if key in root and isinstance(root[key].value, list):
        for item in root[key].value:
            if isinstance(item.value, dict) and isinstance(
                item.value.get("id", Node(None, 0, 0)).value, str
            ):
                ids[item.value["id"].value] = item
    return ids


def _ids_in_file(root: dict[str, Node]) -> frozenset[str]:
    """
    The ids written in the file's sections, whether their items built or not.
    """
    return frozenset(
        item.value["id"].value
        for key in SECTIONS
        for item in (root[key].value if key in root and isinstance(root[key].value, list) else [])
        if isinstance(item.value, dict)
        and "id" in item.value
        and isinstance(item.value["id"].value, str)
    )


def _names_one_of(problem: Problem, ids: frozenset[str]) -> bool:
    """
    Whether *problem* says an item that is in the file is not defined: it
    failed to build, and its own problem is already reported.
    """
    return problem.refers_to is not None and problem.refers_to in ids


def _file_path(path: str, sections: _Built) -> str:
    # The model numbers only the items that were built; map back to the file.
    match = re.match(r"(\w+)\[(\d+)\]", path)
    if match and match[1] in sections:
        built = sections[match[1]]
        k = int(match[2])
        if k < len(built):
            return f"{match[1]}[{built[k][0]}]{path[match.end() :]}"
    return path


def _read_timezone(reader: Reader, node: Node, name: str) -> str | None:
    problem = timezone_problem(name)
    if problem is not None:
        reader.problem(
            node,
            "timezone",
            f"unknown timezone {name!r}"
            if len(name) <= TIMEZONE_CHARACTERS
            else f"the timezone name is longer than {TIMEZONE_CHARACTERS} characters",
            "an IANA name such as 'Asia/Shanghai'",
        )
        return None
    return name


# -- extends ----------------------------------------------------------------------


def _read_extending_plan(reader: Reader, node: Node) -> Plan | None:
    """
    A plan file with ``extends: <path>``: the base plan file (relative to
    this one) with this file's items merged in by id.
    """
    root = reader.mapping(
        node, "", ("extends",), (*PLAN_REQUIRED, *PLAN_OPTIONAL, "remove", "modify")
    )
    if root is None:
        return None
    base = _read_base_plan(reader, root["extends"])
    if base is None:
        return None
    reader.measures = {m.id: m for m in base.measures} | _declared_ids(root, "measures")
    reader.facts = {f.id: f for f in base.facts} | _declared_ids(root, "facts")
    changes: dict[str, Any] = {}
    for key, kind in PLAN_SCALARS.items():
        if key in root:
            changes[key] = kind.read(reader, root[key], key)
    if "metrics" in root:
        changes["metrics"] = read_texts(reader, root["metrics"], "metrics")
    sections = {key: _read_section(reader, root, key) for key in SECTIONS}
    _requirements(reader, node, sections["requires"])
    changes.update({k: [item for _, item in v] for k, v in sections.items() if k in root})
    remove: dict[str, tuple[str, ...]] = {}
    if "remove" in root:
        raw = reader.mapping(root["remove"], "remove", (), ID_SECTIONS)
        for key, value in (raw or {}).items():
            ids = read_texts(reader, value, f"remove.{key}") if key in ID_SECTIONS else None
            if ids is not None:
                remove[key] = ids
    modify = _read_modify(reader, root["modify"]) if "modify" in root else {}
    if reader.problems:
        return None
    try:
        return base.extend(
            remove=remove, modify=modify, **{k: v for k, v in changes.items() if v is not None}
        )
    except PlanValidationError as exc:
        index = dict(index_nodes(node))
        for problem in exc.problems:
            local = _local_path(problem.path, sections)
            target = nearest(index, local) if local else None
            path, message = local or problem.path, problem.message
            if target is None:
                # An inherited item broke: point at the extends line.
                path, target = problem.path, root["extends"]
                message += " (inherited from the base plan)"
            reader.problems.append(
                attrs.evolve(
                    problem,
                    path=path,
                    message=message,
                    file=reader.source,
                    line=target.line,
                    column=target.column,
                )
            )
        return None


def _read_modify(reader: Reader, node: Node) -> dict[str, list[dict[str, Any]]]:
    """
    ``modify: {<section>: [{id: <base item id>, <field>: <new value>, …}]}``:
    only the fields that change, each read by its kind; ``id`` is required.
    """
    out: dict[str, list[dict[str, Any]]] = {}
    raw = reader.mapping(node, "modify", (), ID_SECTIONS)
    for key, value in (raw or {}).items():
        if key not in ID_SECTIONS:
            continue
        section = SECTIONS[key]
        spec = {name: (kind, name == "id") for name, (kind, _) in section.fields.items()}
        for j, item in enumerate(reader.items(value, f"modify.{key}")):
            fields = reader.fields(item, f"modify.{key}[{j}]", spec)
            if fields is not None:
                out.setdefault(key, []).append(section.adapt(fields))
    return out


def _read_base_plan(reader: Reader, node: Node) -> Plan | None:
    """
    Read the plan file ``extends`` names, confined to the allowed folders;
    every reason it cannot be used is a problem at this node.
    """
    name = read_text(reader, node, "extends")
    if name is None:
        return None
    target = reader.confined(node, name)
    if target is None:
        return None
    if target in reader.load.chain:
        reader.problem(node, "extends", f"plans extend each other in a cycle through {clip(name)}")
        return None
    if reader.load.depth >= EXTENDS_DEPTH:
        reader.problem(
            node,
            "extends",
            f"the chain of plans extending one another is longer than {EXTENDS_DEPTH} files",
            f"at most {EXTENDS_DEPTH} plan files in one chain",
        )
        return None
    written = Path(name)
    shown = os.path.normpath(Path(reader.source).parent / written)
    load = attrs.evolve(
        reader.load, chain=(*reader.load.chain, target), depth=reader.load.depth + 1
    )
    try:
        # The target has no links left: refuse one put there since.
        text = read_plan_bytes(target, shown, follow_last_link=False)
        plan, _root = read_plan_document(
            text, SUFFIXES[written.suffix.lower()], shown, target.parent, load
        )
    except PlanValidationError as exc:
        for problem in exc.problems:
            reader.problem(node, "extends", f"the base plan has a problem: {problem}")
        return None
    except PlanError as exc:
        reader.problem(node, "extends", f"the base plan cannot be loaded: {reason(exc)}")
        return None
    return plan


def _local_path(path: str, sections: _Built) -> str | None:
    """
    ``actions.report_major.deadline`` → ``actions[2].deadline`` when the
    extending file defines that item (its position in the file), else None.
    """
    if path.startswith("modify."):  # a path in this file's modify list
        return path
    match = re.match(r"^([a-z]+)\.([A-Za-z][A-Za-z0-9_]*)(.*)$", path)
    if match is None:
        return path
    section, item_id, rest = match.groups()
    if section == "plan":
        return item_id + rest
    for position, item in sections.get(section, []):
        if getattr(item, "id", None) == item_id:
            return f"{section}[{position}]{rest}"
    return None
