"""What risk control writes: the audit of each decision, security events, and the scam phrases a
customer wrote. Only short, masked text is stored — canonical phrases, never the message; the
recipient's masked label, never an account number."""

from __future__ import annotations

from datetime import datetime
from typing import Iterable, Optional, Tuple

from sqlalchemy.orm import Session

from assistant.bank.risk.scam import CANONICAL, scam_phrases
from assistant.bank.risk.types import RiskContext, RiskDecision, reasons_json
from assistant.base import clock
from assistant.base.db.models import ConversationSignal, RiskDecisionRecord, SecurityEvent

SECURITY_EVENT_KINDS: Tuple[str, ...] = ("password_reset", "new_device", "payee_added")
DETAIL_CHARS = 200  # conversation_signals.detail


def record_decision(
    session: Session, ctx: RiskContext, decision: RiskDecision, key: str, latency_us: int
) -> RiskDecisionRecord:
    """One audit row per decision (every decision, allowed ones too: the denominator of the rates)."""
    row = RiskDecisionRecord(
        at=clock.utcnow(),
        customer_id=ctx.customer_id,
        request_key=(key or "")[:128],
        kind=ctx.kind,
        amount_cents=ctx.amount_cents,
        recipient=ctx.recipient[:64],
        action=decision.action,
        reasons=reasons_json(decision.reasons),
        rules_version=decision.rules_version[:32],
        latency_us=max(0, int(latency_us)),
    )
    session.add(row)
    return row


def record_security_event(
    session: Session, customer_id: str, kind: str, at: Optional[datetime] = None
) -> SecurityEvent:
    """A password reset, a login on a new device or a payee added (``at``: naive UTC, default now)."""
    if kind not in SECURITY_EVENT_KINDS:
        raise ValueError(f"unknown security event {kind!r} (known: {', '.join(SECURITY_EVENT_KINDS)})")
    row = SecurityEvent(customer_id=customer_id, kind=kind, at=at or clock.utcnow())
    session.add(row)
    return row


def record_conversation_signal(
    session: Session, customer_id: str, phrases: Iterable[str], at: Optional[datetime] = None
) -> Optional[ConversationSignal]:
    """The canonical scam phrases of one message (anything else is dropped); None when there are none."""
    known = [p for p in dict.fromkeys(phrases) if p in CANONICAL]
    if not known:
        return None
    detail = ",".join(known)
    while len(detail) > DETAIL_CHARS:
        known.pop()
        detail = ",".join(known)
    row = ConversationSignal(customer_id=customer_id, kind="scam_words", detail=detail, at=at or clock.utcnow())
    session.add(row)
    return row


def note_message(session: Session, customer_id: str, text: str, at: Optional[datetime] = None) -> Tuple[str, ...]:
    """Look for scam phrases in a customer message and record them; returns the phrases found, so
    the conversation can warn at once, even outside a transfer."""
    found = scam_phrases(text)
    record_conversation_signal(session, customer_id, found, at)
    return found


__all__ = [
    "SECURITY_EVENT_KINDS",
    "note_message",
    "record_conversation_signal",
    "record_decision",
    "record_security_event",
]
