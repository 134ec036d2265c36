"""Correcting speech-recognition homophones against the domain's words by pinyin.

理材 → 理财 (same sound, wrong characters); with a customer's payee book, 张珊 → 张三
(same sound up to 模糊音, and no 张珊 in the book). Replacements keep the length, so
entity spans stay spans of what the customer said.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import jieba

from assistant.base.pinyin import fuzzy_key, has_han, readings
from assistant.base.spans import longest_matches
from assistant.nlu import vocabulary as vocab

MAX_TERM = 6
# Characters that are almost always grammar, not a misheard content word: never replaced (我把 ≠ 我爸).
FUNCTION_CHARS = frozenset(
    "的了是在给和就都也还又被让从向对跟把将么吗呢吧啊呀哦嘛着过得地我你他她它这那有没不很太要想会能个"
    # numerals: "五千到" is an amount, never "五签到"
    "零〇一二两三四五六七八九十百千万亿"
)
# A real word this common is left alone even when it sounds like a domain word (几斤 ≠ 基金).
COMMON_WORD_FREQ = 200


def _keys(text: str, fuzzy: bool) -> List[str]:
    return [fuzzy_key(r) if fuzzy else "".join(r) for r in readings(text)]


class SoundIndex:
    """Terms by the sound of each of their readings."""

    def __init__(self, terms: Iterable[str], fuzzy: bool = False) -> None:
        self.fuzzy = fuzzy
        self.terms = {
            t for t in terms if 2 <= len(t) <= MAX_TERM and has_han(t) and all("\u4e00" <= c <= "\u9fff" for c in t)
        }
        self.by_key: Dict[Tuple[int, str], List[str]] = {}
        for term in sorted(self.terms):
            for key in _keys(term, fuzzy):
                bucket = self.by_key.setdefault((len(term), key), [])
                if term not in bucket:
                    bucket.append(term)

    def match(self, chunk: str) -> Optional[str]:
        """The one term that sounds like ``chunk`` and shares a character with it in place
        (a recognizer rarely gets every character wrong); None when none or ambiguous."""
        found: List[str] = []
        for key in _keys(chunk, self.fuzzy):
            for term in self.by_key.get((len(chunk), key), ()):
                if term not in found and any(a == b for a, b in zip(chunk, term)):
                    found.append(term)
        return found[0] if len(found) == 1 else None


@lru_cache(maxsize=1)
def domain_index() -> SoundIndex:
    words = [
        *vocab.product_terms(),
        *vocab.category_keywords(),
        *vocab.RELATIONS,
        "转账",
        "余额",
        "账单",
        "还款",
        "流水",
        "信用卡",
        "储蓄卡",
        "工资卡",
        "挂失",
        "记账",
        "汇款",
        "额度",
        "明细",
    ]
    return SoundIndex(words)


def _is_common_word(chunk: str) -> bool:
    return jieba.dt.FREQ.get(chunk, 0) >= COMMON_WORD_FREQ if jieba.dt.initialized else False


def _known_spans(chars: List[str], index: SoundIndex) -> List[bool]:
    """Positions inside a correctly written domain word (longest match first): left alone."""
    covered = [False] * len(chars)
    for start, end, _ in longest_matches("".join(chars), index.terms, MAX_TERM, min_len=2):
        covered[start:end] = [True] * (end - start)
    return covered


def correct(
    text: str, index: Optional[SoundIndex] = None, protect_common: bool = True
) -> Tuple[str, List[Tuple[str, str]]]:
    """Replace homophones of ``index``'s terms in ``text``; returns the text and (heard, meant) pairs."""
    index = index or domain_index()
    if not has_han(text):
        return text, []
    chars = list(text)
    known = _known_spans(chars, index)
    changes: List[Tuple[str, str]] = []
    i = 0
    while i < len(chars):
        for length in range(min(MAX_TERM, len(chars) - i), 1, -1):
            if any(known[i : i + length]):
                continue
            chunk = "".join(chars[i : i + length])
            if not all("\u4e00" <= c <= "\u9fff" for c in chunk):
                continue
            term = index.match(chunk)
            if term is None or (protect_common and _is_common_word(chunk)):
                continue
            if any(a != b and a in FUNCTION_CHARS for a, b in zip(chunk, term)):
                continue
            chars[i : i + length] = list(term)
            changes.append((chunk, term))
            i += length - 1
            break
        i += 1
    return "".join(chars), changes


def correct_payees(text: str, payee_names: Sequence[str]) -> Tuple[str, List[Tuple[str, str]]]:
    """张珊 → 张三 when the customer's payees sound alike (模糊音 too) and 张珊 is not a payee itself;
    domain words (账单, 理财 …) are never turned into names."""
    if not payee_names:
        return text, []
    domain = domain_index().terms
    index = SoundIndex([p for p in payee_names if p not in domain], fuzzy=True)
    index.terms |= {t for t in domain if t not in index.terms}  # known words are kept as they are
    return correct(text, index, protect_common=False)
