"""Finding 2: a 确认 confirms the summary the customer saw, never details changed meanwhile
(by another client of the same customer, or by a correction the client did not show)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Optional

import pytest

from tests.support.stack import Stack

pytestmark = pytest.mark.integration


def send(stack: Stack, token: str, message: str, key: Optional[str] = None) -> Dict[str, Any]:
    body: Dict[str, Any] = {"message": message}
    if key:
        body["summary_key"] = key
    status, answer = stack.post("/api/chat", body, token=token)
    assert status == 200, answer
    return answer


def summary_key(answer: Dict[str, Any]) -> str:
    keys = [m["data"]["summary_key"] for m in answer["messages"] if m["data"].get("summary_key")]
    assert keys, [m["text"] for m in answer["messages"]]
    return keys[-1]


def tracker_tail(stack: Stack, sender: str = "demo", events: int = 30) -> List[str]:
    """The end of the conversation as Rasa recorded it, for failure messages."""
    import json
    import urllib.request

    url = f"{stack.rasa_url}/conversations/{sender}/tracker?token={stack.rasa_token}"
    with urllib.request.urlopen(url, timeout=30) as resp:
        tracker = json.loads(resp.read().decode())
    return [
        f"{e['event']} {e.get('name') or ''} {(e.get('text') or '')[:20]} {e.get('value', '')}"
        for e in tracker["events"][-events:]
    ]


def text_of(answer: Dict[str, Any]) -> str:
    return "\n".join(m["text"] for m in answer["messages"])


@pytest.fixture
def customer(stack: Stack) -> str:
    """demo's token for two clients (phone and tablet) — the same customer, separate pages."""
    send(stack, stack.token("demo"), "取消")
    return stack.token("demo")


def test_a_confirmation_never_executes_details_another_client_changed(stack: Stack, customer: str) -> None:
    phone, tablet = customer, stack.token("demo")
    before = stack.balance_text(phone, "6688")
    seen_on_phone = summary_key(send(stack, phone, "给张三转100"))
    seen_on_tablet = summary_key(send(stack, tablet, "给王芳转200"))
    assert seen_on_phone != seen_on_tablet
    answer = send(stack, phone, "确认", seen_on_phone)  # the phone confirms 张三 ¥100, what it saw
    said = text_of(answer)
    assert "成功" not in said and "信息已有变动" in said, (said, tracker_tail(stack))
    assert "王芳" in said and "¥200.00" in said  # the current summary is shown again instead
    assert stack.balance_text(phone, "6688") == before
    answer = send(stack, tablet, "确认", seen_on_tablet)  # the tablet confirms what it saw
    assert "转账成功" in text_of(answer) and "王芳" in text_of(answer)


def test_a_typed_confirmation_without_a_key_after_a_change_shows_the_summary_again(stack: Stack, customer: str) -> None:
    before = stack.balance_text(customer, "6688")
    send(stack, customer, "给张三转100")
    changed = send(stack, customer, "改成120")
    assert "¥120.00" in text_of(changed)
    again = send(stack, customer, "确认")  # no key: the details changed after a summary was shown
    assert "信息已有变动" in text_of(again) and "¥120.00" in text_of(again)
    assert stack.balance_text(customer, "6688") == before
    done = send(stack, customer, "确认")  # still no key, but right after the summary was shown again
    assert "转账成功" in text_of(done) and "¥120.00" in text_of(done)


def test_a_typed_confirmation_without_a_key_never_executes_another_clients_change(stack: Stack, customer: str) -> None:
    phone, tablet = customer, stack.token("demo")
    before = stack.balance_text(phone, "6688")
    send(stack, phone, "给张三转100")
    send(stack, tablet, "给王芳转200")
    answer = send(stack, phone, "确认")  # a client that sends no key
    assert "成功" not in text_of(answer) and "王芳" in text_of(answer), text_of(answer)
    assert stack.balance_text(phone, "6688") == before
    send(stack, phone, "取消")


def test_a_refused_detail_that_falls_back_to_a_default_needs_a_new_confirmation(stack: Stack, customer: str) -> None:
    """The paying account may not change under a summary: paying from the credit card (尾号3321) is
    refused, the default account comes back, and that is a new summary with a new key — the old one no
    longer confirms anything."""
    before = stack.balance_text(customer, "1024")
    first = summary_key(send(stack, customer, "从尾号1024给张三转100"))
    assert "尾号1024" in text_of(send(stack, customer, "确认", "zzzzzzzzzzzzzzzzzzzzzzzz"))  # a stale key: shown again
    changed = send(stack, customer, "改用尾号3321付")
    assert "6688" in text_of(changed) and summary_key(changed) != first, (text_of(changed), tracker_tail(stack))
    answer = send(stack, customer, "确认", first)
    assert "成功" not in text_of(answer), text_of(answer)
    assert stack.balance_text(customer, "1024") == before
    send(stack, customer, "取消")


def test_concurrent_clients_never_cross_details(stack: Stack, customer: str) -> None:
    """Two clients each start and confirm their own transfer at the same time, many rounds: whatever
    executes is always exactly a summary its confirming client was shown."""
    phone, tablet = customer, stack.token("demo")
    executed: List[str] = []

    def client(token: str, request: str) -> None:
        key = summary_key(send(stack, token, request))
        said = text_of(send(stack, token, "确认", key))
        if "转账成功" in said:
            executed.append(said)
            assert request[1:3] in said and ("¥" + request.split("转")[-1]) in said.replace(".00", ""), (request, said)

    for _ in range(3):
        with ThreadPoolExecutor(2) as pool:
            results = [pool.submit(client, phone, "给张三转11"), pool.submit(client, tablet, "给王芳转12")]
            for r in results:
                r.result()
        send(stack, phone, "取消")
    assert executed, "no confirmation went through at all"
