"""
Recurrences in plain Chinese and English: ``每月1日``, ``每2小时整点``,
``每日9时前``; ``monthly on day 1``, ``every 2 hours on the hour``,
``daily by 09:00``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any

from opinion_rules.time._rrule import RRule, parse_rrule


__all__ = ["describe_en", "describe_zh"]

Words = Callable[[str], str]

_ZH_UNIT = {
    "YEARLY": "年",
    "MONTHLY": "个月",
    "WEEKLY": "周",
    "DAILY": "日",
    "HOURLY": "小时",
    "MINUTELY": "分钟",
}
_ZH_ONE = {
    "YEARLY": "每年",
    "MONTHLY": "每月",
    "WEEKLY": "每周",
    "DAILY": "每日",
    "HOURLY": "每小时",
    "MINUTELY": "每分钟",
}
_ZH_DAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_EN_UNIT = {
    "YEARLY": "year",
    "MONTHLY": "month",
    "WEEKLY": "week",
    "DAILY": "day",
    "HOURLY": "hour",
    "MINUTELY": "minute",
}
_EN_ONE = {
    "YEARLY": "yearly",
    "MONTHLY": "monthly",
    "WEEKLY": "weekly",
    "DAILY": "daily",
    "HOURLY": "hourly",
    "MINUTELY": "every minute",
}
_EN_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_EN_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def _span_zh(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    if seconds % 86400 == 0:
        return f"{seconds // 86400}日"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}小时"
    return f"{seconds // 60}分钟"


def _step(hours: tuple[int, ...]) -> int | None:
    """The k of hours 0, k, 2k, … covering the day, if that is what *hours* are."""
    if len(hours) < 2:
        return None
    k = hours[1] - hours[0]
    ok = k > 0 and 24 % k == 0 and hours[0] < k and len(hours) == 24 // k
    return k if ok and all(b - a == k for a, b in pairwise(hours)) else None


def _counts_zh(counts: Any, grade_words: Words) -> str:
    return "、".join(f"{grade_words(g)}{n}次" for g, n in counts)


def _counts_en(counts: Any, grade_words: Words) -> str:
    return ", ".join(f"{grade_words(g)} {n}" for g, n in counts)


def _date_text(d: date | datetime) -> str:
    return d.strftime("%Y-%m-%d %H:%M") if isinstance(d, datetime) else d.isoformat()


# -- Chinese --------------------------------------------------------------------------


def describe_zh(r: Any, event_words: Words, grade_words: Words) -> str:
    """See :meth:`Recurrence.describe`."""
    counts = r.counts
    by_grade = not isinstance(counts, int)
    least = "" if by_grade or counts == 1 else f"至少{counts}次"
    if r.per_day is not None:
        words = "每日至少" + (
            f"续报(按级别: {_counts_zh(counts, grade_words)})" if by_grade else f"{counts}次"
        )
    else:
        if r.every is not None:
            words = f"每{_span_zh(r.every)}" + (least or "一次")
        elif r.dates is not None:
            listed = "、".join(_date_text(d) for d in r.dates)
            words = f"于所列日期({listed})" + (least or "各一次")
        else:
            words = _rule_zh(parse_rrule(r.rule), r.at_day_end) + least
        if by_grade:
            words += f"(按级别: {_counts_zh(counts, grade_words)})"
    if r.start_next_day:
        words = f"次日起{words}"
    return words if r.until is None else f"{words}，直至{event_words(r.until)}"


def _rule_zh(rule: RRule, at_day_end: bool) -> str:
    n = rule.interval
    if rule.freq == "MONTHLY" and n in (3, 6):
        words = "每季度" if n == 3 else "每半年"
    else:
        words = _ZH_ONE[rule.freq] if n == 1 else f"每{n}{_ZH_UNIT[rule.freq]}"
    step = _step(rule.byhour) if rule.freq == "DAILY" and rule.byminute in ((), (0,)) else None
    if step is not None and not rule.bymonth and not rule.bymonthday and not rule.byday:
        words = f"每{step}小时整点" if step > 1 else "每小时整点"
        return words + _bounds_zh(rule)
    if rule.bymonth:
        words += "、".join(f"{m}月" for m in rule.bymonth)
    if rule.bymonthday:
        words += "、".join(
            f"{d}日" if d > 0 else ("最后一日" if d == -1 else f"倒数第{-d}日")
            for d in rule.bymonthday
        )
    if rule.byday:
        words += "、".join(_weekday_zh(d, k) for d, k in rule.byday)
    times = _times_zh(rule)
    if times:
        words += f"{times}前"
    elif rule.freq == "HOURLY" and rule.byminute == (0,):
        words += "整点"
    elif not at_day_end and not (rule.bymonthday or rule.byday or rule.bymonth):
        words += "一次"
    return words + _bounds_zh(rule)


def _weekday_zh(day: int, k: int | None) -> str:
    if k is None:
        return _ZH_DAYS[day]
    if k > 0:
        return f"第{k}个{_ZH_DAYS[day]}"
    return f"最后一个{_ZH_DAYS[day]}" if k == -1 else f"倒数第{-k}个{_ZH_DAYS[day]}"


def _times_zh(rule: RRule) -> str:
    if not rule.byhour or rule.sub_daily:
        return ""
    minutes = rule.byminute or (0,)
    return "、".join(f"{h}时" if m == 0 else f"{h}时{m}分" for h in rule.byhour for m in minutes)


def _bounds_zh(rule: RRule) -> str:
    if rule.count is not None:
        return f"，共{rule.count}次"
    if rule.until is not None:
        return f"，至{_until_text(rule)}止"
    return ""


def _until_text(rule: RRule) -> str:
    until = rule.until
    if isinstance(until, datetime):
        zone = " UTC" if until.tzinfo is not None else ""
        return until.strftime("%Y-%m-%d %H:%M") + zone
    return str(until)


# -- English --------------------------------------------------------------------------


def describe_en(r: Any, event_words: Words, grade_words: Words) -> str:
    """See :meth:`Recurrence.describe_en`."""
    counts = r.counts
    by_grade = not isinstance(counts, int)
    if r.per_day is not None:
        if by_grade:
            words = f"at least a number of times a day by grade ({_counts_en(counts, grade_words)})"
        else:
            words = f"at least {counts} time(s) a day"
    else:
        if r.every is not None:
            words = f"every {r.every}"
        elif r.dates is not None:
            words = "on " + ", ".join(_date_text(d) for d in r.dates)
        else:
            words = _rule_en(parse_rrule(r.rule), r.at_day_end)
        if by_grade:
            words += f", by grade ({_counts_en(counts, grade_words)} time(s) each)"
        elif counts != 1:
            words += f", at least {counts} time(s) each"
    if r.start_next_day:
        words = f"from the next day, {words}"
    return words if r.until is None else f"{words} until {event_words(r.until)}"


def _rule_en(rule: RRule, at_day_end: bool) -> str:
    n, unit = rule.interval, _EN_UNIT[rule.freq]
    if rule.freq == "MONTHLY" and n == 3:
        words = "quarterly"
    else:
        words = _EN_ONE[rule.freq] if n == 1 else f"every {n} {unit}s"
    step = _step(rule.byhour) if rule.freq == "DAILY" and rule.byminute in ((), (0,)) else None
    if step is not None and not rule.bymonth and not rule.bymonthday and not rule.byday:
        words = f"every {step} hours on the hour" if step > 1 else "hourly on the hour"
        return words + _bounds_en(rule)
    if rule.bymonth:
        words += " in " + ", ".join(_EN_MONTHS[m - 1] for m in rule.bymonth)
    if rule.bymonthday:
        days = [
            f"day {d}" if d > 0 else ("the last day" if d == -1 else f"day {d}")
            for d in rule.bymonthday
        ]
        words += " on " + ", ".join(days)
    if rule.byday:
        words += " on " + ", ".join(_weekday_en(d, k) for d, k in rule.byday)
    if rule.byhour and not rule.sub_daily:
        minutes = rule.byminute or (0,)
        words += " by " + ", ".join(f"{h:02d}:{m:02d}" for h in rule.byhour for m in minutes)
    elif rule.freq == "HOURLY" and rule.byminute == (0,):
        words += " on the hour"
    if at_day_end:
        words += " (by the end of the day)"
    return words + _bounds_en(rule)


def _weekday_en(day: int, k: int | None) -> str:
    if k is None:
        return _EN_DAYS[day]
    if k == -1:
        return f"the last {_EN_DAYS[day]}"
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(abs(k) if abs(k) < 20 else abs(k) % 10, "th")
    return f"the {abs(k)}{suffix}{' from last' if k < 0 else ''} {_EN_DAYS[day]}"


def _bounds_en(rule: RRule) -> str:
    if rule.count is not None:
        return f", {rule.count} times"
    if rule.until is not None:
        return f", until {_until_text(rule)}"
    return ""
