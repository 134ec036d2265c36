"""An agent's view of /agent in headless Chromium: a waiting customer appears in the queue, the
agent opens and claims the conversation and replies; the customer receives it through the chat API."""

import pytest

pytestmark = pytest.mark.browser


def test_agent_claims_a_waiting_customer_and_replies_from_the_page(stack, page, output_dir):
    customer = stack.token("browser_customer")
    stack.say(customer, "我的卡号是6222021234567890123")
    handoff = stack.say(customer, "人工客服")["handoff"]
    assert handoff and handoff["status"] == "queued"

    page.set_viewport_size({"width": 1100, "height": 800})  # a desk, not a phone
    page.goto(stack.base_url + "/agent")
    page.wait_for_function("document.getElementById('whoami').textContent.includes('客服')", timeout=15000)
    row = page.wait_for_selector(f"#queue li[data-id='{handoff['id']}']", timeout=15000)
    assert "browser_customer" in row.text_content() and "排队中" in row.text_content()
    row.click()
    page.wait_for_selector("#transcript .line.customer", timeout=15000)
    transcript = page.text_content("#transcript")
    assert "***************0123" in transcript and "6222021234567890123" not in transcript
    page.click("#claim")
    page.wait_for_selector("#reply-form:not([hidden])", timeout=15000)
    page.fill("#reply-input", "您好，我是人工客服，请问有什么可以帮您？")
    page.press("#reply-input", "Enter")
    page.wait_for_selector("#transcript .line.agent >> text=我是人工客服", timeout=15000)
    (output_dir / "browser").mkdir(exist_ok=True)
    page.screenshot(path=str(output_dir / "browser" / "agent.png"), full_page=True)

    status, updates = stack.get("/api/chat/updates?since=0", token=customer)
    assert status == 200 and updates["handoff"]["status"] == "claimed"
    assert updates["messages"][-1]["text"] == "您好，我是人工客服，请问有什么可以帮您？"
    assert updates["messages"][-1]["data"]["from_agent"] is True

    page.click("#return")
    page.wait_for_selector("#notice >> text=已交还智能助手", timeout=15000)
    assert stack.say(customer, "你好")["handoff"] is None


def test_the_customer_page_shows_the_agents_replies(stack, page, agent_token):
    page.goto(stack.base_url + "/")
    page.wait_for_function("document.getElementById('whoami').textContent.includes('demo')", timeout=15000)
    page.fill("#chat-input", "转人工")
    page.press("#chat-input", "Enter")
    page.wait_for_selector("#handoff-status:not([hidden])", timeout=30000)
    queue = stack.get("/api/agent/handoffs", token=agent_token)[1]["handoffs"]
    handoff_id = next(h["id"] for h in queue if h["customer_id"] == "demo" and h["status"] == "queued")
    assert stack.post(f"/api/agent/handoffs/{handoff_id}/claim", {}, token=agent_token)[0] == 200
    assert (
        stack.post(
            f"/api/agent/handoffs/{handoff_id}/messages", {"text": "您好，这里是人工客服小李。"}, token=agent_token
        )[0]
        == 201
    )
    page.wait_for_selector(".msg.agent >> text=这里是人工客服小李", timeout=20000)
    assert "正在为您服务" in page.text_content("#handoff-status")
    assert stack.post(f"/api/agent/handoffs/{handoff_id}/close", {}, token=agent_token)[0] == 200
    page.wait_for_selector(".msg.system >> text=人工服务已结束", timeout=20000)
    page.wait_for_selector("#handoff-status[hidden]", state="attached", timeout=20000)
