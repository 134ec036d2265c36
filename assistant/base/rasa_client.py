"""The one client of the Rasa server: customer messages over the gateway's own channel (with the
channel secret in a header) and Rasa's HTTP API (with its token, as Rasa expects it). The gateway
uses it asynchronously; training and the tests use ``call_rasa`` from synchronous code."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional, TypeVar
from urllib.parse import quote

import aiohttp

from assistant.base.config import CHANNEL_SECRET_HEADER

CHANNEL_PATH = "/webhooks/gateway/webhook"
INFLIGHT_PATH = "/webhooks/gateway/inflight"
T = TypeVar("T")


class RasaUnavailable(Exception):
    """Rasa did not answer in time or answered with an error (``status``: the HTTP status of an
    answer; None when nothing answered). ``unreached``: the connection itself failed, so the server
    cannot have seen the request (another server may take it without doing anything twice)."""

    def __init__(self, message: str, status: Optional[int] = None, unreached: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.unreached = unreached


@dataclass(frozen=True)
class Turn:
    """Rasa's answer to one message: its bot messages, whether the turn ran to the end, and what NLU
    made of the message (intent and ranking; None when the channel did not say)."""

    messages: List[Dict[str, Any]]
    ok: bool
    understood: Optional[Dict[str, Any]] = None


class RasaClient:
    """One connection pool to one Rasa server; ``start()`` before use, ``close()`` after (or
    ``async with``)."""

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
        # A fresh connection per request (a local connect costs ~0.1 ms): a server that died is then
        # "connection refused" — nothing was sent, another server may take the turn — never a reset
        # on a pooled connection, which cannot tell a dead server from one that died mid-turn.
        self._session = aiohttp.ClientSession(timeout=self.timeout, connector=aiohttp.TCPConnector(force_close=True))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def __aenter__(self) -> RasaClient:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def _call(
        self,
        method: str,
        path: str,
        what: str,
        body: Any = None,
        params: Optional[Dict[str, str]] = None,
        headers: Optional[Dict[str, str]] = None,
        timeout_s: Optional[float] = None,
    ) -> Any:
        """One request; its JSON answer, or RasaUnavailable for any failure (named by ``what``)."""
        assert self._session is not None, "RasaClient.start() was not awaited"
        timeout = aiohttp.ClientTimeout(total=timeout_s) if timeout_s is not None else None
        try:
            async with self._session.request(
                method,
                f"{self.base_url}{path}",
                json=body,
                params=params,
                headers=headers,
                timeout=timeout,
            ) as resp:
                if resp.status != 200:
                    raise RasaUnavailable(f"rasa {what} HTTP {resp.status}", resp.status)
                return await resp.json(content_type=None)
        except aiohttp.ClientConnectorError as exc:  # refused / no route: the request never left
            raise RasaUnavailable(str(exc) or type(exc).__name__, unreached=True) from exc
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise RasaUnavailable(str(exc) or type(exc).__name__) from exc

    def _api_params(self, **extra: str) -> Dict[str, str]:
        return {**({"token": self.auth_token} if self.auth_token else {}), **extra}

    async def send_message(self, sender_id: str, text: str, metadata: Optional[Dict[str, Any]] = None) -> Turn:
        """Send one user message; returns Rasa's bot messages in order and whether the turn completed."""
        body = {"sender": sender_id, "message": text, "metadata": metadata or {}}
        payload = await self._call(
            "POST", CHANNEL_PATH, "channel", body, headers={CHANNEL_SECRET_HEADER: self.channel_secret}
        )
        if not isinstance(payload, dict) or not isinstance(payload.get("messages"), list):
            return Turn([], False)
        understood = payload.get("understood")
        return Turn(payload["messages"], bool(payload.get("ok")), understood if isinstance(understood, dict) else None)

    async def parse(self, text: str) -> Dict[str, Any]:
        """Rasa's /model/parse for one text (intent, entities) without touching any conversation."""
        result: Dict[str, Any] = await self._call("POST", "/model/parse", "parse", {"text": text}, self._api_params())
        return result

    async def latest_message(self, sender_id: str) -> Dict[str, Any]:
        """What the bot made of the conversation's last message (intent, ranking, entities)."""
        path = f"/conversations/{quote(sender_id, safe='')}/tracker"
        tracker = await self._call("GET", path, "tracker", params=self._api_params(include_events="NONE"))
        return dict(tracker.get("latest_message") or {})

    async def status(self) -> Dict[str, Any]:
        """Rasa's /status: raises RasaUnavailable unless a model is loaded."""
        info: Dict[str, Any] = await self._call("GET", "/status", "status", params=self._api_params(), timeout_s=5)
        if not info.get("model_file"):
            raise RasaUnavailable("no model loaded")
        return info

    async def inflight(self) -> int:
        """Turns the server's gateway channel is processing now."""
        info = await self._call("GET", INFLIGHT_PATH, "inflight", params=self._api_params(), timeout_s=3)
        return int(info.get("inflight") or 0)

    async def replace_model(self, model_file: str, timeout_s: float = 600) -> None:
        """Rasa's PUT /model: load another model file; Rasa answers nothing else while it loads."""
        assert self._session is not None, "RasaClient.start() was not awaited"
        try:
            async with self._session.put(
                f"{self.base_url}/model",
                json={"model_file": model_file},
                params=self._api_params(),
                timeout=aiohttp.ClientTimeout(total=timeout_s),
            ) as resp:
                if resp.status not in (200, 204):
                    raise RasaUnavailable(f"rasa model HTTP {resp.status}: {(await resp.text())[:300]}", resp.status)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise RasaUnavailable(str(exc) or type(exc).__name__) from exc


def call_rasa(
    base_url: str, auth_token: Optional[str], call: Callable[[RasaClient], Awaitable[T]], timeout_s: float = 30.0
) -> T:
    """Run one client call from synchronous code (training, tests). A fresh event loop in a worker
    thread, so it also works where a loop is already running (Playwright's in the browser tests)."""

    async def run() -> T:
        async with RasaClient(base_url, auth_token, timeout_s=timeout_s) as client:
            return await call(client)

    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(asyncio.run, run()).result()
