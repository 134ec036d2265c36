"""Per-customer rate limits on chat and search, so that one customer (or one stolen token) cannot flood
the bot or the index: an in-memory token bucket per verified token subject, or per client address when
there is no valid token. Over the limit: 429, "操作太频繁，请稍后再试", and a Retry-After header.

Limits come from ASSISTANT_RATE_CHAT / ASSISTANT_RATE_SEARCH as "BURST,PER_SECOND" (e.g. "20,1": twenty
at once, then one more each second) — the same defaults in dev and prod; test stacks, which script
hundreds of turns as one customer, raise them in their environment (tests/support/stack.py).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import wraps
from typing import Any, Awaitable, Callable, Dict, Mapping, Tuple

from sanic.request import Request

from assistant.base.config import ConfigError
from assistant.gateway.errors import ApiError
from assistant.gateway.security import principal_of

Handler = Callable[..., Awaitable[Any]]
KINDS = ("chat", "search")
ENV_NAMES = {"chat": "ASSISTANT_RATE_CHAT", "search": "ASSISTANT_RATE_SEARCH"}
MAX_KEYS = 20_000  # buckets kept at most; idle ones go first


@dataclass(frozen=True)
class Rate:
    burst: int
    per_second: float

    @classmethod
    def parse(cls, raw: str, name: str) -> Rate:
        """``"20,1"`` → a burst of 20 refilled at one per second; anything else is a ConfigError."""
        try:
            burst_text, rate_text = raw.split(",")
            rate = cls(int(burst_text), float(rate_text))
        except ValueError as exc:
            raise ConfigError(f"{name} must be BURST,PER_SECOND such as 20,1; got {raw!r}") from exc
        if not (1 <= rate.burst <= 1_000_000 and 0 < rate.per_second <= 1_000_000):
            raise ConfigError(f"{name}: burst must be 1..1000000 and per second above 0; got {raw!r}")
        return rate


DEFAULTS = {"chat": Rate(20, 1.0), "search": Rate(60, 5.0)}


class TokenBuckets:
    """One bucket per key, refilled continuously; memory stays bounded by evicting the least recently
    used keys — first those idle long enough to be full again (forgetting them changes nothing)."""

    def __init__(self, rate: Rate, max_keys: int = MAX_KEYS, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: Dict[str, Tuple[float, float]] = {}  # key → (tokens, last update); oldest first

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: str) -> float:
        """Spend one token of ``key``: 0.0 when allowed, else the seconds until a token is back."""
        now = self._clock()
        self._evict(now)
        tokens, last = self._buckets.pop(key, (float(self.rate.burst), now))
        tokens = min(float(self.rate.burst), tokens + (now - last) * self.rate.per_second)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate.per_second
        self._buckets[key] = (tokens, now)  # re-inserted: the dict stays ordered by last use
        return wait

    def _evict(self, now: float) -> None:
        refill_s = self.rate.burst / self.rate.per_second
        while self._buckets:
            oldest = next(iter(self._buckets))
            _, last = self._buckets[oldest]
            if now - last < refill_s and len(self._buckets) < self.max_keys:
                return
            del self._buckets[oldest]


def limits_from_env(env: Mapping[str, str]) -> Dict[str, TokenBuckets]:
    """The buckets of every kind, from ASSISTANT_RATE_* or the defaults."""
    defaults = DEFAULTS
    limits = {}
    for kind in KINDS:
        raw = env.get(ENV_NAMES[kind], "").strip()
        limits[kind] = TokenBuckets(Rate.parse(raw, ENV_NAMES[kind]) if raw else defaults[kind])
    return limits


def caller_key(request: Request) -> str:
    """The verified token's role and subject, else the client address (an invalid token counts as none)."""
    principal = getattr(request.ctx, "principal", None)
    if principal is None:
        try:
            principal = principal_of(request, optional=True)
        except ApiError:
            principal = None
    if principal is not None:
        return f"{principal.role}:{principal.sub}"
    return f"ip:{request.remote_addr or request.ip}"


def rate_limited(kind: str) -> Callable[[Handler], Handler]:
    """429 with Retry-After once the caller has spent their ``kind`` budget. Place it under
    ``@require_role`` so that the bucket is the verified subject's."""
    if kind not in KINDS:
        raise ValueError(f"unknown rate limit {kind!r}; expected one of {', '.join(KINDS)}")

    def decorate(handler: Handler) -> Handler:
        @wraps(handler)
        async def limited(request: Request, *args: Any, **kwargs: Any) -> Any:
            wait = request.app.ctx.rate_limits[kind].take(caller_key(request))
            if wait > 0:
                raise ApiError(
                    429, "rate_limited", "操作太频繁，请稍后再试", headers={"Retry-After": str(max(1, math.ceil(wait)))}
                )
            return await handler(request, *args, **kwargs)

        return limited

    return decorate
