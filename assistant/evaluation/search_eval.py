"""``make eval-search``: hit@1, hit@3 and MRR by query kind on tests/search/queries.yml.

Builds the index from the catalog into a scratch folder (so it scores the catalog and
code as they are now) and fails below hit@1 0.90 overall.
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

from assistant.config import REPO_ROOT
from search_index.builder import build_index
from search_index.catalog import load_catalog
from search_index.service import SearchService

QUERIES = REPO_ROOT / "tests" / "search" / "queries.yml"
MIN_HIT_AT_1 = 0.90


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
        return {"n": n, "hit@1": sum(r["rank"] == 1 for r in rows) / n,
                "hit@3": sum(bool(r["rank"]) and r["rank"] <= 3 for r in rows) / n,
                "mrr": sum(1 / r["rank"] for r in rows if r["rank"]) / n}

    all_rows = [r for rows in by_kind.values() for r in rows]
    return {"overall": figures(all_rows), "by_kind": {k: figures(v) for k, v in sorted(by_kind.items())},
            "misses": misses}


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
    with tempfile.TemporaryDirectory() as scratch:
        build_index(entries, Path(scratch))
        report = evaluate(SearchService(Path(scratch)), queries)
    o = report["overall"]
    print(f"\nSearch evaluation on {o['n']} queries ({len(entries)} catalog entries)")
    print(f"  overall            hit@1 {o['hit@1']:.3f}  hit@3 {o['hit@3']:.3f}  MRR {o['mrr']:.3f}")
    for kind, f in report["by_kind"].items():
        print(f"  {kind:<18} hit@1 {f['hit@1']:.3f}  hit@3 {f['hit@3']:.3f}  MRR {f['mrr']:.3f}  (n={f['n']})")
    if report["misses"]:
        print("\n  not first:")
        for m in report["misses"]:
            print(f"    {m['q']!r}: expected {m['expect']} (rank {m['rank']}), got {m['top']}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    if o["hit@1"] < MIN_HIT_AT_1:
        print(f"FAILED: hit@1 {o['hit@1']:.3f} < {MIN_HIT_AT_1}")
        return 1
    print(f"PASSED: hit@1 ≥ {MIN_HIT_AT_1}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
