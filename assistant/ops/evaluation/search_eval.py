"""``make eval-search``: hit@1, hit@3 and MRR by query kind on tests/search/queries.yml, and the
knowledge base's answers to held-out paraphrases of its questions (tests/search/faq_paraphrases_*.yml).

Builds the index from the catalog into a scratch folder (so it scores the catalog and code as they are
now). Fails below hit@1 0.90 on the search queries; for paraphrases (worded apart from every title and
alias) below hit@3 0.60, or when fewer than 85 % of the single answers the bot would give are right.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

from assistant.base.config import REPO_ROOT
from search_index.builder import build_index
from search_index.catalog import load_catalog
from search_index.knowledge import KnowledgeBase
from search_index.semantic import SemanticIndex
from search_index.service import SearchService

QUERIES = REPO_ROOT / "tests" / "search" / "queries.yml"
PARAPHRASES = sorted((REPO_ROOT / "tests" / "search").glob("faq_paraphrases_*.yml"))
MIN_HIT_AT_1 = 0.90
MIN_PARAPHRASE_HIT_AT_3 = 0.60
MIN_SINGLE_ANSWER_PRECISION = 0.85


def evaluate(service: SearchService, queries: List[Dict[str, Any]]) -> Dict[str, Any]:
    by_kind: Dict[str, List[Dict[str, Any]]] = defaultdict(list)
    misses = []
    for item in queries:
        ids = [h.id for h in service.search(str(item["q"]), limit=10)]
        rank = ids.index(item["expect"]) + 1 if item["expect"] in ids else None
        row = {"q": item["q"], "expect": item["expect"], "rank": rank, "top": ids[:3]}
        by_kind[item["kind"]].append(row)
        if rank != 1:
            misses.append(row)

    def figures(rows: List[Dict[str, Any]]) -> Dict[str, float]:
        n = len(rows)
        return {
            "n": n,
            "hit@1": sum(r["rank"] == 1 for r in rows) / n,
            "hit@3": sum(bool(r["rank"]) and r["rank"] <= 3 for r in rows) / n,
            "mrr": sum(1 / r["rank"] for r in rows if r["rank"]) / n,
        }

    all_rows = [r for rows in by_kind.values() for r in rows]
    return {
        "overall": figures(all_rows),
        "by_kind": {k: figures(v) for k, v in sorted(by_kind.items())},
        "misses": misses,
    }


def evaluate_paraphrases(kb: KnowledgeBase, queries: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Rank of the right entry among the knowledge base's candidates, and how often a single answer
    (a clear winner) would be given and be right."""
    rows = []
    for item in queries:
        found = kb.lookup(str(item["q"]), prefer=("faq",), limit=10)
        ids = [h.id for h in found.hits]
        rank = ids.index(item["id"]) + 1 if item["id"] in ids else None
        rows.append(
            {
                "q": item["q"],
                "expect": item["id"],
                "rank": rank,
                "top": ids[:3],
                "clear": found.clear,
                "reason": found.reason,
            }
        )
    n = len(rows) or 1
    single = [r for r in rows if r["clear"]]
    return {
        "n": len(rows),
        "hit@1": sum(r["rank"] == 1 for r in rows) / n,
        "hit@3": sum(bool(r["rank"]) and r["rank"] <= 3 for r in rows) / n,
        "mrr": sum(1 / r["rank"] for r in rows if r["rank"]) / n,
        "single_answer_rate": len(single) / n,
        "single_answer_precision": sum(r["rank"] == 1 for r in single) / len(single) if single else 1.0,
        "wrong_single_answers": [r for r in single if r["rank"] != 1],
        "misses": [r for r in rows if not r["rank"] or r["rank"] > 3],
    }


def load_paraphrases(paths: List[Path]) -> List[Dict[str, Any]]:
    return [q for path in paths for q in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("queries") or ()]


def print_paraphrases(p: Dict[str, Any]) -> None:
    print(f"\nKnowledge base on {p['n']} held-out paraphrases of its questions")
    print(f"  hit@1 {p['hit@1']:.3f}  hit@3 {p['hit@3']:.3f}  MRR {p['mrr']:.3f}")
    print(
        f"  answered alone (clear winner) {p['single_answer_rate']:.3f}; of those right {p['single_answer_precision']:.3f}"
        " (otherwise the top three and 转人工客服 are offered)"
    )
    for r in p["wrong_single_answers"]:
        print(f"    WRONG single answer {r['q']!r}: expected {r['expect']}, got {r['top'][:1]} ({r['reason']})")
    for r in p["misses"]:
        print(f"    not in top 3 {r['q']!r}: expected {r['expect']} (rank {r['rank']}), got {r['top']}")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=Path, default=QUERIES)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "test-output" / "search")
    args = parser.parse_args(argv)
    queries = yaml.safe_load(args.queries.read_text(encoding="utf-8"))["queries"]
    entries = load_catalog()
    known = {e.id for e in entries}
    unknown = sorted({q["expect"] for q in queries} - known)
    if unknown:
        print(f"queries expect entries that are not in the catalog: {unknown}", file=sys.stderr)
        return 2
    paraphrases = load_paraphrases(PARAPHRASES)
    unknown = sorted({q["id"] for q in paraphrases} - known)
    if unknown:
        print(f"paraphrases expect entries that are not in the catalog: {unknown}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as scratch:
        build_index(entries, Path(scratch))
        service = SearchService(Path(scratch))
        report = evaluate(service, queries)
        report["paraphrases"] = evaluate_paraphrases(KnowledgeBase(service, SemanticIndex(Path(scratch))), paraphrases)
    o = report["overall"]
    print(f"\nSearch evaluation on {o['n']} queries ({len(entries)} catalog entries)")
    print(f"  overall            hit@1 {o['hit@1']:.3f}  hit@3 {o['hit@3']:.3f}  MRR {o['mrr']:.3f}")
    for kind, f in report["by_kind"].items():
        print(f"  {kind:<18} hit@1 {f['hit@1']:.3f}  hit@3 {f['hit@3']:.3f}  MRR {f['mrr']:.3f}  (n={f['n']})")
    if report["misses"]:
        print("\n  not first:")
        for m in report["misses"]:
            print(f"    {m['q']!r}: expected {m['expect']} (rank {m['rank']}), got {m['top']}")
    p = report["paraphrases"]
    print_paraphrases(p)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    failed = [
        f"{name} {value:.3f} < {limit}"
        for name, value, limit in (
            ("hit@1", o["hit@1"], MIN_HIT_AT_1),
            ("paraphrase hit@3", p["hit@3"], MIN_PARAPHRASE_HIT_AT_3),
            ("single-answer precision", p["single_answer_precision"], MIN_SINGLE_ANSWER_PRECISION),
        )
        if value < limit
    ]
    if failed:
        print("FAILED: " + "; ".join(failed))
        return 1
    print(
        f"PASSED: hit@1 ≥ {MIN_HIT_AT_1}, paraphrase hit@3 ≥ {MIN_PARAPHRASE_HIT_AT_3}, "
        f"single-answer precision ≥ {MIN_SINGLE_ANSWER_PRECISION}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
