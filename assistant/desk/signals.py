"""Signs in the next message that the bot's last answer missed, though it did not fall back.

The fallback rate shows only the misses the bot knew about; a confident wrong answer shows in what the
customer does next: they say so ("不对", "我不是要转账"), ask the same thing again in other words right
away, or drop a task the bot had just started. The recorder files the earlier message in the trainers'
inbox with the sign as its reason.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Optional

from assistant.nlu.speech_act import TASK_INTENTS

CORRECTION = re.compile(
    r"^\s*(不对(?!称)|不是的?[，,。!！ ]|不是这个|不是这样|错了|搞错了|理解错了|你理解错|答非所问|我不是(要|想|问|说)|我没(说|要|让)"
    r"|我问的(是|不是)|我说的(是|不是)|没听懂|听不懂|文不对题|不是我要的)"
)
DROP_INTENTS = frozenset({"cancel", "deny"})
REPHRASE_WITHIN = timedelta(minutes=2)
MIN_SIMILARITY = 0.4
MIN_CHARS = 4


def says_wrong(text: str) -> bool:
    """The customer says the last answer was not what they meant."""
    return bool(CORRECTION.search(text))


def _bigrams(text: str) -> set:
    chars = [ch for ch in text if ch.isalnum()]
    return {a + b for a, b in zip(chars, chars[1:])} or set(chars)


def similarity(a: str, b: str) -> float:
    """Character-bigram overlap (Dice) of two messages: rewordings of one question share many."""
    x, y = _bigrams(a), _bigrams(b)
    return 2 * len(x & y) / (len(x) + len(y)) if x and y else 0.0


def rephrased(previous: str, current: str, gap: timedelta) -> bool:
    """The same request asked again in other words right away."""
    if gap > REPHRASE_WITHIN or previous.strip() == current.strip():
        return False
    if len(previous) < MIN_CHARS or len(current) < MIN_CHARS or current.startswith("/") or previous.startswith("/"):
        return False
    return similarity(previous, current) >= MIN_SIMILARITY


def abandoned(previous_intent: str, current_intent: str) -> bool:
    """A task the bot had just started, dropped at once."""
    return previous_intent in TASK_INTENTS and current_intent in DROP_INTENTS


def miss_reason(
    previous_text: str, previous_intent: str, current_text: str, current_intent: str, gap: timedelta
) -> Optional[str]:
    """Why the previous (answered) message probably missed, or None."""
    if says_wrong(current_text):
        return "said_wrong"
    if abandoned(previous_intent, current_intent):
        return "abandoned"
    if rephrased(previous_text, current_text, gap):
        return "rephrased"
    return None
