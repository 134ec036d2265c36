"""Signs that an answer missed although the bot did not fall back."""

from __future__ import annotations

from datetime import timedelta

from assistant.desk.signals import miss_reason, rephrased, says_wrong, similarity

NOW = timedelta(seconds=20)


def test_said_wrong() -> None:
    for text in ("不对", "不对，我问的是手续费", "我不是要转账", "你理解错了", "答非所问"):
        assert says_wrong(text), text
    for text in ("不对称加密是什么", "对的", "确认"):
        assert not says_wrong(text), text


def test_rephrased_right_away() -> None:
    assert similarity("转账多久到账", "转账要多久才能到账") > 0.4
    assert rephrased("转账多久到账", "转账要多久才能到账", NOW)
    assert not rephrased("转账多久到账", "转账要多久才能到账", timedelta(minutes=5))
    assert not rephrased("查余额", "给张三转500", NOW)
    assert not rephrased("转账多久到账", "转账多久到账", NOW)  # the same words again are not a rewording


def test_miss_reason_in_order() -> None:
    assert miss_reason("给张三转500", "transfer_money", "不对", "deny", NOW) == "said_wrong"
    assert miss_reason("信用卡还款", "repay_credit_card", "算了", "cancel", NOW) == "abandoned"
    assert miss_reason("转账多久到账", "ask_question", "转账要多久才能到账", "ask_question", NOW) == "rephrased"
    assert miss_reason("查余额", "check_balance", "谢谢", "thank", NOW) is None
