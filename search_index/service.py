"""Query side of smart search: matching in tiers, ranking, and hot reload of new index generations.

A query is matched in stages, each a set of exact Whoosh term look-ups (no query
parser, so no query syntax reaches Whoosh). Every hit keeps its best match kind:

    title > alias > prefix > keyword > pinyin > fuzzy

and inside a kind, how exact the match was; then popularity (base plus learned
clicks), then the customer's own clicks.
"""

from __future__ import annotations

import heapq
import math
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple, TypedDict

import jieba
from whoosh import index as whoosh_index
from whoosh.query import FuzzyTerm, Query, Term
from whoosh.searching import Searcher

from search_index import analysis as an
from search_index.store import POINTER, current_generation

KINDS = ("title", "alias", "prefix", "keyword", "pinyin", "fuzzy")
TIER = {kind: i for i, kind in enumerate(KINDS)}
MAX_QUERY_CHARS = 100  # after cleaning; longer input is refused by the API layer
STOP_CHARS_WORDS = frozenset(
    [
        "我",
        "想",
        "要",
        "我想",
        "我要",
        "想要",
        "请",
        "请问",
        "帮",
        "帮我",
        "一下",
        "怎么",
        "怎样",
        "如何",
        "的",
        "了",
        "吗",
        "呢",
        "啊",
        "吧",
        "呀",
        "在",
        "哪",
        "哪里",
        "哪儿",
        "在哪",
        "在哪里",
        "有",
        "有没有",
        "什么",
        "办",
        "办理",
        "去",
        "能",
        "能不能",
        "可以",
        "给",
        "用",
        "是",
        "个",
        "那个",
        "这个",
        "嗯",
        "呃",
        "买",
        "想买",
        "购买",
        "交",
        "缴",
        "查",
        "查查",
        "查看",
        "看",
        "看看",
    ]
)


class SearchUnavailable(RuntimeError):
    """No index has been built yet (run ``make index``)."""


@dataclass(frozen=True)
class Hit:
    id: str
    type: str
    title: str
    subtitle: str
    deeplink: str
    score: float
    match: str
    answer: str = ""
    channel: str = ""
    attributes: Mapping[str, object] = field(default_factory=dict)
    tier: int = 0  # index in KINDS of the match kind
    exactness: float = 0.0  # how exact the match was within its kind

    def beats(self, other: Hit) -> bool:
        """Strictly better match than ``other`` (kind first, then exactness), popularity aside."""
        return (self.tier, -round(self.exactness, 3)) < (other.tier, -round(other.exactness, 3))

    def to_json(self) -> Dict[str, object]:
        out: Dict[str, object] = {
            "id": self.id,
            "type": self.type,
            "title": self.title,
            "subtitle": self.subtitle,
            "deeplink": self.deeplink,
            "score": round(self.score, 3),
            "match": self.match,
        }
        if self.answer:
            out["answer"] = self.answer
        return out


class Payload(TypedDict):
    """What an entry keeps for display (written by ``builder.entry_document``)."""

    title: str
    subtitle: str
    deeplink: str
    channel: str
    answer: str
    attributes: Dict[str, Any]
    names: List[str]


class Fields(TypedDict):
    """An entry's stored fields (written by ``builder.entry_document``; Whoosh reads them back untyped)."""

    id: str
    type: str
    popularity: float
    payload: Payload


class Stored(Fields):
    """The stored fields with the entry's document number, as the service keeps them."""

    _docnum: int


def _numbered(fields: Fields, docnum: int) -> Stored:
    return {**fields, "_docnum": docnum}


@dataclass
class _Loaded:
    generation: Path
    pointer_stamp: Tuple[int, int]
    searcher: Searcher
    docs: List[Stored]  # stored fields by docnum, read once at open
    by_id: Dict[str, Stored] = field(default_factory=dict)
    base_popularity: List[float] = field(default_factory=list)  # log1p(popularity) by docnum
    shortest_name: List[int] = field(default_factory=list)  # for "how much of the name a prefix covers"


class _Matches:
    """Best (tier, exactness, kind label) per document."""

    def __init__(self) -> None:
        self.best: Dict[int, Tuple[int, float, str]] = {}

    def add(self, docnums: Iterable[int], kind: str, exactness: float, label: Optional[str] = None) -> None:
        tier = TIER[kind]
        for doc in docnums:
            old = self.best.get(doc)
            if old is None or (tier, -exactness) < (old[0], -old[1]):
                self.best[doc] = (tier, exactness, label or kind)


class SearchService:
    """Thread-safe searcher over the live index generation; reopens when a new one is published."""

    def __init__(self, root: Path, reload_check_s: float = 0.5) -> None:
        self.root = Path(root)
        self.reload_check_s = reload_check_s
        self._loaded: Optional[_Loaded] = None
        self._checked_at = 0.0
        self._lock = threading.Lock()

    # ------------------------------------------------------------ lifecycle
    def _pointer_stamp(self) -> Optional[Tuple[int, int]]:
        try:
            st = os.stat(self.root / POINTER)
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_ino)

    def _current(self) -> _Loaded:
        now = time.monotonic()
        loaded = self._loaded
        if loaded is not None and now - self._checked_at < self.reload_check_s:
            return loaded
        with self._lock:
            self._checked_at = now
            stamp = self._pointer_stamp()
            if loaded is not None and stamp == loaded.pointer_stamp:
                return loaded
            generation = current_generation(self.root)
            if generation is None:
                if loaded is not None:
                    return loaded
                raise SearchUnavailable("search index not built")
            ix = whoosh_index.open_dir(str(generation))
            searcher = ix.searcher()
            docs = [_numbered(fields, n) for n, fields in enumerate(searcher.all_stored_fields())]
            self._loaded = _Loaded(
                generation,
                stamp or (0, 0),
                searcher,
                docs,
                {str(d["id"]): d for d in docs},
                [math.log1p(float(d.get("popularity", 0))) for d in docs],
                [min((len(n) for n in d["payload"].get("names", ()) if n), default=1) for d in docs],
            )
            return self._loaded

    def health(self) -> Dict[str, object]:
        try:
            loaded = self._current()
        except SearchUnavailable as exc:
            return {"ok": False, "detail": str(exc)}
        except Exception as exc:  # a corrupt index is "down", not a crash
            return {"ok": False, "detail": type(exc).__name__}
        return {"ok": True, "entries": len(loaded.docs), "generation": loaded.generation.name}

    def entry(self, entry_id: str) -> Optional[Stored]:
        return self._current().by_id.get(entry_id)

    def hit(self, entry_id: str, score: float, match: str) -> Optional[Hit]:
        """The entry as a hit found by other means (``match`` says which), e.g. by sentence similarity."""
        stored = self.entry(entry_id)
        return None if stored is None else self._hit(stored, score, match, TIER["fuzzy"], 0.0)

    # ------------------------------------------------------------ matching
    def _match(self, q: str, loaded: _Loaded, enough: Optional[int] = None) -> _Matches:
        """All matches of ``q``; the fuzzy stage is skipped when ``enough`` better matches exist,
        since fuzzy matches rank below every other kind."""
        s = loaded.searcher
        found = _Matches()

        def docs(query: Query) -> List[int]:
            return list(s.docs_for_query(query))

        found.add(docs(Term("title_exact", q)), "title", 1.0)
        found.add(docs(Term("alias_exact", q)), "alias", 1.0)
        found.add(docs(Term("name_prefix", q)), "prefix", 0.5)
        if an.has_han(q):
            self._keyword_coverage(q, docs, found, loaded.docs)
        chinese = an.has_han(q) and not re.search(r"[a-z]", q)
        if not chinese:
            self._sound(q, docs, found, "pinyin", "pinyin")  # typed pinyin: full, initials, as-you-type
        if enough is None or sum(1 for t, _, _ in found.best.values() if t < TIER["fuzzy"]) < enough:
            if chinese:
                self._sound(q, docs, found, "fuzzy", "homophone")  # Chinese matched by its sound
            self._fuzzy_keys(q, docs, found)
        return found

    def _keyword_coverage(
        self, q: str, docs: Callable[[Query], List[int]], found: _Matches, stored: List[Stored]
    ) -> None:
        """Share of the query's content characters covered by words found in each entry; an entry
        whose whole name stands in the query ("我想买大额存单") is the best keyword match."""
        content = [i for i, _ in enumerate(q)]
        covered: Dict[int, Set[int]] = {}
        by_word: Set[int] = set()  # entries a word of two or more characters matched
        stop_positions: Set[int] = set()
        for word, start, end in jieba.tokenize(q, mode="search"):
            if word in STOP_CHARS_WORDS:
                stop_positions.update(range(start, end))
                continue
            hits = set(docs(Term("words", word)))
            if len(word) > 1:
                by_word |= hits
            else:
                hits |= set(docs(Term("chars", word)))
            for doc in hits:
                covered.setdefault(doc, set()).update(range(start, end))
        content = [i for i in content if i not in stop_positions] or content
        total = len(content)
        for doc, positions in covered.items():
            share = len(positions.intersection(content)) / total
            if doc not in by_word and total > 1:
                # Only loose characters, maybe of different words ("里财": 哪里 + 理财): at best partial.
                found.add((doc,), "fuzzy", 0.4 * share, "partial")
            elif share >= 0.999:
                names = stored[doc]["payload"].get("names", ())
                found.add((doc,), "keyword", 1.0 if any(n in q for n in names) else 0.8)
            elif share >= 0.5:
                found.add((doc,), "fuzzy", 0.5 * share, "partial")

    @staticmethod
    def _sound(q: str, docs: Callable[[Query], List[int]], found: _Matches, kind: str, label: str) -> None:
        """Whole names, their initials and as-you-type prefixes, by the pinyin of the query."""
        han = label == "homophone"
        for i, syllables in enumerate(an.query_readings(q)):
            key = an.joined(syllables)
            if not key or not key.isascii():
                continue
            w = (0.95 if han else 1.0) * (1.0 if i == 0 else 0.9)
            found.add(docs(Term("py", key)), kind, 1.0 * w, label)  # a whole name, exactly
            found.add(docs(Term("py_prefix", key)), kind, 0.6 * w, label)  # as-you-type
            found.add(docs(Term("pyw", key)), kind, 0.7 * w, label)  # a word inside a name
            if len(key) > 1:  # one typed letter means the first letter of a name, not of any word in it
                found.add(docs(Term("pyw_prefix", key)), kind, 0.4 * w, label)

    @staticmethod
    def _fuzzy_keys(q: str, docs: Callable[[Query], List[int]], found: _Matches) -> None:
        """模糊音 keys (z/zh, n/l, in/ing …) and typed-pinyin slips (swapped or extra letters)."""
        for i, syllables in enumerate(an.query_readings(q)):
            key = an.joined(syllables)
            if not key or not key.isascii():
                continue
            w = 1.0 if i == 0 else 0.9
            fkey = an.fuzzy_key(syllables)
            found.add(docs(Term("pyf", fkey)), "fuzzy", 0.8 * w, "fuzzy_pinyin")
            found.add(docs(Term("pyf_prefix", fkey)), "fuzzy", 0.45 * w, "fuzzy_pinyin")
            if i == 0 and len(key) >= 4 and key.isalpha():
                for variant in _typo_variants(key):
                    found.add(docs(Term("py", variant)) + docs(Term("pyw", variant)), "fuzzy", 0.4, "typo")
                    if len(variant) >= 5:
                        found.add(docs(Term("py_prefix", variant)), "fuzzy", 0.3, "typo")
        if not found.best:
            # Nothing at all: one edit anywhere, the first letter included (slow, so last).
            key = an.joined(an.query_readings(q)[0])
            if 4 <= len(key) <= 12 and key.isascii() and key.isalpha():
                found.add(docs(FuzzyTerm("py", key, maxdist=1, prefixlength=0)), "fuzzy", 0.3, "typo")

    # ------------------------------------------------------------ ranking
    def search(
        self,
        query: str,
        limit: int = 10,
        types: Optional[Sequence[str]] = None,
        popularity_boost: Optional[Mapping[str, float]] = None,
        personal_boost: Optional[Mapping[str, float]] = None,
    ) -> List[Hit]:
        """Ranked hits for a raw query; empty for a query with nothing searchable."""
        q = an.clean(query)[:MAX_QUERY_CHARS]
        if not q:
            return []
        loaded = self._current()
        found = self._match(q, loaded, enough=None if types else limit)
        popularity_boost = popularity_boost or {}
        personal_boost = personal_boost or {}
        docs, base, shortest = loaded.docs, loaded.base_popularity, loaded.shortest_name
        clicked: Dict[int, str] = {}
        for entry_id in {*popularity_boost, *personal_boost}:
            stored = loaded.by_id.get(entry_id)
            if stored is not None:
                clicked[int(stored["_docnum"])] = entry_id
        wanted = set(types) if types else None
        n_kinds = len(KINDS)

        def exact_of(doc: int, exactness: float, label: str) -> float:
            # A prefix that covers more of the name is a better prefix.
            return 0.5 + 0.5 * min(1.0, len(q) / shortest[doc]) if label == "prefix" else exactness

        def score(doc: int, tier: int, exactness: float) -> float:
            pop, mine = base[doc], 0.0
            if doc in clicked:
                entry_id = clicked[doc]
                pop = math.log1p(math.expm1(pop) + popularity_boost.get(entry_id, 0.0))
                mine = min(personal_boost.get(entry_id, 0.0), 1.0)
            return (n_kinds - tier) * 100 + exactness * 10 + min(pop, 5.0) + mine * 6

        ranked = []
        for doc, (tier, exactness, label) in found.best.items():
            if wanted is not None and docs[doc]["type"] not in wanted:
                continue
            exact = exact_of(doc, exactness, label)
            ranked.append((score(doc, tier, exact), -doc, tier, exact, label))
        top = heapq.nlargest(max(1, limit), ranked)
        return [self._hit(docs[-neg_doc], value, label, tier, exact) for value, neg_doc, tier, exact, label in top]

    @staticmethod
    def _hit(fields: Stored, score: float, label: str, tier: int, exactness: float) -> Hit:
        payload = fields["payload"]
        return Hit(
            id=str(fields["id"]),
            type=str(fields["type"]),
            title=payload["title"],
            subtitle=payload.get("subtitle", ""),
            deeplink=payload["deeplink"],
            score=score,
            match=label,
            answer=payload.get("answer", ""),
            channel=payload.get("channel", ""),
            attributes=payload.get("attributes", {}),
            tier=tier,
            exactness=exactness,
        )


def _typo_variants(key: str) -> List[str]:
    """Typed pinyin with one slip undone: two neighbours swapped ("licia") or one letter too many."""
    swaps = {key[:i] + key[i + 1] + key[i] + key[i + 2 :] for i in range(len(key) - 1) if key[i] != key[i + 1]}
    drops = {key[:i] + key[i + 1 :] for i in range(len(key))} if len(key) >= 5 else set()
    return sorted((swaps | drops) - {key})
