"""
Render a plan as a document its readers recognise: grade table with
thresholds, handling categories, the report chain per grade with deadlines
in words ("发现后3小时内", "当日内"), principles, parameters and the
sentences left as prose; every line cites its clause.

The document is built once as blocks and written as Markdown or HTML.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import attrs

from opinion_rules.authoring._render_extensions import moved_by_people
from opinion_rules.authoring._render_formats import Block, markdown
from opinion_rules.authoring._render_html import html_document
from opinion_rules.authoring._render_states import state_words
from opinion_rules.authoring._render_values import measure_words, value_words
from opinion_rules.authoring._render_words import (
    ANCHOR_WORDS,
    CHANNEL_WORDS,
    LANGUAGES,
    OPERATOR_WORDS,
    WORDS,
)
from opinion_rules.model._clauses import Clause
from opinion_rules.model._conditions import (
    AllOf,
    Always,
    AnyOf,
    CategoryIs,
    Compare,
    CompareValues,
    Condition,
    EventSeen,
    FactRef,
    GradeRef,
    MeasureRef,
    Not,
    OneOf,
    Param,
)
from opinion_rules.model._deadlines import Anchor, Deadline, parse_anchor
from opinion_rules.model._items import Action, action_grade
from opinion_rules.model._lifecycle import duty_words
from opinion_rules.model._plan import Plan
from opinion_rules.model._state_conditions import ActionState, Before, Within
from opinion_rules.time._calendars import format_hours
from opinion_rules.time._offsets import Offset


__all__ = ["LANGUAGES", "render_plan"]


def render_plan(plan: Plan, fmt: str = "md", lang: str = "zh") -> str:
    """
    Render *plan* as ``md`` or ``html``, in ``zh`` (default) or ``en``
    labels (English names where the plan provides them).

    .. versionadded:: 0.2.0
    """
    if fmt not in ("md", "html"):
        raise ValueError(f"unknown format {fmt!r}; expected 'md' or 'html'")
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {LANGUAGES}")
    blocks = list(_Document(plan, lang).blocks())
    return markdown(blocks) if fmt == "md" else html_document(plan, blocks, lang)


class _Document:
    def __init__(self, plan: Plan, lang: str) -> None:
        self.plan = plan
        self.lang = lang
        self.w = WORDS[lang]
        self.en = lang == "en"

    def blocks(self) -> Iterator[Block]:
        plan, w = self.plan, self.w
        yield "h1", plan.title
        yield (
            "list",
            [
                f"{w['issuer']}: {plan.issuer}",
                f"{w['version']}: {plan.version}",
                f"{w['source']}: {plan.source}",
                f"{w['timezone']}: {plan.timezone}",
                *self.requires_lines(),
                *self.time_lines(),
                *self.grading_lines(),
            ],
        )
        if plan.principles:
            yield "h2", w["principles"]
            yield (
                "list",
                [
                    f"{self.local('principles', p.id, p.name)}: {p.text} {self.cite(p.clause)}"
                    for p in plan.principles
                ],
            )
        if plan.grades:  # a plan of duties only has no grade scale
            yield "h2", w["grades"]
            yield (
                "table",
                (
                    [w["grade"], w["rank"], w["criteria"], w["clause"]],
                    [
                        [
                            self.local("grades", g.id, self.name(g.name, g.name_en)),
                            str(g.rank),
                            self.condition(g.criteria),
                            self.ref(g.clause),
                        ]
                        for g in reversed(plan.scale())
                    ],
                ),
            )
        if plan.categories:
            yield "h2", w["categories"]
            yield (
                "table",
                (
                    [w["category"], w["condition"], w["clause"]],
                    [
                        [
                            self.local("categories", c.id, self.name(c.name, c.name_en)),
                            w["other"] if c.other else self.lasting(c.applies, c.condition),
                            self.ref(c.clause),
                        ]
                        for c in plan.categories
                    ],
                ),
            )
        yield "h2", w["chain"]
        for title, actions in self.chains():
            if plan.grades:  # without a scale, "every grade" says nothing
                yield "h3", title
            yield (
                "table",
                (
                    [
                        w["action"],
                        w["owners"],
                        w["channel"],
                        w["deadline"],
                        w["condition"],
                        w["clause"],
                    ],
                    [
                        [
                            self.local("actions", a.id, a.title) + self.stage(a.stage),
                            self.owners(a),
                            self.channel(a.channel),
                            self.deadline(a.deadline),
                            self.applies(a),
                            self.ref(a.clause),
                        ]
                        for a in actions
                    ],
                ),
            )
        if plan.chains:
            yield "h2", w["report_chains"]
            titles = {a.id: a.title for a in plan.actions}
            yield (
                "table",
                (
                    [w["report_chain"], w["hops"], w["bound"], w["clause"]],
                    [
                        [
                            c.title,
                            " → ".join(titles.get(h, h) for h in c.hops),
                            "-" if c.bound is None else self.offset(c.bound),
                            self.ref(c.clause),
                        ]
                        for c in plan.chains
                    ],
                ),
            )
        if plan.parameters:
            yield "h2", w["parameters"]
            yield (
                "table",
                (
                    [w["parameter"], w["value"], w["clause"]],
                    [
                        [
                            f"{p.label} (${p.id})",
                            f"{p.value}{p.unit}" if p.value is not None else w["required"],
                            self.ref(p.clause),
                        ]
                        for p in plan.parameters
                    ],
                ),
            )
        if plan.notes:
            yield "h2", w["notes"]
            yield (
                "table",
                (
                    [w["clause"], w["reason"]],
                    [[f"{n.clause.ref} {n.clause.text}", n.reason] for n in plan.notes],
                ),
            )

    def requires_lines(self) -> list[str]:
        """The plug-ins the plan relies on, with the versions it allows."""
        if not self.plan.requires:
            return []
        named = ", ".join(f"{r.plugin} {r.version}".strip() for r in self.plan.requires)
        return [f"{self.w['requires']}: {named}"]

    def time_lines(self) -> list[str]:
        plan, w = self.plan, self.w
        lines = []
        if plan.calendar is not None:
            lines.append(f"{w['calendar']}: {plan.calendar.name}")
            if plan.calendar.hours:
                periods = ", ".join(format_hours(plan.calendar.hours))
                lines.append(f"{w['hours']}: {periods}")
        day_end = "24:00" if plan.day_end is None else plan.day_end.strftime("%H:%M")
        lines.append(f"{w['day_end']}: {day_end}")
        if plan.events:
            names = [e.id if self.en or not e.label else e.label for e in plan.events]
            lines.append(f"{w['events']}: {', '.join(names)}")
        return lines

    def grading_lines(self) -> list[str]:
        plan, w = self.plan, self.w
        lines = [f"{w['base']}: {plan.base}"] if plan.base else []
        judgements = [
            (f.label or f.id)
            + (
                (f" ({w['judged_by']})" if self.en else f"({w['judged_by']})").format(
                    roles=self.join(self.role(r) for r in f.judged_by)
                )
                if f.judged_by
                else ""
            )
            for f in plan.facts
            if f.judgement
        ]
        if judgements:
            lines.append(f"{w['judgements']}: {', '.join(judgements)}")
        may_not_apply = [
            (f.id if self.en else f.label or f.id) for f in plan.facts if f.may_be_not_applicable
        ]
        if may_not_apply:
            lines.append(f"{w['not_applicable']}: {', '.join(may_not_apply)}")
        grading = plan.grading
        if grading.is_default():
            return lines
        lines.append(f"{w['drive']}: {w['drive_' + grading.drive]}")
        if grading.asserted_by:
            lines.append(
                f"{w['asserted_by']}: {self.join(self.role(r) for r in grading.asserted_by)}"
            )
        if grading.asserted_grade == "highest":
            lines.append(f"{w['asserted_grade']}: {w['asserted_grade_highest']}")
        lines.append(f"{w['regrade']}: {w['regrade_' + grading.regrade]}")
        grades = {g.id: self.name(g.name, g.name_en) for g in plan.grades}
        top = grades[max(plan.grades).id] if plan.grades else "-"
        for step in grading.escalation:
            steps = w["escalation_steps"].format(steps=step.steps, top=top)
            cite = self.cite(step.clause)
            lines.append(f"{w['escalation']}: {self.anchor(step.event)} → {steps} {cite}".strip())
        for rule in grading.deescalation:
            trigger = (
                self.anchor(rule.event)
                if rule.event is not None
                else f"{rule.measure} < {rule.below} × {rule.consecutive}"
            )
            cancels = f" {w['cancels']}" if rule.cancel_started else ""
            cite = self.cite(rule.clause)
            lines.append(
                f"{w['deescalation']}: {trigger} → {grades[rule.to]}{cancels} {cite}".strip()
            )
        if grading.closure is not None:
            closure = grading.closure
            cancels = f" {w['cancels']}" if closure.cancel_started else ""
            cite = self.cite(closure.clause)
            lines.append(f"{w['closure']}: {self.anchor(closure.event)}{cancels} {cite}".strip())
        return lines

    def local(self, section: str, item_id: str, text: str) -> str:
        return f"{text} ★" if f"{section}.{item_id}" in self.plan.local else text

    def join(self, items: Iterable[str]) -> str:
        return (", " if self.en else "、").join(items)

    def owner_list(self, pairs: Iterable[tuple[str, str]]) -> str:
        return self.join(
            self.role(role) + (f" ({self.duty(duty)})" if self.en else f"({self.duty(duty)})")
            if duty
            else self.role(role)
            for role, duty in pairs
        )

    def duty(self, duty: str) -> str:
        """
        The plan's own word for *duty* if it declares one, else the built-in word.
        """
        term = next((t for t in self.plan.duties if t.id == duty), None)
        if term is not None:
            return self.name(term.name, term.name_en)
        return duty if self.en else duty_words(duty) or duty

    def owners(self, action: Action) -> str:
        text = self.owner_list((o, action.duty_of(o)) for o in action.owners)
        if action.recipients:
            text += (
                f"; {self.w['recipients']}: {self.join(self.role(r) for r in action.recipients)}"
            )
        return text

    def lasting(self, applies: str, condition: Condition) -> str:
        """The condition's words; for ``applies: while``, "while" them (只要…)."""
        text = self.condition(condition)
        return self.w["while"].format(condition=text) if applies == "while" else text

    def applies(self, action: Action) -> str:
        text = self.lasting(action.applies, action.condition)
        w = self.w
        key = "routing_added" if self.plan.routing_mode_of(action) == "additive" else "routing"
        for routing in self.plan.routing_of(action):
            owners = self.owner_list((a.role, a.said) for a in routing.owners)
            text += f"; {w[key]}: {self.condition(routing.condition)} → {owners}"
        if action.overrides:
            titles = {a.id: a.title for a in self.plan.actions}
            text += f"; {w['overrides']}: {self.join(titles[o] for o in action.overrides)}"
        return text

    def channel(self, channel: str) -> str:
        term = next((t for t in self.plan.channels if t.id == channel), None)
        if term is not None:
            return self.name(term.name, term.name_en)
        return _channel_words(channel)[1 if self.en else 0]

    def stage(self, stage: str) -> str:
        """
        The action kind's label after the title, when the plan declares it.
        """
        term = next((t for t in self.plan.stages if t.id == stage), None)
        if term is None:
            return ""
        label = self.name(term.name, term.name_en)
        return f" [{label}]" if self.en else f"〔{label}〕"

    def offset(self, offset: Offset) -> str:
        return _offset_en(offset) if self.en else offset.describe()

    def chains(self) -> Iterator[tuple[str, list[Action]]]:
        ranks = {g.id: g.rank for g in self.plan.grades}
        by_grade: dict[str | None, list[Action]] = {}
        for action in self.plan.actions:
            by_grade.setdefault(action_grade(action, ranks), []).append(action)
        if None in by_grade:
            yield self.w["all_grades"], by_grade[None]
        for g in self.plan.scale():
            if g.id in by_grade:
                yield self.name(g.name, g.name_en), by_grade[g.id]

    # -- words --

    def name(self, zh: str, en: str) -> str:
        return en if self.en and en else zh

    def role(self, role_id: str) -> str:
        role = next((r for r in self.plan.roles if r.id == role_id), None)
        return self.name(role.name, role.name_en) if role else role_id

    def ref(self, clause: Clause | None) -> str:
        return clause.ref if clause else "-"

    def cite(self, clause: Clause | None) -> str:
        return f"〔{clause.ref}〕" if clause else ""

    def anchor(self, anchor: Anchor | str) -> str:
        if isinstance(anchor, str):
            anchor = parse_anchor(anchor)
        ref = anchor.ref
        if anchor.over is not None:
            return self._anchor_over(anchor)
        match anchor.event:
            case "changed":
                f = next((f for f in self.plan.facts if f.id == ref), None)
                name = (f.label or f.id) if f is not None else str(ref)
                return f"each change of {name}" if self.en else f"{name}每次发生变化"
            case "action_done" | "overdue":
                title = next((a.title for a in self.plan.actions if a.id == ref), str(ref))
                if anchor.event == "action_done":
                    return f"completion of “{title}”" if self.en else f"“{title}”完成"
                late = anchor.late_by
                if self.en:
                    extra = "" if late is None else f" by {_offset_en(late)}"
                    return f"“{title}” being overdue{extra}"
                extra = "" if late is None else f"{late.describe()}"
                return f"“{title}”超过时限{extra}"
            case "grade_reached":
                g = next((g for g in self.plan.grades if g.id == ref), None)
                name = self.name(g.name, g.name_en) if g else str(ref)
                return f"reaching {name}" if self.en else f"达到{name}"
            case "category_assigned":
                c = next((c for c in self.plan.categories if c.id == ref), None)
                name = self.name(c.name, c.name_en) if c else str(ref)
                return f"classification as {name}" if self.en else f"认定为{name}"
        spec = next((e for e in self.plan.events if e.id == anchor.event), None)
        words = ANCHOR_WORDS.get(anchor.event)
        if words:
            return words[1] if self.en else words[0]
        return spec.label if spec is not None and spec.label and not self.en else anchor.event

    def _anchor_over(self, anchor: Anchor) -> str:
        """
        An anchor over several actions: ``任一…超过时限`` / ``any of … overdue``.
        """
        titles = [next((a.title for a in self.plan.actions if a.id == r), r) for r in anchor.refs]
        late = anchor.late_by
        if self.en:
            which = "any" if anchor.over == "any" else "all"
            names = ", ".join(f"“{t}”" for t in titles)
            if anchor.event == "action_done":
                return f"completion of {which} of {names}"
            extra = "" if late is None else f" by {_offset_en(late)}"
            return f"{which} of {names} being overdue{extra}"
        names = "、".join(f"“{t}”" for t in titles)
        which = "任一" if anchor.over == "any" else "均"
        if anchor.event == "action_done":
            return f"{names}{which}完成"
        extra = "" if late is None else late.describe()
        return f"{names}{which}超过时限{extra}"

    def grade_word(self, grade_id: str) -> str:
        """A grade's name, for counts by grade."""
        g = next((g for g in self.plan.grades if g.id == grade_id), None)
        return self.name(g.name, g.name_en) if g is not None else grade_id

    def deadline(self, deadline: Deadline) -> str:
        anchor = self.anchor(deadline.anchor)
        if deadline.recurrence is not None and not self.en:
            return f"自{anchor}起{deadline.recurrence.describe(self.anchor, self.grade_word)}"
        moved = moved_by_people(deadline, self.en, self.condition, _offset_en)
        if not self.en:
            bare = attrs.evolve(deadline, extension=None, promise=None)
            measures = lambda m: self.operand(MeasureRef(m))  # noqa: E731 - one use
            return bare.describe(anchor, self.anchor, measures) + moved
        return self._deadline_en(deadline, anchor) + moved

    def _deadline_en(self, deadline: Deadline, anchor: str) -> str:
        recurrence = deadline.recurrence
        match deadline.kind:
            case "offset":
                assert deadline.offset is not None  # noqa: S101 - offset deadlines have one
                return f"within {_offset_en(deadline.offset)} of {anchor}"
            case "immediately":
                return f"immediately on {anchor}"
            case "promptly":
                return f"promptly after {anchor}"
            case "end_of_day":
                return f"by the end of the day of {anchor}"
            case "until" if (end := deadline.until_readings) is not None:
                run = f"{end.measure} < {end.below} at {end.consecutive} readings in a row"
                return f"from {anchor} until {run}"
            case "until":
                return f"from {anchor} until {self.anchor(str(deadline.until))}"
            case "recurring":
                assert recurrence is not None  # noqa: S101 - recurring deadlines have one
                return f"from {anchor}, {recurrence.describe_en(self.anchor, self.grade_word)}"
            case _:
                return f"after {anchor}, no time stated"

    def condition(self, condition: Condition) -> str:
        w = self.w
        match condition:
            case Always():
                return w["always"]
            case AllOf(items) | AnyOf(items):
                joiner = f" {w['and'] if isinstance(condition, AllOf) else w['or']} "
                return joiner.join(
                    f"({self.condition(i)})" if isinstance(i, AllOf | AnyOf) else self.condition(i)
                    for i in items
                )
            case Not(item):
                return f"{w['not']}({self.condition(item)})"
            case CategoryIs(cat):
                category = next((c for c in self.plan.categories if c.id == cat), None)
                name = self.name(category.name, category.name_en) if category else cat
                return f"{w['category']}: {name}"
            case EventSeen(event):
                return f"{self.anchor(event)}" + (" recorded" if self.en else "已发生")
            case ActionState() | Before() | Within():
                return state_words(self.plan, condition, self.anchor, en=self.en)
            case Compare(operand, op, value):
                gap = " " if self.en else ""
                symbol = OPERATOR_WORDS[self.lang][op]
                words = (self.operand(operand), symbol, self.value(operand, value))
                return gap.join(words)
            case OneOf(operand, values):
                listed = ("/" if self.en else "、").join(self.value(operand, v) for v in values)
                if self.en:
                    return f"{self.operand(operand)} in {listed}"
                return f"{self.operand(operand)}为{listed}之一"
            case CompareValues():
                return value_words(condition, self.operand, self.value, en=self.en)
        return repr(condition)  # type: ignore[unreachable]  # pragma: no cover

    def operand(self, operand: object) -> str:
        match operand:
            case GradeRef():
                return self.w["grade"]
            case MeasureRef(name):
                m = next((m for m in self.plan.measures if m.id == name), None)
                text = (m.label or name) if m and not self.en else name
                if m is not None and not m.label:
                    text += measure_words(m, en=self.en)
                return text
            case FactRef(name):
                f = next((f for f in self.plan.facts if f.id == name), None)
                return (f.label or name) if f and not self.en else name
        return repr(operand)  # pragma: no cover

    def value(self, operand: object, value: object) -> str:
        if isinstance(value, Param):
            p = next((p for p in self.plan.parameters if p.id == value.id), None)
            if p is None:
                return f"${value.id}"
            return f"{p.value}{p.unit}" if p.value is not None else f"{p.label}(${p.id})"
        if isinstance(operand, GradeRef):
            g = next((g for g in self.plan.grades if g.id == value), None)
            return self.name(g.name, g.name_en) if g else str(value)
        if isinstance(operand, FactRef) and isinstance(value, str) and not self.en:
            # An enum choice reads as its label: 舆情内容性质为“意见、建议”.
            f = next((f for f in self.plan.facts if f.id == operand.id), None)
            if f is not None and f.type == "enum":
                return f"“{f.choice_label(value)}”"
        if isinstance(value, bool):
            return ("true" if value else "false") if self.en else ("是" if value else "否")
        if isinstance(value, int) and not self.en and value >= 10000 and value % 10000 == 0:
            return f"{value // 10000}万"
        return str(value)


def _channel_words(channel: str) -> tuple[str, str]:
    return CHANNEL_WORDS.get(channel, (channel, channel))


def _offset_en(o: Offset) -> str:
    parts = (
        (o.working_days, "working day"),
        (o.days, "day"),
        (o.hours, "hour"),
        (o.minutes, "minute"),
    )
    words = " ".join(f"{n} {u}{'s' if n != 1 else ''}" for n, u in parts if n)
    if o.start_next_day:
        words += " counted from the next day"
    if o.clock == "shift_start":
        words += " from the next working time"
    elif o.clock == "pause":
        words += " of working time"
    if o.extend_past_holiday:
        words += ", moved past non-working days"
    return words


# -- writers ----------------------------------------------------------------------
