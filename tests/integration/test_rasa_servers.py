"""Several Rasa servers behind the gateway: a server killed in the middle of a conversation loses
nothing (the conversation continues on another server from the shared tracker store, the money
moves once) and the launcher starts it again with the live model; a publish reaches the servers one
at a time while the others answer. tests/integration/shared_stores/ runs the publish again on Redis
and PostgreSQL."""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
import uuid
from typing import List, Tuple

import pytest

from assistant.base.config import Settings
from assistant.gateway.rasa_pool import HashRing
from assistant.ops.training.live import load_into_rasa, mark_live
from tests.support.stack import Stack, pid_alive, refuses_connections

pytestmark = pytest.mark.integration


def test_a_killed_rasa_server_loses_no_conversation_and_comes_back(stack: Stack) -> None:
    if stack.rasa_servers < 2:
        pytest.skip("one Rasa server on this machine (RASA_SERVERS=1 or one core): nothing to fail over to")
    customer = "demo"
    token = stack.token(customer)
    before = stack.balance_text(token, "6688")
    stack.open_summary(token, "给张三转16")  # the transfer is waiting for 确认 when its server dies

    owner = HashRing(stack.rasa_urls).preference(customer)[0]
    name = f"rasa-{stack.rasa_urls.index(owner)}"
    pid = stack.service_pids()[name]
    os.killpg(pid, signal.SIGKILL)  # the server and anything it started (its own process group), at once
    deadline = time.monotonic() + 10
    while (pid_alive(pid) or not refuses_connections(owner)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not pid_alive(pid) and refuses_connections(owner)

    answer = stack.say(token, "确认")  # the next server on the ring takes the conversation as it was
    said = "\n".join(m["text"] for m in answer["messages"])
    assert "转账成功" in said and "¥16.00" in said, said
    assert stack.balance_text(token, "6688") != before
    after = stack.balance_text(token, "6688")
    assert "¥" in "".join(m["text"] for m in stack.chat(token, "查余额"))
    assert stack.balance_text(token, "6688") == after  # moved once

    deadline = time.monotonic() + 240  # the launcher restarts it; loading a model takes a while on 2 cores
    health: dict = {}
    while time.monotonic() < deadline:
        status, health = stack.get("/health")
        if status == 200 and stack.service_pids().get(name) != pid:
            break
        time.sleep(2)
    assert stack.service_pids()[name] != pid, stack.log_tail()
    servers = health["components"]["rasa"]["servers"]
    assert all(s["ok"] for s in servers.values()) and len({s["model"] for s in servers.values()}) == 1, servers


def test_a_rolling_publish_under_load_fails_no_request_and_leaves_no_old_model(stack: Stack) -> None:
    """What `make train` does after the gate accepts a model, here with a copy of the live model under
    a new name (training itself is the trainers' loop test): servers swap one at a time while two
    customers on different servers chat every 0.2 s; no request fails or waits for a loading server."""
    if stack.rasa_servers < 2:
        pytest.skip("one Rasa server on this machine: its publish is the trainers' loop test")
    settings = Settings.from_env(stack.env)
    before = stack.get("/health")[1]["components"]["rasa"]["model"]
    fresh = settings.models_dir / f"model-rolling{uuid.uuid4().hex[:8]}.tar.gz"
    shutil.copy(settings.models_dir / before, fresh)

    ring = HashRing(stack.rasa_urls)
    customers = ["demo"] + [
        c for c in (f"roll{i}" for i in range(50)) if ring.preference(c)[0] != ring.preference("demo")[0]
    ][:1]
    results: List[Tuple[int, float, str]] = []
    stop = threading.Event()

    def chat(customer: str) -> None:
        token = stack.token(customer)
        while not stop.is_set():
            started = time.monotonic()
            status, body = stack.post("/api/chat", {"message": "你好"}, token=token)
            said = "".join(m["text"] for m in body.get("messages", [])) if isinstance(body, dict) else str(body)
            results.append((status, time.monotonic() - started, said))
            time.sleep(0.2)

    threads = [threading.Thread(target=chat, args=(c,), daemon=True) for c in customers]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1)
        mark_live(settings, fresh)
        assert load_into_rasa(settings, fresh)
        servers = stack.get("/health")[1]["components"]["rasa"]["servers"]
        assert {s.get("model") for s in servers.values()} == {fresh.name}, servers  # no server left on the old one
        time.sleep(1)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert len(results) > 10 and {status for status, _, _ in results} == {200}, results
    assert not [said for _, _, said in results if "系统繁忙" in said or not said]
    # Nobody waited for a loading server (a model load takes 10-20 s here): the others answered.
    assert max(seconds for _, seconds, _ in results) < 8, sorted(s for _, s, _ in results)[-5:]
