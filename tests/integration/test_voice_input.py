"""POST /api/chat with speech-recognizer alternatives."""

import pytest

pytestmark = pytest.mark.integration


def first_data(body):
    return body["messages"][0]["data"]


def test_the_hypothesis_that_fits_the_domain_wins(stack, demo_token):
    status, body = stack.post(
        "/api/chat",
        {
            "message": "茶鱼饿",
            "asr": {"alternatives": [{"text": "茶鱼饿", "confidence": 0.52}, {"text": "查余额", "confidence": 0.47}]},
        },
        token=demo_token,
    )
    assert status == 200, body
    assert first_data(body)["understood_text"] == "查余额"
    assert stack.balance_text(demo_token, "6688") in "".join(m["text"] for m in body["messages"])


def test_payee_names_are_corrected_against_the_payee_book(stack, demo_token):
    status, body = stack.post(
        "/api/chat",
        {"message": "给张珊转五百", "asr": {"alternatives": [{"text": "给张珊转五百", "confidence": 0.9}]}},
        token=demo_token,
    )
    assert status == 200, body
    data = first_data(body)
    assert data["understood_text"] == "给张三转五百"
    assert data["corrections"] == [{"heard": "张珊", "meant": "张三"}]
    stack.chat(demo_token, "算了")


def test_typed_text_is_not_rewritten(stack, demo_token):
    messages = stack.chat(demo_token, "查余额")
    assert "understood_text" not in messages[0]["data"]


@pytest.mark.parametrize(
    "asr",
    [
        "not an object",
        {"alternatives": "x"},
        {"alternatives": [{"text": "", "confidence": 0.5}]},
        {"alternatives": [{"text": "查余额", "confidence": 7}]},
        {"alternatives": [{"text": "查余额", "confidence": True}]},
        {"alternatives": [{"text": "查余额", "confidence": 0.5}] * 11},
        {"alternatives": ["查余额"]},
    ],
)
def test_malformed_alternatives_are_refused(stack, demo_token, asr):
    status, body = stack.post("/api/chat", {"message": "查余额", "asr": asr}, token=demo_token)
    assert status == 400, body
    assert body["error"]["code"] in ("invalid_asr", "empty_message", "invalid_message")
