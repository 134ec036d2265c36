"""Choosing spans in text: dictionary words by longest match, and non-overlapping matches longest first."""

from __future__ import annotations

from typing import AbstractSet, List, Protocol, Tuple, TypeVar


class Span(Protocol):
    """Anything with a start and an end; read-only, so frozen dataclasses qualify."""

    @property
    def start(self) -> int: ...

    @property
    def end(self) -> int: ...


S = TypeVar("S", bound=Span)


def longest_matches(
    text: str, words: AbstractSet[str], max_len: int = 10, min_len: int = 1
) -> List[Tuple[int, int, str]]:
    """Non-overlapping occurrences of ``words`` in ``text``, left to right, the longest word at each place."""
    found: List[Tuple[int, int, str]] = []
    i = 0
    while i < len(text):
        hit = next(
            (
                (i, i + n, text[i : i + n])
                for n in range(min(max_len, len(text) - i), min_len - 1, -1)
                if text[i : i + n] in words
            ),
            None,
        )
        if hit:
            found.append(hit)
            i = hit[1]
        else:
            i += 1
    return found


def longest_first(spans: List[S]) -> List[S]:
    """Where spans overlap the longest wins (then the earlier); the kept spans in text order."""
    chosen: List[S] = []
    for span in sorted(spans, key=lambda s: (-(s.end - s.start), s.start)):
        if all(span.end <= c.start or span.start >= c.end for c in chosen):
            chosen.append(span)
    return sorted(chosen, key=lambda s: s.start)
