"""The conversation log: one row per customer message, masked, with what the bot made of it."""

from __future__ import annotations

from datetime import timedelta
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.base import clock
from assistant.base.db.models import ChatTurn
from assistant.base.masking import mask_sensitive

OUTCOMES = ("answered", "fallback", "handoff", "agent", "busy")  # busy: Rasa failed or said nothing


def log_turn(
    session: Session,
    customer_id: str,
    text: str,
    intent: str,
    confidence: float,
    outcome: str,
    handoff_id: Optional[int] = None,
) -> ChatTurn:
    assert outcome in OUTCOMES, outcome
    turn = ChatTurn(
        customer_id=customer_id,
        text=mask_sensitive(text)[:600],
        intent=intent or "",
        confidence=float(confidence or 0.0),
        outcome=outcome,
        handoff_id=handoff_id,
    )
    session.add(turn)
    session.flush()
    return turn


def last_turn(session: Session, customer_id: str, within: timedelta) -> Optional[ChatTurn]:
    """The customer's previous message, if it was recent enough to belong to the same exchange."""
    since = clock.utcnow() - within
    return session.scalars(
        select(ChatTurn)
        .where(ChatTurn.customer_id == customer_id, ChatTurn.at >= since)
        .order_by(ChatTurn.id.desc())
        .limit(1)
    ).first()
