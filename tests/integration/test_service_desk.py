"""Staged fallback, handoff to a human agent and back, roles, the NLU inbox and statistics,
end to end over HTTP on the real stack (Rasa, action server, gateway, database)."""

from typing import Any, Dict, List

import pytest

pytestmark = pytest.mark.integration

MISS_ONE = "咕噜咕噜嘎嘎"
MISS_TWO = "咔嚓咔嚓嘟嘟"
CARD = "6222021234567890123"
MASKED_CARD = "***************0123"


def bot_types(answer: Dict[str, Any]) -> List[str]:
    return [m["data"].get("type", "") for m in answer["messages"]]


def detail(stack, token: str, handoff_id: int) -> Dict[str, Any]:
    status, body = stack.get(f"/api/agent/handoffs/{handoff_id}", token=token)
    assert status == 200, body
    return body


def agent_does(stack, token: str, handoff_id: int, what: str, body: Any = None) -> Dict[str, Any]:
    status, answer = stack.post(f"/api/agent/handoffs/{handoff_id}/{what}", body or {}, token=token)
    assert status in (200, 201), (what, status, answer)
    return answer


def test_a_miss_offers_readings_and_search_entries_and_a_second_miss_hands_off(stack, agent_token):
    token = stack.token("desk_fallback")
    first = stack.say(token, MISS_ONE)
    offer = first["messages"][-1]
    assert offer["data"]["type"] == "fallback" and first["handoff"] is None
    readings = offer["data"]["readings"]
    assert len(readings) == 2 and offer["text"].startswith("抱歉") and "还是" in offer["text"]
    titles = [b["title"] for b in offer["buttons"]]
    assert titles[-1] == "转人工客服" and len(titles) == 3 + len(offer["data"]["results"])
    assert [b["payload"] for b in offer["buttons"][:2]] == [f"/{r}" for r in readings]
    second = stack.say(token, MISS_TWO)
    assert "handoff" in bot_types(second)
    assert second["handoff"]["reason"] == "repeated_misses" and second["handoff"]["status"] == "queued"
    assert "人工客服" in second["messages"][-1]["text"]
    handoff_id = second["handoff"]["id"]
    summary = detail(stack, agent_token, handoff_id)["handoff"]["summary"]
    assert "连续两次未能理解" in summary and MISS_ONE in summary
    agent_does(stack, agent_token, handoff_id, "claim")
    agent_does(stack, agent_token, handoff_id, "close")
    status, updates = stack.get("/api/chat/updates?since=0", token=token)
    assert status == 200 and updates["handoff"] is None
    assert "人工服务已结束" in updates["messages"][-1]["text"]


def test_transfer_to_a_person_and_back_to_the_bot(stack, agent_token):
    token = stack.token("demo2")
    stack.say(token, f"我的卡号是{CARD}")
    started = stack.say(token, "转人工")
    handoff = started["handoff"]
    assert handoff["reason"] == "requested" and handoff["status"] == "queued" and handoff["position"] >= 1
    assert "客服接入后会在这里回复您" in started["messages"][-1]["text"]
    hid = handoff["id"]

    status, queue = stack.get("/api/agent/handoffs", token=agent_token)
    assert status == 200 and any(h["id"] == hid and h["customer_id"] == "demo2" for h in queue["handoffs"])
    transcript = [line["text"] for line in detail(stack, agent_token, hid)["transcript"]]
    assert any(MASKED_CARD in t for t in transcript) and not any(CARD in t for t in transcript)

    waiting = stack.say(token, "查余额")  # with the agent now, not the bot
    assert waiting["handoff"]["status"] == "queued" and "排在第" in waiting["messages"][0]["text"]

    other = stack.token("agent_zhao", "agent")
    agent_does(stack, agent_token, hid, "claim")
    assert stack.post(f"/api/agent/handoffs/{hid}/claim", {}, token=other)[0] == 409
    assert stack.get(f"/api/agent/handoffs/{hid}", token=other)[0] == 404
    assert stack.post(f"/api/agent/handoffs/{hid}/messages", {"text": "我来"}, token=other)[0] == 404
    assert all(h["id"] != hid for h in stack.get("/api/agent/handoffs", token=other)[1]["handoffs"])

    status, polled = stack.get("/api/chat/updates?since=0", token=token)
    assert status == 200 and polled["handoff"]["status"] == "claimed"
    assert any("已接入" in m["text"] for m in polled["messages"])
    cursor = polled["next"]

    during = stack.say(token, "我的转账一直没到账，验证码是246810")
    assert during["handoff"]["agent_id"] == "agent_li" and not any(bot_types(during))
    lines = detail(stack, agent_token, hid)["transcript"]
    assert lines[-1]["sender"] == "customer" and lines[-1]["text"].endswith("验证码是******")

    agent_does(stack, agent_token, hid, "messages", {"text": "您好，我来帮您查一下这笔转账。"})
    status, polled = stack.get(f"/api/chat/updates?since={cursor}", token=token)
    assert [m["text"] for m in polled["messages"]] == ["您好，我来帮您查一下这笔转账。"]
    assert polled["messages"][0]["data"]["from_agent"] is True

    agent_does(stack, agent_token, hid, "messages", {"text": "还有其他问题吗？"})
    answer = stack.say(token, "没有了")  # an unpolled agent reply comes back with the chat reply
    assert any(m["text"] == "还有其他问题吗？" and m["data"]["from_agent"] for m in answer["messages"])

    returned = agent_does(stack, agent_token, hid, "return")
    assert returned["handoff"]["status"] == "returned"
    back = stack.say(token, "查余额")
    assert back["handoff"] is None
    texts = [m["text"] for m in back["messages"]]
    assert any("交还给智能助手" in t for t in texts) and any("余额" in t and "¥" in t for t in texts)
    assert stack.post(f"/api/agent/handoffs/{hid}/messages", {"text": "喂"}, token=agent_token)[0] == 409


def test_a_complaint_goes_straight_to_a_person(stack, agent_token):
    token = stack.token("desk_complaint")
    answer = stack.say(token, "你们的服务太差了，我要投诉")
    assert answer["handoff"]["reason"] == "complaint"
    assert answer["messages"][-1]["text"].startswith("非常抱歉")
    agent_does(stack, agent_token, answer["handoff"]["id"], "claim")
    agent_does(stack, agent_token, answer["handoff"]["id"], "close")


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/api/agent/handoffs"),
        ("GET", "/api/agent/handoffs/1"),
        ("POST", "/api/agent/handoffs/1/claim"),
        ("POST", "/api/agent/handoffs/1/messages"),
        ("POST", "/api/agent/handoffs/1/close"),
        ("POST", "/api/agent/handoffs/1/return"),
        ("GET", "/api/trainer/inbox"),
        ("POST", "/api/trainer/inbox/1/label"),
        ("POST", "/api/trainer/inbox/1/dismiss"),
        ("GET", "/api/trainer/train"),
        ("POST", "/api/trainer/train"),
        ("GET", "/api/admin/stats"),
    ],
)
def test_customers_get_403_on_agent_trainer_and_admin_endpoints(stack, demo_token, method, path):
    body = {} if method == "POST" else None
    assert stack.request(method, path, body=body, token=demo_token)[0] == 403
    assert stack.request(method, path, body=body)[0] == 401


def test_agents_and_trainers_stay_in_their_lanes(stack, agent_token, trainer_token):
    assert stack.get("/api/trainer/inbox", token=agent_token)[0] == 403
    assert stack.get("/api/admin/stats", token=agent_token)[0] == 403
    assert stack.get("/api/agent/handoffs", token=trainer_token)[0] == 403
    assert stack.post("/api/chat", {"message": "你好"}, token=agent_token)[0] == 403


def test_a_miss_reaches_the_inbox_masked_with_the_reading_the_customer_picked(stack, trainer_token):
    token = stack.token("desk_inbox")
    said = f"{MISS_ONE}{CARD}"
    offer = stack.say(token, said)["messages"][-1]
    assert offer["data"]["type"] == "fallback"
    stack.say(token, "/check_balance")  # the first reading, picked from the buttons
    status, inbox = stack.get("/api/trainer/inbox", token=trainer_token)
    assert status == 200 and {"name": "check_balance", "label": "查询余额"} in inbox["intents"]
    item = next(i for i in inbox["items"] if i["text"] == f"{MISS_ONE}{MASKED_CARD}")
    assert item["reason"] == "corrected" and item["suggested_intent"] == "check_balance"
    assert item["predicted_intent"] and 0 <= item["confidence"] < 0.45
    assert not any(CARD in i["text"] for i in inbox["items"])
    assert stack.post(f"/api/trainer/inbox/{item['id']}/dismiss", {}, token=trainer_token)[0] == 200
    assert stack.post(f"/api/trainer/inbox/{item['id']}/dismiss", {}, token=trainer_token)[0] == 409
    assert stack.post("/api/trainer/inbox/999999/label", {"intent": "greet"}, token=trainer_token)[0] == 404
    assert stack.post(f"/api/trainer/inbox/{item['id']}/label", {"intent": 5}, token=trainer_token)[0] == 400


def test_stats_show_intents_fallbacks_handoffs_and_top_misses(stack):
    admin = stack.token("ops_chen", "admin")
    status, stats = stack.get("/api/admin/stats", token=admin)
    assert status == 200, stats
    assert stats["messages"] > 0 and stats["messages_per_intent"].get("nlu_fallback", 0) >= 2
    assert 0 < stats["fallback_rate"] < 1 and stats["handoffs"] >= 1 and stats["handoff_rate"] > 0
    assert any(MISS_ONE in m["text"] for m in stats["top_missed"])
    assert stats["intent_labels"]["check_balance"] == "查询余额"
    status, empty = stack.get("/api/admin/stats?from=2020-01-01&to=2020-01-31", token=admin)
    assert status == 200 and empty["messages"] == 0
    for bad in ("from=yesterday", "from=2024-02-01&to=2024-01-01", "from=2020-01-01&to=2024-01-01", "top=0"):
        assert stack.get(f"/api/admin/stats?{bad}", token=admin)[0] == 400


def test_bad_agent_input_is_refused_and_changes_nothing(stack, agent_token):
    assert stack.post("/api/agent/handoffs/999999/claim", {}, token=agent_token)[0] == 404
    token = stack.token("desk_bad_input")
    hid = stack.say(token, "转人工")["handoff"]["id"]
    agent_does(stack, agent_token, hid, "claim")
    before = len(detail(stack, agent_token, hid)["transcript"])
    for body in ({"text": ""}, {"text": "字" * 1001}, {"text": 42}, {}):
        assert stack.post(f"/api/agent/handoffs/{hid}/messages", body, token=agent_token)[0] == 400
    assert stack.post(f"/api/agent/handoffs/{hid}/messages", raw=b"{not json", token=agent_token)[0] == 400
    assert len(detail(stack, agent_token, hid)["transcript"]) == before
    agent_does(stack, agent_token, hid, "close")
    assert stack.get("/api/chat/updates?since=-1", token=token)[0] == 400


def test_signs_of_a_wrong_answer_reach_the_inbox_and_the_stats(stack, trainer_token):
    """Not only fallbacks: "不对" after an answer, an immediate rewording, a task dropped at once."""
    token = stack.token("desk_signs")
    # Texts of their own: the inbox keeps one open item per text, whoever sent it first.
    stack.chat(token, "跨行汇款一般几个小时能到")
    stack.chat(token, "不对，我问的不是这个")
    stack.chat(token, "白金卡的年费怎么收")
    stack.chat(token, "白金卡的年费是怎么收的呢")
    stack.chat(token, "给王芳转三百二")
    stack.chat(token, "算了")
    status, inbox = stack.get("/api/trainer/inbox", token=trainer_token)
    assert status == 200
    reasons = {i["text"]: i["reason"] for i in inbox["items"]}
    assert reasons.get("跨行汇款一般几个小时能到") == "said_wrong"
    assert reasons.get("白金卡的年费怎么收") == "rephrased"
    assert reasons.get("给王芳转三百二") == "abandoned"
    status, stats = stack.get("/api/admin/stats", token=trainer_token)
    assert status == 200
    assert all(stats["miss_signs"][reason] >= 1 for reason in ("said_wrong", "rephrased", "abandoned"))
    assert stats["miss_sign_rate"] > 0 and set(stats["miss_sign_rates"]) == {
        "said_wrong",
        "rephrased",
        "abandoned",
        "handoff",
    }
