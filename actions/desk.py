"""Staged fallback and handoff to a human agent.

First miss: offer the two best readings and the top search entries as buttons. A second miss in
a row, "转人工", or a complaint: queue the conversation for an agent (a handoff record with the
masked transcript) and tell the customer their place in the queue. From then on the gateway
routes the customer's messages to the agent until the agent closes or returns the conversation.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.cancel import forget_task
from actions.common import customer_id, latest_intent, latest_text, settings
from actions.outcomes import latest_outcome_reply
from actions.services import link_button, search
from assistant.base.db.engine import session_scope
from assistant.desk.handoffs import Line, queue_position, start_handoff
from assistant.desk.intents import FALLBACK_INTENT, best_guess, best_readings, label_of, offer_question
from search_index.service import SearchUnavailable

HANDOFF_ACTION = "action_handoff"
HUMAN_BUTTON = {"title": "转人工客服", "payload": "/human_agent"}
TRANSCRIPT_LINES = 40


def consecutive_misses(tracker: Tracker) -> int:
    """Fallbacks in a row up to now, counting from the last understood message or handoff."""
    misses = 0
    for event in reversed(tracker.events):
        if event.get("event") == "action" and event.get("name") in (HANDOFF_ACTION, "action_session_start"):
            break
        if event.get("event") in ("restart", "session_started"):
            break  # a new conversation: misses before it do not count
        if event.get("event") == "user":
            if ((event.get("parse_data") or {}).get("intent") or {}).get("name") != FALLBACK_INTENT:
                break
            misses += 1
    return misses


class ActionStagedFallback(Action):
    def name(self) -> str:
        return "action_staged_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        if latest_outcome_reply(dispatcher, tracker):
            return []
        if consecutive_misses(tracker) >= 2:
            return [FollowupAction(HANDOFF_ACTION)]
        readings = best_readings((tracker.latest_message or {}).get("intent_ranking") or [])
        buttons = [{"title": label_of(r), "payload": f"/{r}"} for r in readings]
        try:
            hits = search().search(latest_text(tracker), limit=2)
        except SearchUnavailable:
            hits = []
        buttons += [link_button(h) for h in hits] + [HUMAN_BUTTON]
        dispatcher.utter_message(
            text=offer_question(readings),
            buttons=buttons,
            json_message={"type": "fallback", "readings": readings, "results": [h.to_json() for h in hits]},
        )
        return []


def transcript_of(tracker: Tracker) -> List[Line]:
    lines = []
    for event in tracker.events:
        if event.get("event") == "user" and event.get("text"):
            lines.append(Line("customer", event["text"]))
        elif event.get("event") == "bot" and event.get("text"):
            lines.append(Line("bot", event["text"]))
    return lines[-TRANSCRIPT_LINES:]


def detected_intents(tracker: Tracker) -> List[str]:
    """What the bot understood of each message, in the agents' words; misses show the best guess."""
    found = []
    for event in tracker.events:
        if event.get("event") != "user":
            continue
        parse = event.get("parse_data") or {}
        name = (parse.get("intent") or {}).get("name") or ""
        if name == FALLBACK_INTENT:
            guess = best_guess(parse.get("intent_ranking") or [])
            if guess:
                found.append(f"未识别（最接近：{label_of(guess['name'])} {float(guess.get('confidence') or 0):.2f}）")
        elif name:
            found.append(label_of(name))
    return found


def handoff_reason(tracker: Tracker) -> str:
    intent = latest_intent(tracker)
    if intent == "complaint":
        return "complaint"
    return "repeated_misses" if intent == FALLBACK_INTENT else "requested"


class ActionHandoff(Action):
    def name(self) -> str:
        return HANDOFF_ACTION

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        reason = handoff_reason(tracker)
        with session_scope(settings().database_url, write=True) as session:
            handoff = start_handoff(
                session, customer_id(tracker), reason, detected_intents(tracker), transcript_of(tracker)
            )
            handoff_id, position = handoff.id, queue_position(session, handoff)
        opening = {
            "complaint": "非常抱歉给您带来不好的体验，我马上为您转接人工客服。",
            "repeated_misses": "抱歉，我还是没能理解您的意思，为您转接人工客服。",
        }.get(reason, "好的，正在为您转接人工客服。")
        waiting = (f"您前面还有 {position - 1} 位客户，" if position > 1 else "您是下一位，") if position else ""
        dispatcher.utter_message(
            text=f"{opening}{waiting}客服接入后会在这里回复您。",
            json_message={"type": "handoff", "handoff": {"id": handoff_id, "position": position, "reason": reason}},
        )
        # An open form is dropped (nothing was executed): the agent takes it from here.
        return [*forget_task(tracker), FollowupAction("action_listen")]
