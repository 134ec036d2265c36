"""POST /api/chat: one customer message (typed, or spoken with recognizer alternatives) in, the
replies out; GET /api/chat/updates: what a human agent said since the page last asked.

While the customer's conversation is with an agent (an active handoff) their messages go to the
agent, not the bot. Every message is logged (masked) with what the bot made of it.

Every message is also read for scam words (安全账户, 公检法 …), whoever has the conversation: the
bank remembers them (the next transfers' risk decisions see them) and the answer ends with an
anti-fraud warning, even when no transfer is under way. Notices from the back office (a held
transfer's outcome) come with the next answer or poll.
"""

from __future__ import annotations

import asyncio
import logging
import re
import weakref
from typing import Any, Dict, List, Optional, Tuple

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, json

from assistant.bank.risk.scam import scam_phrases
from assistant.base.db.engine import session_scope
from assistant.base.db.models import HandoffMessage
from assistant.base.rasa_client import RasaUnavailable, Turn
from assistant.desk.handoffs import (
    active_handoff,
    active_handoff_view,
    add_line,
    handoff_view,
    has_undelivered,
    take_undelivered,
    updates_since,
)
from assistant.desk.recorder import record_bot_turn
from assistant.desk.turns import log_turn
from assistant.gateway.asr import Understanding, read_alternatives, understand
from assistant.gateway.errors import ApiError
from assistant.gateway.rate_limit import rate_limited
from assistant.gateway.replies import to_reply_messages
from assistant.gateway.security import require_role
from assistant.gateway.validation import clean_text, json_object, query_int

logger = logging.getLogger(__name__)
bp = Blueprint("chat")
_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


def _customer_lock(customer_id: str) -> asyncio.Lock:
    """One message of a customer at a time, so routing and logging see a consistent conversation."""
    lock = _locks.get(customer_id)
    if lock is None:
        lock = asyncio.Lock()
        _locks[customer_id] = lock
    return lock


def _attach_understanding(replies: List[Dict[str, Any]], understood: Understanding) -> None:
    """Say which text the bot acted on, in the data of the first reply (there always is one: bot_replies)."""
    replies[0]["data"] = {**replies[0]["data"], **understood.to_json()}


def from_desk(line: HandoffMessage) -> Dict[str, Any]:
    """An agent's or the desk's line in the shape of a bot reply."""
    return {
        "text": line.text,
        "buttons": [],
        "data": {
            "from_agent": line.sender == "agent",
            "from": line.sender,
            "agent": line.author,
            "message_id": line.id,
        },
    }


def _handoff_started(replies: List[Dict[str, Any]]) -> Optional[int]:
    for reply in replies:
        if reply["data"].get("type") == "handoff":
            return int(reply["data"]["handoff"]["id"])
    return None


def _desk_state(request: Request, customer_id: str) -> Optional[bool]:
    """None when an agent has the conversation; else whether desk lines wait for the customer. Most
    conversations are the bot's: that is asked in a read-only transaction, so the usual message never
    waits for (or takes) SQLite's write lock here, and the turn's own transaction asks the desk again
    only when something is there (or the turn started a handoff)."""
    with session_scope(request.app.ctx.settings.database_url) as session:
        if active_handoff(session, customer_id) is not None:
            return None
        return has_undelivered(session, customer_id)


def _to_agent(request: Request, customer_id: str, text: str) -> Optional[Dict[str, Any]]:
    """Hand the message to the agent the conversation is with; None when the handoff ended meanwhile."""
    with session_scope(request.app.ctx.settings.database_url, write=True) as session:
        handoff = active_handoff(session, customer_id)
        if handoff is None:
            return None
        add_line(session, handoff, "customer", text)
        log_turn(session, customer_id, text, "", 0.0, "agent", handoff.id)
        view = handoff_view(session, handoff)
        messages = [from_desk(line) for line in take_undelivered(session, customer_id)]
    messages.extend(notice_replies(request, customer_id))
    if not messages and view["status"] == "queued":
        messages.append(
            {
                "text": f"您的消息已转给人工客服，当前排在第 {view['position']} 位，请稍候。",
                "buttons": [],
                "data": {"from": "system"},
            }
        )
    return {"messages": messages, "handoff": view}


# When Rasa's turn failed or said nothing, an action may still have run: never answer with silence.
BUSY_TEXT = (
    "系统繁忙，刚才的操作结果请以账户记录为准。您可以在 App“账户-交易明细”中查看，或稍后问我“刚才那笔成功了吗”。"
)


SUMMARY_KEY_RE = re.compile(r"[a-z]{8,64}")  # request keys are lower-case letters (actions/summaries.py)


def busy_reply() -> Dict[str, Any]:
    return {
        "text": BUSY_TEXT,
        "buttons": [{"title": "查看交易明细", "payload": "/query_transactions"}],
        "data": {"type": "busy", "from": "system"},
    }


FRAUD_WARNING_TEXT = (
    "【反诈提醒】银行、公检法和客服不会要求您把钱转到“安全账户”，也不会索要验证码或让您屏幕共享。"
    "如果有人这样要求您，请立即停止操作，拨打96110反诈专线或本行客服核实。"
)


def fraud_warning(phrases: Tuple[str, ...]) -> Dict[str, Any]:
    """The anti-fraud warning added to the answer of a message with scam words (``phrases``: canonical)."""
    return {
        "text": FRAUD_WARNING_TEXT,
        "buttons": [],
        "data": {"type": "fraud_warning", "from": "system", "phrases": list(phrases)},
    }


def notice_reply(text: str) -> Dict[str, Any]:
    """A back-office notice (e.g. a held transfer's outcome) in the shape of a bot reply."""
    return {"text": text, "buttons": [], "data": {"type": "notice", "from": "system"}}


def notice_replies(request: Request, customer_id: str) -> List[Dict[str, Any]]:
    """The customer's undelivered notices, now delivered. A failing bank costs the notices of this answer
    only (they stay undelivered and come with the next one), never the answer itself."""
    try:
        return [notice_reply(text) for text in request.app.ctx.bank.notices(customer_id)]
    except Exception:  # noqa: BLE001 - the customer still gets the answer
        logger.exception("could not read the notices of %s", customer_id)
        return []


def remember_scam_words(request: Request, customer_id: str, text: str) -> Tuple[str, ...]:
    """The scam phrases in the customer's message, recorded with the bank before the bot acts on the
    message, so that a transfer asked in the same message is already judged with them."""
    phrases = scam_phrases(text)
    if phrases:
        try:
            request.app.ctx.bank.record_conversation_signal(customer_id, phrases)
        except Exception:  # noqa: BLE001 - the warning is still shown; the log says what the bank missed
            logger.exception("could not record the scam words of %s", customer_id)
    return phrases


def bot_replies(turn: Turn) -> Tuple[List[Dict[str, Any]], bool]:
    """The replies to show for Rasa's turn, and whether it was busy (failed or silent): then the
    customer hears that, never nothing."""
    replies = to_reply_messages(turn.messages)
    busy = not turn.ok or not replies
    if busy:
        replies.append(busy_reply())
    return replies, busy


def _metadata(customer_id: str, voice: bool, body: Dict[str, Any], strength: str = "password") -> Dict[str, Any]:
    """What the actions may read beside the text: who and how strongly they logged in (both from the
    token: the transfer limits follow the strength), voice, and the summary the client last showed
    (``summary_key``), so a typed 确认 confirms only what this client saw."""
    meta: Dict[str, Any] = {"customer_id": customer_id, "voice": voice, "auth_strength": strength}
    key = body.get("summary_key")
    if isinstance(key, str) and SUMMARY_KEY_RE.fullmatch(key):
        meta["summary_key"] = key
    return meta


async def _to_bot(
    request: Request, customer_id: str, text: str, body: Dict[str, Any], desk_lines_waiting: bool = True
) -> Dict[str, Any]:
    rasa = request.app.ctx.rasa
    understood: Optional[Understanding] = None
    try:
        if body.get("asr") is not None:
            hypotheses = read_alternatives(text, body["asr"])
            names = [
                name for payee in request.app.ctx.bank.payees(customer_id) for name in (payee.name, *payee.aliases)
            ]
            understood = await understand(hypotheses, names, rasa.parse)
            text = understood.text
        meta = _metadata(customer_id, understood is not None, body, request.ctx.principal.strength)
        turn = await rasa.send_message(customer_id, text, meta)
    except RasaUnavailable as exc:
        logger.warning("rasa unavailable: %s", exc)
        raise ApiError(
            503, "assistant_unavailable", "助手暂时无法响应，请稍后再试；如刚才在办理业务，结果请以账户记录为准"
        ) from exc
    replies, busy = bot_replies(turn)
    if busy:
        logger.error(
            "rasa turn of %s %s; told the customer to check the account records",
            customer_id,
            "failed" if not turn.ok else "returned no message",
        )
    if understood is not None:
        _attach_understanding(replies, understood)
    parse = turn.understood
    if parse is None:  # a channel that did not say: ask the tracker (one more request)
        try:
            parse = await rasa.latest_message(customer_id)
        except RasaUnavailable as exc:  # the customer got the answer; only the log loses the intent
            logger.warning("could not read the tracker of %s: %s", customer_id, exc)
            parse = {}
    view, pending = None, []
    started = _handoff_started(replies)
    try:
        with session_scope(request.app.ctx.settings.database_url, write=True) as session:
            record_bot_turn(session, customer_id, text, parse, started, busy)
            if desk_lines_waiting or started is not None:
                view = active_handoff_view(session, customer_id)
                pending = [from_desk(line) for line in take_undelivered(session, customer_id)]
    except Exception:  # noqa: BLE001 - the bot has acted: the customer still gets its answer
        logger.exception("could not record the turn of %s; answering anyway", customer_id)
    return {"messages": pending + notice_replies(request, customer_id) + replies, "handoff": view}


@bp.post("/api/chat")
@require_role("customer")
@rate_limited("chat")
async def chat(request: Request) -> HTTPResponse:
    body = json_object(request)
    text = clean_text(body.get("message"))
    customer_id = request.ctx.principal.sub  # the conversation is the verified customer's, never the body's
    async with _customer_lock(customer_id):
        phrases = remember_scam_words(request, customer_id, text)
        waiting = _desk_state(request, customer_id)
        answer = _to_agent(request, customer_id, text) if waiting is None else None
        if answer is None:  # the bot's conversation (or the handoff ended a moment ago: ask the desk after)
            answer = await _to_bot(request, customer_id, text, body, desk_lines_waiting=waiting is not False)
        if phrases:
            answer["messages"].append(fraud_warning(phrases))
    return json(answer)


@bp.get("/api/chat/updates")
@require_role("customer")
async def updates(request: Request) -> HTTPResponse:
    """Agent and desk messages after ``since`` (the largest message_id the page has seen)."""
    since = query_int(request, "since", 0, 0, 2**62)
    customer_id = request.ctx.principal.sub
    # A deferred transaction: polls that find nothing never take SQLite's write lock.
    with session_scope(request.app.ctx.settings.database_url) as session:
        lines = updates_since(session, customer_id, since)
        view = active_handoff_view(session, customer_id)
        messages = [from_desk(line) for line in lines]
    cursor = max([since] + [m["data"]["message_id"] for m in messages])
    # Notices have no message id: each is delivered once (the bank marks it), the cursor is the desk's. A
    # fresh page's first poll (since=0) with no agent on the conversation shows nothing it gets (past agent
    # lines are history there), so notices are left for the next answer instead of being lost.
    if since > 0 or view is not None:
        messages += notice_replies(request, customer_id)
    return json({"messages": messages, "next": cursor, "handoff": view})
