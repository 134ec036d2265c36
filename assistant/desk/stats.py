"""Figures for the people who run the assistant, over a time range, from the conversation log.

- messages per intent: customer messages the bot handled (not those sent to an agent);
- fallback rate: share of those messages the bot did not understand;
- miss signs: answers the customer's next message showed were wrong (said "不对", reworded at once,
  dropped the task just started, asked for a person), per message, next to the fallback rate;
- handoff rate: handoffs started per conversation (a customer talking to the bot that day);
- top missed: the most frequent messages the bot fell back on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from assistant.base.clock import iso_utc
from assistant.base.db.models import ChatTurn, Handoff, InboxItem

BOT_OUTCOMES = ("answered", "fallback", "handoff", "busy")
MISS_SIGNS = ("said_wrong", "rephrased", "abandoned", "handoff")


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def compute_stats(session: Session, start: datetime, end: datetime, top: int = 10) -> Dict[str, Any]:
    in_range = (ChatTurn.at >= start) & (ChatTurn.at < end) & ChatTurn.outcome.in_(BOT_OUTCOMES)
    per_intent = dict(
        session.execute(
            select(ChatTurn.intent, func.count())
            .where(in_range)
            .group_by(ChatTurn.intent)
            .order_by(func.count().desc())
        ).all()
    )
    messages = sum(per_intent.values())
    fallbacks = (
        session.scalar(select(func.count()).select_from(ChatTurn).where(in_range, ChatTurn.outcome == "fallback")) or 0
    )
    day = func.date(ChatTurn.at)  # SQLite and PostgreSQL both have date()
    conversations = (
        session.scalar(
            select(func.count()).select_from(select(ChatTurn.customer_id, day).where(in_range).distinct().subquery())
        )
        or 0
    )
    handoffs = dict(
        session.execute(
            select(Handoff.reason, func.count())
            .where(Handoff.created_at >= start, Handoff.created_at < end)
            .group_by(Handoff.reason)
        ).all()
    )
    signs = dict(
        session.execute(
            select(InboxItem.reason, func.count())
            .where(InboxItem.created_at >= start, InboxItem.created_at < end, InboxItem.reason.in_(MISS_SIGNS))
            .group_by(InboxItem.reason)
        ).all()
    )
    missed = session.execute(
        select(ChatTurn.text, func.count().label("n"))
        .where(in_range, ChatTurn.outcome == "fallback")
        .group_by(ChatTurn.text)
        .order_by(func.count().desc(), ChatTurn.text)
        .limit(top)
    ).all()
    fell_back = func.sum(case((ChatTurn.outcome == "fallback", 1), else_=0))
    daily = session.execute(select(day, func.count(), fell_back).where(in_range).group_by(day).order_by(day)).all()
    return {
        "from": iso_utc(start),
        "to": iso_utc(end),
        "messages": messages,
        "messages_per_intent": per_intent,
        "fallbacks": fallbacks,
        "fallback_rate": _rate(fallbacks, messages),
        "miss_signs": {reason: signs.get(reason, 0) for reason in MISS_SIGNS},
        "miss_sign_rates": {reason: _rate(signs.get(reason, 0), messages) for reason in MISS_SIGNS},
        "miss_sign_rate": _rate(sum(signs.values()), messages),
        "conversations": conversations,
        "handoffs": sum(handoffs.values()),
        "handoffs_by_reason": handoffs,
        "handoff_rate": _rate(sum(handoffs.values()), conversations),
        "top_missed": [{"text": text, "count": n} for text, n in missed],
        "daily": [{"date": str(d), "messages": n, "fallbacks": int(f or 0)} for d, n, f in daily],
    }
