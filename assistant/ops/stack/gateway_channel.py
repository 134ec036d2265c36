"""The only way customer messages reach Rasa: a REST-style channel that serves the gateway alone.

Rasa's built-in REST channel accepts any ``sender`` from any local process. This channel
refuses a request without the gateway's shared secret (``X-Gateway-Secret``), refuses
over-long messages before they cost a parse, and reports a failed turn as such
(``{"messages": [...], "ok": false}``) instead of a silent empty list, so the gateway can
tell the customer honestly. With the messages comes what NLU made of the message (``understood``:
intent and ranking), so the gateway needs no second request for the tracker.
The message text is never written to the log.
"""

from __future__ import annotations

import hmac
import inspect
import logging
import os
import uuid
from asyncio import CancelledError
from typing import Any, Awaitable, Callable, Dict, Optional

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant.base.config import CHANNEL_SECRET_ENV, CHANNEL_SECRET_HEADER, MAX_MESSAGE_CHARS, RASA_TOKEN_ENV

logger = logging.getLogger(__name__)

MAX_SENDER_CHARS = 64


def _reading(request: Request, message_id: str) -> Optional[Dict[str, Any]]:
    """The message's intent reading, kept by the masking tracker store when the turn was saved; None
    when the store is another one (the gateway then asks the tracker)."""
    agent = getattr(request.app.ctx, "agent", None)
    store = getattr(agent, "tracker_store", None)
    store = getattr(store, "_tracker_store", store)  # Rasa wraps custom stores in AwaitableTrackerStore
    reading_of = getattr(store, "reading_of", None)
    return reading_of(message_id) if callable(reading_of) else None


def _refuse(status: int, code: str, message: str) -> HTTPResponse:
    return response.json({"error": {"code": code, "message": message}}, status=status)


class GatewayChannel(InputChannel):
    """``POST /webhooks/gateway/webhook`` with ``{"sender", "message", "metadata"}``."""

    def __init__(self, secret: Optional[str] = None) -> None:
        self.secret = secret if secret is not None else os.environ.get(CHANNEL_SECRET_ENV, "")
        if not self.secret:
            raise ValueError(f"{CHANNEL_SECRET_ENV} is not set: the gateway channel refuses to run without a secret")
        self.api_token = os.environ.get(RASA_TOKEN_ENV, "")
        self.inflight = 0  # turns being processed now (a rolling publish waits for none before swapping)

    @classmethod
    def name(cls) -> str:
        return "gateway"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> GatewayChannel:
        return cls()  # the secret comes from the environment only, never from credentials.yml

    def authorized(self, request: Request) -> bool:
        given = request.headers.get(CHANNEL_SECRET_HEADER, "")
        return hmac.compare_digest(given.encode("utf-8", "replace"), self.secret.encode("utf-8"))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        module = inspect.getmodule(self)
        bp = Blueprint(f"custom_webhook_{type(self).__name__}", module.__name__ if module else None)

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/inflight", methods=["GET"])
        async def inflight(request: Request) -> HTTPResponse:
            """Turns in flight, for the publisher (with Rasa's API token, like the model API it drives)."""
            given = str(request.args.get("token") or "")
            if not self.api_token or not hmac.compare_digest(given.encode("utf-8", "replace"), self.api_token.encode()):
                return _refuse(401, "unauthorized", "API token missing or wrong")
            return response.json({"inflight": self.inflight})

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.authorized(request):
                return _refuse(401, "unauthorized", "gateway secret missing or wrong")
            body = request.json if isinstance(request.json, dict) else None
            sender = body.get("sender") if body else None
            text = body.get("message") if body else None
            metadata = body.get("metadata") if body else None
            if not isinstance(sender, str) or not 0 < len(sender) <= MAX_SENDER_CHARS or not isinstance(text, str):
                return _refuse(400, "bad_request", "sender and message must be strings")
            if len(text) > MAX_MESSAGE_CHARS:
                return _refuse(413, "message_too_long", f"messages are limited to {MAX_MESSAGE_CHARS} characters")
            collector = CollectingOutputChannel()
            message_id = uuid.uuid4().hex
            ok = True
            self.inflight += 1
            try:
                await on_new_message(
                    UserMessage(
                        text,
                        collector,
                        sender,
                        input_channel=self.name(),
                        message_id=message_id,
                        metadata=metadata if isinstance(metadata, dict) else None,
                    )
                )
            except CancelledError:
                ok = False
                logger.error("gateway channel: the turn of one conversation was cancelled (timeout)")
            except Exception as exc:  # noqa: BLE001 - the turn failed; the gateway must hear so
                ok = False
                logger.error("gateway channel: the turn failed: %s", type(exc).__name__, exc_info=exc)
            finally:
                self.inflight -= 1
            understood = _reading(request, message_id)
            return response.json({"messages": collector.messages, "ok": ok, "understood": understood})

        return bp
