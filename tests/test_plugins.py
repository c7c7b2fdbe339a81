"""
Plug-ins (issue 14): enabled only when the host names them, refused plans
that need what is not enabled (located, with how to enable), function
calls and aggregations with exact three-valued semantics on both backends,
calendars by name, and plug-in failures contained in PluginError.
"""

from __future__ import annotations

import re
import sys
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import opinion_rules as o
from opinion_rules.conditions import call, fact, measure
from opinion_rules.exceptions import PlanValidationError, PluginError
from opinion_rules.hookspecs import Function, Requirement
from opinion_rules.planfile._loaders import read_plan_text
from opinion_rules.plugins import PluginSet
from opinion_rules.windows import rolling

from . import strategies as s
from .conftest import cst
from .plugin_fixtures import SAMPLE, install_package


CLAUSE = o.Clause("1", "text")
AT = cst(23, 12)


def plan(criteria: object, *, measures: tuple[o.Measure, ...] = (), **extra: object) -> o.Plan:
    fields: dict[str, object] = {
        "id": "plug",
        "title": "plug-in test",
        "issuer": "tests",
        "version": "1",
        "source": "tests",
        "metrics": ("clicks", "reposts"),
        "measures": measures
        or (
            o.Measure("clicks_1d", "clicks", rolling(days=1)),
            o.Measure("reposts_1d", "reposts", rolling(days=1)),
        ),
        "facts": (o.FactSpec("n", type="number", may_be_not_applicable=True),),
        "grades": (o.Grade("hot", "热点", 1, criteria, CLAUSE),),  # type: ignore[arg-type]
        "roles": (o.Role("office", "办公室"),),
        "actions": (
            o.Action(
                "report",
                "报告",
                owners=("office",),
                channel="phone",
                deadline=o.deadlines.after("discovered", hours=2),
                clause=CLAUSE,
            ),
        ),
    }
    fields.update(extra)
    return o.Plan(**fields)  # type: ignore[arg-type]


def reading(metric: str, minutes: int, value: float, site: str = "weibo") -> o.Observation:
    return o.Observation(cst(23, 9) + timedelta(minutes=minutes), metric, value, site=site)


def incident(*observations: o.Observation, **facts: object) -> o.Incident:
    return o.Incident("I", discovered_at=cst(23, 9), observations=observations, facts=facts)


WEIGHTED = call("weighted", measure("clicks_1d"), measure("reposts_1d")) > 80


# -- enabling ---------------------------------------------------------------------------------


def test_a_plan_needing_a_plugin_is_refused_until_it_is_enabled():
    """Without the plug-in, the engine names the requirement and how to enable it."""
    p = plan(WEIGHTED, requires=(Requirement("sample", ">=1.0"),))

    with pytest.raises(PlanValidationError) as caught:
        o.Engine(p)

    assert [
        ("requires[0]", "plug-in 'sample' is required and not enabled"),
        ("grades[0].criteria", "function 'weighted' is provided by no enabled plug-in"),
    ] == [(pr.path, pr.message.split(";")[0]) for pr in caught.value.problems]
    assert "plugins=['sample']" in str(caught.value)


def test_a_plugin_below_the_required_version_is_refused():
    """requires: version '>=2' against a plug-in of version 1.4.0."""
    p = plan(WEIGHTED, requires=(Requirement("sample", ">=2"),))

    with pytest.raises(PlanValidationError, match=r"version 1\.4\.0, and the plan requires >=2"):
        o.Engine(p, plugins=[SAMPLE])


@pytest.mark.parametrize(
    ("criteria", "message"),
    [
        pytest.param(
            call("weighted", measure("clicks_1d")) > 1,
            "function 'weighted' (plug-in 'sample') takes 2 argument(s), and the call gives 1",
            id="arity",
        ),
        pytest.param(
            call("weigthed", measure("clicks_1d"), measure("reposts_1d")) > 1,
            "did you mean 'weighted'?",
            id="typo",
        ),
    ],
)
def test_calls_are_checked_against_the_functions_enabled(criteria, message):
    """A call's name and arity are checked when the engine is built."""
    with pytest.raises(PlanValidationError, match=re.escape(message)):
        o.Engine(plan(criteria), plugins=[SAMPLE])


def test_an_unknown_aggregate_suggests_the_nearest_name():
    """aggregate 'spred' is neither built in nor provided: did you mean 'spread'?"""
    p = plan(measure("c").eq(1), measures=(o.Measure("c", "clicks", rolling(days=1), "spred"),))

    with pytest.raises(PlanValidationError, match="did you mean 'spread'"):
        o.Engine(p, plugins=[SAMPLE])


def test_an_entry_point_is_loaded_only_when_named(tmp_path, monkeypatch):
    """An installed plug-in package is imported when its name is passed, never before."""
    marker = tmp_path / "imported"
    install_package(
        tmp_path,
        "demo-plugin",
        "2.1.0",
        "demo_plugin_module",
        f"from pathlib import Path\nPath({str(marker)!r}).write_text('yes')\n",
    )
    monkeypatch.syspath_prepend(str(tmp_path))

    o.Engine(plan(measure("clicks_1d") > 1))
    assert not marker.exists()

    enabled = PluginSet(["demo-plugin"])

    assert marker.exists()
    assert "2.1.0" == enabled.version_of("demo-plugin")


def test_an_unknown_entry_point_lists_what_is_installed():
    """A name no installed package provides is a PluginError, not an import."""
    with pytest.raises(PluginError, match="no installed package provides the plug-in"):
        PluginSet(["surely-not-installed"])


def test_a_plan_file_never_imports_what_it_names(tmp_path, monkeypatch):
    """Requirements, calls and calendars naming an importable module import nothing."""
    marker = tmp_path / "imported"
    (tmp_path / "evil_module.py").write_text(
        f"from pathlib import Path\nPath({str(marker)!r}).write_text('yes')\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    text = o.dump_plan(plan(measure("clicks_1d") > 1), "yaml")
    text = text.replace("roles:", "requires:\n- {plugin: evil_module}\nroles:", 1)
    text = text.replace("clicks_1d > 1", "evil_module(clicks_1d) > 1")
    text = text.replace("timezone: Asia/Shanghai", "timezone: Asia/Shanghai\ncalendar: evil_module")

    with pytest.raises(PlanValidationError) as caught:
        read_plan_text(text, "yaml", "plan.yaml")

    assert not marker.exists()
    assert "evil_module" not in sys.modules
    assert any("calendar 'evil_module'" in pr.message for pr in caught.value.problems)


# -- failures are contained --------------------------------------------------------------------


class _Broken:
    opinion_rules_name = "broken"

    @o.hookimpl
    def opinion_rules_functions(self) -> list[Function]:
        return [Function("boom", lambda _a: 1 / 0), Function("word", lambda _a: "hot")]


def test_a_function_that_raises_is_a_plugin_error_naming_it():
    """The plug-in, the hook and the function are named; the cause is kept."""
    engine = o.Engine(plan(call("boom", measure("clicks_1d")) > 1), plugins=[_Broken()])

    with pytest.raises(PluginError) as caught:
        engine.evaluate(incident(reading("clicks", 0, 5)), at=AT)

    assert ("broken", "opinion_rules_functions", "function 'boom' in grades[0].criteria") == (
        caught.value.plugin,
        caught.value.hook,
        caught.value.item,
    )
    assert isinstance(caught.value.__cause__, ZeroDivisionError)


def test_a_function_that_returns_no_number_breaks_its_contract():
    """A function returning text is refused, naming the function."""
    engine = o.Engine(plan(call("word", measure("clicks_1d")) > 1), plugins=[_Broken()])

    with pytest.raises(PluginError, match="returned 'hot', not a number or None"):
        engine.evaluate(incident(reading("clicks", 0, 5)), at=AT)


class _Wrong:
    opinion_rules_name = "wrong"

    @o.hookimpl
    def opinion_rules_functions(self, extra):  # type: ignore[no-untyped-def]  # noqa: ARG002 - wrong on purpose
        return []


class _Twin:
    opinion_rules_name = "twin"

    @o.hookimpl
    def opinion_rules_functions(self) -> list[Function]:
        return [Function("weighted", lambda a, _b: a, args=("number", "number"))]


class _Raising:
    opinion_rules_name = "raising"

    @o.hookimpl
    def opinion_rules_calendars(self) -> list[object]:
        raise RuntimeError("no data")


@pytest.mark.parametrize(
    ("plugins", "message"),
    [
        pytest.param([_Wrong()], "wrong", id="hook arguments not in the spec"),
        pytest.param(
            [SAMPLE, _Twin()], "'weighted' is also provided by plug-in 'sample'", id="twin"
        ),
        pytest.param([_Raising()], "raised RuntimeError: no data", id="raising hook"),
        pytest.param([SAMPLE, SAMPLE], "enabled twice", id="twice"),
    ],
)
def test_plugins_that_break_the_contract_are_refused_when_enabled(plugins, message):
    """Bad hook signatures, clashing names and raising hooks are PluginErrors at enabling."""
    with pytest.raises(PluginError, match=message):
        PluginSet(plugins)


# -- values ------------------------------------------------------------------------------------


def test_a_function_call_grades_on_both_backends(backend):
    """weighted(clicks, reposts) = 40 + 2 * 25 = 90 > 80 from the reading that made it so."""
    engine = o.Engine(plan(WEIGHTED), plugins=[SAMPLE], backend=backend)
    observed = incident(
        reading("clicks", 0, 10),
        reading("clicks", 60, 50),
        reading("reposts", 0, 0),
        reading("reposts", 90, 25),
    )

    result = engine.evaluate(observed, at=AT)

    assert ("hot", cst(23, 10, 30)) == (result.grade.id, result.grade.since)  # type: ignore[union-attr]
    assert "weighted(" in result.grade.reason  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("facts", "expected_grade", "needs"),
    [
        pytest.param({}, None, ("n",), id="unknown argument: undecided"),
        pytest.param({"n": o.incidents.NOT_APPLICABLE}, None, (), id="not applicable: false"),
        pytest.param({"n": 0}, None, (), id="the function says unknown"),
        pytest.param({"n": 4}, "hot", (), id="known"),
    ],
)
def test_calls_keep_three_valued_logic(facts, expected_grade, needs, backend):
    """An unknown argument leaves the call unknown and named; not applicable is false."""
    criteria = call("ratio", measure("clicks_1d"), fact("n")) > 1
    engine = o.Engine(plan(criteria), plugins=[SAMPLE], backend=backend)

    result = engine.evaluate(
        incident(reading("clicks", 0, 0), reading("clicks", 30, 20), **facts), at=AT
    )

    assert expected_grade == (None if result.grade is None else result.grade.id)
    assert needs == tuple(n for u in result.undecided if u.kind == "grade" for n in u.needs)


def test_an_aggregation_combines_the_series_and_changes_when_one_leaves_the_window(backend):
    """spread over a 1-hour window grades from two series; unmet, it is watched until readings leave."""
    spread = o.Measure("spread_1h", "reposts", rolling(hours=1), "spread")
    observed = incident(
        reading("reposts", 0, 0, "a"),
        reading("reposts", 10, 8, "a"),
        reading("reposts", 0, 0, "b"),
        reading("reposts", 20, 1, "b"),
    )
    met = o.Engine(
        plan(measure("spread_1h") >= 5, measures=(spread,)), plugins=[SAMPLE], backend=backend
    )
    unmet = o.Engine(
        plan(measure("spread_1h") >= 50, measures=(spread,)), plugins=[SAMPLE], backend=backend
    )

    graded = met.evaluate(observed, at=cst(23, 9, 30))
    waiting = unmet.evaluate(observed, at=cst(23, 9, 30))

    assert ("hot", cst(23, 9, 10)) == (graded.grade.id, graded.grade.since)  # type: ignore[union-attr]
    # The first reading leaves the 1-hour window at 10:00: the value may change then.
    assert (None, cst(23, 10, 0)) == (waiting.grade, waiting.next_change)


def test_calendars_are_found_by_name_and_written_back_by_name():
    """calendar: localdays reads with the plug-in enabled and dumps as its name."""
    p = plan(measure("clicks_1d") > 1)
    text = o.dump_plan(p, "yaml").replace(
        "timezone: Asia/Shanghai", "timezone: Asia/Shanghai\ncalendar: localdays"
    )
    text = text.replace("within: 2h", "within: 1wd")

    loaded = read_plan_text(text, "yaml", "plan.yaml", plugins=[SAMPLE])

    assert "localdays" == loaded.calendar.name  # type: ignore[union-attr]
    assert "calendar: localdays" in o.dump_plan(loaded, "yaml")
    assert loaded == read_plan_text(o.dump_plan(loaded, "yaml"), "yaml", plugins=[SAMPLE])
    due = (
        o.Engine(loaded, plugins=[SAMPLE])
        .evaluate(
            o.Incident("I", discovered_at=datetime.fromisoformat("2026-03-06T10:00:00+08:00")),
            at=datetime.fromisoformat("2026-03-06T11:00:00+08:00"),
        )
        .action("report")
        .due
    )
    # Friday 03-06 + 1 working day: Monday 03-09 is the plug-in's day off.
    assert datetime.fromisoformat("2026-03-11T00:00:00+08:00") == due


def test_calls_round_trip_through_plan_files():
    """A call in a condition is written and read back as the same tree."""
    p = plan(call("weighted", measure("clicks_1d"), measure("reposts_1d") * 2) >= fact("n") + 1)
    text = o.dump_plan(p, "yaml")

    assert "weighted(clicks_1d, reposts_1d * 2) >= n + 1" in text
    assert p == read_plan_text(text, "yaml", plugins=[SAMPLE])


def test_lint_findings_come_from_every_enabled_plugin():
    """PluginSet.lint gives each plug-in's findings for check."""
    findings = list(PluginSet([SAMPLE]).lint(plan(measure("clicks_1d") > 1)))

    assert [("sample-note", "sample looked at plug")] == [(f.code, f.message) for f in findings]


@given(st.lists(st.integers(0, 50), min_size=1, max_size=6))
def test_positive_counts_the_series_that_grew(values):
    """An aggregation sees every series observed by the instant, with its window amount."""
    positive = o.Measure("grown", "reposts", rolling(days=1), "positive")
    engine = o.Engine(plan(measure("grown") >= 1, measures=(positive,)), plugins=[SAMPLE])
    observed = incident(
        *(
            r
            for i, v in enumerate(values)
            for r in (reading("reposts", 0, 0, f"s{i}"), reading("reposts", 30, v, f"s{i}"))
        )
    )

    result = engine.evaluate(observed, at=AT)

    assert (any(values)) == (result.grade is not None)


@settings(max_examples=30)
@given(st.data())
def test_plans_using_plugins_survive_dump_and_load(data):
    """Generated plans with calls and plug-in aggregations read back equal, the plug-in enabled."""
    p = data.draw(s.plans(plugins=True))
    fmt = data.draw(st.sampled_from(["yaml", "json", "toml"]))

    assert p == read_plan_text(o.dump_plan(p, fmt), fmt, plugins=[SAMPLE])
