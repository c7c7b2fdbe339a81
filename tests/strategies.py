"""
Hypothesis strategies: random plans and incidents that exercise every
operator, window, aggregation, fact type, deadline kind and anchor.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    Arithmetic,
    Call,
    Compare,
    CompareValues,
    Not,
    OneOf,
    before,
    category,
    done,
    event_seen,
    fact,
    grade,
    measure,
    overdue,
    within,
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
    until_readings,
)
from opinion_rules.incidents import NOT_APPLICABLE, Judgement
from opinion_rules.lifecycle import (
    ASSERTED_GRADES,
    GRADE_DRIVERS,
    ROUTING_MODES,
    Assignment,
    Deescalation,
    Escalation,
    Grading,
    Routing,
)
from opinion_rules.model._content import event_types
from opinion_rules.vocabulary import Term
from opinion_rules.windows import calendar_day, cumulative, rate, rolling, sustained


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
# The same days with night duty to 24:00 (值班 00:00-08:00, 20:00-24:00): a
# period's end of time(0) is 24:00, and a working day's 20:00-24:00 runs on
# into the next working day's 00:00-08:00.
NIGHT_CALENDAR = attrs.evolve(
    CALENDAR, name="night", hours=((time(0), time(8)), (time(20), time(0)))
)
METRICS = ("m0", "m1")
CHANNELS = ("c0", "c1")
SITES = ("s0", "s1", "s2")
POSTS = ("p0", "weibo:49876")
EVENT_TYPES = ("x", "y")
OPS = ("gt", "ge", "lt", "le", "eq", "ne")

FACTS = (
    o.FactSpec("n", type="number"),
    o.FactSpec("b", type="bool"),
    o.FactSpec("t", type="text"),
    o.FactSpec(
        "o",
        type="enum",
        choices=("lo", "mid", "hi"),
        ordered=True,
        choice_labels={"lo": "低", "mid": "中", "hi": "高"},
    ),
    o.FactSpec("u", type="enum", choices=("p", "q", "r")),
    # A judgement only role r may make (可能造成重大影响, 由…研判).
    o.FactSpec("j", type="bool", judgement=True, judged_by=("r",)),
    # A ranking that may be "未上榜": not applicable, never a number.
    o.FactSpec("k", type="number", may_be_not_applicable=True),
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
def measures(draw: st.DrawFn, plugins: bool = False) -> tuple[o.Measure, ...]:
    """
    Measures of every window and aggregate; with *plugins*, also the
    aggregations of tests/plugin_fixtures.py's sample plug-in.
    """
    count = draw(st.integers(min_value=1, max_value=3))
    out = []
    for i in range(count):
        window = draw(
            st.one_of(
                st.integers(min_value=1, max_value=48).map(lambda h: rolling(hours=h)),
                st.just(cumulative()),
                st.just(calendar_day()),
                st.integers(min_value=1, max_value=3).map(lambda d: sustained(days=d)),
                # The increase since the previous reading, per hour (增速).
                st.just(rate()),
            )
        )
        provided = ["spread", "positive"] if plugins else []
        aggregate = draw(st.sampled_from(["sum", "max", "distinct_sites", "posts", *provided]))
        if window.kind == "rate" and aggregate not in ("sum", "max", "posts"):
            aggregate = "sum"
        out.append(
            o.Measure(
                f"q{i}",
                metric=draw(st.sampled_from(METRICS)),
                window=window,
                aggregate="max" if aggregate == "posts" else aggregate,
                channels=draw(st.lists(st.sampled_from(CHANNELS), unique=True, max_size=2)),
                # Only sites whose value passed a minimum ("where the post spread").
                site_above=(
                    draw(st.sampled_from([None, 0, 0.5, 7]))
                    if aggregate == "distinct_sites"
                    else None
                ),
                # The largest value of one post ("单条帖文…").
                over="posts" if aggregate == "posts" else "series",
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
        st.booleans().map(lambda v: Compare(fact("j"), "eq", v)),
        st.builds(lambda op, v: Compare(fact("k"), op, v), st.sampled_from(OPS), numbers),
        st.lists(numbers, min_size=1, max_size=2).map(lambda vs: fact("k").one_of(*vs)),
    )


def value_leaf(
    plan_measures: tuple[o.Measure, ...], plugins: bool = False
) -> st.SearchStrategy[CompareValues]:
    """
    Two values of the incident compared, the right one possibly computed
    (衍生话题热度超过原事件热度, 负面评论数超过总评论数的30%); with *plugins*,
    calls of the sample plug-in's functions on either side.
    """
    refs = st.sampled_from([*(measure(m.id) for m in plan_measures), fact("n"), fact("k")])
    constants = st.sampled_from([0, 1, 2, 0.3, 0.5, 1e-05, -1])
    terms = st.recursive(
        st.one_of(refs, constants),
        lambda inner: st.builds(
            Arithmetic, st.sampled_from(["add", "sub", "mul", "div"]), inner, inner
        ),
        max_leaves=3,
    ).filter(lambda t: not isinstance(t, int | float))
    if not plugins:
        return st.builds(CompareValues, refs, st.sampled_from(OPS), terms)
    calls = st.builds(
        lambda name, a, b: Call(name, (a, b)),
        st.sampled_from(["weighted", "ratio"]),
        st.one_of(refs, terms),
        st.one_of(refs, constants),
    )
    return st.one_of(
        st.builds(CompareValues, refs, st.sampled_from(OPS), st.one_of(terms, calls)),
        st.builds(CompareValues, calls, st.sampled_from(OPS), st.one_of(constants, terms, calls)),
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
def plans(draw: st.DrawFn, *, min_grades: int = 0, plugins: bool = False) -> o.Plan:
    """
    A random plan; with *min_grades* 0 some are plans of duties only; with
    *plugins*, it uses the functions and aggregations of the sample plug-in
    (tests/plugin_fixtures.py), which its engines must enable.
    """
    plan_measures = draw(measures(plugins))
    measure_leaf = st.builds(
        lambda m, op, v: Compare(measure(m.id), op, v),
        st.sampled_from(plan_measures),
        st.sampled_from(OPS),
        numbers,
    )
    criteria = trees(
        st.one_of(measure_leaf, fact_leaf(), value_leaf(plan_measures, plugins), st.just(Always()))
    )
    n_grades = draw(st.integers(min_value=min_grades, max_value=4))
    ranks = draw(st.permutations(range(n_grades)))
    clause = o.Clause("x", "text")
    grades = tuple(
        o.Grade(f"g{i}", f"grade {i}", rank=ranks[i], criteria=draw(criteria), clause=clause)
        for i in range(n_grades)
    )
    n_categories = draw(st.integers(min_value=0, max_value=2))
    categories = tuple(
        o.Category(
            f"k{i}",
            f"category {i}",
            draw(criteria),
            clause,
            # Categories that hold only while their condition holds (只要…就…).
            applies=draw(st.sampled_from(["latched", "while"])),
        )
        for i in range(n_categories)
    )
    state_leaf = st.one_of(
        *(
            [
                st.builds(
                    lambda op, g: Compare(grade(), op, g.id),
                    st.sampled_from(OPS),
                    st.sampled_from(grades),
                )
            ]
            if grades
            else []
        ),
        st.sampled_from(EVENT_TYPES).map(event_seen),
        *([st.sampled_from(categories).map(lambda c: category(c.id))] if categories else []),
    )
    n_actions = draw(st.integers(min_value=1, max_value=4))
    owners = st.lists(
        st.builds(
            lambda role, duty: (
                Assignment(role, plan_duty=duty)
                if duty == "local_reply"
                else Assignment(role, duty)
            ),
            st.sampled_from(["r", "s"]),
            st.sampled_from(["", "lead", "local_reply"]),
        ),
        min_size=1,
        max_size=2,
    )
    shared_routings = tuple(
        Routing(draw(criteria), draw(owners), id=f"p{j}")
        for j in range(draw(st.integers(min_value=0, max_value=2)))
    )
    action_routing = st.one_of(
        st.builds(Routing, criteria, owners),
        *([st.sampled_from([r.id for r in shared_routings])] if shared_routings else []),
    )
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
                # Anchors over several actions (任一…逾期, 均办结后).
                *(
                    [
                        f"overdue:any({earlier[0]},{earlier[-1]})",
                        f"action_done:all({earlier[0]},{earlier[-1]})",
                    ]
                    if len(earlier) >= 2
                    else []
                ),
                *[f"grade_reached:{g.id}" for g in grades],
                *[f"category_assigned:{c.id}" for c in categories],
            ]
        )
        # Each change of fact n owes a duty (伤亡人数发生变化的，应当及时补报).
        per_change = st.one_of(
            st.integers(min_value=1, max_value=5).map(lambda h: after("changed:n", hours=h)),
            st.sampled_from(
                [
                    immediately("changed:n"),
                    promptly("changed:n"),
                    end_of_day("changed:n"),
                    no_deadline("changed:n"),
                ]
            ),
        )
        deadline = draw(st.one_of(deadlines(anchors, [g.id for g in grades]), per_change))
        # Conditions on earlier actions and on the order of events (仍未办结, 签批前升级).
        events_and_anchors = st.one_of(anchors, st.just("changed:n"))
        looks_back = st.one_of(
            st.builds(before, events_and_anchors, events_and_anchors),
            st.builds(within, events_and_anchors, anchors, st.sampled_from(["1h", "1d", "1wd"])),
            *(
                [st.sampled_from(earlier).map(done), st.sampled_from(earlier).map(overdue)]
                if earlier
                else []
            ),
        )
        action_conditions = trees(
            st.one_of(
                state_leaf,
                measure_leaf,
                fact_leaf(),
                value_leaf(plan_measures, plugins),
                st.just(Always()),
                looks_back,
            )
        )
        actions.append(
            o.Action(
                f"a{i}",
                f"action {i}",
                owners=("r",),
                # A built-in channel, or one the plan declares (纸质快报).
                channel=draw(st.sampled_from(["notice", "paper"])),
                deadline=deadline,
                condition=draw(action_conditions),
                clause=clause,
                stage=draw(st.sampled_from(["", "training"])),
                # Owners by routing: its own, or plan routings named by id;
                # first match or additive; and whom it is delivered to.
                routing=draw(st.lists(action_routing, max_size=2)),
                routing_mode=draw(st.sampled_from(["", *ROUTING_MODES])),
                recipients=draw(st.sampled_from([(), ("s",)])),
                # Duties owed only while their condition holds (只要…就…).
                applies=draw(
                    st.sampled_from(
                        ["latched"]
                        if deadline.kind == "recurring" or deadline.anchor.event == "changed"
                        else ["latched", "while"]
                    )
                ),
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
        roles=(o.Role("r", "role"), o.Role("s", "second role")),
        actions=tuple(actions),
        routings=shared_routings,
        routing_mode=draw(st.sampled_from(ROUTING_MODES)),
        duties=(Term("local_reply", "属地回应", "local response"),),
        immediate_tolerance=draw(st.sampled_from([timedelta(0), timedelta(minutes=15)])),
        prompt_tolerance=draw(st.sampled_from([None, timedelta(hours=2)])),
        calendar=draw(st.sampled_from([CALENDAR, NIGHT_CALENDAR])),
        day_end=draw(st.sampled_from([None, time(17, 30)])),
        channels=(Term("paper", "纸质快报", "paper bulletin"),),
        stages=draw(st.sampled_from([(), (Term("training", "培训"),)])),
        grading=draw(gradings(grades)),
    )


@st.composite
def gradings(draw: st.DrawFn, grades: tuple[o.Grade, ...]) -> Grading:
    """
    Who sets the grade, escalation steps (因处理不妥升一级) and a
    de-escalation on the plan's events.
    """
    if not grades or draw(st.booleans()):
        return Grading()
    lowest = min(grades, key=lambda g: g.rank)
    return Grading(
        drive=draw(st.sampled_from(GRADE_DRIVERS)),
        asserted_grade=draw(st.sampled_from(ASSERTED_GRADES)),
        escalation=tuple(
            Escalation(f"e{i}", event, steps)
            for i, (event, steps) in enumerate(
                draw(
                    st.lists(st.tuples(st.sampled_from(EVENT_TYPES), st.integers(1, 3)), max_size=2)
                )
            )
        ),
        deescalation=draw(st.sampled_from([(), (Deescalation("d0", to=lowest.id, event="y"),)])),
    )


#: Recurrence rules of every shape (每日9时前, 每2小时整点, 每周, 每月1日, COUNT, UNTIL).
RULES = (
    "FREQ=DAILY;BYHOUR=9",
    "FREQ=DAILY;BYHOUR=0,2,4,6,8,10,12,14,16,18,20,22;BYMINUTE=0",
    "FREQ=HOURLY;INTERVAL=3;BYMINUTE=0",
    "FREQ=MINUTELY;INTERVAL=45",
    "FREQ=WEEKLY;BYDAY=MO,TH;BYHOUR=10;BYMINUTE=30",
    "FREQ=DAILY;COUNT=2",
    "FREQ=DAILY;BYHOUR=12;UNTIL=20261125T000000",
)
#: Rules of days or coarser, for at_day_end (每月1日, 每周一).
DAY_RULES = ("FREQ=DAILY", "FREQ=MONTHLY;BYMONTHDAY=24,25", "FREQ=WEEKLY;BYDAY=TU")


def recurrences(
    anchors: st.SearchStrategy[str], grade_ids: Sequence[str] = ()
) -> st.SearchStrategy[o.Deadline]:
    """
    Recurrences on the calendar: RRULEs, date lists, counts by grade, 次日起.
    """
    counts: st.SearchStrategy[Any] = st.integers(1, 2)
    if grade_ids:
        counts = st.one_of(
            counts,
            st.dictionaries(st.sampled_from(list(grade_ids)), st.integers(0, 2), min_size=1),
        )
    dates = st.lists(
        st.integers(0, 60).map(lambda h: (BASE + timedelta(hours=h)).replace(tzinfo=None)),
        min_size=1,
        max_size=3,
        unique=True,
    ).map(lambda ds: [d.date() if d.hour % 2 else d for d in ds])
    ends = st.sampled_from([None, *EVENT_TYPES])
    return st.one_of(
        st.builds(
            lambda a, r, n, nd, u: recurring(a, rule=r, times=n, start_next_day=nd, until=u),
            anchors, st.sampled_from(RULES), counts, st.booleans(), ends,
        ),
        st.builds(
            lambda a, r, n, u: recurring(a, rule=r, times=n, at_day_end=True, until=u),
            anchors, st.sampled_from(DAY_RULES), counts, ends,
        ),
        st.builds(
            lambda a, ds, n, u: recurring(a, dates=_unique_days(ds), times=n, until=u),
            anchors, dates, counts, ends,
        ),
        st.builds(
            lambda a, n, nd, u: recurring(a, per_day=n, start_next_day=nd, until=u),
            anchors, counts, st.booleans(), ends,
        ),
    )  # fmt: skip


def _unique_days(values: list[Any]) -> list[Any]:
    """A date and a date-time on the same day are two entries; keep them distinct."""
    seen: list[Any] = []
    for v in values:
        if v not in seen:
            seen.append(v)
    return seen


def deadlines(
    anchors: st.SearchStrategy[str], grade_ids: Sequence[str] = ()
) -> st.SearchStrategy[o.Deadline]:
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
        # Requests naming their date, capped from the start or the due
        # time, a number of times, under a condition on the measure q0.
        st.builds(
            lambda by, cap, cap_from, times, when: Extension(
                "x",
                by,
                cap,
                cap_from=cap_from if cap is not None else "start",
                times=times,
                when=when,
            ),
            st.sampled_from([None, Offset(hours=6), Offset(days=1)]),
            st.sampled_from([None, Offset(days=2), Offset(working_days=2), Offset(hours=30)]),
            st.sampled_from(["start", "due"]),
            st.sampled_from([None, 1, 2]),
            st.sampled_from([None, measure("q0") > 5, measure("q0") <= 100]),
        ),
    )
    promises = st.sampled_from([None, "pr"])
    return st.one_of(
        st.builds(
            lambda a, d, h, m, clock, ext, extend, pr: after(
                a,
                days=d,
                hours=h,
                minutes=m,
                clock=clock if not d else "calendar",
                # 非工作日顺延 counts days; it is refused on hours alone.
                extend_past_holiday=extend and bool(d),
                extension=ext,
                promise=pr,
            ),
            anchors,
            st.integers(0, 2),
            st.integers(0, 5),
            st.integers(1, 90),
            st.sampled_from(["calendar", "shift_start", "pause"]),
            extensions,
            st.booleans(),
            promises,
        ),
        st.builds(
            lambda a, n, ext: after(a, working_days=n, extension=ext),
            anchors,
            st.integers(1, 3),
            extensions,
        ),
        st.builds(
            lambda a, n, extend, ext: after(
                a, days=n, start_next_day=True, extend_past_holiday=extend, extension=ext
            ),
            anchors,
            st.integers(1, 3),
            st.booleans(),
            extensions,
        ),
        st.builds(immediately, anchors),
        st.builds(lambda a, pr: promptly(a, promise=pr), anchors, promises),
        st.builds(
            lambda a, ext, pr: end_of_day(a, extension=ext, promise=pr),
            anchors,
            extensions,
            promises,
        ),
        st.builds(lambda a, pr: no_deadline(a, promise=pr), anchors, promises),
        st.builds(until, anchors, st.sampled_from(EVENT_TYPES)),
        # "连续N次监测…低于…": every generated plan has the measure q0.
        st.builds(
            lambda a, below, n: until_readings(a, "q0", below=below, consecutive=n),
            anchors,
            st.sampled_from([0, 0.5, 5, 100]),
            st.integers(1, 3),
        ),
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
        recurrences(anchors, grade_ids),
    )


def instants(max_minutes: int = 3000) -> st.SearchStrategy[datetime]:
    return st.integers(min_value=0, max_value=max_minutes).map(
        lambda m: BASE + timedelta(minutes=m)
    )


def _due(
    plan: o.Plan, event_type: str, action_id: str | None, at: datetime
) -> st.SearchStrategy[date | datetime | None]:
    """
    The due time an extension request or a promise names: a date or an
    instant at or after the event; a request may leave it out when the
    extension has a 'by'.
    """
    action = next((a for a in plan.actions if a.id == action_id), None)
    if action is None:
        return st.none()
    extension, promise = action.deadline.extension, action.deadline.promise
    requested = extension is not None and extension.event == event_type
    if not requested and promise != event_type:
        return st.none()
    later = st.integers(0, 3000).map(lambda m: at + timedelta(minutes=m))
    dues = st.one_of(later, later.map(lambda t: t.date()))
    if requested and extension is not None and extension.by is not None:
        return st.one_of(st.none(), dues)
    return dues


@st.composite
def incidents(draw: st.DrawFn, plan: o.Plan) -> o.Incident:
    posted = draw(st.one_of(st.none(), instants(600)))
    low = 0 if posted is None else int((posted - BASE).total_seconds() // 60)
    later = st.integers(min_value=low, max_value=3000).map(lambda m: BASE + timedelta(minutes=m))
    kinds: dict[tuple[str, str | None, str | None, str | None], str] = {}
    totals_seen: set[tuple[str, str | None, str | None, str | None, datetime]] = set()
    observations = []
    for _ in range(draw(st.integers(min_value=0, max_value=8))):
        metric = draw(st.sampled_from(METRICS))
        site = draw(st.sampled_from([*SITES, None]))
        channel = draw(st.sampled_from([*CHANNELS, None]))
        post = draw(st.sampled_from([*POSTS, None]))
        key = (metric, site, channel, post)
        kind = kinds.setdefault(key, draw(st.sampled_from(["total", "increment"])))
        at = draw(later)
        if kind == "total":
            if (*key, at) in totals_seen:
                continue
            totals_seen.add((*key, at))
        value = draw(observed_values)
        observations.append(o.Observation(at, metric, value, site, channel, kind, post))
    facts: dict[str, Any] = {}
    fact_values = {
        "n": numbers,
        "b": st.booleans(),
        "t": st.sampled_from(["x", "y", "重大"]),
        "o": st.sampled_from(["lo", "mid", "hi"]),
        "u": st.sampled_from(["p", "q", "r"]),
        "j": st.booleans(),
        "k": st.one_of(numbers, st.just(NOT_APPLICABLE)),
    }
    for name, values in fact_values.items():
        if draw(st.booleans()):
            facts[name] = draw(values)
    if "j" in facts:
        # A judgement known when the incident arrives, with who made it.
        facts["j"] = Judgement(facts["j"], by="县委网信办", role="r")
    events = []
    used = sorted(event_types(plan) - {"action_done", "fact", "grade_asserted"})
    for _ in range(draw(st.integers(min_value=0, max_value=5))):
        asserted = ["grade_asserted"] if plan.grades else []
        choice = draw(st.sampled_from(["done", *used, "fact", *asserted]))
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
            # A judgement says who made it, in the role the plan allows.
            by = {"by": "研判组", "role": "r"} if name == "j" else {}
            events.append(o.Event(at, "fact", fact=name, value=draw(fact_values[name]), **by))
        else:
            # Custom events sometimes name an action (extension requests, promises).
            about = draw(st.sampled_from([None, *(a.id for a in plan.actions)]))
            events.append(
                o.Event(at, choice, action=about, due=draw(_due(plan, choice, about, at)))
            )
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
    plan = draw(plans(min_grades=1))
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
