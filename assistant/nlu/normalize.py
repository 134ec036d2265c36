"""Length-preserving normalization, so entity spans found on the normalized text are
also spans of what the customer wrote."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import List, Tuple

from assistant.base.textnorm import normalize

# Sounds of hesitation in speech transcripts; ignored wherever they stand.
FILLER_WORDS = ("嗯嗯", "呃呃", "嗯", "呃", "额", "唔", "emmm", "emm", "em")
# Words that are fillers only at the start of an utterance ("那个帮我看一下…").
LEADING_FILLERS = ("那个", "这个", "就是", "然后", "那么", "那", "啊", "哦", "噢", "诶", "欸", "哎")


@lru_cache(maxsize=65536)
def _char(ch: str) -> str:
    out = normalize(ch)
    return out if len(out) == 1 else ch


@lru_cache(maxsize=8192)
def normalize_same_length(text: str) -> str:
    """Full-width → half-width, traditional → simplified, 帐 → 账, lower case; one char for one char."""
    whole = normalize(text)
    if len(whole) == len(text):
        return whole
    return "".join(_char(ch) for ch in text)


def filler_spans(text: str) -> List[Tuple[int, int]]:
    """Character spans of filler words: hesitation sounds anywhere, discourse fillers at the start."""
    spans: List[Tuple[int, int]] = []
    pattern = "|".join(re.escape(w) for w in FILLER_WORDS)
    for m in re.finditer(pattern, text):
        spans.append((m.start(), m.end()))
    pos = 0
    punctuation = " ,，.。!！?？、~～…"
    while pos < len(text):
        while pos < len(text) and text[pos] in punctuation:
            pos += 1
        covered = next((e for s, e in spans if s == pos), None)
        if covered is not None:
            pos = covered
            continue
        word = next((w for w in LEADING_FILLERS if text.startswith(w, pos)), None)
        if word is None:
            break
        # "那个账户" keeps its 那个: a filler is followed by another filler, punctuation or a verb-ish start.
        rest = text[pos + len(word) :]
        if word in ("那个", "这个", "那") and rest[:1] and rest[:1] not in punctuation and not _starts_request(rest):
            break
        spans.append((pos, pos + len(word)))
        pos += len(word)
    return sorted(set(spans))


_REQUEST_STARTS = (
    "帮",
    "我",
    "给",
    "查",
    "看",
    "请",
    "你",
    "麻烦",
    "转",
    "想",
    "要",
    "能",
    "可以",
    "怎么",
    "今天",
    "昨天",
    "嗯",
    "呃",
    "额",
    "就是",
    "然后",
    "那个",
)


def _starts_request(rest: str) -> bool:
    return rest.startswith(_REQUEST_STARTS)
