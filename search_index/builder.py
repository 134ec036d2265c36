"""Builds a Whoosh index from catalog entries and publishes it atomically.

``make index`` (assistant/ops/steps/index.py) builds from the catalog files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Iterable, List, Set

from whoosh import index as whoosh_index
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, Schema

from search_index import analysis as an
from search_index.catalog import Entry
from search_index.semantic import write_vectors
from search_index.store import new_generation_dir, publish


def make_schema() -> Schema:
    kw = dict(lowercase=False, commas=False)
    return Schema(
        id=ID(stored=True, unique=True),
        type=ID(stored=True),
        title_exact=ID,
        alias_exact=KEYWORD(**kw),
        name_prefix=KEYWORD(**kw),
        words=KEYWORD(scorable=True, **kw),
        chars=KEYWORD(**kw),
        py=KEYWORD(**kw),  # pinyin and initials of whole names (title, aliases), usual reading
        py_prefix=KEYWORD(**kw),
        pyw=KEYWORD(**kw),  # words inside names, and other readings of polyphones
        pyw_prefix=KEYWORD(**kw),
        pyf=KEYWORD(**kw),
        pyf_prefix=KEYWORD(**kw),
        popularity=NUMERIC(float, stored=True),
        payload=STORED,
    )


def _terms(values: Iterable[str]) -> str:
    seen: Dict[str, None] = {}
    for v in values:
        if v and " " not in v:
            seen.setdefault(v, None)
    return " ".join(seen)


def entry_document(entry: Entry) -> Dict[str, object]:
    """Every term a customer might type for this entry, field by field."""
    names = [an.clean(n) for n in entry.names if an.clean(n)]
    name_words: Set[str] = set()
    for name in names:
        name_words.update(w for w in an.words(name) if len(w) > 1)
    keyword_words = {w for k in entry.keywords for w in an.words(k)} | {an.clean(k) for k in entry.keywords}

    def pinyin_terms(texts: List[str], alternatives: bool) -> List[str]:
        """Joined pinyin and initials of the usual reading, or of the other plausible readings."""
        terms: List[str] = []
        for text in texts:
            all_readings = an.readings(text)
            for syllables in all_readings[1:] if alternatives else all_readings[:1]:
                terms.append(an.joined(syllables))
                terms.extend(an.initials(syllables))
        return terms

    word_list = sorted(w for w in name_words if w not in names)
    # Whole names read the usual way rank first; words inside names and rarer readings of
    # polyphones (查账 read "zha zhang") still match, one step lower.
    py_names = pinyin_terms(names, alternatives=False)
    py_words = pinyin_terms(word_list, alternatives=False) + pinyin_terms([*names, *word_list], alternatives=True)
    py_fuzzy = [an.fuzzy_key(r) for text in [*names, *word_list] for r in an.readings(text)]

    return {
        "id": entry.id,
        "type": entry.type,
        "title_exact": names[0],
        "alias_exact": _terms(names[1:]),
        "name_prefix": _terms(p for n in names for p in an.edge_ngrams(n)),
        "words": _terms([*names, *name_words, *keyword_words]),
        "chars": _terms(ch for text in [*names, *keyword_words] for ch in text),
        "py": _terms(py_names),
        "py_prefix": _terms(p for t in py_names for p in an.edge_ngrams(t)),
        "pyw": _terms(py_words),
        "pyw_prefix": _terms(p for t in py_words for p in an.edge_ngrams(t)),
        "pyf": _terms(py_fuzzy),
        "pyf_prefix": _terms(p for t in py_fuzzy for p in an.edge_ngrams(t)),
        "popularity": float(entry.popularity),
        "payload": {
            "title": entry.title,
            "subtitle": entry.subtitle,
            "deeplink": entry.deeplink,
            "channel": entry.channel,
            "answer": entry.answer,
            "attributes": entry.attributes,
            "names": names,
        },
    }


def build_index(entries: List[Entry], root: Path, with_vectors: bool = True) -> Path:
    """Write a complete new generation under ``root`` and make it live; returns its path.
    ``with_vectors=False`` leaves out the sentence vectors (a lexical-only index, for benchmarks)."""
    generation = new_generation_dir(root)
    ix = whoosh_index.create_in(str(generation), make_schema())
    writer = ix.writer(limitmb=256)
    for entry in entries:
        writer.add_document(**entry_document(entry))
    writer.commit()
    if with_vectors:
        write_vectors(entries, generation)  # in the same generation: terms and vectors swap in together
    publish(root, generation)
    return generation
