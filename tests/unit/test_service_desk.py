"""Handoffs, the NLU inbox, the conversation log and statistics on a real (SQLite) database."""

from datetime import datetime, timedelta

import pytest

from assistant.base.db.engine import session_scope
from assistant.desk.errors import Conflict, NotFound
from assistant.desk.handoffs import (
    Line,
    active_handoff,
    agent_queue,
    agent_reply,
    claim,
    end_handoff,
    handoff_view,
    queue_position,
    start_handoff,
    take_undelivered,
    updates_since,
    visible_handoff,
)
from assistant.desk.inbox import list_items
from assistant.desk.recorder import record_bot_turn
from assistant.desk.stats import compute_stats


@pytest.fixture()
def db(tmp_path):
    return f"sqlite:///{tmp_path / 'desk.db'}"


def fallback_parse(guess="check_balance", confidence=0.31):
    return {
        "intent": {"name": "nlu_fallback", "confidence": 0.45},
        "intent_ranking": [
            {"name": "nlu_fallback", "confidence": 0.45},
            {"name": guess, "confidence": confidence},
            {"name": "transfer_money", "confidence": 0.2},
        ],
    }


def understood(intent, confidence=0.97):
    return {
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": intent, "confidence": confidence}],
    }


def test_a_handoff_keeps_a_masked_transcript_and_a_place_in_the_queue(db):
    with session_scope(db, write=True) as s:
        first = start_handoff(
            s,
            "c1",
            "requested",
            ["查询余额"],
            [Line("customer", "卡号6222021234567890123"), Line("bot", "请问还有什么可以帮您？")],
        )
        second = start_handoff(s, "c2", "complaint", [], [Line("customer", "验证码是654321")])
        again = start_handoff(s, "c1", "requested", [], [])
        assert again.id == first.id  # a waiting customer keeps their place
        assert (queue_position(s, first), queue_position(s, second)) == (1, 2)
        texts = [m.text for m in first.messages]
        assert texts[0] == "卡号***************0123" and "654321" not in second.messages[0].text
        assert "客户要求人工服务" in first.summary and "查询余额" in first.summary


def test_agents_claim_once_see_only_their_own_and_reply_to_the_customer(db):
    with session_scope(db, write=True) as s:
        handoff_id = start_handoff(s, "c1", "requested", [], [Line("customer", "转人工")]).id
    with session_scope(db, write=True) as s:
        claim(s, handoff_id, "alice")
    with session_scope(db, write=True) as s:
        with pytest.raises(Conflict):
            claim(s, handoff_id, "bob")
        with pytest.raises(NotFound):
            visible_handoff(s, handoff_id, "bob")
        assert [h["id"] for h in agent_queue(s, "bob")] == []
        assert [h["id"] for h in agent_queue(s, "alice")] == [handoff_id]
        with pytest.raises(NotFound):
            agent_reply(s, handoff_id, "bob", "你好")
        agent_reply(s, handoff_id, "alice", "您好，请问卡号6222021234567890123有什么问题？")
    with session_scope(db, write=True) as s:
        got = take_undelivered(s, "c1")
        assert [m.sender for m in got] == ["system", "agent"]
        assert "***************0123" in got[1].text
        assert take_undelivered(s, "c1") == []  # delivered once
        assert [m.id for m in updates_since(s, "c1", got[0].id)] == [got[1].id]  # the poll is cursor-based
        end_handoff(s, handoff_id, "alice", "returned")
        assert active_handoff(s, "c1") is None
        assert "交还" in take_undelivered(s, "c1")[0].text
        assert handoff_view(s, visible_handoff(s, handoff_id, "alice"))["status"] == "returned"


def test_misses_go_to_the_inbox_once_and_a_picked_reading_marks_a_correction(db):
    with session_scope(db, write=True) as s:
        record_bot_turn(s, "c1", "兜里还有几个钢镚 卡号6222021234567890123", fallback_parse(), None)
        record_bot_turn(s, "c1", "/check_balance", understood("check_balance", 1.0), None)
        record_bot_turn(s, "c2", "兜里还有几个钢镚 卡号6222021234567890123", fallback_parse(), None)
        items = list_items(s)
        assert len(items) == 1
        item = items[0]
        assert item.text == "兜里还有几个钢镚 卡号***************0123"
        assert (item.reason, item.predicted_intent, item.suggested_intent) == (
            "corrected",
            "check_balance",
            "check_balance",
        )
        assert item.confidence == pytest.approx(0.31)


def test_an_answer_followed_by_a_request_for_a_person_is_a_lesson(db):
    with session_scope(db, write=True) as s:
        record_bot_turn(s, "c1", "我的钱怎么少了", understood("check_balance", 0.6), None)
        handoff = start_handoff(s, "c1", "requested", [], [])
        record_bot_turn(s, "c1", "转人工", understood("human_agent"), handoff.id)
        assert [(i.text, i.reason, i.predicted_intent) for i in list_items(s)] == [
            ("我的钱怎么少了", "handoff", "check_balance")
        ]


def test_stats_count_intents_fallbacks_and_handoffs_in_range(db):
    with session_scope(db, write=True) as s:
        record_bot_turn(s, "c1", "查余额", understood("check_balance"), None)
        record_bot_turn(s, "c1", "咕噜咕噜", fallback_parse(), None)
        record_bot_turn(s, "c2", "咕噜咕噜", fallback_parse(), None)
        handoff = start_handoff(s, "c2", "repeated_misses", [], [])
        record_bot_turn(s, "c2", "还是咕噜", fallback_parse(), handoff.id)
        now = datetime.utcnow()
        stats = compute_stats(s, now - timedelta(hours=1), now + timedelta(minutes=1))
        assert stats["messages"] == 4 and stats["messages_per_intent"] == {"nlu_fallback": 3, "check_balance": 1}
        assert stats["fallbacks"] == 2 and stats["fallback_rate"] == 0.5
        assert stats["handoffs"] == 1 and stats["conversations"] == 2 and stats["handoff_rate"] == 0.5
        assert stats["top_missed"][0] == {"text": "咕噜咕噜", "count": 2}
        assert stats["daily"][0]["messages"] == 4
        empty = compute_stats(s, now - timedelta(days=9), now - timedelta(days=8))
        assert empty["messages"] == 0 and empty["fallback_rate"] == 0.0
