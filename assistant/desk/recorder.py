"""What the gateway writes down after the bot handled a customer message: the turn, and the
lessons for trainers (a fallback, a reading the customer picked instead, a handoff after an answer,
and an answer the customer's next message shows was wrong: see ``assistant.desk.signals``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Dict, Optional, Tuple

from sqlalchemy.orm import Session

from assistant.base.db.models import ChatTurn
from assistant.desk.inbox import mark_corrected, record_miss
from assistant.desk.intents import FALLBACK_INTENT, OFFERABLE, best_guess
from assistant.desk.signals import miss_reason
from assistant.desk.turns import last_turn, log_turn

SAME_EXCHANGE = timedelta(minutes=10)


def predicted(parse: Dict[str, Any]) -> Tuple[str, float, str]:
    """The intent the bot acted on, and the intent and confidence to report for it: for a
    fallback, the best real reading's (nlu_fallback's own confidence is just the threshold)."""
    intent = (parse.get("intent") or {}).get("name") or ""
    if intent != FALLBACK_INTENT:
        return intent, float((parse.get("intent") or {}).get("confidence") or 0.0), intent
    guess = best_guess(parse.get("intent_ranking") or []) or {}
    return intent, float(guess.get("confidence") or 0.0), guess.get("name") or ""


def record_bot_turn(
    session: Session, customer_id: str, text: str, parse: Dict[str, Any], handoff_id: Optional[int], busy: bool = False
) -> ChatTurn:
    """Log the turn; ``busy`` marks a turn Rasa failed or left silent (the customer was told to check)."""
    intent, confidence, reading = predicted(parse)
    previous = last_turn(session, customer_id, SAME_EXCHANGE)
    outcome = "busy" if busy else "handoff" if handoff_id else ("fallback" if intent == FALLBACK_INTENT else "answered")
    turn = log_turn(session, customer_id, text, intent, confidence, outcome, handoff_id)
    if intent == FALLBACK_INTENT:
        record_miss(session, customer_id, text, "fallback", reading, confidence, turn.id)
    elif previous is not None and text.startswith("/") and intent in OFFERABLE and previous.outcome == "fallback":
        mark_corrected(session, previous.id, intent)  # a reading picked from the fallback's buttons
    if previous is None or previous.outcome != "answered" or previous.text.startswith("/"):
        return turn
    if handoff_id and intent != FALLBACK_INTENT:
        # The bot answered, yet the customer asked for a person: that answer probably missed.
        record_miss(session, customer_id, previous.text, "handoff", previous.intent, previous.confidence, previous.id)
        return turn
    reason = miss_reason(previous.text, previous.intent, text, intent, turn.at - previous.at)
    if reason is not None:
        record_miss(session, customer_id, previous.text, reason, previous.intent, previous.confidence, previous.id)
    return turn
