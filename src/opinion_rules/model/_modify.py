"""
Changing one field of an inherited item: an extending plan's ``modify``
names an item of the base by id and gives only the fields that change
(its condition, title, deadline …); the rest is inherited.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from opinion_rules._suggest import expected_names_capped, one_of
from opinion_rules.exceptions import Problem


__all__ = ["modified_items"]


def modified_items(
    base: Any, modify: Mapping[str, Iterable[Mapping[str, Any]]], sections: tuple[str, ...]
) -> tuple[dict[str, list[Any]], list[Problem]]:
    """
    The items of *base* changed as *modify* says, by section, and the
    problems: a section without ids, an id the base lacks (a misspelt id is
    never a new item), a field the item does not have, or a value its class
    refuses.
    """
    out: dict[str, list[Any]] = {}
    problems: list[Problem] = []
    for section, entries in modify.items():
        if section not in sections:
            problems.append(
                Problem(f"modify.{section}", "is not a section with ids", one_of(sections))
            )
            continue
        items = {item.id: item for item in getattr(base, section)}
        for j, entry in enumerate(entries):
            where = f"modify.{section}[{j}]"
            fields = dict(entry)
            item_id = fields.pop("id", None)
            if item_id not in items:
                problems.append(
                    Problem(
                        f"{where}.id",
                        f"the base plan has no {section} item {item_id!r} to modify",
                        expected_names_capped(str(item_id), items),
                    )
                )
                continue
            item = items[item_id]
            known = {f.name for f in attrs.fields(type(item))} - {"id"}
            unknown = [name for name in fields if name not in known]
            if unknown or not fields:
                problems.append(
                    Problem(
                        where,
                        f"{section} item {item_id!r}: "
                        + (f"no field {unknown[0]!r}" if unknown else "nothing to modify"),
                        one_of(sorted(known)),
                    )
                )
                continue
            try:
                changed = attrs.evolve(item, **fields)
            except (TypeError, ValueError) as exc:
                problems.append(Problem(where, f"{section} item {item_id!r}: {exc}"))
                continue
            out.setdefault(section, []).append(changed)
    return out, problems
