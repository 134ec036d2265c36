"""Handoffs to human agents: the queue, claiming, the masked transcript, delivery to the customer.

A customer has at most one active handoff (queued or claimed); while it is active the gateway
routes their messages here instead of to the bot. Agent and system lines are delivered to the
customer through the chat reply or the updates poll.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from assistant.base import clock
from assistant.base.db.models import Handoff, HandoffMessage
from assistant.base.masking import mask_sensitive
from assistant.desk.errors import Conflict, NotFound

ACTIVE = ("queued", "claimed")
REASONS = {"requested": "客户要求人工服务", "complaint": "客户投诉", "repeated_misses": "连续两次未能理解客户"}
TO_CUSTOMER = ("agent", "system")
MAX_LINE_CHARS = 2000


@dataclass(frozen=True)
class Line:
    """One line of a conversation as the bot saw it: sender is customer or bot."""

    sender: str
    text: str


def active_handoff(session: Session, customer_id: str) -> Optional[Handoff]:
    return session.scalars(
        select(Handoff)
        .where(Handoff.customer_id == customer_id, Handoff.status.in_(ACTIVE))
        .order_by(Handoff.id.desc())
        .limit(1)
    ).first()


def queue_position(session: Session, handoff: Handoff) -> int:
    """1 for the first customer waiting; 0 once an agent has the conversation."""
    if handoff.status != "queued":
        return 0
    return (
        session.scalar(
            select(func.count()).select_from(Handoff).where(Handoff.status == "queued", Handoff.id <= handoff.id)
        )
        or 0
    )


def summarize(reason: str, intents: Sequence[str], transcript: Sequence[Line]) -> str:
    """A few lines an agent reads before the transcript: why, what the bot understood, last words."""
    said = [line.text for line in transcript if line.sender == "customer"]
    parts = [f"原因：{REASONS.get(reason, reason)}"]
    if intents:
        parts.append("识别到的意图：" + "、".join(intents))
    if said:
        parts.append("客户最近说：" + " / ".join(f"“{t[:60]}”" for t in said[-3:]))
    return "；".join(parts)


def start_handoff(
    session: Session, customer_id: str, reason: str, intents: Iterable[str], transcript: Sequence[Line]
) -> Handoff:
    """Queue the conversation for an agent; a customer already waiting keeps their place."""
    if reason not in REASONS:
        raise ValueError(f"unknown handoff reason {reason!r}")
    existing = active_handoff(session, customer_id)
    if existing is not None:
        return existing
    masked = [Line(line.sender, mask_sensitive(line.text)) for line in transcript if line.text]
    detected = list(dict.fromkeys(i for i in intents if i))
    handoff = Handoff(
        customer_id=customer_id,
        reason=reason,
        intents=json.dumps(detected, ensure_ascii=False),
        summary=summarize(reason, detected, masked),
    )
    session.add(handoff)
    session.flush()
    for line in masked:
        session.add(
            HandoffMessage(
                handoff_id=handoff.id,
                customer_id=customer_id,
                sender=line.sender,
                text=line.text[:MAX_LINE_CHARS],
                delivered=True,
            )
        )
    session.flush()
    return handoff


def add_line(session: Session, handoff: Handoff, sender: str, text: str, author: str = "") -> HandoffMessage:
    line = HandoffMessage(
        handoff_id=handoff.id,
        customer_id=handoff.customer_id,
        sender=sender,
        author=author,
        text=mask_sensitive(text)[:MAX_LINE_CHARS],
        delivered=sender not in TO_CUSTOMER,
    )
    session.add(line)
    session.flush()
    return line


# ------------------------------------------------------------------ agents
def agent_queue(session: Session, agent_id: str) -> List[Dict[str, Any]]:
    """What an agent may see, as views: the queue in order, then the conversations they claimed."""
    handoffs = session.scalars(
        select(Handoff)
        .where(or_(Handoff.status == "queued", (Handoff.agent_id == agent_id) & (Handoff.status == "claimed")))
        .order_by(Handoff.status.desc(), Handoff.id)
    )
    views, place = [], 0
    for handoff in handoffs:  # every queued handoff is listed, oldest first: its place is its rank here
        place += handoff.status == "queued"
        views.append(handoff_view(session, handoff, place if handoff.status == "queued" else 0))
    return views


def visible_handoff(session: Session, handoff_id: int, agent_id: str) -> Handoff:
    """The handoff if the agent may read it (queued, or claimed by them); otherwise not found."""
    handoff = session.get(Handoff, handoff_id)
    if handoff is None or not (handoff.status == "queued" or handoff.agent_id == agent_id):
        raise NotFound("handoff_not_found", "没有这个会话，或它已由其他客服处理")
    return handoff


def owned_handoff(session: Session, handoff_id: int, agent_id: str) -> Handoff:
    handoff = visible_handoff(session, handoff_id, agent_id)
    if handoff.status != "claimed" or handoff.agent_id != agent_id:
        raise Conflict("handoff_not_claimed", "请先接入这个会话" if handoff.status == "queued" else "这个会话已经结束")
    return handoff


def claim(session: Session, handoff_id: int, agent_id: str) -> Handoff:
    """Take a queued conversation; two agents claiming at once: exactly one wins (the other gets 409)."""
    if session.get(Handoff, handoff_id) is None:
        raise NotFound("handoff_not_found", "没有这个会话")
    taken = session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.status == "queued")
        .values(status="claimed", agent_id=agent_id, claimed_at=clock.utcnow())
    )
    handoff = session.get(Handoff, handoff_id)
    session.refresh(handoff)
    if taken.rowcount != 1:
        if handoff.agent_id == agent_id and handoff.status == "claimed":
            return handoff
        raise Conflict("handoff_taken", "这个会话已被其他客服接入")
    add_line(session, handoff, "system", f"人工客服 {agent_id} 已接入，请问有什么可以帮您？", author=agent_id)
    return handoff


def agent_reply(session: Session, handoff_id: int, agent_id: str, text: str) -> HandoffMessage:
    return add_line(session, owned_handoff(session, handoff_id, agent_id), "agent", text, author=agent_id)


def end_handoff(session: Session, handoff_id: int, agent_id: str, outcome: str) -> Handoff:
    """closed: the agent finished; returned: the agent hands the customer back to the bot."""
    handoff = owned_handoff(session, handoff_id, agent_id)
    handoff.status = outcome
    handoff.ended_at = clock.utcnow()
    text = (
        "人工服务已结束，感谢您的耐心。如还有问题，可以继续向我提问。"
        if outcome == "closed"
        else "客服已将对话交还给智能助手，您可以继续向我提问。"
    )
    add_line(session, handoff, "system", text, author=agent_id)
    return handoff


# ------------------------------------------------------------------ customers
def _deliver(session: Session, customer_id: str, *conditions: Any, limit: Optional[int] = None) -> List[HandoffMessage]:
    """Agent and system lines of the customer matching ``conditions``, oldest first; marked delivered."""
    query = select(HandoffMessage).where(
        HandoffMessage.customer_id == customer_id, HandoffMessage.sender.in_(TO_CUSTOMER), *conditions
    )
    lines = list(session.scalars(query.order_by(HandoffMessage.id).limit(limit)))
    for line in lines:
        line.delivered = True
    return lines


def has_undelivered(session: Session, customer_id: str) -> bool:
    """Agent or system lines are waiting for the customer (a closed handoff's last words, say)."""
    waiting = select(HandoffMessage.id).where(
        HandoffMessage.customer_id == customer_id,
        HandoffMessage.sender.in_(TO_CUSTOMER),
        HandoffMessage.delivered.is_(False),
    )
    return session.scalar(waiting.limit(1)) is not None


def take_undelivered(session: Session, customer_id: str) -> List[HandoffMessage]:
    """Agent and system lines the customer has not received yet."""
    return _deliver(session, customer_id, HandoffMessage.delivered.is_(False))


def updates_since(session: Session, customer_id: str, since: int, limit: int = 100) -> List[HandoffMessage]:
    """Agent and system lines after ``since`` (the poll cursor)."""
    return _deliver(session, customer_id, HandoffMessage.id > since, limit=limit)


# ------------------------------------------------------------------ views
def handoff_view(session: Session, handoff: Handoff, position: Optional[int] = None) -> Dict[str, Any]:
    """``position`` when the caller knows it (a listed queue); counted otherwise."""
    return {
        "id": handoff.id,
        "customer_id": handoff.customer_id,
        "status": handoff.status,
        "reason": handoff.reason,
        "reason_text": REASONS.get(handoff.reason, handoff.reason),
        "intents": json.loads(handoff.intents or "[]"),
        "summary": handoff.summary,
        "agent_id": handoff.agent_id,
        "position": queue_position(session, handoff) if position is None else position,
        "created_at": clock.iso_utc(handoff.created_at),
        "claimed_at": clock.iso_utc(handoff.claimed_at),
        "ended_at": clock.iso_utc(handoff.ended_at),
    }


def line_view(line: HandoffMessage) -> Dict[str, Any]:
    return {
        "id": line.id,
        "handoff_id": line.handoff_id,
        "sender": line.sender,
        "author": line.author,
        "text": line.text,
        "at": clock.iso_utc(line.at),
    }


def active_handoff_view(session: Session, customer_id: str) -> Optional[Dict[str, Any]]:
    """The customer's handoff in progress as the chat APIs show it, or None when the bot has them."""
    handoff = active_handoff(session, customer_id)
    return handoff_view(session, handoff) if handoff else None
