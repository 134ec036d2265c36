"""POST /api/chat: one customer message in, the bot's replies out."""
from __future__ import annotations

import logging

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, json

from assistant.gateway.errors import ApiError
from assistant.gateway.rasa_client import RasaUnavailable, to_reply_messages
from assistant.gateway.security import require_role
from assistant.gateway.validation import clean_text, json_object

logger = logging.getLogger(__name__)
bp = Blueprint("chat")


@bp.post("/api/chat")
@require_role("customer")
async def chat(request: Request) -> HTTPResponse:
    body = json_object(request)
    text = clean_text(body.get("message"))
    customer_id = request.ctx.principal.sub  # the conversation is the verified customer's, never the body's
    try:
        messages = await request.app.ctx.rasa.send_message(customer_id, text, {"customer_id": customer_id})
    except RasaUnavailable as exc:
        logger.warning("rasa unavailable: %s", exc)
        raise ApiError(503, "assistant_unavailable", "助手暂时无法响应，请稍后再试") from exc
    return json({"messages": to_reply_messages(messages)})
