"""Adaptive limits: the per-transfer and daily limits of a transfer follow the strength of what the
customer proved — the login's strength, raised to "sms" for one transfer by a verified SMS code —
so a stolen password alone can move little, and a device-bound key the most."""

from __future__ import annotations

from typing import Optional, Tuple

from assistant.bank.risk.rules import Rules
from assistant.bank.risk.types import AUTH_STRENGTHS, Assurance, strength_rank


def effective_strength(strength: str, assurance: Assurance) -> str:
    """The stronger of the login's strength and what this transfer's assurance proves."""
    rank = max(strength_rank(strength), strength_rank(assurance.effective_strength))
    return AUTH_STRENGTHS[rank]


def limits_for(strength: str, assurance: Assurance, rules: Rules) -> Tuple[int, int]:
    """(per-transfer, daily) limits in cents for a transfer at this strength and assurance."""
    limit = rules.limits.of(effective_strength(strength, assurance))
    return limit.per_transfer_cents, limit.daily_cents


def weakest_allowing(amount_cents: int, sent_today_cents: int, rules: Rules) -> Optional[str]:
    """The weakest strength whose limits allow this transfer; None when even the strongest does not."""
    for strength in AUTH_STRENGTHS:
        limit = rules.limits.of(strength)
        if amount_cents <= limit.per_transfer_cents and sent_today_cents + amount_cents <= limit.daily_cents:
            return strength
    return None


__all__ = ["effective_strength", "limits_for", "weakest_allowing"]
