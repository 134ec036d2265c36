"""Benchmark: search and as-you-type suggest latency (p50/p99) and queries per second, one process,
at the real catalog size and at 20,000 synthetic entries.

    .venv/bin/python -m bench.search_bench

Targets (2 CPU cores): p99 ≤ 10 ms at the real size, ≤ 30 ms at 20,000 entries (lexical index); the
knowledge base's lookup of a question (sentence vector + lexical tiers, real catalog) p99 ≤ 50 ms.
Synthetic entries are made of real dictionary words (jieba's, shipped in the package) so their
pinyin, initials and prefixes spread over the index as real names do.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import List

import jieba
import yaml

from assistant.base.config import REPO_ROOT
from bench.common import summary
from search_index.builder import build_index
from search_index.catalog import Entry, load_catalog
from search_index.knowledge import KnowledgeBase
from search_index.semantic import SemanticIndex
from search_index.service import SearchService

SUFFIXES = ("服务", "专区", "产品", "计划", "卡", "贷", "宝", "通", "险", "理财")


def dictionary_words(n: int, rng: random.Random) -> List[str]:
    path = Path(jieba.__file__).parent / "dict.txt"
    words = [
        line.split()[0]
        for line in path.read_text(encoding="utf-8").splitlines()
        if 2 <= len(line.split()[0]) <= 4 and int(line.split()[1]) > 50
    ]
    return rng.sample(words, n)


def synthetic_catalog(size: int, seed: int = 20_000) -> List[Entry]:
    rng = random.Random(seed)
    real = load_catalog()
    words = dictionary_words(size * 2, rng)
    out = list(real)
    for i in range(size - len(real)):
        title = words[2 * i] + rng.choice(SUFFIXES)
        out.append(
            Entry(
                id=f"syn.{i}",
                type=rng.choice(("function", "product", "life", "faq")),
                title=title,
                channel="首页",
                deeplink=f"app://synthetic/{i}",
                popularity=rng.uniform(0, 60),
                aliases=(words[2 * i + 1],),
                keywords=(rng.choice(words),),
                answer="示例答案" if i % 4 == 3 else "",
            )
        )
    return out


def query_mix() -> List[str]:
    items = yaml.safe_load((REPO_ROOT / "tests" / "search" / "queries.yml").read_text(encoding="utf-8"))["queries"]
    return [str(q["q"]) for q in items]


def typed_prefixes(queries: List[str]) -> List[str]:
    """What the suggest endpoint sees while people type the queries, key by key."""
    return [q[:i] for q in queries for i in range(1, len(q) + 1)]


def run(service: SearchService, queries: List[str], rounds: int) -> dict:
    for q in queries[:50]:  # warm-up: caches, lazy loads
        service.search(q, limit=10)
    samples = []
    for _ in range(rounds):
        for q in queries:
            t0 = time.perf_counter()
            service.search(q, limit=10)
            samples.append((time.perf_counter() - t0) * 1000)
    return summary(samples)


def report(label: str, s: dict, target_ms: float) -> None:
    ok = "OK" if s["p99_ms"] <= target_ms else "MISSED"
    print(
        f"  {label:<28} n={s['n']:<6} p50={s['p50_ms']:.2f} ms  p99={s['p99_ms']:.2f} ms  "
        f"{s['qps']:.0f} queries/s   target p99 ≤ {target_ms:.0f} ms {ok}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    queries = query_mix()
    prefixes = typed_prefixes(queries)
    for label, entries, target, vectors in (
        ("real catalog", load_catalog(), 10.0, True),
        (f"{args.synthetic:,} entries", synthetic_catalog(args.synthetic), 30.0, False),
    ):
        with tempfile.TemporaryDirectory() as root:
            t0 = time.perf_counter()
            build_index(entries, Path(root), with_vectors=vectors)
            print(
                f"{label}: {len(entries):,} entries, index built in {time.perf_counter() - t0:.1f}s"
                + ("" if vectors else " (lexical only)")
            )
            service = SearchService(Path(root))
            report("search (query mix)", run(service, queries, args.rounds), target)
            report("suggest (typed prefixes)", run(service, prefixes, 1), target)
            if vectors:
                kb = KnowledgeBase(service, SemanticIndex(Path(root)))
                report("knowledge base (paraphrases)", run_lookups(kb, paraphrase_mix()), KNOWLEDGE_TARGET_MS)
    return 0


KNOWLEDGE_TARGET_MS = 50.0  # one sentence embedding (~10 ms) plus the lexical tiers, in the action server


def paraphrase_mix() -> List[str]:
    return [
        str(q["q"])
        for path in sorted((REPO_ROOT / "tests" / "search").glob("faq_paraphrases_*.yml"))
        for q in yaml.safe_load(path.read_text(encoding="utf-8"))["queries"]
    ]


def run_lookups(kb: KnowledgeBase, questions: List[str]) -> dict:
    for q in questions[:20]:  # warm-up: the embedder loads on first use
        kb.lookup(q)
    samples = []
    for q in questions:
        t0 = time.perf_counter()
        kb.lookup(q)
        samples.append((time.perf_counter() - t0) * 1000)
    return summary(samples)


if __name__ == "__main__":
    sys.exit(main())
