"""Small helpers shared by the benchmarks: percentiles and a one-connection HTTP client."""

from __future__ import annotations

import http.client
import json
import statistics
from typing import Any, Dict, List, Sequence


def percentile(samples: Sequence[float], pct: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(samples_ms: List[float]) -> Dict[str, float]:
    total_s = sum(samples_ms) / 1000
    return {
        "n": len(samples_ms),
        "p50_ms": percentile(samples_ms, 50),
        "p99_ms": percentile(samples_ms, 99),
        "mean_ms": statistics.fmean(samples_ms),
        "max_ms": max(samples_ms),
        "qps": len(samples_ms) / total_s if total_s else float("inf"),
    }


class KeepAliveClient:
    """One HTTP/1.1 connection reused for every request, like a single app client."""

    def __init__(self, host: str, port: int) -> None:
        self.conn = http.client.HTTPConnection(host, port, timeout=30)

    def post_json(self, path: str, body: Any) -> Dict[str, Any]:
        self.conn.request("POST", path, body=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
        resp = self.conn.getresponse()
        data = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"{path}: HTTP {resp.status}: {data[:200]!r}")
        return json.loads(data)

    def close(self) -> None:
        self.conn.close()
