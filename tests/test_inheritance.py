"""
Plan inheritance: a local plan adapts another by overriding named items;
the result is checked like any plan and knows which items are local.
"""

from __future__ import annotations

import io
import os
import shutil
import threading
from pathlib import Path

import attrs
import pytest

import opinion_rules as o
from opinion_rules._limits import EXTENDS_DEPTH
from opinion_rules.cli._main import main
from opinion_rules.conditions import measure
from opinion_rules.deadlines import after
from opinion_rules.exceptions import PlanValidationError, Problem
from opinion_rules.planfile._loaders import read_plan_text


PLANS = Path(__file__).resolve().parent.parent / "examples" / "plans"
BASE = PLANS / "work_safety.yaml"


@pytest.fixture(name="base")
def fixture_base() -> o.Plan:
    return o.load_plan(BASE)


def county_file(tmp_path: Path, body: str) -> Path:
    """A county plan next to a copy of the work-safety plan, which it extends."""
    shutil.copy(BASE, tmp_path / "work_safety.yaml")
    path = tmp_path / "county.yaml"
    path.write_text(f"extends: work_safety.yaml\n{body}", encoding="utf-8")
    return path


def test_extend_replaces_by_id_appends_and_removes(base):
    """Same id replaces in place, a new id is appended, remove drops; base and local are kept."""
    major = base.grade("major")
    stricter = o.Grade(
        "major",
        major.name,
        major.rank,
        measure("clicks_1d") > 5000,
        o.Clause("县3", "点击次数在1天内超过5000次"),
    )
    extra = o.Action(
        "county_notify",
        "通报县应急局",
        ["opinion_office"],
        "notice",
        after("discovered", hours=1),
        clause=o.Clause("县5", "发现后1小时内通报县应急局"),
    )
    county = base.extend(
        id="county-work-safety",
        version="2026-1",
        grades=[stricter],
        actions=[extra],
        remove={"actions": ["summary_evaluation"]},
    )

    assert "work-safety@2023-1" == county.base
    assert {
        "grades.major",
        "actions.county_notify",
        "plan.id",
        "plan.version",
    } == county.local
    assert [g.id for g in base.grades] == [g.id for g in county.grades]
    assert stricter == county.grade("major")
    assert "county_notify" == county.actions[-1].id
    assert "summary_evaluation" not in {a.id for a in county.actions}
    assert base.grade("larger") == county.grade("larger")


def test_extended_plan_is_checked_like_any_plan(base):
    """Removing a grade that inherited actions use is an error naming the inherited item."""
    with pytest.raises(PlanValidationError) as caught:
        base.extend(remove={"grades": ["major"]})

    paths = {p.path for p in caught.value.problems}
    assert any(p.startswith("actions.") and p.endswith(".condition") for p in paths)


def test_extend_rejects_unknown_fields_and_ids(base):
    """Plan.extend with an unknown field or a remove of an unknown id is a plan error at each."""
    with pytest.raises(PlanValidationError) as caught:
        base.extend(grads=[], remove={"actions": ["no_such_action"]})

    assert {"grads", "remove.actions"} == {p.path for p in caught.value.problems}


def test_plan_file_extends_equals_the_python_api(base, tmp_path):
    """A plan file with extends equals the same Plan.extend call and round-trips flat through dump_plan."""
    path = county_file(
        tmp_path,
        """id: county-work-safety
version: "2026-1"
actions:
- id: county_notify
  title: 通报县应急局
  owners: [opinion_office]
  channel: notice
  deadline: {anchor: discovered, within: 1h}
  clause: {ref: 县5, text: 发现后1小时内通报县应急局}
remove:
  actions: [summary_evaluation]
""",
    )
    extra = o.Action(
        "county_notify",
        "通报县应急局",
        ["opinion_office"],
        "notice",
        after("discovered", hours=1),
        clause=o.Clause("县5", "发现后1小时内通报县应急局"),
    )

    loaded = o.load_plan(path)

    assert (
        base.extend(
            id="county-work-safety",
            version="2026-1",
            actions=[extra],
            remove={"actions": ["summary_evaluation"]},
        )
        == loaded
    )
    # The merged plan writes out flat, with its origin, and reads back equal.
    assert loaded == read_plan_text(o.dump_plan(loaded, "yaml"), "yaml")


def test_errors_are_located_in_the_extending_file(tmp_path):
    """Problems in a local item point at its line; inherited items the local file broke point at the extends line."""
    path = county_file(
        tmp_path,
        """actions:
- id: county_notify
  title: 通报县应急局
  owners: [nobody]
  channel: notice
  deadline: {anchor: discovered, within: 1h}
  clause: {ref: 县5, text: x}
remove:
  grades: [major]
""",
    )

    with pytest.raises(PlanValidationError) as caught:
        o.load_plan(path)

    rendered = str(caught.value)
    assert f"{path}:5:" in rendered  # the unknown owner, on its own line
    assert "actions[0].owners[0]: role 'nobody' is not defined" in rendered
    # Inherited items broken by the removal point at the extends line.
    assert f"{path}:1:" in rendered
    assert "(inherited from the base plan)" in rendered


def test_missing_base_and_cycles_are_errors(tmp_path):
    """An extends to a missing file, or a cycle of extends, is a plan error."""
    missing = tmp_path / "a.yaml"
    missing.write_text("extends: nowhere.yaml\n", encoding="utf-8")
    with pytest.raises(PlanValidationError, match="the base plan cannot be loaded"):
        o.load_plan(missing)

    one, two = tmp_path / "one.yaml", tmp_path / "two.yaml"
    one.write_text("extends: two.yaml\n", encoding="utf-8")
    two.write_text("extends: one.yaml\n", encoding="utf-8")
    with pytest.raises(PlanValidationError, match="cycle"):
        o.load_plan(one)


def test_render_marks_only_local_items(base):
    """render_plan stars the items a local plan changed, names its base, and stars nothing in a plain plan."""
    major = base.grade("major")
    county = base.extend(
        grades=[attrs.evolve(major, criteria=measure("clicks_1d") > 5000)],
    )

    text = o.render_plan(county)

    assert f"| {major.name} ★ |" in text
    assert f"| {base.grade('larger').name} |" in text
    assert "work-safety@2023-1" in text
    assert "★" not in o.render_plan(base)


# -- extends is confined -------------------------------------------------------------

COUNTY = "id: county\nversion: '2026-1'\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def extends_problem(path: Path, **options: object) -> Problem:
    with pytest.raises(PlanValidationError) as caught:
        o.load_plan(path, **options)  # type: ignore[arg-type]
    (problem,) = caught.value.problems
    assert "extends" == problem.path
    assert (str(path), 1, 10) == (problem.file, problem.line, problem.column)
    return problem


@pytest.mark.parametrize(
    "written", ["{outside}", "../shared/base.yaml", "sub/../../shared/base.yaml"]
)
def test_extends_may_not_leave_the_extending_files_folder(tmp_path: Path, written: str):
    """Regression: any plan file on the machine could be read, by absolute path or '..'."""
    outside = tmp_path / "shared" / "base.yaml"
    shutil.copy(BASE, write(outside, ""))
    county = write(
        tmp_path / "county" / "plan.yaml", f"extends: {written.format(outside=outside)}\n"
    )

    problem = extends_problem(county)

    assert "is outside the folders plans may extend from" in problem.message
    assert str(tmp_path / "county") in problem.message
    assert "--allow-dir" in (problem.expected or "")


def test_allowed_dirs_widen_where_extends_may_read(tmp_path: Path):
    """allowed_dirs (a list or one folder) lets extends read a base outside the extending file's folder."""
    shutil.copy(BASE, write(tmp_path / "shared" / "base.yaml", ""))
    county = write(tmp_path / "county" / "plan.yaml", "extends: ../shared/base.yaml\n" + COUNTY)

    plan = o.load_plan(county, allowed_dirs=[tmp_path / "shared"])

    assert ("county", "work-safety@2023-1") == (plan.id, plan.base)
    assert plan == o.load_plan(county, allowed_dirs=str(tmp_path / "shared"))  # one folder


def test_subfolders_of_the_extending_files_folder_are_allowed(tmp_path: Path):
    """extends may read a base in a subfolder of the extending file's folder without allowed_dirs."""
    shutil.copy(BASE, write(tmp_path / "bases" / "base.yaml", ""))
    county = write(tmp_path / "plan.yaml", "extends: bases/base.yaml\n" + COUNTY)

    assert "work-safety@2023-1" == o.load_plan(county).base


def test_a_base_extends_relative_to_its_own_folder_within_the_same_folders(tmp_path: Path):
    """The base's own extends is confined as strictly: it does not widen the set."""
    shutil.copy(BASE, write(tmp_path / "national" / "base.yaml", ""))
    write(tmp_path / "province" / "base.yaml", "extends: ../national/base.yaml\nid: province\n")
    county = write(tmp_path / "county" / "plan.yaml", "extends: ../province/base.yaml\n" + COUNTY)

    problem = extends_problem(county, allowed_dirs=[tmp_path / "province"])
    assert "the base plan has a problem" in problem.message
    assert "'../national/base.yaml' is outside the folders" in problem.message
    assert str(tmp_path / "province" / "base.yaml") in problem.message

    plan = o.load_plan(county, allowed_dirs=[tmp_path / "province", tmp_path / "national"])
    assert ("county", "province@2023-1") == (plan.id, plan.base)


def test_symlinks_are_followed_only_to_allowed_folders(tmp_path: Path):
    """extends follows a symlink to a file inside the allowed folders and refuses one that escapes them."""
    shutil.copy(BASE, write(tmp_path / "secret" / "base.yaml", ""))
    folder = tmp_path / "county"
    write(folder / "inside.yaml", BASE.read_text(encoding="utf-8"))
    (folder / "escape.yaml").symlink_to(tmp_path / "secret" / "base.yaml")
    (folder / "alias.yaml").symlink_to(folder / "inside.yaml")

    escaping = write(folder / "a.yaml", "extends: escape.yaml\n")
    assert "is outside the folders" in extends_problem(escaping).message
    aliased = write(folder / "b.yaml", "extends: alias.yaml\n" + COUNTY)
    assert "work-safety@2023-1" == o.load_plan(aliased).base


def test_extends_reads_only_regular_plan_files_and_never_blocks(tmp_path: Path):
    """Regression: a FIFO blocked forever, and a 1 GB file was read whole."""
    os.mkfifo(tmp_path / "fifo.yaml")
    with (tmp_path / "huge.yaml").open("wb") as handle:
        handle.truncate(1_000_000_000)  # sparse
    (tmp_path / "folder.yaml").mkdir()
    cases = {
        "fifo.yaml": "a FIFO, not a regular file",
        "huge.yaml": "larger than 5000000 bytes",
        "folder.yaml": "a folder, not a regular file",
        "missing.yaml": "no such file",
        "notes.txt": "'notes.txt' is not a plan file",
    }
    for name, words in cases.items():
        county = write(tmp_path / f"county_{name}.yaml", f"extends: {name}\n")
        found: list[Problem] = []
        reader = threading.Thread(
            target=lambda c=county, into=found: into.append(extends_problem(c)), daemon=True
        )
        reader.start()
        reader.join(timeout=10)
        assert not reader.is_alive(), f"extends: {name} blocked"
        assert words in found[0].message


def test_a_plan_read_from_text_extends_only_from_allowed_dirs(tmp_path: Path):
    """A plan read from text may extend only when allowed_dirs is given, and then from those folders."""
    shutil.copy(BASE, tmp_path / "base.yaml")
    text = "extends: base.yaml\n" + COUNTY
    source = str(tmp_path / "county.yaml")

    with pytest.raises(PlanValidationError, match="none were given"):
        read_plan_text(text, "yaml", source)
    plan = read_plan_text(text, "yaml", source, allowed_dirs=[tmp_path])
    assert "work-safety@2023-1" == plan.base


def test_cycles_are_caught_per_load_so_concurrent_loads_do_not_interfere(tmp_path: Path):
    """Regression: a module-level set made parallel loads of one base report a cycle."""
    county = county_file(tmp_path, COUNTY)
    results: list[object] = []

    def load() -> None:
        try:
            results.append(o.load_plan(county).base)
        except o.OpinionRulesError as exc:
            results.append(exc)

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert ["work-safety@2023-1"] * 8 == results


def test_extends_chains_are_bounded(tmp_path: Path):
    """A chain of EXTENDS_DEPTH - 1 extends loads and one of EXTENDS_DEPTH files is refused."""
    shutil.copy(BASE, tmp_path / "p0.yaml")
    for i in range(1, EXTENDS_DEPTH + 1):
        write(tmp_path / f"p{i}.yaml", f"extends: p{i - 1}.yaml\nversion: 'v{i}'\n")

    assert "work-safety@v14" == o.load_plan(tmp_path / f"p{EXTENDS_DEPTH - 1}.yaml").base
    problem = extends_problem(tmp_path / f"p{EXTENDS_DEPTH}.yaml")
    assert f"longer than {EXTENDS_DEPTH} files" in problem.message


def test_problems_in_the_base_are_reported_with_their_own_place(tmp_path: Path):
    """A problem in the base plan is reported at extends, quoting the base's own file, place and message."""
    text = BASE.read_text(encoding="utf-8").replace("channel: phone", "channel: telephone", 1)
    base = write(tmp_path / "base.yaml", text)
    county = write(tmp_path / "county.yaml", "extends: base.yaml\n" + COUNTY)

    problem = extends_problem(county)

    assert f"the base plan has a problem: {base}:" in problem.message
    assert "'channel' must be one of" in problem.message
    assert "(got 'telephone')" in problem.message


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_allow_dir_widens_extends_for_every_command_that_loads_a_plan(tmp_path: Path):
    """Every command that loads a plan refuses an out-of-folder extends in one line and accepts it with --allow-dir."""
    shutil.copy(BASE, write(tmp_path / "shared" / "base.yaml", ""))
    county = str(
        write(tmp_path / "county" / "plan.yaml", "extends: ../shared/base.yaml\n" + COUNTY)
    )
    incident = write(
        tmp_path / "incident.json",
        '{"id": "I", "discovered_at": "2026-11-23T09:00:00+08:00"}',
    )
    store = str(tmp_path / "cases.sqlite")
    commands = {
        "check": ["check", county],
        "render": ["render", county],
        "evaluate": ["evaluate", county, str(incident), "--at", "2026-11-23T10:00:00+08:00"],
        "track open": [
            "track", "open", county, "--store", store,
            "--id", "I", "--discovered-at", "2026-11-23T09:00:00+08:00",
            "--recorded-at", "2026-11-23T09:05:00+08:00",
        ],
    }  # fmt: skip
    for name, argv in commands.items():
        code, out, err = run(*argv)
        lines = (out + err).strip().splitlines()
        assert code in (1, 2), name
        assert any("is outside the folders plans may extend from" in line for line in lines), name
        assert "Traceback" not in out + err

        code, out, err = run(*argv, "--allow-dir", str(tmp_path / "shared"))
        assert 0 == code, (name, out, err)
