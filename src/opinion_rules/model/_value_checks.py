"""
Plan checks of comparisons between two values of the incident
(:class:`~opinion_rules.conditions.CompareValues`): every measure, fact and
parameter they read exists and is a number.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping

from opinion_rules._suggest import expected_names_capped, one_of
from opinion_rules.exceptions import Problem
from opinion_rules.model._conditions import CompareValues, FactRef, MeasureRef, Param
from opinion_rules.model._items import FactSpec, Parameter
from opinion_rules.model._terms import term_nodes


__all__ = ["compare_values_problems"]


def compare_values_problems(
    node: CompareValues,
    where: str,
    measures: Collection[str],
    facts: Mapping[str, FactSpec],
    parameters: Mapping[str, Parameter],
) -> Iterator[Problem]:
    """
    What is wrong with *node* in a plan with *measures*, *facts* and
    *parameters*: names that are not defined, facts that are not numbers.
    """
    for item in (node.left, *term_nodes(node.right)):
        match item:
            case MeasureRef(mid) if mid not in measures:
                yield Problem(
                    where,
                    f"measure {mid!r} is not defined",
                    expected_names_capped(mid, measures),
                    refers_to=mid,
                )
            case FactRef(fid):
                spec = facts.get(fid)
                if spec is None:
                    yield Problem(
                        where,
                        f"fact {fid!r} is not defined",
                        expected_names_capped(fid, facts),
                        refers_to=fid,
                    )
                elif spec.type != "number":
                    yield Problem(
                        where,
                        f"fact {fid!r} is compared or computed with as a number, and it is "
                        f"{spec.type}",
                        "a measure or a number fact",
                    )
            case Param(pid) if pid not in parameters:
                yield Problem(where, f"parameter {pid!r} is not declared", one_of(parameters))
            case _:
                pass
