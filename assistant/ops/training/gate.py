"""The publishing gate: a candidate model that loses more than one point of held-out intent
accuracy against the live model stays out (DIET moves 1-2 points between trainings)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

MAX_ACCURACY_DROP = 0.01


@dataclass(frozen=True)
class Decision:
    accepted: bool
    candidate_accuracy: Optional[float]
    live_accuracy: Optional[float]
    reason: str


def gate(candidate_accuracy: float, live_accuracy: Optional[float], max_drop: float = MAX_ACCURACY_DROP) -> Decision:
    """Accept unless intent accuracy fell by more than ``max_drop`` against the live model."""
    if live_accuracy is None:
        return Decision(True, candidate_accuracy, None, "no live model to compare with")
    drop = live_accuracy - candidate_accuracy
    if drop > max_drop + 1e-9:
        return Decision(
            False,
            candidate_accuracy,
            live_accuracy,
            f"intent accuracy {candidate_accuracy:.3f} is {drop * 100:.1f} points below "
            f"the live model's {live_accuracy:.3f} (at most {max_drop * 100:.0f} allowed)",
        )
    return Decision(
        True, candidate_accuracy, live_accuracy, f"intent accuracy {candidate_accuracy:.3f} vs live {live_accuracy:.3f}"
    )
