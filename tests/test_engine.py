"""
Engine construction and backend selection.
"""

from __future__ import annotations

import subprocess
import sys
from contextlib import AbstractContextManager

import pytest

import opinion_rules as o
from opinion_rules import engine
from opinion_rules.conditions import Always, Compare, grade, measure
from opinion_rules.deadlines import after, immediately
from opinion_rules.engine import Session, _durable, _registry
from opinion_rules.engine._ir import Program
from opinion_rules.engine._python import PythonBackend
from opinion_rules.exceptions import BackendUnavailableError, PlanValidationError
from opinion_rules.windows import cumulative, rolling

from .conftest import cst


def test_default_backend_is_python(work_safety):
    """Without a choice, the engine uses the measured-faster python backend."""
    assert "python" == o.Engine(work_safety).backend


def test_unknown_backend_is_refused(work_safety):
    """An unknown backend name raises BackendUnavailableError naming the choices."""
    with pytest.raises(BackendUnavailableError, match="expected one of"):
        o.Engine(work_safety, backend="drools")


def test_without_durable_rules_the_python_backend_still_works(work_safety, monkeypatch):
    """Where durable_rules does not import (Python 3.13+), durable is refused and python works."""
    monkeypatch.setattr(_durable, "_IMPORT_ERROR", ImportError("simulated"))
    monkeypatch.setattr(_durable, "durable_available", lambda: False)

    with pytest.raises(BackendUnavailableError, match="durable"):
        o.Engine(work_safety, backend="durable")
    result = o.Engine(work_safety).evaluate(
        {
            "id": "x",
            "discovered_at": cst(23, 9).isoformat(),
            "facts": {"netizen_concern": "inquiry"},
        },
        at=cst(23, 10),
    )

    assert "general" == result.grade.id


def test_engine_needs_a_plan():
    """Passing something else than a Plan is a TypeError at construction."""
    with pytest.raises(TypeError, match="needs a Plan"):
        o.Engine({"id": "x"})  # type: ignore[arg-type]


def test_invalid_plan_reports_every_problem():
    """A plan with several mistakes reports them all at once, each with its path."""
    clause = o.Clause("x", "t")
    with pytest.raises(PlanValidationError) as info:
        o.Plan(
            id="bad",
            title="t",
            issuer="t",
            version="1",
            source="t",
            metrics=("clicks",),
            measures=(o.Measure("c", metric="clikcs", window=cumulative()),),
            grades=(
                o.Grade("g", "g", 0, measure("nope") > 1, clause),
                o.Grade("h", "h", 0, Always()),
            ),
            roles=(o.Role("r", "r"),),
            actions=(
                o.Action(
                    "a",
                    "a",
                    owners=("boss",),
                    channel="phone",
                    deadline=immediately("discovered"),
                    condition=grade() >= "huge",
                    clause=clause,
                ),
            ),
        )

    messages = [str(p) for p in info.value.problems]
    assert "grades: rank 0 is used by 2 grades; expected distinct ranks" in messages
    assert (
        "measures[0].metric: metric 'clikcs' is not declared in the plan's metrics; expected one of ['clicks']"
        in messages
    )
    assert any(m.startswith("grades[0].criteria: measure 'nope' is not defined") for m in messages)
    assert (
        "grades[1].clause: grade 'h' cites no clause; expected the sentence defining it" in messages
    )
    assert any(m.startswith("actions[0].owners[0]: role 'boss' is not defined") for m in messages)
    assert any(m.startswith("actions[0].condition: grade 'huge' is not defined") for m in messages)


def test_grade_conditions_cannot_refer_to_the_grade():
    """Grade criteria over the grade itself are rejected (they would be circular)."""
    clause = o.Clause("x", "t")
    with pytest.raises(PlanValidationError, match="only action conditions may refer to the grade"):
        o.Plan(
            id="bad",
            title="t",
            issuer="t",
            version="1",
            source="t",
            grades=(o.Grade("g", "g", 0, grade() >= "g", clause),),
            roles=(),
            actions=(),
        )


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Compare(measure("x"), "gte", 1), "'op' must be one of"),
        (lambda: Compare(measure("x"), "gt", float("nan")), "must be finite"),
        (lambda: measure("bad id") > 1, "must be an identifier"),
        (lambda: after("discovered"), "needs a non-zero 'offset'"),
        (lambda: o.Deadline("discovered", "until"), "needs 'until'"),
        (lambda: rolling(hours=0), "must be longer than zero"),
        (lambda: o.Observation(cst(23, 9), "clicks", -1), "must not be negative"),
        (
            lambda: o.Observation(cst(23, 9).replace(tzinfo=None), "clicks", 1),
            "must be timezone-aware",
        ),
        (lambda: o.FactSpec("f", type="enum"), "needs 'choices'"),
        (
            lambda: o.Plan(
                id="p",
                title="t",
                issuer="t",
                version="1",
                source="t",
                grades=(),
                roles=(),
                actions=(),
                timezone="Mars/Olympus",
            ),
            "IANA timezone",
        ),
    ],
)
def test_invalid_value_objects_cannot_be_built(build, message):
    """Validators run at construction, so an invalid object never exists."""
    with pytest.raises((ValueError, TypeError), match=message):
        build()


def test_program_digest_names_node_classes():
    """Programs differing only in a nested and/or have different digests."""
    from opinion_rules.engine._ir import And, Const, Leaf, Neg, Or, Program, Rule

    leaves = (Leaf("f_n", "gt", 1), Leaf("f_n", "lt", 5))

    def program(inner):
        return Program((Rule("g.x", 1, Neg(Or((inner, Const(value=True))))),), {})

    assert program(And(leaves)).digest() != program(Or(leaves)).digest()
    assert program(And(leaves)).digest() == program(And(leaves)).digest()


# -- the backend registry and the engine package -------------------------------------


def test_importing_the_library_does_not_load_durable_rules():
    """``import opinion_rules`` leaves durable_rules and its C extension unimported."""
    code = "import opinion_rules, sys; print('durable' in sys.modules, 'durable_rules_engine' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )

    assert "False False" == done.stdout.strip()


def test_asking_for_durable_loads_it_on_demand():
    """durable_available() imports durable_rules when asked, and not before."""
    code = (
        "import sys; from opinion_rules.engine import _durable;"
        "before = 'durable_rules_engine' in sys.modules;"
        "available = _durable.durable_available();"
        "print(before, available == ('durable_rules_engine' in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )

    assert "False True" == done.stdout.strip()


class _Renamed:
    """A third backend: the python backend under another name."""

    name = "renamed"

    def __init__(self, program: Program) -> None:
        self._inner = PythonBackend(program)

    def session(self) -> AbstractContextManager[Session]:
        return self._inner.session()


def test_a_registered_backend_is_one_registration_away(work_safety, monkeypatch):
    """register_backend makes a name an Engine accepts; its results are the backend's."""
    monkeypatch.setattr(_registry, "_FACTORIES", dict(_registry._FACTORIES))
    incident = {"id": "x", "discovered_at": cst(23, 9).isoformat(), "facts": {}}

    engine.register_backend("renamed", _Renamed)
    renamed = o.Engine(work_safety, backend="renamed")

    assert "renamed" == renamed.backend
    assert ("python", "durable", "renamed") == engine.backend_names()
    expected = o.Engine(work_safety).evaluate(incident, at=cst(23, 10))
    assert expected == renamed.evaluate(incident, at=cst(23, 10))


def test_a_backend_name_is_never_rebound(monkeypatch):
    """Registering a name twice, a built-in included, is refused."""
    monkeypatch.setattr(_registry, "_FACTORIES", dict(_registry._FACTORIES))

    with pytest.raises(ValueError, match="already registered"):
        engine.register_backend("python", _Renamed)


def test_the_engine_package_exports_its_public_names():
    """opinion_rules.engine's __all__ names the engine, tracking, the backend protocols and the registry."""
    expected = [
        "BACKENDS",
        "DEFAULT_BACKEND",
        "Backend",
        "BackendFactory",
        "Engine",
        "Session",
        "Tracking",
        "backend_names",
        "register_backend",
    ]
    assert expected == engine.__all__
    assert o.Engine is engine.Engine
