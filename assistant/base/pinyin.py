"""Pinyin of Chinese text for matching what customers type or say: every plausible reading of
polyphones (with a phrase dictionary for the banking words pypinyin reads wrong), initials,
模糊音 keys, and splitting typed pinyin into syllables. Shared by search and NLU."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import List, Optional, Sequence, Set, Tuple

from pypinyin import Style, load_phrases_dict, pinyin
from pypinyin.pinyin_dict import pinyin_dict

# Readings pypinyin gets wrong in banking words (its default for 还款 is "hai", for 重置 "zhong").
PHRASE_READINGS = {
    "还款": "huan kuan",
    "提前还款": "ti qian huan kuan",
    "信用卡还款": "xin yong ka huan kuan",
    "还信用卡": "huan xin yong ka",
    "还贷": "huan dai",
    "还钱": "huan qian",
    "重置": "chong zhi",
    "重置密码": "chong zhi mi ma",
    "重新": "chong xin",
    "银行": "yin hang",
    "行长": "hang zhang",
    "网银": "wang yin",
    "支行": "zhi hang",
    "分行": "fen hang",
    "单笔": "dan bi",
    "存单": "cun dan",
    "大额存单": "da e cun dan",
    "账单": "zhang dan",
    "调整": "tiao zheng",
    "调额": "tiao e",
    "提额": "ti e",
    "会员": "hui yuan",
    "公积金": "gong ji jin",
    "理财": "li cai",
}
load_phrases_dict({k: [[s] for s in v.split()] for k, v in PHRASE_READINGS.items()})

MAX_READINGS = 8  # alternative full readings kept per name

_HAN_RE = re.compile(r"[\u4e00-\u9fff]")


def has_han(text: str) -> bool:
    return bool(_HAN_RE.search(text))


@lru_cache(maxsize=65536)
def char_readings(ch: str) -> Tuple[str, ...]:
    """All toneless readings of one character, most common first."""
    if not _HAN_RE.match(ch):
        return (ch,)
    raw = pinyin_dict.get(ord(ch))
    if not raw:
        return (ch,)
    out: List[str] = []
    for syl in pinyin(ch, style=Style.NORMAL, heteronym=True)[0]:
        syl = syl.replace("ü", "v")
        if syl not in out:
            out.append(syl)
    return tuple(out)


def _each_character(chars: str) -> List[str]:
    """Characters without pinyin, one item each (as pypinyin's ``errors`` callback)."""
    return list(chars)


def syllables_of(text: str) -> List[str]:
    """The phrase-aware reading of ``text``: one syllable per Han character, Latin runs kept."""
    out: List[str] = []
    # pypinyin's stub types an ``errors`` callback as returning one str, but it accepts (and
    # documents) a list too: each item becomes its own entry.
    for item in pinyin(text, style=Style.NORMAL, errors=_each_character):  # type: ignore[arg-type]
        out.append(item[0].replace("ü", "v"))
    return out


def readings(text: str) -> List[List[str]]:
    """Plausible readings of ``text`` as syllable lists: the phrase-aware one first, then
    each polyphonic character read the other ways (one change at a time, bounded)."""
    base = syllables_of(text)
    found = [base]
    seen = {tuple(base)}
    chars = list(text)
    if len(chars) != len(base):  # Latin or mixed text: no per-character alternatives
        return found
    for i, ch in enumerate(chars):
        for alt in char_readings(ch):
            if alt == base[i]:
                continue
            variant = base[:i] + [alt] + base[i + 1 :]
            if tuple(variant) not in seen:
                seen.add(tuple(variant))
                found.append(variant)
    return found[:MAX_READINGS]


def initials(syllables: Sequence[str]) -> Set[str]:
    """Initials of a syllable list: first letters ("zz") and the zh/ch/sh form ("zhzh")."""
    first = "".join(s[0] for s in syllables if s)
    retro = "".join(s[:2] if s[:2] in ("zh", "ch", "sh") else s[:1] for s in syllables if s)
    return {first, retro}


_FINAL_FOLDS = (("ing", "in"), ("eng", "en"), ("ang", "an"))


def fuzzy_syllable(syl: str) -> str:
    """Fold the accent confusions input methods call 模糊音 into one key."""
    for retro, flat in (("zh", "z"), ("ch", "c"), ("sh", "s")):
        if syl.startswith(retro):
            syl = flat + syl[2:]
            break
    if syl.startswith("n") and syl != "ng":
        syl = "l" + syl[1:]
    for long, short in _FINAL_FOLDS:
        if syl.endswith(long):
            syl = syl[: -len(long)] + short
            break
    return syl


def fuzzy_key(syllables: Sequence[str]) -> str:
    return "".join(fuzzy_syllable(s) for s in syllables)


@lru_cache(maxsize=1)
def _valid_syllables() -> frozenset:
    """Every toneless syllable pypinyin knows: used to split typed pinyin into syllables."""
    out = set()
    for raw in pinyin_dict.values():
        for syl in raw.split(","):
            out.add(_strip_tone(syl))
    return frozenset(s for s in out if s.isalpha())


_TONE_TABLE = str.maketrans(
    {
        **dict.fromkeys("āáǎà", "a"),
        **dict.fromkeys("ōóǒò", "o"),
        **dict.fromkeys("ēéěèê", "e"),
        **dict.fromkeys("īíǐì", "i"),
        **dict.fromkeys("ūúǔù", "u"),
        **dict.fromkeys("ǖǘǚǜü", "v"),
        **dict.fromkeys("ńňǹ", "n"),
        **dict.fromkeys("ḿ", "m"),
    }
)


def _strip_tone(syl: str) -> str:
    return syl.strip().translate(_TONE_TABLE)


def split_pinyin(letters: str) -> Optional[List[str]]:
    """Split typed pinyin ("nicai") into syllables (["ni", "cai"]), preferring long syllables.

    The last piece may be an unfinished syllable (as-you-type). None when no split exists.
    """
    valid = _valid_syllables()
    n = len(letters)
    best: List[Optional[List[str]]] = [None] * (n + 1)
    best[n] = []
    for i in range(n - 1, -1, -1):
        for j in range(min(n, i + 6), i, -1):
            piece = letters[i:j]
            rest = best[j]
            if rest is not None and (piece in valid or (j == n and any(v.startswith(piece) for v in valid))):
                best[i] = [piece] + rest
                break
    return best[0]
