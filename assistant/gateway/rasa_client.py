"""Talks to the Rasa server over the gateway's own channel and Rasa's HTTP API (localhost only,
each with its secret: the channel's in a header, the API token as Rasa expects it)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Dict, List, Optional
from urllib.parse import quote

import aiohttp

from assistant.base.config import CHANNEL_SECRET_HEADER


class RasaUnavailable(Exception):
    """Rasa did not answer in time or answered with an error."""


CHANNEL_PATH = "/webhooks/gateway/webhook"


@dataclass(frozen=True)
class Turn:
    """Rasa's answer to one message: its bot messages, and whether the turn ran to the end."""

    messages: List[Dict[str, Any]]
    ok: bool


class RasaClient:
    def __init__(
        self,
        base_url: str,
        auth_token: Optional[str] = None,
        channel_secret: Optional[str] = None,
        timeout_s: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth_token = auth_token
        self.channel_secret = channel_secret or ""
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: Optional[aiohttp.ClientSession] = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=self.timeout)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    def _params(self) -> Dict[str, str]:
        return {"token": self.auth_token} if self.auth_token else {}

    async def send_message(self, sender_id: str, text: str, metadata: Optional[Dict[str, Any]] = None) -> Turn:
        """Send one user message; returns Rasa's bot messages in order and whether the turn completed."""
        assert self._session is not None, "RasaClient.start() was not awaited"
        body = {"sender": sender_id, "message": text, "metadata": metadata or {}}
        try:
            async with self._session.post(
                f"{self.base_url}{CHANNEL_PATH}", json=body, headers={CHANNEL_SECRET_HEADER: self.channel_secret}
            ) as resp:
                if resp.status != 200:
                    raise RasaUnavailable(f"rasa answered HTTP {resp.status}")
                payload = await resp.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise RasaUnavailable(str(exc) or type(exc).__name__) from exc
        if not isinstance(payload, dict) or not isinstance(payload.get("messages"), list):
            return Turn([], False)
        return Turn(payload["messages"], bool(payload.get("ok")))

    async def parse(self, text: str) -> Dict[str, Any]:
        """Rasa's /model/parse for one text (intent, entities) without touching any conversation."""
        assert self._session is not None
        try:
            async with self._session.post(
                f"{self.base_url}/model/parse", params=self._params(), json={"text": text}
            ) as resp:
                if resp.status != 200:
                    raise RasaUnavailable(f"rasa parse HTTP {resp.status}")
                return await resp.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise RasaUnavailable(str(exc) or type(exc).__name__) from exc

    async def latest_message(self, sender_id: str) -> Dict[str, Any]:
        """What the bot made of the conversation's last message (intent, ranking, entities)."""
        assert self._session is not None
        url = f"{self.base_url}/conversations/{quote(sender_id, safe='')}/tracker"
        try:
            async with self._session.get(url, params={**self._params(), "include_events": "NONE"}) as resp:
                if resp.status != 200:
                    raise RasaUnavailable(f"rasa tracker HTTP {resp.status}")
                tracker = await resp.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise RasaUnavailable(str(exc) or type(exc).__name__) from exc
        return tracker.get("latest_message") or {}

    async def status(self) -> Dict[str, Any]:
        """Rasa's /status: raises RasaUnavailable unless a model is loaded."""
        assert self._session is not None
        try:
            async with self._session.get(
                f"{self.base_url}/status", params=self._params(), timeout=aiohttp.ClientTimeout(total=3)
            ) as resp:
                if resp.status != 200:
                    raise RasaUnavailable(f"rasa status HTTP {resp.status}")
                info = await resp.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise RasaUnavailable(str(exc) or type(exc).__name__) from exc
        if not info.get("model_file"):
            raise RasaUnavailable("no model loaded")
        return info


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
