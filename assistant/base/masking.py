"""The one masker for everything the assistant writes down (tracker store, desk tables, logs).

Card, account and ID numbers, phone numbers and verification codes are found however they are
typed or spoken: ASCII or full-width digits, Chinese digits (幺三八零零…, 洞/拐 too), grouped by
spaces, dashes or dots, or one digit at a time ("4 8 2 9 1 3"). Money, dates, times and last-four
references ("尾号6688") stay readable, so transcripts remain useful to agents and trainers.

Every character is normalised one-for-one (same length), so a finding on the normalised text is
at the same position in the original and everything around it is kept exactly as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

DIGIT_VALUES: Dict[str, str] = {
    **{str(d): str(d) for d in range(10)},
    **{chr(0xFF10 + d): str(d) for d in range(10)},  # full-width ０-９
    "零": "0",
    "〇": "0",
    "○": "0",
    "洞": "0",
    "一": "1",
    "幺": "1",
    "二": "2",
    "两": "2",
    "三": "3",
    "四": "4",
    "五": "5",
    "六": "6",
    "七": "7",
    "拐": "7",
    "八": "8",
    "九": "9",
}
_ID_CHECK_CHARS = frozenset("XxＸｘ")  # the last character of an 18-character ID number
_SEPARATORS = " \u3000\t-－‐–—.．·_/,，、()（）"  # speech recognizers put commas between digit groups
_RUN = re.compile(rf"\d(?:[{re.escape(_SEPARATORS)}]{{0,3}}\d)*")
_ID_CHECK = re.compile(rf"[{re.escape(_SEPARATORS)}]{{0,3}}X")

# Digits that are not private however long the text around them: dates, IPv4 addresses (in logs) and
# last-four references. (Matched on the normalised text, where 末四位 reads 末4位.)
_NOT_AFTER_A_NUMBER = r"(?<!\d)(?<!\d[-/.\s])"
_PROTECTED = (
    re.compile(_NOT_AFTER_A_NUMBER + r"(?:19|20)\d\d([-/.])\d{1,2}(?:\1\d{1,2})?(?![-/.]?\d)"),
    re.compile(r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|\d\d?)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|\d\d?)(?![\d.])"),
    re.compile(r"(?:尾号|末4位|后4位|尾数)[为是:：\s]*\d{4}(?!\d)"),
)

_CODE_WORD_BEFORE = re.compile(r"((?<!起)码|验证|口令|code|otp|pin|passcode|password|pwd)[^\d]{0,8}$", re.IGNORECASE)
_CODE_WORD_AFTER = re.compile(r"^[^\d]{0,4}?(验证码|校验码|动态码|短信码|密码|口令|code)", re.IGNORECASE)
_CURRENCY_BEFORE = re.compile(r"(?:[¥￥$＄]|rmb|人民币)\s*$", re.IGNORECASE)
_UNIT_AFTER = re.compile(r"^\s*(?:元|块|圆|万|千|百|角|毛|分(?!钟)|美元|美金|港币|欧元|rmb|人民币|%|％)", re.IGNORECASE)
_MONEY_VERB_BEFORE = re.compile(r"(?:转账?|汇款?|还款?|付款?|支付|花了?|存|取|充值?|借|捐|打款)\s*$")
_DECIMAL = re.compile(r"^\d+[.．]\d{1,2}$")

CODE_DIGITS = (4, 10)  # how long a code (or PIN) after a word announcing one can be
BARE_CODE_DIGITS = 6  # a bare run of exactly this many digits is an SMS code, unless it is money
PHONE_DIGITS = 11  # a mobile number: 11 digits starting with 1; any other run of 11+ digits is a
# card, account or ID number (or a landline with its area code)


@dataclass(frozen=True)
class Finding:
    """A sensitive number at ``start:end`` of the original text, and what replaces it."""

    start: int
    end: int
    kind: str  # card | phone | code
    replacement: str


def normalise(text: str) -> str:
    """The text with every kind of digit as an ASCII digit and the ID check letter as X (same length)."""
    return "".join(DIGIT_VALUES.get(ch) or ("X" if ch in _ID_CHECK_CHARS else ch) for ch in text)


def _digit_positions(norm: str, start: int, end: int) -> List[int]:
    return [i for i in range(start, end) if norm[i].isdigit() or norm[i] == "X"]


def _is_money(norm: str, start: int, end: int) -> bool:
    before, after = norm[max(0, start - 4) : start], norm[end : end + 4]
    return bool(
        _CURRENCY_BEFORE.search(before)
        or _UNIT_AFTER.match(after)
        or _MONEY_VERB_BEFORE.search(before)
        or _DECIMAL.match(norm[start:end].replace(" ", ""))
    )


def _classify(scanned: str, start: int, end: int, digits: str) -> Optional[str]:
    """card, phone, code, or None for a number that may stay (money, a short count, a year …)."""
    n = len(digits)
    if n >= PHONE_DIGITS:
        return "phone" if n == PHONE_DIGITS and digits[0] == "1" else "card"
    if _is_money(scanned, start, end):
        return None
    before, after = scanned[max(0, start - 24) : start], scanned[end : end + 10]
    if CODE_DIGITS[0] <= n <= CODE_DIGITS[1] and (_CODE_WORD_BEFORE.search(before) or _CODE_WORD_AFTER.match(after)):
        return "code"
    glued = (start > 0 and scanned[start - 1].isascii() and scanned[start - 1].isalpha()) or (
        end < len(scanned) and scanned[end].isascii() and scanned[end].isalpha()
    )
    return "code" if n == BARE_CODE_DIGITS and not glued else None


def _replacement(text: str, positions: List[int], kind: str) -> str:
    """Codes vanish entirely; phones keep 3 + 4 digits and cards the last 4, as originally written."""
    kept = lambda idx: "".join(text[i] for i in idx)  # noqa: E731 - tiny local helper
    if kind == "code":
        return "*" * len(positions)
    if kind == "phone":
        return kept(positions[:3]) + "****" + kept(positions[-4:])
    return "*" * (len(positions) - 4) + kept(positions[-4:])


def _segments(scanned: str, start: int, end: int) -> List[Tuple[int, int]]:
    """A run cut where two numbers were only a space apart: around a group that is a whole number by
    itself (11+ digits), and where digits typed one by one ("3 5 7 2 4 6") meet a grouped number."""
    groups = [(g.start(), g.end()) for g in re.finditer(r"\d+", scanned[start:end])]
    single = [b - a == 1 for a, b in groups]
    spelled = [
        single[i] and ((i > 0 and single[i - 1]) or (i + 1 < len(single) and single[i + 1])) for i in range(len(groups))
    ]
    cuts = [
        i
        for i in range(1, len(groups))
        if groups[i - 1][1] - groups[i - 1][0] >= PHONE_DIGITS
        or groups[i][1] - groups[i][0] >= PHONE_DIGITS
        or spelled[i - 1] != spelled[i]
    ]
    bounds = [0] + cuts + [len(groups)]
    return [(start + groups[a][0], start + groups[b - 1][1]) for a, b in zip(bounds, bounds[1:])]


def _finding(text: str, norm: str, scanned: str, start: int, end: int) -> Optional[Finding]:
    if sum(c.isdigit() for c in scanned[start:end]) == 17:
        check = _ID_CHECK.match(scanned, end)
        end = check.end() if check else end
    positions = _digit_positions(norm, start, end)
    kind = _classify(scanned, start, end, "".join(norm[i] for i in positions))
    return Finding(start, end, kind, _replacement(text, positions, kind)) if kind else None


def find_sensitive(text: str) -> List[Finding]:
    """Every sensitive number in ``text``, left to right."""
    if sum(ch in DIGIT_VALUES for ch in text) < CODE_DIGITS[0]:
        return []
    norm = normalise(text)
    scan = list(norm)
    for pattern in _PROTECTED:
        for m in pattern.finditer(norm):
            scan[m.start() : m.end()] = "\x00" * (m.end() - m.start())
    scanned = "".join(scan)
    findings: List[Finding] = []
    for m in _RUN.finditer(scanned):
        segments = _segments(scanned, m.start(), m.end())
        parts = [_finding(text, norm, scanned, a, b) for a, b in segments] if len(segments) > 1 else []
        if any(parts):
            findings += [p for p in parts if p]
        else:
            whole = _finding(text, norm, scanned, m.start(), m.end())
            findings += [whole] if whole else []
    return findings


def apply_findings(text: str, findings: List[Finding]) -> str:
    out, last = [], 0
    for f in findings:
        out += [text[last : f.start], f.replacement]
        last = f.end
    return "".join(out) + text[last:]


def masked_position(findings: List[Finding], pos: int) -> int:
    """Where position ``pos`` of the original text is in the masked text (inside a finding: its start)."""
    shift = 0
    for f in findings:
        if pos < f.end:
            return (f.start if pos > f.start else pos) + shift
        shift += len(f.replacement) - (f.end - f.start)
    return pos + shift


def mask_sensitive(text: str) -> str:
    """The text with card/account/ID numbers cut to their last four, phones to 3 + 4 digits, codes starred."""
    return apply_findings(text, find_sensitive(text)) if text else text


# Hex ids of 16+ characters (with a letter, so never a bare card number) and UUIDs.
_OPAQUE_ID = re.compile(
    r"^(?=[0-9a-f]*[a-f])[0-9a-f]{16,}$"
    r"|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)


def mask_value(value: Any) -> Any:
    """Every string inside a JSON-like value masked, except opaque hex identifiers we generated
    (idempotency keys, message ids), which are not customer numbers and must stay usable."""
    if isinstance(value, str):
        return value if _OPAQUE_ID.match(value) else mask_sensitive(value)
    if isinstance(value, dict):
        return {k: mask_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_value(v) for v in value]
    return value
