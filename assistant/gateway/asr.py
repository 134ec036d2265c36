"""Voice input: choose the recognizer's hypothesis that fits the banking domain best, and
correct names that sound like the customer's saved payees (张珊 → 张三)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Tuple

from assistant.gateway.errors import ApiError
from assistant.gateway.validation import clean_text
from assistant.nlu.homophones import correct_payees
from assistant.nlu.normalize import normalize_same_length
from assistant.nlu.vocabulary import category_keywords, product_terms

MAX_ALTERNATIVES = 10
# What one voice request may cost: the message and its best two alternatives are parsed (three
# parses), the rest are ignored; an alternative longer than a spoken request is refused.
MAX_PARSED_HYPOTHESES = 3
MAX_ALTERNATIVE_CHARS = 120
# How much each signal counts when ranking hypotheses.
W_ASR, W_NLU, W_DOMAIN = 0.4, 0.45, 0.15

ParseFn = Callable[[str], Awaitable[Dict[str, Any]]]


@dataclass(frozen=True)
class Hypothesis:
    text: str
    confidence: float


@dataclass
class Understanding:
    text: str
    heard: str
    corrections: List[Tuple[str, str]] = field(default_factory=list)
    scores: List[Dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> Dict[str, Any]:
        return {
            "understood_text": self.text,
            "heard_text": self.heard,
            "corrections": [{"heard": h, "meant": m} for h, m in self.corrections],
            "hypotheses": self.scores,
        }


def read_alternatives(message: str, asr: Any) -> List[Hypothesis]:
    """The hypotheses of a request, message first; malformed input is a 400."""
    if not isinstance(asr, dict) or not isinstance(asr.get("alternatives", []), list):
        raise ApiError(400, "invalid_asr", "asr 应为对象，alternatives 应为列表")
    raw = asr.get("alternatives") or []
    if len(raw) > MAX_ALTERNATIVES:
        raise ApiError(400, "invalid_asr", f"识别候选最多 {MAX_ALTERNATIVES} 条")
    out: List[Hypothesis] = []
    for item in raw:
        if not isinstance(item, dict):
            raise ApiError(400, "invalid_asr", "每条识别候选应包含 text 和 confidence")
        conf = item.get("confidence", 0.0)
        if isinstance(conf, bool) or not isinstance(conf, (int, float)) or not 0.0 <= float(conf) <= 1.0:
            raise ApiError(400, "invalid_asr", "confidence 应为 0 到 1 之间的数字")
        out.append(Hypothesis(clean_text(item.get("text"), "alternatives.text", MAX_ALTERNATIVE_CHARS), float(conf)))
    top = max((h.confidence for h in out if h.text == message), default=None)
    first = Hypothesis(message, top if top is not None else max((h.confidence for h in out), default=1.0))
    hypotheses, seen = [first], {message}
    for hyp in sorted(out, key=lambda h: -h.confidence):  # stable: the recognizer's order breaks ties
        if hyp.text not in seen and len(hypotheses) < MAX_PARSED_HYPOTHESES:
            seen.add(hyp.text)
            hypotheses.append(hyp)
    return hypotheses


def domain_coverage(text: str, extra_words: Sequence[str] = ()) -> float:
    """Share of characters inside known banking words (products, categories, payees)."""
    words = set(product_terms()) | set(category_keywords()) | set(extra_words)
    covered = [False] * len(text)
    for i in range(len(text)):
        for length in range(min(8, len(text) - i), 1, -1):
            if text[i : i + length] in words:
                covered[i : i + length] = [True] * length
                break
    return sum(covered) / len(text) if text else 0.0


async def understand(hypotheses: List[Hypothesis], payee_names: Sequence[str], parse: ParseFn) -> Understanding:
    """Rank hypotheses by recognizer confidence, the model's confidence and domain fit."""
    best: Optional[Tuple[float, str, str, List[Tuple[str, str]]]] = None
    scores = []
    for hyp in hypotheses:
        corrected, changes = correct_payees(normalize_same_length(hyp.text), payee_names)
        text = corrected if changes else hyp.text
        parsed = await parse(text)
        intent = parsed.get("intent") or {}
        nlu = (
            0.0 if intent.get("name") in (None, "nlu_fallback", "out_of_scope") else float(intent.get("confidence", 0))
        )
        fit = domain_coverage(normalize_same_length(text), payee_names)
        score = W_ASR * hyp.confidence + W_NLU * nlu + W_DOMAIN * fit
        scores.append(
            {
                "text": hyp.text,
                "asr": round(hyp.confidence, 3),
                "nlu": round(nlu, 3),
                "domain": round(fit, 3),
                "score": round(score, 3),
            }
        )
        if best is None or score > best[0]:
            best = (score, text, hyp.text, changes)
    assert best is not None
    return Understanding(text=best[1], heard=best[2], corrections=best[3], scores=scores)
