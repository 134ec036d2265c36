"""The staged fallback's decisions, from tracker events as Rasa sends them to the action server."""

from rasa_sdk import Tracker

from actions.desk import consecutive_misses, detected_intents, handoff_reason, transcript_of
from assistant.desk.intents import best_readings, offer_question


def user(text, intent, ranking=()):
    return {
        "event": "user",
        "text": text,
        "parse_data": {"intent": {"name": intent, "confidence": 0.9}, "intent_ranking": list(ranking)},
    }


def tracker(*events, latest=None):
    return Tracker(
        "c1", {}, latest or (events[-1]["parse_data"] if events else {}), list(events), False, None, {}, "action_listen"
    )


MISS = [
    {"name": "nlu_fallback", "confidence": 0.45},
    {"name": "check_balance", "confidence": 0.3},
    {"name": "greet", "confidence": 0.2},
    {"name": "transfer_money", "confidence": 0.1},
]


def test_misses_are_counted_in_a_row_and_reset_by_an_answer_or_a_handoff():
    miss = user("咕噜", "nlu_fallback", MISS)
    assert consecutive_misses(tracker(miss)) == 1
    assert consecutive_misses(tracker(miss, {"event": "bot", "text": "?"}, miss)) == 2
    assert consecutive_misses(tracker(miss, user("查余额", "check_balance"), miss)) == 1
    assert consecutive_misses(tracker(miss, {"event": "action", "name": "action_handoff"}, miss)) == 1


def test_the_offer_names_the_two_best_task_readings():
    readings = best_readings(MISS)
    assert readings == ["check_balance", "transfer_money"]  # greet is not something to offer
    assert offer_question(readings).endswith("您是想查询余额，还是办理转账？")
    assert "吗" in offer_question(["check_balance"])


def test_handoff_reason_transcript_and_detected_intents():
    events = [
        user("查余额", "check_balance"),
        {"event": "bot", "text": "余额¥100"},
        user("咕噜 6222021234567890123", "nlu_fallback", MISS),
        user("我要投诉", "complaint"),
    ]
    t = tracker(*events)
    assert handoff_reason(t) == "complaint"
    assert handoff_reason(tracker(*events[:3])) == "repeated_misses"
    assert handoff_reason(tracker(user("转人工", "human_agent"))) == "requested"
    assert [line.sender for line in transcript_of(t)] == ["customer", "bot", "customer", "customer"]
    assert detected_intents(t) == ["查询余额", "未识别（最接近：查询余额 0.30）", "投诉"]


def test_a_reading_picked_from_the_fallback_is_answered_from_the_customers_own_words() -> None:
    from rasa_sdk import Tracker

    from actions.common import customer_words

    events = [
        {"event": "user", "text": "信用卡怎么激活"},
        {"event": "bot", "text": "您是想…"},
        {"event": "user", "text": "/ask_question"},
    ]
    tracker = Tracker("c1", {}, {"text": "/ask_question"}, events, False, None, None, "action_listen")
    assert customer_words(tracker) == "信用卡怎么激活"
    assert (
        customer_words(Tracker("c1", {}, {"text": "转账多久到账"}, [], False, None, None, "action_listen"))
        == "转账多久到账"
    )
