"""Query side of smart search: matching in tiers, ranking, and hot reload of new index generations.

A query is matched in stages, each a set of exact Whoosh term look-ups (no query
parser, so no query syntax reaches Whoosh). Every hit keeps its best match kind:

    title > alias > prefix > keyword > pinyin > fuzzy

and inside a kind, how exact the match was; then popularity (base plus learned
clicks), then the customer's own clicks.
"""
from __future__ import annotations

import math
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import jieba
from whoosh import index as whoosh_index
from whoosh.query import FuzzyTerm, Query, Term

from search_index import analysis as an
from search_index.store import POINTER, current_generation

KINDS = ("title", "alias", "prefix", "keyword", "pinyin", "fuzzy")
TIER = {kind: i for i, kind in enumerate(KINDS)}
MAX_QUERY_CHARS = 100  # after cleaning; longer input is refused by the API layer
STOP_CHARS_WORDS = frozenset(
    "我 想 要 我想 我要 想要 请 请问 帮 帮我 一下 怎么 怎样 如何 的 了 吗 呢 啊 吧 呀 在 哪 哪里 哪儿 在哪 在哪里 "
    "有 有没有 什么 办 办理 去 能 能不能 可以 给 用 是 个 那个 这个 嗯 呃 买 想买 购买 交 缴 查 查查 查看 看 看看".split()
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

    def to_json(self) -> Dict[str, object]:
        out: Dict[str, object] = {"id": self.id, "type": self.type, "title": self.title, "subtitle": self.subtitle,
                                  "deeplink": self.deeplink, "score": round(self.score, 3), "match": self.match}
        if self.answer:
            out["answer"] = self.answer
        return out


@dataclass
class _Loaded:
    generation: Path
    pointer_stamp: Tuple[int, int]
    searcher: object
    docs: List[Dict[str, object]]  # stored fields by docnum, read once at open


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
            docs = [dict(fields) for fields in searcher.all_stored_fields()]
            self._loaded = _Loaded(generation, stamp or (0, 0), searcher, docs)
            return self._loaded

    def health(self) -> Dict[str, object]:
        try:
            loaded = self._current()
        except SearchUnavailable as exc:
            return {"ok": False, "detail": str(exc)}
        except Exception as exc:  # a corrupt index is "down", not a crash
            return {"ok": False, "detail": type(exc).__name__}
        return {"ok": True, "entries": len(loaded.docs), "generation": loaded.generation.name}

    def entry(self, entry_id: str) -> Optional[Dict[str, object]]:
        for doc in self._current().docs:
            if doc["id"] == entry_id:
                return doc
        return None

    # ------------------------------------------------------------ matching
    def _match(self, q: str, loaded: _Loaded) -> _Matches:
        s = loaded.searcher
        found = _Matches()

        def docs(query: Query) -> List[int]:
            return list(s.docs_for_query(query))

        found.add(docs(Term("title_exact", q)), "title", 1.0)
        found.add(docs(Term("alias_exact", q)), "alias", 1.0)
        found.add(docs(Term("name_prefix", q)), "prefix", 0.5)
        if an.has_han(q):
            self._keyword_coverage(q, docs, found)
        self._pinyin(q, docs, found)
        return found

    def _keyword_coverage(self, q: str, docs: Callable[[Query], List[int]], found: _Matches) -> None:
        """Share of the query's content characters covered by words found in each entry."""
        content = [i for i, _ in enumerate(q)]
        covered: Dict[int, set] = {}
        stop_positions = set()
        for word, start, end in jieba.tokenize(q, mode="search"):
            if word in STOP_CHARS_WORDS:
                stop_positions.update(range(start, end))
                continue
            hits = set(docs(Term("words", word)))
            if len(word) == 1:
                hits |= set(docs(Term("chars", word)))
            for doc in hits:
                covered.setdefault(doc, set()).update(range(start, end))
        content = [i for i in content if i not in stop_positions] or content
        total = len(content)
        for doc, positions in covered.items():
            share = len(positions.intersection(content)) / total
            if share >= 0.999:
                found.add((doc,), "keyword", 1.0)
            elif share >= 0.5:
                found.add((doc,), "fuzzy", 0.5 * share, "partial")

    def _pinyin(self, q: str, docs: Callable[[Query], List[int]], found: _Matches) -> None:
        han = an.has_han(q) and not re.search(r"[a-z]", q)
        # Chinese text matched through its sound is a homophone: a fuzzy match, not a pinyin one.
        kind, label = ("fuzzy", "homophone") if han else ("pinyin", "pinyin")
        for i, syllables in enumerate(an.query_readings(q)):
            key = an.joined(syllables)
            if not key or not key.isascii():
                continue
            weight = 1.0 if i == 0 else 0.9
            found.add(docs(Term("py", key)), kind, 0.95 * weight if han else 1.0 * weight, label)
            found.add(docs(Term("py_prefix", key)), kind, 0.6 * weight, label)
            fkey = an.fuzzy_key(syllables)
            found.add(docs(Term("pyf", fkey)), "fuzzy", 0.8 * weight, "fuzzy_pinyin")
            found.add(docs(Term("pyf_prefix", fkey)), "fuzzy", 0.45 * weight, "fuzzy_pinyin")
            if i == 0 and len(key) >= 4 and key.isalpha():
                maxdist = 1 if len(key) <= 4 else 2
                found.add(docs(FuzzyTerm("py", key, maxdist=maxdist, prefixlength=0)), "fuzzy", 0.4, "typo")

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
        found = self._match(q, loaded)
        popularity_boost = popularity_boost or {}
        personal_boost = personal_boost or {}
        ranked = []
        for doc, (tier, exactness, label) in found.best.items():
            fields = loaded.docs[doc]
            if types and fields["type"] not in types:
                continue
            entry_id = str(fields["id"])
            pop = math.log1p(float(fields.get("popularity", 0)) + popularity_boost.get(entry_id, 0.0))
            mine = personal_boost.get(entry_id, 0.0)
            exact = self._exactness(q, fields, label, exactness)
            within = exact * 10 + min(pop, 5.0) + min(mine, 1.0) * 6
            score = (len(KINDS) - tier) * 100 + within
            ranked.append((-score, entry_id, fields, label))
        ranked.sort(key=lambda r: (r[0], r[1]))
        return [self._hit(fields, -neg, label) for neg, _, fields, label in ranked[: max(1, limit)]]

    @staticmethod
    def _exactness(q: str, fields: Mapping[str, object], label: str, exactness: float) -> float:
        """A prefix that covers more of the name is a better prefix."""
        if label != "prefix":
            return exactness
        names: Sequence[str] = fields["payload"].get("names", ())  # type: ignore[union-attr]
        lengths = [len(n) for n in names if n.startswith(q)]
        return 0.5 + 0.5 * (len(q) / min(lengths)) if lengths else exactness

    @staticmethod
    def _hit(fields: Mapping[str, object], score: float, label: str) -> Hit:
        payload = fields["payload"]  # type: ignore[assignment]
        return Hit(id=str(fields["id"]), type=str(fields["type"]), title=payload["title"],
                   subtitle=payload.get("subtitle", ""), deeplink=payload["deeplink"], score=score, match=label,
                   answer=payload.get("answer", ""), channel=payload.get("channel", ""),
                   attributes=payload.get("attributes", {}))


_SAFE_QUERY_RE = re.compile(r"[\x00-\x1f\x7f]")


def strip_controls(text: str) -> str:
    return _SAFE_QUERY_RE.sub("", text)
