"""How far a confidence can be trusted: expected calibration error and a reliability chart.

A model is calibrated when, of the readings it gives with confidence ~0.9, about 90 % are right.
DIET's softmax is not (it was ≥ 0.9 on most wrong readings of real customers' messages), so every
evaluation reports the error and saves the chart beside the confusion matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import List, Sequence, Tuple

BINS = 10


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    count: int
    confidence: float  # mean confidence in the bin
    accuracy: float  # share right in the bin


@dataclass(frozen=True)
class Calibration:
    ece: float  # expected calibration error: mean |accuracy - confidence|, weighted by bin size
    overconfident_wrong: float  # share of wrong readings given with confidence ≥ 0.9
    bins: List[Bin]
    count: int

    def to_json(self) -> dict:
        return {
            "ece": round(self.ece, 4),
            "overconfident_wrong": round(self.overconfident_wrong, 4),
            "count": self.count,
            "bins": [
                {
                    "low": b.low,
                    "high": b.high,
                    "count": b.count,
                    "confidence": round(b.confidence, 4),
                    "accuracy": round(b.accuracy, 4),
                }
                for b in self.bins
            ],
        }


def calibration(pairs: Sequence[Tuple[float, bool]], bins: int = BINS) -> Calibration:
    """``pairs`` are (confidence, was it right) of each reading."""
    out: List[Bin] = []
    ece = 0.0
    for i in range(bins):
        low, high = i / bins, (i + 1) / bins
        inside = [(c, ok) for c, ok in pairs if low <= c < high or (i == bins - 1 and c == high)]
        if not inside:
            out.append(Bin(low, high, 0, 0.0, 0.0))
            continue
        confidence = sum(c for c, _ in inside) / len(inside)
        accuracy = sum(1 for _, ok in inside if ok) / len(inside)
        ece += len(inside) / max(1, len(pairs)) * abs(accuracy - confidence)
        out.append(Bin(low, high, len(inside), confidence, accuracy))
    wrong = [c for c, ok in pairs if not ok]
    overconfident = sum(1 for c in wrong if c >= 0.9) / len(wrong) if wrong else 0.0
    return Calibration(ece, overconfident, out, len(pairs))


def save_reliability_chart(result: Calibration, path: Path, title: str) -> None:
    """Accuracy against confidence per bin (the diagonal is perfect calibration), with bin sizes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6, 7), gridspec_kw={"height_ratios": [3, 1]}, sharex=True)
    centers = [(b.low + b.high) / 2 for b in result.bins]
    width = 1.0 / len(result.bins) * 0.9
    top.bar(
        centers,
        [b.accuracy if b.count else 0 for b in result.bins],
        width=width,
        color="#4a7ab5",
        edgecolor="black",
        label="accuracy",
    )
    top.plot([0, 1], [0, 1], "--", color="gray", label="perfect calibration")
    top.set_ylabel("share right")
    top.set_ylim(0, 1)
    top.set_title(f"{title} (ECE {result.ece:.3f}, n={result.count})")
    top.legend(loc="upper left")
    bottom.bar(centers, [b.count for b in result.bins], width=width, color="#999999", edgecolor="black")
    bottom.set_xlabel("confidence")
    bottom.set_ylabel("readings")
    bottom.set_xlim(0, 1)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def format_calibration(result: Calibration) -> str:
    rows = [
        f"  expected calibration error {result.ece:.3f}; wrong readings given with confidence ≥ 0.9: "
        f"{result.overconfident_wrong:.0%}",
        "  confidence   readings  accuracy  mean confidence",
    ]
    rows += [
        f"  {b.low:.1f}–{b.high:.1f}    {b.count:>8}  {b.accuracy:>8.3f}  {b.confidence:>15.3f}"
        for b in result.bins
        if b.count
    ]
    return "\n".join(rows)
