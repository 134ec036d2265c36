"""Text normalization shared by the NLU pipeline and the search index.

Full-width → half-width (NFKC), traditional → simplified (OpenCC tables shipped
in the package, nothing downloaded), variant characters folded (帐 → 账), case folded.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import opencc

# Variant or commonly confused characters that mean the same in banking text.
VARIANTS = str.maketrans({"帐": "账", "帳": "账", "賬": "账", "〇": "零", "妳": "你"})

_t2s = opencc.OpenCC("t2s")


@lru_cache(maxsize=4096)
def normalize(text: str) -> str:
    """The canonical form of ``text``; keeps length-changing steps to NFKC and OpenCC only."""
    text = unicodedata.normalize("NFKC", text)
    text = _t2s.convert(text)
    return text.translate(VARIANTS).lower()
