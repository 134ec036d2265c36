"""Each risk signal on its own: when it fires, when it does not, and what it says."""

from __future__ import annotations

from dataclasses import replace
from typing import Optional

import pytest

from assistant.bank.risk import signals
from assistant.bank.risk.rules import DEFAULT_RULES_FILE, Rules, load_rules
from assistant.bank.risk.types import Assurance, Reason, RiskContext

RULES: Rules = load_rules(DEFAULT_RULES_FILE)
S = RULES.signals


def ctx(**changes) -> RiskContext:
    """A plain daytime transfer of ¥1,000 to a payee paid last week, from ¥50,000."""
    base = RiskContext(
        customer_id="c1",
        kind="transfer",
        amount_cents=100_000,
        to_payee=True,
        payee_new=False,
        days_since_last_paid=7,
        payee_added_minutes_ago=600_000.0,
        usual_amount_cents=150_000,
        transfers_90d=10,
        local_hour=14,
        balance_cents=5_000_000,
    )
    return replace(base, **changes)


def fired(reason: Optional[Reason]) -> Reason:
    assert reason is not None
    return reason


def test_new_payee() -> None:
    assert fired(signals.new_payee(ctx(payee_new=True), S.new_payee)).code == "new_payee"
    assert signals.new_payee(ctx(), S.new_payee) is None
    assert signals.new_payee(ctx(payee_new=True, to_payee=False), S.new_payee) is None
    assert signals.new_payee(ctx(payee_new=True), replace(S.new_payee, enabled=False)) is None


def test_dormant_payee() -> None:
    reason = signals.dormant_payee(ctx(days_since_last_paid=120), S.dormant_payee)
    assert reason is not None and reason.code == "dormant_payee" and "120天" in reason.text
    assert signals.dormant_payee(ctx(days_since_last_paid=89), S.dormant_payee) is None
    assert signals.dormant_payee(ctx(days_since_last_paid=90), S.dormant_payee) is not None
    assert signals.dormant_payee(ctx(payee_new=True, days_since_last_paid=None), S.dormant_payee) is None


def test_large_amount_also_for_repayments() -> None:
    assert signals.large_amount(ctx(amount_cents=500_000), S.large_amount) is not None
    assert signals.large_amount(ctx(amount_cents=499_999), S.large_amount) is None
    repayment = ctx(kind="repayment", to_payee=False, amount_cents=800_000)
    assert signals.large_amount(repayment, S.large_amount) is not None
    assert signals.large_amount(replace(repayment, kind="transfer"), S.large_amount) is None  # own accounts


def test_unusual_amount() -> None:
    # usual ¥1,500: five times is ¥7,500
    reason = signals.unusual_amount(ctx(amount_cents=800_000), S.unusual_amount)
    assert reason is not None and reason.code == "unusual_amount" and "¥1,500.00" in reason.text
    assert signals.unusual_amount(ctx(amount_cents=700_000), S.unusual_amount) is None
    assert signals.unusual_amount(ctx(amount_cents=800_000, transfers_90d=2), S.unusual_amount) is None
    assert signals.unusual_amount(ctx(amount_cents=800_000, usual_amount_cents=None), S.unusual_amount) is None
    # below the floor (¥3,000) nothing is unusual, however small the usual amount
    assert signals.unusual_amount(ctx(amount_cents=290_000, usual_amount_cents=1_000), S.unusual_amount) is None


def test_velocity_counts_and_sums() -> None:
    assert signals.velocity(ctx(count_last_hour=2, count_last_day=2), S.velocity) is None
    reason = signals.velocity(ctx(count_last_hour=3, count_last_day=3), S.velocity)
    assert reason is not None and reason.text == "1小时内已转账3笔"
    assert "累计" in fired(signals.velocity(ctx(count_last_hour=1, sum_last_hour_cents=1_950_000), S.velocity)).text
    # one large transfer alone is not velocity
    assert signals.velocity(ctx(amount_cents=3_000_000), S.velocity) is None
    assert fired(signals.velocity(ctx(count_last_day=8), S.velocity)).text == "24小时内已转账8笔"
    assert signals.velocity(ctx(count_last_day=1, sum_last_day_cents=4_950_000), S.velocity) is not None
    assert signals.velocity(ctx(count_last_hour=5, to_payee=False), S.velocity) is None


def test_velocity_ignores_small_transfers_however_many() -> None:
    """The sixth ¥20 of a shared dinner is no sign; a small test transfer still counts towards the sum."""
    floor = S.velocity.floor_cents
    assert signals.velocity(ctx(amount_cents=2_000, count_last_hour=0, sum_last_hour_cents=10_000), S.velocity) is None
    assert (
        signals.velocity(ctx(amount_cents=floor - 1, count_last_hour=9, sum_last_day_cents=50_000), S.velocity) is None
    )
    burst = signals.velocity(ctx(amount_cents=floor, count_last_hour=S.velocity.max_count_hour), S.velocity)
    assert fired(burst).code == "velocity"
    test_then_big = ctx(amount_cents=S.velocity.max_sum_hour_cents, count_last_hour=0, sum_last_hour_cents=10_000)
    assert fired(signals.velocity(test_then_big, S.velocity)).code == "velocity"


@pytest.mark.parametrize(("hour", "fires"), [(0, True), (3, True), (5, True), (6, False), (23, False), (12, False)])
def test_night_hours(hour: int, fires: bool) -> None:
    assert (signals.night(ctx(local_hour=hour, amount_cents=300_000), S.night) is not None) is fires


def test_night_below_floor_and_wrapping_window() -> None:
    assert signals.night(ctx(local_hour=2, amount_cents=10_000), S.night) is None
    late = replace(S.night, from_hour=22, to_hour=5)
    assert signals.night(ctx(local_hour=23, amount_cents=300_000), late) is not None
    assert signals.night(ctx(local_hour=12, amount_cents=300_000), late) is None


def test_after_security_change() -> None:
    rule = S.after_security_change
    found = signals.after_security_change(ctx(minutes_since_password_reset=30, minutes_since_new_device=60), rule)
    assert [r.code for r in found] == ["after_password_reset", "after_new_device"]
    assert signals.after_security_change(ctx(minutes_since_new_device=1500), rule) == ()
    assert signals.after_security_change(ctx(minutes_since_new_device=30, amount_cents=50_000), rule) == ()
    # a recently added payee counts once it has been paid (a test, then the big one), not for a new payee
    assert [r.code for r in signals.after_security_change(ctx(payee_added_minutes_ago=40), rule)] == [
        "after_payee_added"
    ]
    assert signals.after_security_change(ctx(payee_added_minutes_ago=40, payee_new=True), rule) == ()
    assert signals.security_weight(found[0], rule) == rule.weight_password_reset


def test_drained_account() -> None:
    reason = signals.drained_account(ctx(amount_cents=850_000, balance_cents=1_000_000), S.drained_account)
    assert reason is not None and reason.text == "一次转出账户余额的85%"
    assert signals.drained_account(ctx(amount_cents=790_000, balance_cents=1_000_000), S.drained_account) is None
    assert signals.drained_account(ctx(amount_cents=150_000, balance_cents=160_000), S.drained_account) is None
    assert signals.drained_account(ctx(amount_cents=300_000, balance_cents=0), S.drained_account) is None


def test_scam_words() -> None:
    reason = signals.scam_words(ctx(scam_phrases=("安全账户", "公检法")), S.scam_words)
    assert reason is not None and "“安全账户”、“公检法”" in reason.text and "24小时" in reason.text
    assert signals.scam_words(ctx(), S.scam_words) is None
    assert signals.scam_words(ctx(scam_phrases=("安全账户",), to_payee=False), S.scam_words) is None


def test_over_limit_follows_the_strength() -> None:
    assert signals.over_limit(ctx(amount_cents=500_000), RULES) is None  # password: up to ¥5,000
    lifted = signals.over_limit(ctx(amount_cents=600_000), RULES)
    assert lifted is not None and lifted.outcome == "code" and lifted.reason.code == "over_limit_code"
    assert lifted.reason.text == "当前登录方式（仅密码）单笔最多可转¥5,000.00，完成短信验证后本笔最多可转¥50,000.00"
    assert signals.over_limit(ctx(amount_cents=600_000, assurance=Assurance(code_verified=True)), RULES) is None
    stronger = signals.over_limit(ctx(amount_cents=6_000_000), RULES)
    assert (
        stronger is not None and stronger.outcome == "block" and "使用设备密钥登录后可提高限额" in stronger.reason.text
    )
    assert signals.over_limit(ctx(amount_cents=6_000_000, assurance=Assurance("device_key")), RULES) is None
    top = signals.over_limit(ctx(amount_cents=20_000_001, assurance=Assurance("device_key")), RULES)
    assert top is not None and top.reason.code == "over_max_limit" and "柜台" in top.reason.text
    assert signals.over_limit(ctx(amount_cents=6_000_000, to_payee=False), RULES) is None


def test_over_daily_limit() -> None:
    daily = signals.over_limit(ctx(amount_cents=300_000, sent_today_cents=1_800_000), RULES)
    assert (
        daily is not None
        and daily.outcome == "code"
        and "每日最多可转¥20,000.00（今日已转¥18,000.00）" in daily.reason.text
    )
    done = signals.over_limit(
        ctx(amount_cents=5_000_000, sent_today_cents=46_000_000, assurance=Assurance("device_key")), RULES
    )
    assert done is not None and done.reason.code == "over_max_limit" and "每日最高限额¥500,000.00" in done.reason.text
