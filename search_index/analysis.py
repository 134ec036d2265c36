"""Index- and query-time analysis: normalized names, words, prefixes and pinyin keys.

Everything a customer might type for a name is turned into terms here:
characters and their prefixes, jieba words, full pinyin (every plausible
reading, see assistant.base.pinyin), initials ("zz" and "zhzh"), and 模糊音 keys.
"""

from __future__ import annotations

import logging
import re
from typing import List

import jieba

from assistant.base.pinyin import (  # noqa: F401  (re-exported for the builder and the service)
    fuzzy_key,
    has_han,
    initials,
    readings,
    split_pinyin,
    syllables_of,
)
from assistant.base.textnorm import normalize

jieba.setLogLevel(logging.WARNING)

MAX_PREFIX = 24  # as-you-type prefixes are indexed up to this length

_SPLIT_RE = re.compile(r"[\s\u3000·•,，。.!！?？、;；:：()（）\[\]【】{}<>《》\"'“”‘’/\\|_+\-=*&^%$#@~`]+")


def clean(text: str) -> str:
    """Normalized text without spaces and punctuation: what names and queries are compared as."""
    return _SPLIT_RE.sub("", normalize(text))


def edge_ngrams(term: str, limit: int = MAX_PREFIX) -> List[str]:
    return [term[:i] for i in range(1, min(len(term), limit) + 1)]


def words(text: str) -> List[str]:
    """jieba words of normalized text (search mode, so long words also yield their parts)."""
    return [w for w in jieba.lcut_for_search(clean(text)) if w.strip()]


def joined(syllables: List[str]) -> str:
    return "".join(syllables)


def query_readings(query: str) -> List[List[str]]:
    """Syllable lists for a cleaned query: Han characters read, Latin letters split as pinyin."""
    units: List[List[str]] = []
    for token in re.findall(r"[\u4e00-\u9fff]+|[a-z]+|\d+|.", query):
        if has_han(token):
            units.append(syllables_of(token))
        elif token.isalpha():
            split = split_pinyin(token)
            units.append(split if split is not None else [token])
        else:
            units.append([token])
    base = [s for unit in units for s in unit]
    variants = [base]
    if has_han(query) and len(query) <= 8:
        variants.extend(r for r in readings(query)[1:] if r != base)
    return variants[:4]
