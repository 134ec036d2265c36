"""Answering from the catalog only when sure: one answer for a clear winner, choices otherwise.

A question about one service's fee must not get a neighbouring service's fee answer. Two signals
are fused: the lexical tiers of ``SearchService`` (an exact title or alias, a name standing in the
question) and sentence similarity (``SemanticIndex``, which matches paraphrases). The best entry is a
*clear winner* when its name is what the customer typed, or when it is both similar enough in
absolute terms and ahead of the runner-up by a margin; the thresholds are measured on the held-out
paraphrase set (``make eval-search``), see ``DEFAULT_THRESHOLDS``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from search_index.semantic import SemanticIndex
from search_index.service import TIER, Hit, SearchService

# Courtesy words before the question say nothing about which answer fits.
_COURTESY = re.compile(
    r"^(?:(?:你好|您好|喂|在吗|在不在|hi|hello|哈喽|客服|小助手|请问|问一下|问下|想问一下|想问下|我想问一下|我想问下|麻烦问一下|麻烦问下|打扰一下)[，,。.!！\s]*)+",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Thresholds:
    """When one entry may be answered or opened on its own."""

    # Measured on the held-out paraphrases (make eval-search): a margin of 0.03 keeps nine single
    # answers in ten right; 0.01–0.02 answered 13–34 % of them alone but only 65–70 % rightly.
    min_similarity: float = 0.90  # cosine of the best entry's closest name, with its lexical evidence
    min_margin: float = 0.03  # ahead of the runner-up by at least this
    # Lexical evidence added to the similarity: the customer typed the entry's name, or its whole name
    # stands in the question.
    exact_bonus: float = 0.08
    contains_bonus: float = 0.03
    keyword_bonus: float = 0.01
    preferred_type_bonus: float = 0.01


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class Lookup:
    """Candidates best first, and whether the first may be given as the single answer."""

    query: str
    hits: List[Hit]
    clear: bool
    reason: str
    scores: Dict[str, float] = field(default_factory=dict)
    similarity: float = 0.0  # of the best entry's closest name (with its lexical evidence)
    margin: float = 0.0  # ahead of the runner-up

    @property
    def top(self) -> Optional[Hit]:
        return self.hits[0] if self.hits else None


def strip_courtesy(text: str) -> str:
    return _COURTESY.sub("", text.strip()) or text.strip()


def _lexical_bonus(hit: Hit, t: Thresholds) -> float:
    if hit.tier <= TIER["alias"]:
        return t.exact_bonus
    if hit.tier <= TIER["keyword"] and hit.exactness >= 0.999:
        return t.contains_bonus
    if hit.tier <= TIER["keyword"]:
        return t.keyword_bonus
    return 0.0


def _named(lexical: Sequence[Hit], prefer: Sequence[str]) -> Optional[Hit]:
    """The entry the customer named: its title or an alias typed exactly, or (for a preferred type) its
    whole name standing in the message ("我想买大额存单"), and better matched than the runner-up.
    Weaker lexical matches (prefixes of words, pinyin, fuzzy) never decide alone."""
    if not lexical:
        return None
    top = lexical[0]
    ahead = len(lexical) == 1 or top.beats(lexical[1])
    if top.tier <= TIER["alias"] and ahead:
        return top
    if top.tier <= TIER["keyword"] and top.exactness >= 0.999 and top.type in prefer and ahead:
        return top
    return None


class KnowledgeBase:
    """Looks up the catalog for a customer's question or request."""

    def __init__(
        self, search: SearchService, semantic: SemanticIndex, thresholds: Thresholds = DEFAULT_THRESHOLDS
    ) -> None:
        self.search = search
        self.semantic = semantic
        self.thresholds = thresholds

    def lookup(
        self, text: str, prefer: Sequence[str] = ("faq",), limit: int = 3, types: Optional[Sequence[str]] = None
    ) -> Lookup:
        """The best ``limit`` entries for ``text``; ``prefer`` breaks near-ties by entry type."""
        t = self.thresholds
        query = strip_courtesy(text)
        lexical_ranked = self.search.search(query, limit=8, types=types)
        lexical = {h.id: h for h in lexical_ranked}
        neighbours = {n.id: n for n in self.semantic.nearest(query, k=8)}
        floor = min((n.similarity for n in neighbours.values()), default=0.0)
        scored: List[Tuple[float, Hit]] = []
        for entry_id in {*lexical, *neighbours}:
            hit = lexical.get(entry_id) or self.search.hit(entry_id, 0.0, "semantic")
            if hit is None or (types and hit.type not in types):
                continue
            similarity = neighbours[entry_id].similarity if entry_id in neighbours else floor
            score = similarity + _lexical_bonus(hit, t) + (t.preferred_type_bonus if hit.type in prefer else 0.0)
            scored.append((score, hit))
        scored.sort(key=lambda item: (-item[0], item[1].id))
        named = _named(lexical_ranked, prefer)
        if named is not None:  # the customer named it: it goes first, whatever the vectors say
            scored.sort(key=lambda item: item[1].id != named.id)
        hits = [hit for _score, hit in scored[:limit]]
        scores = {hit.id: round(score, 4) for score, hit in scored[:limit]}
        if not scored:
            return Lookup(query, [], False, "nothing found")
        best_score, best = scored[0]
        runner_up = max((score for score, hit in scored[1:]), default=0.0)
        similarity = (neighbours[best.id].similarity if best.id in neighbours else 0.0) + _lexical_bonus(best, t)
        margin = best_score - runner_up
        if named is not None:
            return Lookup(query, hits, True, "named", scores, similarity, margin)
        clear = similarity >= t.min_similarity and margin >= t.min_margin
        reason = f"{'similar' if clear else 'not sure: best'} {similarity:.3f}, ahead by {margin:.3f}"
        return Lookup(query, hits, clear, reason, scores, similarity, margin)
