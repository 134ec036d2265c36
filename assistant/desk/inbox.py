"""The trainers' NLU inbox: messages the bot fell back on, that the customer corrected (picked another
reading, said "不对", reworded at once, dropped the task just started), or that ended in a handoff.
Stored masked; an open item is kept once per text (later misses count on it)."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.base import clock
from assistant.base.db.models import InboxItem
from assistant.base.masking import mask_sensitive
from assistant.desk.errors import Conflict, NotFound

REASONS = ("fallback", "corrected", "handoff", "said_wrong", "rephrased", "abandoned")
STATUSES = ("open", "labelled", "dismissed")


def record_miss(
    session: Session,
    customer_id: str,
    text: str,
    reason: str,
    intent: str,
    confidence: float,
    turn_id: Optional[int] = None,
) -> InboxItem:
    """Add a missed message, unless the same text already waits in the inbox."""
    assert reason in REASONS, reason
    masked = mask_sensitive(text)[:600]
    existing = session.scalars(select(InboxItem).where(InboxItem.status == "open", InboxItem.text == masked)).first()
    if existing is not None:
        return existing
    item = InboxItem(
        customer_id=customer_id,
        text=masked,
        reason=reason,
        predicted_intent=intent or "",
        confidence=float(confidence or 0.0),
        turn_id=turn_id,
    )
    session.add(item)
    session.flush()
    return item


def mark_corrected(session: Session, turn_id: int, chosen_intent: str) -> Optional[InboxItem]:
    """The customer picked a reading after a fallback: keep their choice as the suggested label."""
    item = session.scalars(select(InboxItem).where(InboxItem.turn_id == turn_id, InboxItem.status == "open")).first()
    if item is not None:
        item.reason = "corrected"
        item.suggested_intent = chosen_intent
    return item


def list_items(session: Session, status: str = "open", limit: int = 100) -> List[InboxItem]:
    return list(
        session.scalars(select(InboxItem).where(InboxItem.status == status).order_by(InboxItem.id.desc()).limit(limit))
    )


def get_open(session: Session, item_id: int) -> InboxItem:
    item = session.get(InboxItem, item_id)
    if item is None:
        raise NotFound("inbox_item_not_found", "没有这条待标注消息")
    if item.status != "open":
        raise Conflict("inbox_item_resolved", "这条消息已经处理过了")
    return item


def resolve(
    item: InboxItem, status: str, by: str, intent: str = "", entities: Optional[List[Dict[str, Any]]] = None
) -> InboxItem:
    assert status in ("labelled", "dismissed"), status
    item.status = status
    item.label_intent = intent
    item.label_entities = json.dumps(entities or [], ensure_ascii=False)
    item.resolved_at = clock.utcnow()
    item.resolved_by = by
    return item


def item_view(item: InboxItem) -> Dict[str, Any]:
    return {
        "id": item.id,
        "text": item.text,
        "reason": item.reason,
        "predicted_intent": item.predicted_intent,
        "confidence": round(item.confidence, 3),
        "suggested_intent": item.suggested_intent,
        "status": item.status,
        "label_intent": item.label_intent,
        "label_entities": json.loads(item.label_entities or "[]"),
        "created_at": clock.iso_utc(item.created_at),
    }
