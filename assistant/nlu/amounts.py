"""Money amounts said in digits, Chinese numerals or a mix: 两千五 → 2500, 二十八块五 → 28.5, 1.5万 → 15000."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import List, Optional, Union

import cn2an

NUMERAL_CHARS = "0-9零〇一二两三四五六七八九十百千万亿幺点.,，"
_NUM = f"[{NUMERAL_CHARS}]"
# A number, optionally "块/元" with trailing jiao ("块五", "块五毛"), or just jiao ("五毛").
AMOUNT_RE = re.compile(
    rf"(?P<jiao_only>(?<![{NUMERAL_CHARS}块元])[一二两三四五六七八九])(?:毛|角)(?:钱)?"
    rf"|(?P<yuan>{_NUM}+)(?P<unit>块钱|块|元钱|元|圆|rmb|人民币)?(?:(?P<jiao>[0-9一二两三四五六七八九])(?:毛|角)?(?:(?P<fen>[0-9一二三四五六七八九])分)?)?"
)
_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
for _d in range(10):
    _DIGITS[str(_d)] = _d

Number = Union[int, float]


@dataclass(frozen=True)
class AmountMatch:
    start: int
    end: int
    value: Number
    has_unit: bool


def parse_number(text: str) -> Optional[Decimal]:
    """A numeral string as a Decimal: "两千五", "1.5万", "一百零五", "2,500", "幺零二四"."""
    cleaned = text.replace(",", "").replace("，", "").replace("幺", "一").strip(".点")
    if not cleaned:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", cleaned):
        return Decimal(cleaned)
    try:
        value = cn2an.cn2an(cleaned, "smart")
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def as_number(value: Decimal) -> Number:
    value = value.quantize(Decimal("0.01")) if value != value.to_integral_value() else value
    return int(value) if value == value.to_integral_value() else float(value)


def find_amounts(text: str) -> List[AmountMatch]:
    """Every numeral run that reads as money, with its value; callers decide by context."""
    out: List[AmountMatch] = []
    for m in AMOUNT_RE.finditer(text):
        if m.group("jiao_only"):
            out.append(AmountMatch(m.start(), m.end(), as_number(Decimal(_DIGITS[m.group("jiao_only")]) / 10), True))
            continue
        raw = m.group("yuan")
        if not re.search(r"[0-9零〇一二两三四五六七八九十百千万亿幺]", raw):
            continue
        start, end = m.start("yuan"), m.end("yuan")
        # Trailing separators belong to the sentence, not the number.
        while end > start and text[end - 1] in ".,，点":
            end -= 1
        number = parse_number(text[start:end])
        if number is None:
            continue
        has_unit = bool(m.group("unit"))
        if has_unit and end == m.end("yuan"):
            end = m.end("unit")
            if m.group("jiao"):
                number += Decimal(_DIGITS[m.group("jiao")]) / 10
                if m.group("fen"):
                    number += Decimal(_DIGITS[m.group("fen")]) / 100
                end = m.end()
        out.append(AmountMatch(start, end, as_number(number), has_unit))
    return out
