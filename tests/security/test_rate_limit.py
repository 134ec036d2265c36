"""Per-customer rate limits on chat and search (issue 11 finding 7): the token bucket itself, its
configuration, and the gateway answering 429 with Retry-After once a customer's budget is spent."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, Optional, Tuple

import pytest
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from assistant.base.auth import mint_token
from assistant.base.config import DEV_JWT_SECRET, ConfigError, Settings
from assistant.gateway.rate_limit import DEFAULTS, Rate, TokenBuckets, limits_from_env, rate_limited
from assistant.gateway.security import require_role

REPO = Path(__file__).resolve().parents[2]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_passes_then_the_bucket_refills_at_its_rate() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(Rate(3, 0.5), clock=clock)
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == pytest.approx(2.0)  # one token back after 1 / 0.5 s
    assert buckets.take("b") == 0.0  # another customer has their own bucket
    clock.now += 2.0
    assert buckets.take("a") == 0.0
    assert buckets.take("a") > 0
    clock.now += 100.0  # refilled, but never above the burst
    assert [buckets.take("a") for _ in range(4)][-1] > 0


def test_memory_stays_bounded_and_idle_keys_go_first() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(Rate(2, 1.0), max_keys=100, clock=clock)
    for i in range(1000):
        buckets.take(f"k{i}")
    assert len(buckets) <= 100
    clock.now += 5.0  # every bucket is full again: all of them may be forgotten
    buckets.take("fresh")
    assert len(buckets) == 1


def test_a_busy_customer_is_not_forgotten_while_their_bucket_is_low() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(Rate(2, 0.1), max_keys=100, clock=clock)
    buckets.take("busy"), buckets.take("busy")
    clock.now += 1.0
    buckets.take("other")
    assert buckets.take("busy") > 0  # still empty: not reset by the other key's visit


@pytest.mark.parametrize("raw", ["20", "a,b", "0,1", "5,0", "5,-1", "1,2,3", ""])
def test_a_bad_limit_setting_is_refused(raw: str) -> None:
    with pytest.raises(ConfigError):
        Rate.parse(raw, "ASSISTANT_RATE_CHAT")


def test_limits_come_from_the_environment_or_the_defaults() -> None:
    limits = limits_from_env({"ASSISTANT_RATE_CHAT": "5,0.25"})
    assert limits["chat"].rate == Rate(5, 0.25) and limits["search"].rate == DEFAULTS["search"]
    assert limits_from_env({})["chat"].rate == DEFAULTS["chat"]
    # A customer typing quickly must get through a burst untouched.
    assert DEFAULTS["chat"].burst >= 20
    with pytest.raises(ValueError):
        rate_limited("upload")


# ---------------------------------------------------------------- the gateway, in process, tiny limits


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real gateway app (no Rasa needed) with 3 chat turns and 4 searches per caller, served on a
    free port; a /test/chat route stands for /api/chat with the decorator as chat.py is told to use it."""
    from assistant.gateway.app import create_app

    data_dir = tmp_path_factory.mktemp("rate_limit")
    settings = Settings.from_env(
        {
            "ASSISTANT_ENV": "dev",
            "ASSISTANT_DATA_DIR": str(data_dir),
            "SEARCH_INDEX_DIR": str(REPO / "data" / "search_index"),
            "ASSISTANT_CHANNEL_SECRET": "rate-limit-test",
        }
    )
    mp = pytest.MonkeyPatch()
    mp.setenv("ASSISTANT_RATE_CHAT", "3,0.01")
    mp.setenv("ASSISTANT_RATE_SEARCH", "4,0.01")
    app = create_app(settings, name=f"rate_limit_test_{_free_port()}")
    mp.undo()

    @app.post("/test/chat")
    @require_role("customer")
    @rate_limited("chat")
    async def _chat(request: Request) -> HTTPResponse:
        return json_response({"ok": True, "sub": request.ctx.principal.sub})

    port = _free_port()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stopping = asyncio.Event()

    async def serve() -> None:
        server = await app.create_server("127.0.0.1", port, return_asyncio_server=True)  # listening now
        await server.startup()
        await server.before_start()
        await server.after_start()
        ready.set()
        await stopping.wait()
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()

    thread = threading.Thread(target=lambda: loop.run_until_complete(serve()), daemon=True)
    thread.start()
    assert ready.wait(60), "in-process gateway did not start"
    yield f"http://127.0.0.1:{port}"
    loop.call_soon_threadsafe(stopping.set)
    thread.join(30)
    loop.close()


def _call(
    base: str, method: str, path: str, token: Optional[str] = None, body: Any = None
) -> Tuple[int, Any, Dict[str, str]]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"null"), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null"), dict(exc.headers)


def _assert_limited(status: int, body: Any, headers: Dict[str, str]) -> None:
    assert status == 429, (status, body)
    assert body == {"error": {"code": "rate_limited", "message": "操作太频繁，请稍后再试"}}
    assert int(headers["Retry-After"]) >= 1


def test_the_real_chat_endpoint_is_limited(gateway: str) -> None:
    """/api/chat itself: empty messages are refused (400) before Rasa, yet each spends the budget."""
    carol = mint_token(DEV_JWT_SECRET, "rl_carol")
    for _ in range(3):
        assert _call(gateway, "POST", "/api/chat", carol, {"message": ""})[0] == 400
    _assert_limited(*_call(gateway, "POST", "/api/chat", carol, {"message": "查余额"}))


def test_chat_answers_429_once_a_customer_spent_their_budget(gateway: str) -> None:
    alice, bob = (mint_token(DEV_JWT_SECRET, sub) for sub in ("rl_alice", "rl_bob"))
    for _ in range(3):
        status, body, _ = _call(gateway, "POST", "/test/chat", alice, {"message": "查余额"})
        assert (status, body["sub"]) == (200, "rl_alice")
    _assert_limited(*_call(gateway, "POST", "/test/chat", alice, {"message": "查余额"}))
    # The bucket is the verified subject's: another customer is untouched, a fresh token of alice is not.
    assert _call(gateway, "POST", "/test/chat", bob, {"message": "查余额"})[0] == 200
    _assert_limited(*_call(gateway, "POST", "/test/chat", mint_token(DEV_JWT_SECRET, "rl_alice"), {"message": "x"}))
    # Without a valid token the guard answers first: 401, and no bucket is spent.
    assert _call(gateway, "POST", "/test/chat", "garbage", {"message": "x"})[0] == 401


def test_search_and_suggest_share_a_budget_per_customer_or_per_address(gateway: str) -> None:
    carol = mint_token(DEV_JWT_SECRET, "rl_carol")
    statuses = [
        _call(gateway, "GET", path, carol)[0]
        for path in ("/api/search?q=zhuanzhang", "/api/suggest?q=zh", "/api/search?q=j", "/api/suggest?q=x")
    ]
    assert 429 not in statuses and all(s < 500 or s == 503 for s in statuses), statuses
    _assert_limited(*_call(gateway, "GET", "/api/search?q=zhuanzhang", carol))
    _assert_limited(*_call(gateway, "GET", "/api/suggest?q=z", carol))
    # Anonymous callers (and invalid tokens) are counted by address, apart from carol.
    anonymous = [_call(gateway, "GET", "/api/suggest?q=z", token)[0] for token in (None, None, "bad", None)]
    assert 429 not in anonymous, anonymous
    _assert_limited(*_call(gateway, "GET", "/api/search?q=z"))
    assert _call(gateway, "GET", "/api/search?q=z", mint_token(DEV_JWT_SECRET, "rl_dave"))[0] != 429
