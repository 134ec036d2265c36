"""The gateway over real HTTP, in front of the real Rasa server, action server and database."""

import pytest

pytestmark = pytest.mark.integration


def all_text(messages):
    return "\n".join(m["text"] for m in messages)


def test_health_reports_every_component(stack):
    status, body = stack.get("/health")
    assert status == 200
    assert body["status"] == "ok"
    assert set(body["components"]) == {"gateway", "rasa", "actions", "database", "index"}
    assert all(c["ok"] for c in body["components"].values())


def test_greeting_and_balance_come_from_the_database(stack, demo_token):
    assert "您好" in all_text(stack.chat(demo_token, "你好"))
    messages = stack.chat(demo_token, "查余额")
    text = all_text(messages)
    assert stack.balance_text(demo_token, "6688") in text and "尾号6688" in text
    balance = next(m["data"] for m in messages if m["data"].get("type") == "balance")
    assert {a["last4"] for a in balance["accounts"]} == {"6688", "1024", "3321"}
    assert all("6222021001116688" not in str(a) for a in balance["accounts"])


def test_conversation_belongs_to_the_token_not_the_body(stack):
    token = stack.token("demo2")
    status, body = stack.post("/api/chat", {"message": "查余额", "sender": "demo", "customer_id": "demo"}, token=token)
    assert status == 200
    text = all_text(body["messages"])
    assert "¥1,000.00" in text and "¥52,380.50" not in text


@pytest.mark.parametrize("authorization", [None, "Bearer nonsense", "Basic ZGVtbzpkZW1v", "Bearer "])
def test_chat_without_a_valid_token_is_401(stack, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    status, body = stack.request("POST", "/api/chat", body={"message": "查余额"}, headers=headers)
    assert status == 401
    assert body["error"]["code"] == "unauthorized" and body["error"]["message"]


def test_a_trainer_token_cannot_chat_as_a_customer(stack):
    status, body = stack.post("/api/chat", {"message": "查余额"}, token=stack.token("alice", "trainer"))
    assert status == 403 and body["error"]["code"] == "forbidden"


@pytest.mark.parametrize(
    "raw,code",
    [
        (b"not json", "invalid_json"),
        (b"[1, 2]", "invalid_json"),
        (b'{"message": ""}', "empty_message"),
        (b'{"message": "   \\u0000\\u0007 "}', "empty_message"),
        (b'{"message": 42}', "invalid_message"),
        (b'{"text": "hi"}', "invalid_message"),
        ('{"message": "%s"}' % ("转" * 501), "message_too_long"),
    ],
)
def test_bad_chat_bodies_get_a_clear_400(stack, demo_token, raw, code):
    raw = raw.encode() if isinstance(raw, str) else raw
    status, body = stack.post("/api/chat", raw=raw, token=demo_token)
    assert status == 400, body
    assert body["error"]["code"] == code and body["error"]["message"]


def test_huge_body_is_refused_as_json(stack, demo_token):
    status, body = stack.post("/api/chat", raw=b'{"message": "' + b"a" * 200_000 + b'"}', token=demo_token)
    assert status == 413
    assert body["error"]["code"] == "payload_too_large"


def test_unknown_route_and_method_are_json_errors(stack):
    status, body = stack.get("/api/nothing-here")
    assert status == 404 and body["error"]["code"] == "not_found"
    status, body = stack.get("/api/chat")
    assert status == 405 and body["error"]["code"] == "method_not_allowed"


def test_web_page_is_served(stack):
    status, body = stack.request("GET", "/")
    assert status == 200 and "智能助手" in body and "chat-input" in body and "search-input" in body
    status, _ = stack.request("GET", "/static/app.js")
    assert status == 200
    status, _ = stack.request("GET", "/static/..%2Fconfig.py")
    assert status == 404


def test_dev_token_endpoint_mints_roles(stack):
    status, body = stack.get("/api/dev/token?sub=alice&role=agent")
    assert status == 200 and body["role"] == "agent"
    status, body = stack.get("/api/dev/token?sub=alice&role=root")
    assert status == 400
