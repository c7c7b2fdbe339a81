"""
Hypothesis strategies: random plans and incidents that exercise every
operator, window, aggregation, fact type, deadline kind and anchor.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import attrs
from hypothesis import strategies as st

import opinion_rules as o
from opinion_rules.calendars import DataCalendar
from opinion_rules.conditions import (
    AllOf,
    Always,
    AnyOf,
    Compare,
    Not,
    OneOf,
    category,
    event_seen,
    fact,
    grade,
    measure,
)
from opinion_rules.deadlines import (
    Extension,
    Offset,
    after,
    end_of_day,
    immediately,
    no_deadline,
    promptly,
    recurring,
    until,
)
from opinion_rules.lifecycle import Routing
from opinion_rules.model._content import event_types
from opinion_rules.windows import calendar_day, cumulative, rolling, sustained


BASE = datetime(2026, 11, 23, 0, 0, tzinfo=timezone(timedelta(hours=8)))
# A small data calendar around BASE (a Monday): Wednesday 2026-11-25 is a
# holiday and Saturday 2026-11-28 a make-up working day.
CALENDAR = DataCalendar(
    "test",
    2026,
    2027,
    holidays={date(2026, 11, 25)},
    workdays={date(2026, 11, 28)},
    hours=((time(9), time(12)), (time(13), time(17, 30))),
)
METRICS = ("m0", "m1")
CHANNELS = ("c0", "c1")
SITES = ("s0", "s1", "s2")
EVENT_TYPES = ("x", "y")
OPS = ("gt", "ge", "lt", "le", "eq", "ne")

FACTS = (
    o.FactSpec("n", type="number"),
    o.FactSpec("b", type="bool"),
    o.FactSpec("t", type="text"),
    o.FactSpec("o", type="enum", choices=("lo", "mid", "hi"), ordered=True),
    o.FactSpec("u", type="enum", choices=("p", "q", "r")),
)

# Numbers that stress the durable encoding: tiny floats (1e-05 is rejected by
# durable_rules' parser), huge integers, and values equal to bounds.
numbers = st.one_of(
    st.integers(min_value=0, max_value=60),
    st.sampled_from([0.5, 1e-05, 2.5e-07, 10.0, 1e20, 2**70]),
)
observed_values = st.one_of(
    st.integers(min_value=0, max_value=60),
    st.sampled_from([0.5, 1e-05, 10.0, 1e20]),
)


@st.composite
def measures(draw: st.DrawFn) -> tuple[o.Measure, ...]:
    count = draw(st.integers(min_value=1, max_value=3))
    out = []
    for i in range(count):
        window = draw(
            st.one_of(
                st.integers(min_value=1, max_value=48).map(lambda h: rolling(hours=h)),
                st.just(cumulative()),
                st.just(calendar_day()),
                st.integers(min_value=1, max_value=3).map(lambda d: sustained(days=d)),
            )
        )
        out.append(
            o.Measure(
                f"q{i}",
                metric=draw(st.sampled_from(METRICS)),
                window=window,
                aggregate=draw(st.sampled_from(["sum", "max", "distinct_sites"])),
                channels=draw(st.lists(st.sampled_from(CHANNELS), unique=True, max_size=2)),
            )
        )
    return tuple(out)


def fact_leaf() -> st.SearchStrategy[Compare | OneOf]:
    return st.one_of(
        st.builds(lambda op, v: Compare(fact("n"), op, v), st.sampled_from(OPS), numbers),
        st.builds(
            lambda op, v: Compare(fact("b"), op, v),
            st.sampled_from(["eq", "ne"]),
            st.booleans(),
        ),
        st.builds(
            lambda op, v: Compare(fact("t"), op, v),
            st.sampled_from(["eq", "ne"]),
            st.sampled_from(["x", "重大"]),
        ),
        st.builds(
            lambda vs: fact("t").one_of(*vs),
            st.lists(st.sampled_from(["x", "y", "重大"]), min_size=1, max_size=2),
        ),
        st.builds(
            lambda op, v: Compare(fact("o"), op, v),
            st.sampled_from(OPS),
            st.sampled_from(["lo", "mid", "hi"]),
        ),
        st.builds(
            lambda op, v: Compare(fact("u"), op, v),
            st.sampled_from(["eq", "ne"]),
            st.sampled_from(["p", "q", "r"]),
        ),
    )


def trees(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, min_size=1, max_size=3).map(AllOf),
            st.lists(children, min_size=1, max_size=3).map(AnyOf),
            children.map(Not),
        ),
        max_leaves=6,
    )


@st.composite
def plans(draw: st.DrawFn) -> o.Plan:
    plan_measures = draw(measures())
    measure_leaf = st.builds(
        lambda m, op, v: Compare(measure(m.id), op, v),
        st.sampled_from(plan_measures),
        st.sampled_from(OPS),
        numbers,
    )
    criteria = trees(st.one_of(measure_leaf, fact_leaf(), st.just(Always())))
    n_grades = draw(st.integers(min_value=1, max_value=4))
    ranks = draw(st.permutations(range(n_grades)))
    clause = o.Clause("x", "text")
    grades = tuple(
        o.Grade(f"g{i}", f"grade {i}", rank=ranks[i], criteria=draw(criteria), clause=clause)
        for i in range(n_grades)
    )
    n_categories = draw(st.integers(min_value=0, max_value=2))
    categories = tuple(
        o.Category(f"k{i}", f"category {i}", draw(criteria), clause) for i in range(n_categories)
    )
    state_leaf = st.one_of(
        st.builds(
            lambda op, g: Compare(grade(), op, g.id),
            st.sampled_from(OPS),
            st.sampled_from(grades),
        ),
        st.sampled_from(EVENT_TYPES).map(event_seen),
        *([st.sampled_from(categories).map(lambda c: category(c.id))] if categories else []),
    )
    conditions = trees(st.one_of(state_leaf, measure_leaf, fact_leaf(), st.just(Always())))
    n_actions = draw(st.integers(min_value=1, max_value=4))
    actions = []
    for i in range(n_actions):
        # Anchors on other actions only look back, so plans never wait in a cycle.
        earlier = [f"a{j}" for j in range(i)]
        anchors = st.sampled_from(
            [
                "discovered",
                "posted",
                "x",
                *[f"action_done:{a}" for a in earlier],
                *[f"overdue:{a}" for a in earlier],
                *[f"overdue:{a}+1wd" for a in earlier],
                *[f"grade_reached:{g.id}" for g in grades],
                *[f"category_assigned:{c.id}" for c in categories],
            ]
        )
        deadline = draw(deadlines(anchors))
        actions.append(
            o.Action(
                f"a{i}",
                f"action {i}",
                owners=("r",),
                channel="notice",
                deadline=deadline,
                condition=draw(conditions),
                clause=clause,
            )
        )
    return o.Plan(
        id="random",
        title="random plan",
        issuer="tests",
        version="1",
        source="hypothesis",
        metrics=METRICS,
        measures=plan_measures,
        facts=FACTS,
        grades=grades,
        categories=categories,
        roles=(o.Role("r", "role"),),
        actions=tuple(actions),
        immediate_tolerance=draw(st.sampled_from([timedelta(0), timedelta(minutes=15)])),
        prompt_tolerance=draw(st.sampled_from([None, timedelta(hours=2)])),
        calendar=CALENDAR,
        day_end=draw(st.sampled_from([None, time(17, 30)])),
    )


def deadlines(anchors: st.SearchStrategy[str]) -> st.SearchStrategy[o.Deadline]:
    """
    Every deadline kind, clock, day-counting rule, recurrence and extension.
    """
    extensions = st.one_of(
        st.none(),
        st.builds(
            Extension,
            st.just("x"),
            st.sampled_from([Offset(hours=2), Offset(working_days=1), Offset(days=1)]),
            st.sampled_from([None, Offset(working_days=3), Offset(hours=6)]),
        ),
    )
    return st.one_of(
        st.builds(
            lambda a, d, h, m, clock, ext, extend: after(
                a,
                days=d,
                hours=h,
                minutes=m,
                clock=clock if not d else "calendar",
                # 非工作日顺延 counts days; it is refused on hours alone.
                extend_past_holiday=extend and bool(d),
                extension=ext,
            ),
            anchors,
            st.integers(0, 2),
            st.integers(0, 5),
            st.integers(1, 90),
            st.sampled_from(["calendar", "shift_start", "pause"]),
            extensions,
            st.booleans(),
        ),
        st.builds(
            lambda a, n, ext: after(a, working_days=n, extension=ext),
            anchors,
            st.integers(1, 3),
            extensions,
        ),
        st.builds(
            lambda a, n, extend: after(a, days=n, start_next_day=True, extend_past_holiday=extend),
            anchors,
            st.integers(1, 3),
            st.booleans(),
        ),
        st.builds(immediately, anchors),
        st.builds(promptly, anchors),
        st.builds(lambda a, ext: end_of_day(a, extension=ext), anchors, extensions),
        st.builds(no_deadline, anchors),
        st.builds(until, anchors, st.sampled_from(EVENT_TYPES)),
        st.builds(
            lambda a, h, until: recurring(a, every=timedelta(hours=h), until=until),
            anchors,
            st.integers(1, 12),
            st.sampled_from([None, *EVENT_TYPES]),
        ),
        st.builds(
            lambda a, n, until: recurring(a, per_day=n, until=until),
            anchors,
            st.integers(1, 2),
            st.sampled_from([None, *EVENT_TYPES]),
        ),
    )


def instants(max_minutes: int = 3000) -> st.SearchStrategy[datetime]:
    return st.integers(min_value=0, max_value=max_minutes).map(
        lambda m: BASE + timedelta(minutes=m)
    )


@st.composite
def incidents(draw: st.DrawFn, plan: o.Plan) -> o.Incident:
    posted = draw(st.one_of(st.none(), instants(600)))
    low = 0 if posted is None else int((posted - BASE).total_seconds() // 60)
    later = st.integers(min_value=low, max_value=3000).map(lambda m: BASE + timedelta(minutes=m))
    kinds: dict[tuple[str, str | None, str | None], str] = {}
    totals_seen: set[tuple[str, str | None, str | None, datetime]] = set()
    observations = []
    for _ in range(draw(st.integers(min_value=0, max_value=8))):
        metric = draw(st.sampled_from(METRICS))
        site = draw(st.sampled_from([*SITES, None]))
        channel = draw(st.sampled_from([*CHANNELS, None]))
        key = (metric, site, channel)
        kind = kinds.setdefault(key, draw(st.sampled_from(["total", "increment"])))
        at = draw(later)
        if kind == "total":
            if (*key, at) in totals_seen:
                continue
            totals_seen.add((*key, at))
        observations.append(o.Observation(at, metric, draw(observed_values), site, channel, kind))
    facts: dict[str, Any] = {}
    fact_values = {
        "n": numbers,
        "b": st.booleans(),
        "t": st.sampled_from(["x", "y", "重大"]),
        "o": st.sampled_from(["lo", "mid", "hi"]),
        "u": st.sampled_from(["p", "q", "r"]),
    }
    for name, values in fact_values.items():
        if draw(st.booleans()):
            facts[name] = draw(values)
    events = []
    used = sorted(event_types(plan) - {"action_done", "fact", "grade_asserted"})
    for _ in range(draw(st.integers(min_value=0, max_value=5))):
        choice = draw(st.sampled_from(["done", *used, "fact", "grade_asserted"]))
        at = draw(later)
        if choice == "grade_asserted":
            events.append(
                o.Event(
                    at,
                    "grade_asserted",
                    grade=draw(st.sampled_from([g.id for g in plan.grades])),
                    assertion=draw(st.sampled_from(["provisional", "confirmed"])),
                    by="研判组",
                    role=draw(st.sampled_from([None, *plan.grading.asserted_by])),
                )
            )
        elif choice == "done":
            events.append(
                o.Event(
                    at, "action_done", action=draw(st.sampled_from([a.id for a in plan.actions]))
                )
            )
        elif choice == "fact":
            name = draw(st.sampled_from(sorted(fact_values)))
            events.append(o.Event(at, "fact", fact=name, value=draw(fact_values[name])))
        else:
            # Custom events sometimes name an action (extension requests).
            about = draw(st.sampled_from([None, *(a.id for a in plan.actions)]))
            events.append(o.Event(at, choice, action=about))
    return o.Incident(
        "random",
        discovered_at=draw(later),
        posted_at=posted,
        facts=facts,
        observations=observations,
        events=events,
    )


@st.composite
def large_plans(draw: st.DrawFn) -> o.Plan:
    """
    A random plan grown past durable_rules' bounds: hundreds of owner
    routings testing one measure (one stage, one slot), and a grade whose
    criteria add a wide ``any`` and a deep alternation of ``all``/``any``/``not``.

    The thresholds and shapes come from a few draws, so examples stay small
    for Hypothesis while the plans are large.
    """
    plan = draw(plans())
    target = plan.measures[0].id
    count = draw(st.integers(min_value=150, max_value=400))
    start = draw(st.integers(min_value=0, max_value=20))
    ops = draw(st.lists(st.sampled_from(OPS), min_size=1, max_size=3))
    # Thresholds from `start` upwards in steps of 0.25: most are distinct,
    # and the incidents' values (0..60) fall among them.
    routing = tuple(
        Routing(Compare(measure(target), ops[i % len(ops)], start + i / 4), ("r",))
        for i in range(count)
    )
    first, *rest = plan.actions
    measures = [m.id for m in plan.measures]
    leaves = [
        Compare(measure(measures[i % len(measures)]), OPS[i % len(OPS)], i % 61)
        for i in range(draw(st.integers(min_value=40, max_value=90)))
    ]
    deep: Any = draw(fact_leaf())
    for level in range(draw(st.integers(min_value=20, max_value=45))):
        other = leaves[level % len(leaves)]
        deep = [AllOf, AnyOf, lambda xs: Not(xs[0])][level % 3]([deep, other])
    grade, *others = plan.grades
    widened = attrs.evolve(grade, criteria=AnyOf([grade.criteria, AnyOf(leaves), deep]))
    return attrs.evolve(
        plan,
        grades=(widened, *others),
        actions=(attrs.evolve(first, routing=routing), *rest),
    )
