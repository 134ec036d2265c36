"""The risk decision: signals combined, steps satisfied by the assurance, limits by strength, and the
customer's sentence for each outcome."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from assistant.bank.risk.engine import decide
from assistant.bank.risk.rules import DEFAULT_RULES_FILE, Rules, load_rules
from assistant.bank.risk.types import Assurance, RiskContext, RiskDecision, parse_reasons, reasons_json

RULES: Rules = load_rules(DEFAULT_RULES_FILE)
DONE = Assurance(code_verified=True, warning_acknowledged=True)


def ctx(**changes) -> RiskContext:
    """¥1,000 by day to a payee paid last week; usual ¥1,500; ¥50,000 on the account; password login."""
    base = RiskContext(
        customer_id="c1",
        kind="transfer",
        amount_cents=100_000,
        days_since_last_paid=7,
        payee_added_minutes_ago=600_000.0,
        usual_amount_cents=150_000,
        transfers_90d=10,
        local_hour=14,
        balance_cents=5_000_000,
    )
    return replace(base, **changes)


def run(**changes) -> RiskDecision:
    return decide(ctx(**changes), RULES)


def test_an_ordinary_transfer_is_allowed_without_steps() -> None:
    d = run()
    assert (d.action, d.reasons, d.needs_code, d.needs_warning) == ("allow", (), False, False)
    assert d.rules_version == RULES.version and d.limit_cents == 500_000 and d.daily_limit_cents == 2_000_000
    assert d.customer_text() == "这笔转账未发现异常，可以办理。"


def test_a_new_payee_needs_a_code_and_the_code_satisfies_it() -> None:
    d = run(payee_new=True)
    assert (d.action, d.codes, d.needs_code, d.needs_warning) == ("step_up", ("new_payee",), True, False)
    assert d.customer_text() == "因首次向该收款人转账，需要先完成短信验证码验证才能办理。"
    assert run(payee_new=True, assurance=Assurance(code_verified=True)).action == "allow"


def test_scam_words_need_the_warning_acknowledged_as_well_as_the_code() -> None:
    scam = {"payee_new": True, "scam_phrases": ("安全账户",), "amount_cents": 200_000}
    d = run(**scam)
    assert (d.action, d.needs_code, d.needs_warning) == ("step_up", True, True)
    assert "“安全账户”" in d.warning and d.customer_text().startswith(d.warning)
    assert "我已知晓风险" in d.customer_text()
    coded = run(**scam, assurance=Assurance(code_verified=True))
    assert (coded.action, coded.needs_code, coded.needs_warning) == ("step_up", False, True)
    acknowledged = run(**scam, assurance=Assurance(warning_acknowledged=True))
    assert (acknowledged.action, acknowledged.needs_code, acknowledged.needs_warning) == ("step_up", True, False)
    assert run(**scam, assurance=DONE).action == "allow"


def test_scam_words_above_the_threshold_hold_once_the_steps_are_done() -> None:
    scam = {"payee_new": True, "scam_phrases": ("公检法", "涉嫌洗钱"), "amount_cents": 500_000}
    assert run(**scam).action == "step_up"
    held = run(**scam, assurance=DONE)
    assert (held.action, held.needs_code, held.needs_warning) == ("hold", False, False)
    assert held.codes[0] == "scam_words" and "暂缓执行" in held.customer_text()


def test_scam_drained_new_payee_at_night_is_blocked_whatever_was_proved() -> None:
    night_scam = {
        "payee_new": True,
        "scam_phrases": ("安全账户",),
        "amount_cents": 2_900_000,
        "balance_cents": 3_000_000,
        "local_hour": 1,
    }
    for assurance in (Assurance(), DONE, Assurance("device_key", True, True)):
        d = run(**night_scam, assurance=assurance)
        assert (d.action, d.needs_code, d.needs_warning, d.warning) == ("block", False, False, "")
    assert "已被拦截" in d.customer_text() and "柜台" in d.customer_text()


def test_weak_signals_together_escalate() -> None:
    # new device (2) + password reset (2) = 4: a warning; plus a drained account (2) = 6: a hold
    takeover = {"minutes_since_new_device": 20.0, "minutes_since_password_reset": 30.0}
    warned = run(**takeover)
    assert warned.needs_warning and "多项风险特征" in warned.warning
    assert run(**takeover, assurance=DONE).action == "allow"
    drained = {**takeover, "amount_cents": 450_000, "balance_cents": 500_000}
    assert run(**drained).action == "step_up"
    assert run(**drained, assurance=DONE).action == "hold"


def test_a_listed_combination_holds_below_the_score() -> None:
    # scam words + new payee + an unusual amount hold below the scam hold threshold (¥5,000)
    combo = {"payee_new": True, "scam_phrases": ("熟人借钱",), "amount_cents": 400_000, "usual_amount_cents": 50_000}
    assert run(**combo, assurance=DONE).action == "hold"
    assert run(**{**combo, "usual_amount_cents": 150_000}, assurance=DONE).action == "allow"


@pytest.mark.parametrize(
    ("strength", "per_transfer", "daily"),
    [("password", 500_000, 2_000_000), ("sms", 5_000_000, 20_000_000), ("device_key", 20_000_000, 50_000_000)],
)
def test_limits_follow_the_login_strength(strength: str, per_transfer: int, daily: int) -> None:
    d = run(assurance=Assurance(strength))
    assert (d.limit_cents, d.daily_limit_cents) == (per_transfer, daily)


def test_an_sms_code_lifts_one_transfer_to_the_sms_limits() -> None:
    over = run(amount_cents=600_000)  # ¥6,000 on a password login
    assert (over.action, over.needs_code, over.codes[0]) == ("step_up", True, "over_limit_code")
    assert over.customer_text() == "当前登录方式（仅密码）单笔最多可转¥5,000.00，完成短信验证后本笔最多可转¥50,000.00。"
    lifted = run(amount_cents=600_000, assurance=Assurance(code_verified=True))
    assert lifted.action == "allow" and lifted.limit_cents == 5_000_000


def test_beyond_what_a_code_can_lift_only_a_stronger_login_helps() -> None:
    rich = {"balance_cents": 50_000_000}
    for assurance in (Assurance(), Assurance("sms", code_verified=True)):
        d = run(amount_cents=6_000_000, assurance=assurance, **rich)
        assert d.action == "block" and d.codes[0] == "over_limit"
        assert d.customer_text().endswith("使用设备密钥登录后可提高限额。")
    assert run(amount_cents=6_000_000, assurance=Assurance("device_key"), **rich).action == "step_up"  # a code
    assert run(amount_cents=6_000_000, assurance=Assurance("device_key", code_verified=True), **rich).action == "allow"
    top = run(amount_cents=20_000_001, assurance=Assurance("device_key", True, True), **rich)
    assert top.action == "block" and top.codes[0] == "over_max_limit"


def test_an_unknown_strength_gets_the_weakest_limits() -> None:
    assert run(assurance=Assurance("face_id")).limit_cents == 500_000


def test_the_daily_limit_counts_what_was_sent_today() -> None:
    d = run(amount_cents=300_000, sent_today_cents=1_800_000)
    assert d.action == "step_up" and d.codes[0] == "over_limit_code"
    assert (
        run(amount_cents=300_000, sent_today_cents=1_800_000, assurance=Assurance(code_verified=True)).action == "allow"
    )


def test_own_accounts_are_never_checked_for_payee_risks() -> None:
    own = {
        "to_payee": False,
        "payee_new": True,
        "scam_phrases": ("安全账户",),
        "local_hour": 2,
        "amount_cents": 400_000,
    }
    d = run(**own)
    assert (d.action, d.reasons, d.limit_cents) == ("allow", (), None)
    repayment = run(to_payee=False, kind="repayment", amount_cents=900_000)
    assert (repayment.action, repayment.codes) == ("step_up", ("large_amount",))


def test_decision_to_json_and_reasons_round_trip() -> None:
    d = run(payee_new=True, scam_phrases=("刷单返利",), amount_cents=600_000)
    data = d.to_json()
    assert data["action"] == "step_up" and data["needs_warning"] and data["customer_text"] == d.customer_text()
    assert [r["code"] for r in data["reasons"]] == list(d.codes)
    assert parse_reasons(reasons_json(d.reasons)) == d.reasons
    assert parse_reasons("not json") == () and parse_reasons('{"a": 1}') == ()


def test_decide_uses_the_rules_in_force_by_default() -> None:
    assert decide(ctx()).rules_version == RULES.version


def test_decide_is_fast() -> None:
    heavy = ctx(
        payee_new=True,
        scam_phrases=("安全账户", "公检法"),
        amount_cents=900_000,
        local_hour=2,
        minutes_since_new_device=5.0,
        count_last_hour=4,
    )
    decide(heavy, RULES)
    timings = []
    for _ in range(500):
        started = time.perf_counter()
        decide(heavy, RULES)
        timings.append(time.perf_counter() - started)
    timings.sort()
    assert timings[len(timings) // 2] < 0.001 and timings[int(len(timings) * 0.99)] < 0.005
