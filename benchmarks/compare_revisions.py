"""
Run one benchmark on another git revision and on the working tree, side by
side in one run, and print the ratios each prints with the change.

Run from anywhere in the repository::

    .venv/bin/python benchmarks/compare_revisions.py REV SCRIPT [--rounds N] [-- ARGS...]

for example::

    .venv/bin/python benchmarks/compare_revisions.py HEAD~5 bench_evaluate.py -- --incidents 2000

*REV* is anything git names a commit by (``HEAD~5``, a tag, a hash);
*SCRIPT* is a file of ``benchmarks/`` (``bench_evaluate.py`` or
``benchmarks/bench_evaluate.py``); the arguments after ``--`` go to both
runs.

The script writes REV's tree (``git archive``) into a temporary folder,
then runs the benchmark *N* times on each side (default 3), alternating
which side goes first (REV first in odd rounds), so that a machine getting
busier or quieter during the run weighs on both alike:

* REV: REV's own copy of the script, from its checkout, with
  ``PYTHONPATH=<checkout>/src``: each revision runs its own benchmark,
  examples and public modules;
* the working tree: this checkout's script with ``PYTHONPATH=<root>/src``,
  uncommitted changes included.

Before the rounds it checks that each side imports ``opinion_rules`` from
its own ``src/`` (and not, say, from an installed copy).  The checkout
sits beside a link to the repository's ``../shared`` folder when there is
one, so a benchmark reading its data from there (``bench_real.py``) finds
it on both sides.  The temporary folder is removed at the end, also after
an error or Ctrl-C; nothing is added to the repository (no worktree, no
branch).

A ratio is any output line of the form ``<label>  <number>x [comment]``
(two spaces or more before the number), e.g. ``python / hand-written
31.8x the time per evaluation``; a label printed twice by one run is
numbered (``label (2)``).  For each label the script prints the median
over the rounds on each side, the range, and the change (working tree /
REV, so ``x2.00`` means the ratio doubled); changes of 1.5 times or more,
either way, are starred.  Running it with REV = ``HEAD`` on a clean tree
shows how much the ratios move by noise alone.

Exit status: 0; 1 if a run of the benchmark failed (its exit status is not
0, e.g. ``bench_evaluate.py`` found a grade mismatch; the table is still
printed) or printed no ratio; 2 for a wrong REV or SCRIPT, or when a side
would not import its own ``opinion_rules``.  When REV has no such script
(it predates the benchmark), the script says so and exits 0 without
running anything.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path

import attrs


ROOT = Path(__file__).resolve().parent.parent
RATIO = re.compile(r"^\s*(?P<label>\S.*?)\s{2,}(?P<value>\d[\d,]*(?:\.\d+)?)x(?:\s|$)")
FLAG = 1.5  # a change of this factor or more, either way, is starred


class CompareError(Exception):
    """A wrong revision or script, or a checkout that imports the wrong code."""


@attrs.frozen
class Run:
    """One run of the benchmark on one side."""

    returncode: int
    stdout: str
    stderr: str
    cpu: float

    def ratios(self) -> dict[str, float]:
        return parse_ratios(self.stdout)


def parse_ratios(text: str) -> dict[str, float]:
    """
    The ratios printed in *text*, by label, in order; a repeated label is
    numbered ``label (2)``, ``label (3)``...
    """
    found: dict[str, float] = {}
    for line in text.splitlines():
        match = RATIO.match(line)
        if match is None:
            continue
        label = match["label"].rstrip(":").strip()
        key, count = label, 1
        while key in found:
            count += 1
            key = f"{label} ({count})"
        found[key] = float(match["value"].replace(",", ""))
    return found


# -- git ------------------------------------------------------------------------------


def git_run(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(  # noqa: S603 - fixed git commands on a revision git resolved
        ["git", "-C", str(ROOT), *args],  # noqa: S607 - git from PATH, like a developer's shell
        capture_output=True,
        check=False,
    )


def git(*args: str) -> str:
    result = git_run(*args)
    if result.returncode:
        raise CompareError(f"git {' '.join(args)}: {result.stderr.decode(errors='replace')}")
    return result.stdout.decode().strip()


def resolve(rev: str) -> str:
    try:
        return git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    except CompareError:
        raise CompareError(f"{rev!r} names no commit of {ROOT}") from None


def has_file(commit: str, path: str) -> bool:
    return git_run("cat-file", "-e", f"{commit}:{path}").returncode == 0


def export(commit: str, folder: Path) -> None:
    """
    Write *commit*'s tree into *folder* (``git archive``, so nothing is
    added to the repository).
    """
    archive = git_run("archive", "--format=tar", commit)
    if archive.returncode:
        raise CompareError(f"git archive {commit}: {archive.stderr.decode(errors='replace')}")
    folder.mkdir()
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(folder, filter="data")


def describe(commit: str) -> str:
    return git("log", "-1", "--format=%h, %cs", commit)


def describe_working_tree() -> str:
    head = describe("HEAD")
    branch = git("rev-parse", "--abbrev-ref", "HEAD")
    dirty = " + uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else ""
    return f"{branch} at {head}{dirty}"


# -- running --------------------------------------------------------------------------


def environment(checkout: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(checkout / "src")
    return env


def check_import(checkout: Path) -> None:
    """
    Refuse a side whose ``opinion_rules`` does not come from its own ``src/``.
    """
    result = subprocess.run(
        [sys.executable, "-c", "import opinion_rules; print(opinion_rules.__file__)"],
        cwd=checkout,
        env=environment(checkout),
        capture_output=True,
        text=True,
        check=False,
    )
    where = Path(result.stdout.strip() or "?").resolve()
    if result.returncode or not where.is_relative_to((checkout / "src").resolve()):
        got = result.stderr.strip().splitlines()[-1:] or [str(where)]
        raise CompareError(
            f"{checkout} does not import opinion_rules from its own src/ (got {got[0]})"
        )


def run(checkout: Path, script: str, args: Sequence[str]) -> Run:
    before = os.times()
    result = subprocess.run(  # noqa: S603 - our own interpreter on a benchmark script
        [sys.executable, str(checkout / "benchmarks" / script), *args],
        cwd=checkout,
        env=environment(checkout),
        capture_output=True,
        text=True,
        check=False,
    )
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return Run(result.returncode, result.stdout, result.stderr, cpu)


# -- the report -----------------------------------------------------------------------


def summary(runs: Sequence[Run]) -> dict[str, tuple[float, float, float]]:
    """
    For each label: the median, least and greatest ratio over *runs*.
    """
    values: dict[str, list[float]] = {}
    for one in runs:
        for label, value in one.ratios().items():
            values.setdefault(label, []).append(value)
    return {label: (statistics.median(v), min(v), max(v)) for label, v in values.items()}


def cell(stats: tuple[float, float, float] | None, rounds: int) -> str:
    if stats is None:
        return "-"
    median, low, high = stats
    if rounds == 1 or low == high:
        return f"{median:.2f}x"
    return f"{median:.2f}x ({low:.2f}-{high:.2f})"


def report(rev: str, old: Sequence[Run], new: Sequence[Run]) -> list[str]:
    before, after = summary(old), summary(new)
    labels = list(after) + [label for label in before if label not in after]
    rounds = len(new)
    rows = [("ratio", rev, "working tree", "change")]
    starred = False
    for label in labels:
        b, a = before.get(label), after.get(label)
        change = "-"
        if a is not None and b is not None and b[0] > 0:
            factor = a[0] / b[0]
            change = f"x{factor:.2f}"
            if factor >= FLAG or factor <= 1 / FLAG:
                change += " *"
                starred = True
        rows.append((label, cell(b, rounds), cell(a, rounds), change))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        f"{row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:>{widths[2]}}  {row[3]}"
        for row in rows
    ]
    if starred:
        lines.append(f"* changed by a factor of {FLAG} or more")
    if not labels:
        lines.append("(neither side printed a ratio)")
    return lines


def tail(text: str, lines: int = 10) -> str:
    return "\n".join("    " + line for line in text.strip().splitlines()[-lines:])


def compare(rev: str, script: str, args: Sequence[str], rounds: int, verbose: bool) -> int:
    name = Path(script).name
    if Path(script).parent not in (Path(), Path("benchmarks")) or not name.endswith(".py"):
        raise CompareError(f"{script!r} is not a .py file of benchmarks/")
    if not (ROOT / "benchmarks" / name).is_file():
        raise CompareError(f"benchmarks/{name} is not in the working tree {ROOT}")
    commit = resolve(rev)
    if not has_file(commit, f"benchmarks/{name}"):
        print(f"skipped: {rev} ({describe(commit)}) has no benchmarks/{name}; nothing to compare")
        return 0
    print(f"benchmark     benchmarks/{name} {' '.join(args)}".rstrip())
    print(f"{rev:<13} {describe(commit)}")
    print(f"{'working tree':<13} {describe_working_tree()}")
    print(f"rounds        {rounds}, alternating which side runs first")
    with tempfile.TemporaryDirectory(prefix="compare-revisions-") as tmp:
        checkout = Path(tmp) / "checkout"
        export(commit, checkout)
        shared = ROOT.parent / "shared"
        if shared.is_dir():
            (Path(tmp) / "shared").symlink_to(shared.resolve(), target_is_directory=True)
        check_import(checkout)
        check_import(ROOT)
        sides: dict[str, tuple[Path, list[Run]]] = {"rev": (checkout, []), "work": (ROOT, [])}
        for number in range(rounds):
            order = ("rev", "work") if number % 2 == 0 else ("work", "rev")
            for side in order:
                folder, runs = sides[side]
                runs.append(run(folder, name, args))
                print(
                    f"  round {number + 1}: {rev if side == 'rev' else 'working tree'}"
                    f" {runs[-1].cpu:.1f} s CPU",
                    file=sys.stderr,
                )
                if verbose:
                    print(runs[-1].stdout)
    old, new = sides["rev"][1], sides["work"][1]
    print()
    print("\n".join(report(rev, old, new)))
    status = 0
    for label, runs in ((rev, old), ("working tree", new)):
        for number, one in enumerate(runs, start=1):
            if one.returncode or not one.ratios():
                status = 1
                what = f"exited {one.returncode}" if one.returncode else "printed no ratio"
                print(f"\n{label}, round {number}: the benchmark {what}")
                if one.stderr.strip():
                    print(tail(one.stderr))
                elif not verbose:
                    print("    (nothing on stderr; --verbose prints every run's output)")
    return status


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0].strip(),
        usage="%(prog)s REV SCRIPT [--rounds N] [--verbose] [-- ARGS...]",
    )
    parser.add_argument("rev", metavar="REV", help="the revision to compare with (HEAD~5, a tag…)")
    parser.add_argument("script", metavar="SCRIPT", help="a benchmark of benchmarks/")
    parser.add_argument("--rounds", type=int, default=3, help="runs on each side (default 3)")
    parser.add_argument("--verbose", action="store_true", help="print every run's output")
    argv = list(sys.argv[1:] if argv is None else argv)
    # Everything after the first "--" is the benchmark's, options included.
    cut = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:cut])
    args.args = argv[cut + 1 :]
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    try:
        return compare(args.rev, args.script, args.args, args.rounds, args.verbose)
    except CompareError as exc:
        print(f"compare_revisions: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
