"""Rasa's bot messages in the gateway's reply shape (the client itself is assistant.base.rasa_client)."""

from __future__ import annotations

from typing import Any, Dict, List


def to_reply_messages(messages: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Rasa's REST output → the gateway's message shape.

    Rasa emits one utterance with text and a custom payload as two messages
    (text first, then the custom JSON); they are folded back into one message
    whose custom payload is under ``data``.
    """
    out: List[Dict[str, Any]] = []
    for message in messages:
        custom = message.get("custom")
        data = custom if isinstance(custom, dict) else ({} if custom is None else {"value": custom})
        text = message.get("text") or ""
        buttons = list(message.get("buttons") or [])
        if not text and not buttons and data and out and not out[-1]["data"]:
            out[-1]["data"] = data
            continue
        if not text and not buttons and not data:
            continue
        out.append({"text": text, "buttons": buttons, "data": data})
    return out
