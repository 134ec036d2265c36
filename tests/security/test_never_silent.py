"""Finding 4: the customer always hears what happened — a message with a lone surrogate after 确认 is
cleaned and answered (it used to execute, then fail while logging, and return 500), and a turn Rasa
failed or left silent is answered honestly instead of with an empty list."""

from __future__ import annotations

import json

import pytest

from assistant.base.rasa_client import Turn
from assistant.gateway.chat import BUSY_TEXT, bot_replies
from assistant.gateway.validation import clean_text
from tests.support.stack import Stack


@pytest.mark.parametrize("raw,clean", [("确认\ud800", "确认"), ("\udfff查余额\x07", "查余额"), ("转\u200b账", "转账")])
def test_input_is_cleaned_of_lone_surrogates_and_controls(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_a_silent_turn_is_answered_with_the_busy_message() -> None:
    replies, busy = bot_replies(Turn([], True))
    assert busy and replies[0]["text"] == BUSY_TEXT and "账户记录" in BUSY_TEXT
    assert replies[0]["buttons"], "the customer is shown how to check"


def test_a_failed_turn_keeps_what_was_said_and_adds_the_busy_message() -> None:
    replies, busy = bot_replies(Turn([{"text": "请确认转账信息"}], False))
    assert busy and [r["text"] for r in replies] == ["请确认转账信息", BUSY_TEXT]
    replies, busy = bot_replies(Turn([{"text": "您的余额是…"}], True))
    assert not busy and len(replies) == 1


@pytest.mark.integration
def test_a_lone_surrogate_after_confirm_executes_once_and_is_answered(stack: Stack) -> None:
    token = stack.token("demo")
    key = stack.open_summary(token, "给张三转15")
    before = stack.balance_text(token, "6688")
    raw = json.dumps({"message": "确认\ud800", "summary_key": key}).encode()  # JSON escape of a lone surrogate
    assert b"\\ud800" in raw
    status, answer = stack.post("/api/chat", raw=raw, token=token)
    assert status == 200, answer
    assert any("转账成功" in m["text"] and "¥15.00" in m["text"] for m in answer["messages"]), answer
    status, again = stack.post("/api/chat", raw=raw, token=token)  # the same bytes once more: nothing moves
    assert status == 200
    after = stack.balance_text(token, "6688")
    to_cents = lambda text: int(text.replace("¥", "").replace(",", "").replace(".", ""))  # noqa: E731
    assert to_cents(before) - to_cents(after) == 1500
