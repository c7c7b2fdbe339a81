"""
A semantic diff of two plan versions: what a revision changes, item by item
(matched by id), field by field, in the words of the plan document.

The comparison runs on the plan-file layout (:func:`plan_to_data`), so each
field compares as written; the words come from the document renderer, so a
changed condition or deadline reads as it does in ``opinion-rules render``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Literal

import attrs

from opinion_rules.authoring._render import _Document
from opinion_rules.authoring._render_words import LANGUAGES
from opinion_rules.exceptions import PlanError
from opinion_rules.model._conditions import AllOf, AnyOf, Condition
from opinion_rules.model._deadlines import Deadline
from opinion_rules.model._items import Action
from opinion_rules.model._plan import Plan
from opinion_rules.planfile._writer import plan_to_data


__all__ = ["ChangeKind", "PlanChange", "PlanDiff", "diff_plans"]

ChangeKind = Literal["added", "removed", "changed"]
CHANGE_KINDS: tuple[ChangeKind, ...] = ("added", "removed", "changed")

# Plan-level fields, compared one by one; ``grading`` one level deeper.
# ``base`` and ``local`` say how a plan was put together, not what it says:
# a plan written whole and the same plan built with ``extends`` compare equal.
_PLAN_FIELDS = (
    "id",
    "title",
    "issuer",
    "version",
    "source",
    "timezone",
    "immediate_tolerance",
    "prompt_tolerance",
    "calendar",
    "day_end",
    "routing_mode",
    "metrics",
    "notes",
)
_NOT_COMPARED = frozenset({"base", "local"})

_SECTION_WORDS = {
    "plan": ("预案", "plan"),
    "grading": ("定级规则", "grading"),
    "roles": ("责任单位", "role"),
    "parameters": ("参数", "parameter"),
    "measures": ("指标", "measure"),
    "facts": ("事实", "fact"),
    "events": ("事件", "event"),
    "grades": ("等级", "grade"),
    "categories": ("类别", "category"),
    "principles": ("原则", "principle"),
    "actions": ("措施", "action"),
    "chains": ("报告链", "report chain"),
    "channels": ("渠道", "channel"),
    "stages": ("阶段", "stage"),
    "duties": ("职责", "duty"),
    "routings": ("分派规则", "routing"),
    "requires": ("插件", "plug-in"),
}

_FIELD_WORDS = {
    "id": ("编号", "id"),
    "name": ("名称", "name"),
    "name_en": ("英文名称", "English name"),
    "title": ("标题", "title"),
    "issuer": ("发布单位", "issuer"),
    "version": ("版本", "version"),
    "source": ("来源", "source"),
    "timezone": ("时区", "timezone"),
    "criteria": ("分级标准", "criteria"),
    "condition": ("条件", "condition"),
    "deadline": ("时限", "deadline"),
    "owners": ("责任单位", "owners"),
    "recipients": ("接收单位", "recipients"),
    "channel": ("方式", "channel"),
    "channels": ("平台", "channels"),
    "clause": ("条款", "clause"),
    "window": ("时间窗口", "window"),
    "aggregate": ("统计方式", "aggregate"),
    "metric": ("数据项", "metric"),
    "label": ("标签", "label"),
    "type": ("类型", "type"),
    "choices": ("选项", "choices"),
    "choice_labels": ("选项名称", "choice labels"),
    "rank": ("级别", "rank"),
    "stage": ("阶段", "stage"),
    "hops": ("环节", "hops"),
    "bound": ("总时限", "bound"),
    "value": ("取值", "value"),
    "unit": ("单位", "unit"),
    "applies": ("适用方式", "applies"),
    "metrics": ("数据项", "metrics"),
    "notes": ("说明", "notes"),
}


def _is_kind(_inst: object, attribute: attrs.Attribute[str], value: object) -> None:
    if value not in CHANGE_KINDS:
        raise ValueError(f"'{attribute.name}' must be one of {list(CHANGE_KINDS)} (got {value!r})")


def _is_section(_inst: object, attribute: attrs.Attribute[str], value: object) -> None:
    if value not in _SECTION_WORDS:
        raise ValueError(
            f"'{attribute.name}' must be one of {list(_SECTION_WORDS)} (got {value!r})"
        )


@attrs.frozen
class PlanChange:
    """
    One difference between two plan versions.

    Args:
        kind: ``added``, ``removed`` or ``changed``.
        section: The plan's section (``grades``, ``actions``, …), ``plan``
            for the plan's own fields or ``grading`` for its grading rules.
        item: The item's id (empty for ``plan`` and ``grading``).
        field: The changed field as written in a plan file (``criteria``,
            ``deadline``); empty for an added or removed item.
        old: The old value as plan-file data (``None`` when absent).
        new: The new value as plan-file data (``None`` when absent).
        zh: The change in Chinese, in the plan document's words.
        en: The change in English.

    .. versionadded:: 0.6.0
    """

    kind: ChangeKind = attrs.field(validator=_is_kind)
    section: str = attrs.field(validator=_is_section)
    item: str = attrs.field(validator=attrs.validators.instance_of(str))
    field: str = attrs.field(validator=attrs.validators.instance_of(str))
    old: Any
    new: Any
    zh: str = attrs.field(validator=attrs.validators.instance_of(str))
    en: str = attrs.field(validator=attrs.validators.instance_of(str))

    def words(self, lang: str = "zh") -> str:
        """The change in *lang* (``zh`` or ``en``)."""
        return self.en if lang == "en" else self.zh

    def to_data(self) -> dict[str, Any]:
        """The change as JSON-ready data."""
        return {
            "kind": self.kind,
            "section": self.section,
            "item": self.item,
            "field": self.field,
            "old": self.old,
            "new": self.new,
            "zh": self.zh,
            "en": self.en,
        }


def _changes(changes: Iterable[PlanChange]) -> tuple[PlanChange, ...]:
    found = tuple(changes)
    for change in found:
        if not isinstance(change, PlanChange):
            raise TypeError(f"'changes' must hold PlanChange values (got {change!r})")
    return found


@attrs.frozen
class PlanDiff:
    """
    What a plan revision changes: its ``changes`` in plan order (the plan's
    own fields, grading, then each section: changed and removed items in the
    old order, added ones after them).  Empty when the plans say the same.

    .. versionadded:: 0.6.0
    """

    old_id: str
    old_version: str
    new_id: str
    new_version: str
    changes: tuple[PlanChange, ...] = attrs.field(converter=_changes)

    def __bool__(self) -> bool:
        return bool(self.changes)

    def __len__(self) -> int:
        return len(self.changes)

    def text(self, lang: str = "zh") -> str:
        """One line per change in *lang*, or a line saying there is none."""
        if lang not in LANGUAGES:
            raise PlanError(f"unknown language {lang!r}; expected one of {LANGUAGES}")
        en = lang == "en"
        head = f"{self.old_id} {self.old_version} → {self.new_id} {self.new_version}: " + (
            f"{len(self)} changes" if en else f"{len(self)}处变化"
        )
        if not self.changes:
            return head.rsplit(":", 1)[0] + (": no changes\n" if en else ": 无变化\n")
        return head + "\n" + "".join(f"- {c.words(lang)}\n" for c in self.changes)

    def to_data(self) -> dict[str, Any]:
        """The diff as JSON-ready data."""
        return {
            "old": {"id": self.old_id, "version": self.old_version},
            "new": {"id": self.new_id, "version": self.new_version},
            "changes": [c.to_data() for c in self.changes],
        }


def diff_plans(old: Plan, new: Plan) -> PlanDiff:
    """
    The semantic difference between plan versions *old* and *new*: every
    added, removed or changed item (matched by id, so a renamed id is a
    removal and an addition) and every changed field, with old and new
    values as plan-file data and the change in Chinese and English.

    Item order within a section is not compared (grades are ordered by
    rank, actions by their conditions).

    Raises:
        PlanError: if *old* or *new* is not a :class:`~opinion_rules.Plan`.

    .. versionadded:: 0.6.0
    """
    for name, value in (("old", old), ("new", new)):
        if not isinstance(value, Plan):
            raise PlanError(f"diff_plans: {name} must be a Plan (got {type(value).__name__})")
    return PlanDiff(old.id, old.version, new.id, new.version, _Differ(old, new).changes())


class _Differ:
    def __init__(self, old: Plan, new: Plan) -> None:
        self.plans = (old, new)
        self.data = (plan_to_data(old), plan_to_data(new))
        self.docs = {
            (side, lang): _Document(plan, lang)
            for side, plan in enumerate(self.plans)
            for lang in LANGUAGES
        }

    def changes(self) -> Iterator[PlanChange]:
        old, new = self.data
        for key in _PLAN_FIELDS:
            if old.get(key) != new.get(key):
                yield self.changed("plan", "", key, old.get(key), new.get(key), None)
        old_grading, new_grading = old.get("grading") or {}, new.get("grading") or {}
        for key in _keys(old_grading, new_grading):
            if old_grading.get(key) != new_grading.get(key):
                yield self.changed(
                    "grading", "", key, old_grading.get(key), new_grading.get(key), None
                )
        sections = [k for k in new if isinstance(new[k], list) and k not in _PLAN_FIELDS]
        sections += [
            k for k in old if k not in new and isinstance(old[k], list) and k not in _PLAN_FIELDS
        ]
        for section in sections:
            if section in _NOT_COMPARED:
                continue
            yield from self.section(section, old.get(section, []), new.get(section, []))

    def section(
        self, section: str, old: list[dict[str, Any]], new: list[dict[str, Any]]
    ) -> Iterator[PlanChange]:
        old_by_id = {item["id"]: item for item in old}
        new_by_id = {item["id"]: item for item in new}
        for item_id, before in old_by_id.items():
            after = new_by_id.get(item_id)
            if after is None:
                yield self.whole("removed", section, item_id, before)
                continue
            for key in _keys(before, after):
                if before.get(key) != after.get(key):
                    yield self.changed(
                        section, item_id, key, before.get(key), after.get(key), item_id
                    )
        for item_id, after in new_by_id.items():
            if item_id not in old_by_id:
                yield self.whole("added", section, item_id, after)

    # -- words --

    def whole(self, kind: ChangeKind, section: str, item_id: str, data: Any) -> PlanChange:
        side = 0 if kind == "removed" else 1
        label_zh = self.label(side, "zh", section, item_id)
        label_en = self.label(side, "en", section, item_id)
        section_zh, section_en = _SECTION_WORDS[section]
        zh = f"{'删除' if kind == 'removed' else '新增'}{section_zh} {label_zh}"
        en = f"{kind} {section_en} {label_en}"
        old, new = (data, None) if kind == "removed" else (None, data)
        return PlanChange(kind, section, item_id, "", old, new, zh, en)

    def changed(
        self, section: str, item: str, key: str, old: Any, new: Any, item_id: str | None
    ) -> PlanChange:
        words = {}
        for lang in LANGUAGES:
            before, after = self.values(section, item_id, key, old, new, lang)
            field = _FIELD_WORDS.get(key, (key, key))[lang == "en"]
            if item_id is None:
                where = _SECTION_WORDS[section][lang == "en"]
            else:
                where = self.label(1, lang, section, item_id)
                where = f"{_SECTION_WORDS[section][lang == 'en']} {where}"
            words[lang] = f"{where}: {field} {before} → {after}"
        return PlanChange("changed", section, item, key, old, new, words["zh"], words["en"])

    def label(self, side: int, lang: str, section: str, item_id: str) -> str:
        """An item's name in the plan's words, with its id: 较大网络舆情 (larger)."""
        found = _item(self.plans[side], section, item_id)
        if found is None:
            return item_id
        zh = (
            getattr(found, "name", "") or getattr(found, "title", "") or getattr(found, "label", "")
        )
        en = getattr(found, "name_en", "")
        shown = (en or zh) if lang == "en" else zh
        return f"{shown} ({item_id})" if shown and shown != item_id else item_id

    def values(
        self, section: str, item_id: str | None, key: str, old: Any, new: Any, lang: str
    ) -> tuple[str, str]:
        """The old and new value in words, a changed condition narrowed to what changed."""
        items = [None if item_id is None else _item(plan, section, item_id) for plan in self.plans]
        first, second = (getattr(item, key, None) for item in items)
        docs = [self.docs[0, lang], self.docs[1, lang]]
        if isinstance(first, Condition) and isinstance(second, Condition):
            before, after = _narrowed(first, second)
            return docs[0].condition(before), docs[1].condition(after)
        if isinstance(first, Deadline) and isinstance(second, Deadline):
            return docs[0].deadline(first), docs[1].deadline(second)
        if key == "owners" and isinstance(items[0], Action) and isinstance(items[1], Action):
            return docs[0].owners(items[0]), docs[1].owners(items[1])
        if key == "channel" and section == "actions":
            return docs[0].channel(old), docs[1].channel(new)
        return _data_words(old, lang), _data_words(new, lang)


def _keys(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    return [*old, *(k for k in new if k not in old)]


def _item(plan: Plan, section: str, item_id: str) -> Any:
    return next((i for i in getattr(plan, section, ()) if getattr(i, "id", None) == item_id), None)


def _narrowed(old: Condition, new: Condition) -> tuple[Condition, Condition]:
    """
    The parts of two conditions that differ, when they differ in one place:
    ``(a and b) or reposts > 100`` against ``… > 80`` narrows to the two
    comparisons of reposts.
    """
    while type(old) is type(new) and isinstance(old, AllOf | AnyOf):
        pairs = [(a, b) for a, b in zip(old.items, new.items, strict=False) if a != b]  # type: ignore[union-attr]
        if len(old.items) != len(new.items) or len(pairs) != 1:  # type: ignore[union-attr]
            break
        old, new = pairs[0]
    return old, new


def _data_words(value: Any, lang: str) -> str:
    if value is None:
        return "(none)" if lang == "en" else "(无)"
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return (", " if lang == "en" else "、").join(value) if value else "—"
    if isinstance(value, dict) and set(value) == {"ref", "text"}:
        return f"〔{value['ref']}〕{value['text']}"
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
