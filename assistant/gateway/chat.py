"""POST /api/chat: one customer message (typed, or spoken with recognizer alternatives) in,
the bot's replies out."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, json

from assistant.bank.payees import payee_names
from assistant.db.engine import session_scope
from assistant.gateway.asr import Understanding, read_alternatives, understand
from assistant.gateway.errors import ApiError
from assistant.gateway.rasa_client import RasaUnavailable, to_reply_messages
from assistant.gateway.security import require_role
from assistant.gateway.validation import clean_text, json_object

logger = logging.getLogger(__name__)
bp = Blueprint("chat")


def _attach_understanding(replies: List[Dict[str, Any]], understood: Understanding) -> None:
    """Say which text the bot acted on, in the data of the first reply."""
    if not replies:
        replies.append({"text": "", "buttons": [], "data": {}})
    replies[0]["data"] = {**replies[0]["data"], **understood.to_json()}


@bp.post("/api/chat")
@require_role("customer")
async def chat(request: Request) -> HTTPResponse:
    body = json_object(request)
    text = clean_text(body.get("message"))
    customer_id = request.ctx.principal.sub  # the conversation is the verified customer's, never the body's
    rasa = request.app.ctx.rasa
    understood: Optional[Understanding] = None
    try:
        if body.get("asr") is not None:
            hypotheses = read_alternatives(text, body["asr"])
            with session_scope(request.app.ctx.settings.database_url) as session:
                names = payee_names(session, customer_id)
            understood = await understand(hypotheses, names, rasa.parse)
            text = understood.text
        messages = await rasa.send_message(customer_id, text, {"customer_id": customer_id,
                                                               "voice": understood is not None})
    except RasaUnavailable as exc:
        logger.warning("rasa unavailable: %s", exc)
        raise ApiError(503, "assistant_unavailable", "助手暂时无法响应，请稍后再试") from exc
    replies = to_reply_messages(messages)
    if understood is not None:
        _attach_understanding(replies, understood)
    return json({"messages": replies})
