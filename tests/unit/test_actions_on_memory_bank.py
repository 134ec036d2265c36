"""The real actions on InMemoryBank, with no database at all: they need nothing but CoreBanking.

Each test puts an InMemoryBank behind ``actions.common.bank()`` and makes opening a database engine fail,
then drives the actions with trackers as Rasa sends them to the action server."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

import actions.common as common
from actions.balance import ActionCheckBalance
from actions.cards import (
    ActionAskLossCode,
    ActionAskLossConfirmed,
    ActionCreditCardBill,
    ActionSubmitCardLoss,
    ValidateCardLossForm,
)
from actions.outcomes import latest_outcome_reply
from actions.transfer import ActionAskTransferConfirmed, ActionSubmitTransfer, ValidateTransferForm
from assistant.bank.memory import InMemoryBank
from assistant.base.clock import local_today
from tests.support.memory_actions import CUSTOMER, apply, memory_bank, run, summary_shown, user_says  # noqa: F401 - memory_bank: the fixture `bank`


# ------------------------------------------------------------------ the tests
def test_check_balance(bank: InMemoryBank) -> None:
    said, messages, _ = run(ActionCheckBalance(), user_says("查余额", "check_balance"))
    assert "储蓄卡（工资卡）尾号6688：余额¥52,380.50" in said
    assert "储蓄卡尾号1024：余额¥8,000.00" in said
    assert "信用卡尾号3321：可用额度¥41,922.43（总额度¥50,000.00）" in said
    assert [a["last4"] for a in messages[0]["custom"]["accounts"]] == ["6688", "1024", "3321"]
    card = {"entity": "account", "value": {"last4": "1024"}, "start": 2, "end": 8}
    said, _, _ = run(ActionCheckBalance(), user_says("查下尾号1024余额", "check_balance", entities=(card,)))
    assert said == "储蓄卡尾号1024：余额¥8,000.00"


def test_a_confirmed_transfer_moves_the_money_once(bank: InMemoryBank) -> None:
    before = bank.find_account(CUSTOMER, last4="6688")
    assert before is not None
    # "给张三转100": the form fills its details, the primary account pays.
    entities = (
        {"entity": "payee", "value": "张三", "start": 1, "end": 3},
        {"entity": "amount", "value": 100, "start": 4, "end": 7},
    )
    _, _, events = run(ValidateTransferForm(), user_says("给张三转100", "transfer_money", entities=entities))
    slots = apply({}, events)
    assert (slots["transfer_payee"], slots["transfer_amount"], slots["transfer_from"]) == ("张三", 100.0, "6688")
    assert slots["requested_slot"] == "transfer_confirmed" and slots["transfer_key"]
    said, messages, _ = run(ActionAskTransferConfirmed(), user_says("给张三转100", "transfer_money", slots))
    assert "收款方：张三（工商银行 尾号1234）" in said and "金额：¥100.00" in said and "短信验证码" not in said
    shown = summary_shown(messages)

    # "确认" to that summary, then the submit: ¥100.00 leaves 6688.
    confirm = user_says("确认", "affirm", slots, history=(shown,), form="transfer_form")
    _, _, events = run(ValidateTransferForm(), confirm)
    done = apply(slots, events)
    assert done["transfer_confirmed"] is True and done["transfer_needs_code"] is False
    assert done["requested_slot"] is None
    said, _, _ = run(ActionSubmitTransfer(), user_says("确认", "affirm", done))
    assert "转账成功！已向张三（工商银行 尾号1234）转账¥100.00" in said and "¥52,280.50" in said

    # The same 确认 again (its reply was lost): the stored outcome, nothing moves.
    said, _, events = run(ValidateTransferForm(), confirm)
    assert "成功" in said and "¥100.00" in said and "无需重复操作" in said
    assert apply(slots, events)["transfer_abort"] == "done"
    said, _, _ = run(ActionSubmitTransfer(), user_says("确认", "affirm", done))
    assert "成功" in said and "无需重复操作" in said and "转账成功！" not in said

    after = bank.find_account(CUSTOMER, last4="6688")
    assert after is not None and after.balance_cents == before.balance_cents - 10_000
    today = local_today()
    sent = bank.history(CUSTOMER, start=today, end=today, counterparty="张三", kinds=("transfer_out",))
    assert [i["amount_cents"] for i in sent.items] == [-10_000]

    dispatcher = CollectingDispatcher()
    assert latest_outcome_reply(dispatcher, user_says("刚才那笔成功了吗", "ask_latest_outcome"))
    assert "成功" in dispatcher.messages[0]["text"] and "张三" in dispatcher.messages[0]["text"]


def test_card_loss_freezes_the_card_once(bank: InMemoryBank) -> None:
    card = {"entity": "account", "value": {"last4": "3321"}, "start": 0, "end": 6}
    _, _, events = run(ValidateCardLossForm(), user_says("尾号3321丢了", "report_card_loss", entities=(card,)))
    slots = apply({}, events)
    assert slots["loss_card"] == "3321" and slots["requested_slot"] == "loss_confirmed"
    said, messages, _ = run(ActionAskLossConfirmed(), user_says("尾号3321丢了", "report_card_loss", slots))
    assert "将立即冻结信用卡尾号3321" in said
    shown = summary_shown(messages)

    _, _, events = run(
        ValidateCardLossForm(), user_says("确认", "affirm", slots, history=(shown,), form="card_loss_form")
    )
    slots = apply(slots, events)
    assert slots["loss_confirmed"] is True and slots["requested_slot"] == "loss_code"
    said, _, _ = run(ActionAskLossCode(), user_says("确认", "affirm", slots))
    assert "验证码已发送" in said
    code = str(bank.outbox(CUSTOMER)[0]["code"])
    _, _, events = run(
        ValidateCardLossForm(), user_says(code, "inform", slots, history=(shown,), form="card_loss_form")
    )
    slots = apply(slots, events)
    assert slots["loss_code"] == "verified" and slots["requested_slot"] is None

    said, messages, _ = run(ActionSubmitCardLoss(), user_says(code, "inform", slots))
    assert said.startswith("已为您冻结信用卡尾号3321") and messages[0]["custom"]["card"]["status"] == "frozen"
    said, _, _ = run(ActionSubmitCardLoss(), user_says(code, "inform", slots))  # a retry
    assert "这笔挂失已办理成功" in said
    frozen = bank.find_account(CUSTOMER, last4="3321")
    assert frozen is not None and frozen.status == "frozen"
    outcome = bank.outcome(CUSTOMER, slots["loss_key"])
    assert outcome is not None and outcome.kind == "freeze"


def test_a_bill_question(bank: InMemoryBank) -> None:
    said, messages, _ = run(ActionCreditCardBill(), user_says("信用卡账单多少", "ask_credit_card_bill"))
    assert "信用卡尾号3321本期账单" in said
    assert "应还金额：¥6,842.17" in said and "最低还款：¥684.22" in said
    assert "当前总欠款¥8,077.57，可用额度¥41,922.43" in said
    assert messages[0]["custom"]["statement_cents"] == 684_217


def test_the_default_bank_is_still_the_sql_ledger(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.bank.service import BankService

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'bank.db'}")
    common.settings.cache_clear()
    common.use_bank(None)
    try:
        default = common.bank()
        assert isinstance(default, BankService) and default.url == common.settings().database_url
        memory = InMemoryBank()
        common.use_bank(memory)
        assert common.bank() is memory
    finally:
        common.use_bank(None)
        common.settings.cache_clear()
