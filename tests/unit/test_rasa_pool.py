"""Several Rasa servers behind the gateway: a conversation stays on one server, moves only when its
server cannot be reached or is being given a new model, and a reached server's turn is never redone."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any, Dict, Optional

import pytest

from assistant.base.rasa_client import RasaUnavailable, Turn
from assistant.base.rasa_drain import STALE_AFTER_S, DrainView, clear_draining, draining, mark_draining
from assistant.gateway.rasa_pool import HashRing, RasaPool
from tests.support.asyncrun import run_async

SERVERS = [f"http://127.0.0.1:{5005 + i}" for i in range(3)]
CUSTOMERS = [f"customer{i:04d}" for i in range(3000)]


def test_every_server_owns_a_fair_share_and_a_customer_always_the_same():
    ring = HashRing(SERVERS)
    owners = Counter(ring.preference(c)[0] for c in CUSTOMERS)
    assert set(owners) == set(SERVERS)
    assert min(owners.values()) > len(CUSTOMERS) / len(SERVERS) * 0.7  # 64 points each: roughly even
    assert all(ring.preference(c) == HashRing(list(reversed(SERVERS))).preference(c) for c in CUSTOMERS[:200])
    assert all(sorted(ring.preference(c)) == sorted(SERVERS) for c in CUSTOMERS[:200])


def test_losing_a_server_moves_only_its_own_customers():
    before, after = HashRing(SERVERS), HashRing(SERVERS[:2])
    for customer in CUSTOMERS:
        owner = before.preference(customer)[0]
        if owner != SERVERS[2]:
            assert after.preference(customer)[0] == owner  # nobody else moves
        else:
            assert after.preference(customer)[0] == before.preference(customer)[1]  # the next on the ring


class FakeClient:
    """Stands in for one server's RasaClient (the HTTP client itself is tested on the real stack)."""

    def __init__(self, url: str, fail: Optional[RasaUnavailable] = None) -> None:
        self.base_url, self.fail, self.seen = url, fail, []

    async def send_message(self, sender: str, text: str, metadata: Optional[Dict[str, Any]] = None) -> Turn:
        self.seen.append((sender, text))
        if self.fail is not None:
            raise self.fail
        return Turn([{"text": f"{self.base_url} answers"}], True)


def pool_of(tmp_path, fails: Dict[int, RasaUnavailable]) -> RasaPool:
    pool = RasaPool(SERVERS, "token", "secret", tmp_path / "run" / "rasa-draining.json")
    pool.clients = {url: FakeClient(url, fails.get(i)) for i, url in enumerate(SERVERS)}  # type: ignore[misc]
    return pool


def answered_by(turn: Turn) -> str:
    return turn.messages[0]["text"].split()[0]


def test_a_turn_goes_to_its_owner_and_past_an_unreachable_one(tmp_path):
    customer = "demo"
    owner, second = HashRing(SERVERS).preference(customer)[:2]
    refused = RasaUnavailable("connection refused", unreached=True)
    pool = pool_of(tmp_path, {})
    assert answered_by(run_async(pool.send_message(customer, "查余额"))) == owner
    pool = pool_of(tmp_path, {SERVERS.index(owner): refused})
    assert answered_by(run_async(pool.send_message(customer, "查余额"))) == second
    assert pool.route(customer)[-1] == owner  # passed over for a while ...
    assert pool.clients[owner].seen == [(customer, "查余额")]
    assert answered_by(run_async(pool.send_message(customer, "谢谢"))) == second
    assert len(pool.clients[owner].seen) == 1  # ... without being tried again at once


@pytest.mark.parametrize(
    "failure", [RasaUnavailable("timeout"), RasaUnavailable("HTTP 500", 500), RasaUnavailable("server disconnected")]
)
def test_a_server_that_was_reached_is_never_replaced_for_that_turn(tmp_path, failure):
    """It may have acted (moved money): another server must not process the same message again."""
    owner = HashRing(SERVERS).preference("demo")[0]
    pool = pool_of(tmp_path, {SERVERS.index(owner): failure})
    with pytest.raises(RasaUnavailable):
        run_async(pool.send_message("demo", "确认"))
    assert sum(len(c.seen) for c in pool.clients.values()) == 1


def test_a_draining_server_gets_no_new_turn_until_its_mark_is_cleared(tmp_path):
    marks = tmp_path / "run" / "rasa-draining.json"
    owner, second = HashRing(SERVERS).preference("demo")[:2]
    pool = pool_of(tmp_path, {})
    mark_draining(marks, owner)
    time.sleep(0.25)  # the pool reads the marks at most every 0.2 s
    assert answered_by(run_async(pool.send_message("demo", "你好"))) == second
    clear_draining(marks, owner)
    time.sleep(0.25)
    assert answered_by(run_async(pool.send_message("demo", "你好"))) == owner


def test_when_every_server_is_out_the_turn_still_goes_somewhere(tmp_path):
    marks = tmp_path / "run" / "rasa-draining.json"
    for url in SERVERS:
        mark_draining(marks, url)
    pool = pool_of(tmp_path, {})
    assert answered_by(run_async(pool.send_message("demo", "你好"))) == HashRing(SERVERS).preference("demo")[0]


def test_drain_marks_are_shared_through_one_file_and_expire(tmp_path, monkeypatch):
    marks = tmp_path / "run" / "rasa-draining.json"
    assert draining(marks) == set()
    mark_draining(marks, SERVERS[0])
    mark_draining(marks, SERVERS[1])
    clear_draining(marks, SERVERS[0])
    assert draining(marks) == {SERVERS[1]}
    view = DrainView(marks, every_s=0)
    assert view.current() == {SERVERS[1]}
    marks.write_text("not json")
    assert draining(marks) == set()  # a torn or foreign file never takes every server out
    mark_draining(marks, SERVERS[2])
    later = time.time() + STALE_AFTER_S + 1
    monkeypatch.setattr("assistant.base.rasa_drain.time.time", lambda: later)
    assert draining(marks) == set()  # a publisher that died mid-swap does not keep a server out
