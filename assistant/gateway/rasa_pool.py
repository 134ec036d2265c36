"""The gateway's Rasa servers: each conversation belongs to one server (consistent hashing on the
customer id), so its turns are processed one at a time by one process; a server that cannot be
reached, or that is being given a new model (a rolling publish marks it draining), is passed over
for the next one on the ring, which reads the conversation from the shared tracker store.

Only a connection that failed outright moves a turn to another server: a server that was reached
(and may have acted) is never asked to process the same message a second time elsewhere."""

from __future__ import annotations

import bisect
import hashlib
import itertools
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence

from assistant.base.rasa_client import RasaClient, RasaUnavailable, Turn
from assistant.base.rasa_drain import DrainView

VIRTUAL_NODES = 64  # points per server on the ring: conversations spread evenly, and few move when one goes
DOWN_FOR_S = 2.0  # after a failed connection, how long a server is passed over before it is tried again


def _point(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big")


class HashRing:
    """Servers placed at many points of a circle; a key belongs to the first server clockwise."""

    def __init__(self, servers: Sequence[str], virtual_nodes: int = VIRTUAL_NODES) -> None:
        if not servers:
            raise ValueError("a ring needs at least one server")
        self.servers = list(servers)
        nodes = sorted((_point(f"{server}#{i}"), server) for server in self.servers for i in range(virtual_nodes))
        self._points = [p for p, _ in nodes]
        self._owners = [s for _, s in nodes]

    def preference(self, key: str) -> List[str]:
        """Every server, in the order this key tries them: its owner first."""
        start = bisect.bisect(self._points, _point(key)) % len(self._points)
        order: List[str] = []
        for i in range(len(self._owners)):
            owner = self._owners[(start + i) % len(self._owners)]
            if owner not in order:
                order.append(owner)
                if len(order) == len(self.servers):
                    break
        return order


class RasaPool:
    """RasaClient's interface over several servers, routed by conversation."""

    def __init__(
        self,
        urls: Sequence[str],
        auth_token: Optional[str],
        channel_secret: Optional[str],
        draining_file: Optional[Path] = None,
        timeout_s: float = 30.0,
    ) -> None:
        self.clients: Dict[str, RasaClient] = {
            url: RasaClient(url, auth_token, channel_secret, timeout_s=timeout_s) for url in urls
        }
        self.ring = HashRing(list(self.clients))
        self._drain = DrainView(draining_file) if draining_file is not None else None
        self._down_until: Dict[str, float] = {}
        self._spread = itertools.cycle(list(self.clients))

    async def start(self) -> None:
        for client in self.clients.values():
            await client.start()

    async def close(self) -> None:
        for client in self.clients.values():
            await client.close()

    def _usable(self, url: str) -> bool:
        draining = self._drain.current() if self._drain is not None else set()
        return url not in draining and self._down_until.get(url, 0.0) <= time.monotonic()

    def route(self, key: str) -> List[str]:
        """The servers to try for ``key``: usable ones in ring order, then the rest (better a draining
        or recently failed server than none)."""
        order = self.ring.preference(key)
        return [u for u in order if self._usable(u)] + [u for u in order if not self._usable(u)]

    def _mark_down(self, url: str) -> None:
        self._down_until[url] = time.monotonic() + DOWN_FOR_S

    def _attempts(self, key: str) -> Iterator[RasaClient]:
        for url in self.route(key):
            yield self.clients[url]

    async def send_message(self, sender_id: str, text: str, metadata: Optional[Dict[str, Any]] = None) -> Turn:
        """The turn on the conversation's server; on to the next only when a server could not be reached."""
        turn: Turn = await self._first_reachable(sender_id, lambda c: c.send_message(sender_id, text, metadata))
        return turn

    async def latest_message(self, sender_id: str) -> Dict[str, Any]:
        return await self._first_reachable(sender_id, lambda c: c.latest_message(sender_id))

    async def parse(self, text: str) -> Dict[str, Any]:
        """A parse touches no conversation: spread over the servers."""
        return await self._first_reachable(next(self._spread), lambda c: c.parse(text))

    async def _first_reachable(self, key: str, call: Any) -> Any:
        """``call`` on the first server of ``key``'s route that can be reached."""
        last: Optional[RasaUnavailable] = None
        for client in self._attempts(key):
            try:
                return await call(client)
            except RasaUnavailable as exc:
                if not exc.unreached:
                    raise
                self._mark_down(client.base_url)
                last = exc
        assert last is not None
        raise last

    async def statuses(self) -> Dict[str, Dict[str, Any]]:
        """Every server's /status, or why it has none."""
        found: Dict[str, Dict[str, Any]] = {}
        for url, client in self.clients.items():
            try:
                info = await client.status()
                found[url] = {"ok": True, "model": info.get("model_file", "")}
            except RasaUnavailable as exc:
                found[url] = {"ok": False, "detail": str(exc)}
        return found
