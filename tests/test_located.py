"""
Located parsing of plan files (``planfile._located``): YAML, TOML and JSON
read into values that keep their line and column, with hostile input refused.
"""

from __future__ import annotations

import random

import pytest

from opinion_rules._limits import PLAN_FILE_DEPTH
from opinion_rules.exceptions import OpinionRulesError
from opinion_rules.planfile import _located, load_plan, load_plan_with_places
from opinion_rules.planfile._loaders import read_plan_text
from opinion_rules.planfile._located import FileSyntaxError, Node, parse_document

from .conftest import EXAMPLES


def place(node: Node) -> tuple[int, int]:
    return node.line, node.column


DOCUMENTS = {
    "yaml": "id: p\nitems:\n  - name: a\n    rank: 2\n",
    "json": '{"id": "p",\n "items": [\n  {"name": "a",\n   "rank": 2}]}\n',
    "toml": 'id = "p"\n\n[[items]]\nname = "a"\nrank = 2\n',
}


@pytest.mark.parametrize("fmt", sorted(DOCUMENTS))
def test_every_format_reads_the_same_plain_data(fmt: str):
    """The three formats give the same plain values."""
    assert {"id": "p", "items": [{"name": "a", "rank": 2}]} == parse_document(
        DOCUMENTS[fmt], fmt
    ).plain()


@pytest.mark.parametrize(
    ("fmt", "rank_place", "key_place"),
    [("yaml", (4, 11), (4, 5)), ("json", (4, 12), (4, 4)), ("toml", (5, 8), (5, 1))],
)
def test_values_and_keys_keep_their_line_and_column(fmt, rank_place, key_place):
    """A value knows its line and column, and a mapping knows where each key is."""
    root = parse_document(DOCUMENTS[fmt], fmt)
    item = root.value["items"].value[0]
    assert rank_place == place(item.value["rank"])
    assert key_place == item.key_places["rank"]


def test_a_one_line_yaml_text_knows_the_column_of_its_first_character():
    """An expression's errors can point into it: its first character's column is kept."""
    root = parse_document("criteria: 'clicks > 1'\n", "yaml")
    assert 12 == root.value["criteria"].text_column


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\nb: *x\n",
        "a: !!python/object:os.system x\n",
        "a: !custom 1\n",
    ],
)
def test_yaml_anchors_aliases_and_tags_are_refused(text: str):
    """Anchors, aliases and tags could expand a small file or build objects: refused."""
    with pytest.raises(FileSyntaxError):
        parse_document(text, "yaml")


@pytest.mark.parametrize(
    ("fmt", "text", "where"),
    [
        ("yaml", "a: [1, 2\nb: 3\n", (2, 2)),
        ("json", '{"a": 1,\n "b": }', (2, 7)),
        ("toml", "a = 1\nb = \n", (2, 5)),
    ],
)
def test_syntax_errors_are_located(fmt: str, text: str, where: tuple[int, int]):
    """A syntax error carries the line and column where the parser stopped."""
    with pytest.raises(FileSyntaxError) as caught:
        parse_document(text, fmt)
    assert where == (caught.value.line, caught.value.column)


@pytest.mark.parametrize(
    ("fmt", "opening"),
    [("yaml", "["), ("json", "["), ("toml", "a = [")],
)
def test_nesting_past_the_plan_file_depth_is_a_located_error(fmt: str, opening: str):
    """Lists nested deeper than PLAN_FILE_DEPTH are refused before the parser recurses."""
    text = opening + "[" * PLAN_FILE_DEPTH + "]" * (PLAN_FILE_DEPTH + 1)
    with pytest.raises(FileSyntaxError, match="nest deeper") as caught:
        parse_document(text, fmt)
    assert 1 == caught.value.line


@pytest.mark.parametrize("fmt", ["yaml", "json", "toml"])
def test_nesting_at_the_plan_file_depth_is_read(fmt: str):
    """Exactly PLAN_FILE_DEPTH levels of lists are read."""
    depth = PLAN_FILE_DEPTH - 1  # the document's own mapping is a level too
    value = "[" * depth + "1" + "]" * depth
    text = {"yaml": f"a: {value}\n", "json": f'{{"a": {value}}}', "toml": f"a = {value}\n"}[fmt]
    assert "a" in parse_document(text, fmt).value


@pytest.mark.parametrize(
    ("fmt", "text", "words"),
    [
        ("json", '{"a": "\\ud800"}', "surrogate"),
        ("yaml", 'a: "\\ud800"\n', "Unicode"),
        ("toml", 'a = "x"\nb = "\ud800"\n', "surrogate"),
    ],
)
def test_lone_surrogates_are_refused_with_a_place(fmt: str, text: str, words: str):
    """A lone surrogate (escaped or raw) is not Unicode text: a located error."""
    with pytest.raises(FileSyntaxError, match=words) as caught:
        parse_document(text, fmt)
    assert caught.value.line >= 1
    assert caught.value.column >= 1


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_control_characters_in_texts_are_refused(fmt: str):
    """A control character other than tab and line breaks in a text is refused."""
    text = {"yaml": 'a: "x\\u0001"\n', "json": '{"a": "x\\u0001"}'}[fmt]
    with pytest.raises(FileSyntaxError, match="control character"):
        parse_document(text, fmt)


def test_overlong_number_literals_are_refused():
    """A number literal longer than the bound is refused before Python reads it."""
    with pytest.raises(FileSyntaxError, match="more than"):
        parse_document('{"a": ' + "9" * 5000 + "}", "json")


# -- places -----------------------------------------------------------------------------


def test_a_plan_loaded_with_places_has_the_places_of_its_file():
    """load_plan_with_places gives the plan and the line and column of each value in its file."""
    path = EXAMPLES / "plans" / "work_safety.yaml"
    loaded = load_plan_with_places(path)
    assert load_plan(path) == loaded.plan
    assert (1, 1) <= loaded.places["grades"]
    assert loaded.places["grades"] < loaded.places["grades[1].criteria"]
    assert loaded.places["grades[1].criteria"] == loaded.place("grades[1].criteria")
    assert loaded.places["grades[1]"] == loaded.place("grades[1].no_such_key[3]")
    assert loaded.place("no_such_section") is None


def test_a_python_plan_loaded_with_places_has_none():
    """A plan that is not read from a plan file has no places."""
    loaded = load_plan_with_places(f"{EXAMPLES / 'work_safety.py'}")
    assert {} == dict(loaded.places)
    assert loaded.place("grades[0]") is None


def _broken(rng: random.Random, text: str) -> str:
    """*text* with one to three random insertions, deletions or copies of YAML punctuation."""
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(text) + 1)
        draw = rng.random()
        if draw < 0.5:
            text = text[:i] + rng.choice(_PUNCTUATION) + text[i:]
        elif draw < 0.8:
            text = text[:i] + text[i + rng.randint(1, 5) :]
        else:
            j = rng.randrange(len(text) + 1)
            text = text[:i] + text[j : j + 20] + text[i:]
    return text


_PUNCTUATION = [*":-[]{}'\"\n \t#|>%@`,?\\!&*", "\ufeff", "\x07", "é", "\u3000", "---", "..."]


def _problems(text: str) -> str:
    """What reading *text* as a plan says: its problems, or 'ok'."""
    try:
        read_plan_text(text, "yaml", "broken.yaml")
    except OpinionRulesError as exc:
        return str(exc)
    return "ok"


@pytest.mark.parametrize(
    "text",
    [
        "id: a\n  b: c\n",  # libyaml: "mapping values are not allowed in this context"
        "id: {kind: x, kin?d: y}\n",  # libyaml reads 'kin?d' as a key
        "id: d\tiscovered\n",  # libyaml reads the tab into the scalar
        "id: x\n\ufeff  title: y\n",  # libyaml skips the byte order mark
        "- a\nb: c\n",
    ],
)
def test_yaml_that_libyaml_reads_differently_gets_the_pure_parsers_answer(text, monkeypatch):
    """Where libyaml and PyYAML's parser disagree, the answer is PyYAML's, with or without libyaml."""
    expected = _problems_without_libyaml(text, monkeypatch)

    assert expected == _problems(text)


def _problems_without_libyaml(text: str, monkeypatch: pytest.MonkeyPatch) -> str:
    with monkeypatch.context() as patch:
        patch.setattr(_located, "_Loader", _located._PyLoader)
        return _problems(text)


def test_broken_plans_read_the_same_with_or_without_libyaml(monkeypatch):
    """Sixty randomly broken example plans give the same problems, messages and places, either way."""
    rng = random.Random(20261207)  # noqa: S311 - reproducible test input
    texts = [(EXAMPLES / "plans" / f"{name}.yaml").read_text("utf-8") for name in _SMALL_PLANS]
    cases = [_broken(rng, rng.choice(texts)) for _ in range(60)]

    expected = [_problems_without_libyaml(text, monkeypatch) for text in cases]

    assert expected == [_problems(text) for text in cases]


_SMALL_PLANS = ("archives_bureau", "cultural_venues")
