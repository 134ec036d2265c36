"""Relative time words → ISO date ranges resolved against today (今天, 上周, 三月份, 最近三个月 …);
today is the bank's (``clock.local_today``), not the machine's or UTC's."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable, Dict, List, Optional, Tuple

from assistant.base import clock
from assistant.base.spans import longest_first
from assistant.nlu.amounts import parse_number

Range = Tuple[date, date]


@dataclass(frozen=True)
class TimeMatch:
    start: int
    end: int
    value: Dict[str, str]


def _month_start(d: date) -> date:
    return d.replace(day=1)


def _month_end(d: date) -> date:
    return (d.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, _month_end(date(year, month, 1)).day))


def _week(today: date, offset: int) -> Range:
    monday = today - timedelta(days=today.weekday()) + timedelta(weeks=offset)
    return monday, monday + timedelta(days=6) if offset < 0 else today


def _month(today: date, offset: int) -> Range:
    first = _month_start(_add_months(_month_start(today), offset))
    return first, _month_end(first) if offset < 0 else today


def _named_month(today: date, month: int) -> Optional[Range]:
    if not 1 <= month <= 12:
        return None
    year = today.year if month <= today.month else today.year - 1
    first = date(year, month, 1)
    return first, min(_month_end(first), today) if (year, month) == (today.year, today.month) else _month_end(first)


def _recent(today: date, n: int, unit: str) -> Optional[Range]:
    if n <= 0 or n > 120:
        return None
    if unit in ("天", "日"):
        return today - timedelta(days=n - 1), today
    if unit in ("周", "星期", "礼拜", "个星期", "个礼拜"):
        return today - timedelta(weeks=n) + timedelta(days=1), today
    if unit in ("个月", "月"):
        return _add_months(today, -n) + timedelta(days=1), today
    if unit == "年":
        return _add_months(today, -12 * n) + timedelta(days=1), today
    return None


_N = r"[0-9一二两三四五六七八九十]{1,3}"
_FIXED: List[Tuple[str, Callable[[date], Range]]] = [
    (r"大前天", lambda t: (t - timedelta(days=3),) * 2),
    (r"前天", lambda t: (t - timedelta(days=2),) * 2),
    (r"昨天|昨日|昨儿", lambda t: (t - timedelta(days=1),) * 2),
    # 刚才/刚刚 are left out on purpose: "刚才那笔" points at a record, not at a day.
    (r"今天|今日|今儿|今早|今晚|今天早上|今天中午|今天晚上", lambda t: (t, t)),
    (r"上上个?月", lambda t: _month(t, -2)),
    (r"上个?月", lambda t: _month(t, -1)),
    (r"这个月|本月|这月|当月", lambda t: _month(t, 0)),
    (r"上个?(?:星期|礼拜)|上周", lambda t: _week(t, -1)),
    (r"这个?(?:星期|礼拜)|本周|这周", lambda t: _week(t, 0)),
    (r"今年|本年", lambda t: (date(t.year, 1, 1), t)),
    (r"去年", lambda t: (date(t.year - 1, 1, 1), date(t.year - 1, 12, 31))),
]
_RECENT_RE = re.compile(rf"(?:最近|近|过去|前)(?P<n>{_N})?(?P<unit>个月|个星期|个礼拜|天|日|周|星期|礼拜|月|年)")
_MONTH_DAY_RE = re.compile(rf"(?P<m>{_N})月(?:份)?(?:(?P<d>{_N})(?:号|日))?")
_DAY_RE = re.compile(rf"(?<![月0-9一二两三四五六七八九十])(?P<d>{_N})(?:号|日)(?!元|块)")
_FIXED_RE = [(re.compile(p), fn) for p, fn in _FIXED]


def _iso(r: Range) -> Dict[str, str]:
    return {"start": r[0].isoformat(), "end": r[1].isoformat()}


def _int(text: Optional[str], default: int) -> Optional[int]:
    if not text:
        return default
    value = parse_number(text)
    return int(value) if value is not None and value == int(value) else None


def find_times(text: str, today: Optional[date] = None) -> List[TimeMatch]:
    """Time expressions in ``text`` with their date ranges; longer matches win overlaps."""
    today = today or clock.local_today()
    found: List[TimeMatch] = []
    for m in _RECENT_RE.finditer(text):
        n = _int(m.group("n"), 1)
        r = _recent(today, n, m.group("unit")) if n is not None else None
        if r:
            found.append(TimeMatch(m.start(), m.end(), _iso(r)))
    for m in _MONTH_DAY_RE.finditer(text):
        month = _int(m.group("m"), 0)
        r = _named_month(today, month) if month else None
        if r and m.group("d"):
            day = _int(m.group("d"), 0)
            try:
                r = (date(r[0].year, r[0].month, day),) * 2 if day else None
            except ValueError:
                r = None
        if r:
            found.append(TimeMatch(m.start(), m.end(), _iso(r)))
    for m in _DAY_RE.finditer(text):
        day = _int(m.group("d"), 0)
        try:
            d = today.replace(day=day) if day else None
        except ValueError:
            d = None
        if d is not None:
            if d > today:
                d = _add_months(d, -1)
            found.append(TimeMatch(m.start(), m.end(), _iso((d, d))))
    for regex, fn in _FIXED_RE:
        for m in regex.finditer(text):
            found.append(TimeMatch(m.start(), m.end(), _iso(fn(today))))
    return longest_first(found)
