"""Finding 3: a retried confirmation returns the stored outcome before any re-quote, and the customer
can ask "刚才那笔成功了吗" and get the ledger's answer."""

from __future__ import annotations

from typing import Any, Dict, Iterator, List

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.common as common
from actions.cards import ActionSubmitRepay
from actions.transfer import ActionSubmitTransfer, ValidateTransferForm
from assistant.bank.risk.types import Assurance
from assistant.bank.seed import seed_demo_data
from assistant.bank.service import BankService
from assistant.base.db.engine import session_scope
from assistant.base.db.models import VerificationCode
from tests.support.asyncrun import run_async
from tests.support.stack import Stack

KEY = "retriedkeyretriedkeyabcd"


@pytest.fixture
def bank(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[BankService]:
    """The actions' bank on a fresh demo ledger."""
    url = f"sqlite:///{tmp_path / 'bank.db'}"
    with session_scope(url, write=True) as s:
        seed_demo_data(s)
    monkeypatch.setenv("DATABASE_URL", url)
    common.settings.cache_clear()
    common.bank.cache_clear()
    yield common.bank()
    common.settings.cache_clear()
    common.bank.cache_clear()


def spend_everything(bank: BankService) -> int:
    """The transfer that already went through (its reply was lost): all of 6688's balance to 张三."""
    source = bank.find_account("demo", last4="6688")
    payee = bank.resolve_payee("demo", "张三")
    amount = min(source.balance_cents, 5_000_000) if source else 0
    bank.send_code("demo", f"transfer:{KEY}", "test")
    with session_scope(bank.url, write=True) as s:  # the customer entered it (first payment needs none,
        for row in s.query(VerificationCode).filter_by(purpose=f"transfer:{KEY}"):  # a large one does)
            row.used = True
    # All of it in one go, far above demo's usual: the risk engine asks for its warning, which this
    # customer acknowledged (the warning itself is tests/integration/test_risk_control.py's business).
    acknowledged = Assurance(strength="sms", warning_acknowledged=True)
    bank.execute_transfer("demo", KEY, source.id, amount, payee_id=payee.id, assurance=acknowledged)
    return amount


def confirmed_tracker(amount_yuan: float, requested: str = "transfer_confirmed", confirmed: Any = None) -> Tracker:
    slots = {
        "transfer_payee": "张三",
        "transfer_amount": amount_yuan,
        "transfer_from": "6688",
        "transfer_to_account": None,
        "transfer_confirmed": confirmed,
        "transfer_code": None,
        "transfer_key": KEY,
        "transfer_needs_code": None,
        "transfer_abort": None,
        "requested_slot": requested,
    }
    latest = {"text": "确认", "intent": {"name": "affirm", "confidence": 1.0}, "entities": []}
    events: List[Dict[str, Any]] = [
        {"event": "active_loop", "name": "transfer_form"},
        {"event": "bot", "text": "请确认转账信息", "data": {"custom": {"summary_key": KEY, "summary_of": "transfer"}}},
        {"event": "user", "text": "确认", "parse_data": latest, "metadata": {}},
    ]
    return Tracker("demo", slots, latest, events, False, None, {"name": "transfer_form"}, "action_listen")


def run(action: Any, tracker: Tracker) -> str:
    dispatcher = CollectingDispatcher()
    run_async(action.run(dispatcher, tracker, {}))
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


def test_a_retried_confirmation_gets_the_stored_outcome_not_a_requote(bank: BankService) -> None:
    amount = spend_everything(bank)
    said = run(ValidateTransferForm(), confirmed_tracker(amount / 100))
    assert "余额不足" not in said
    assert "已于" in said and "成功" in said and "张三" in said, said


def test_the_submit_step_reports_the_stored_outcome_and_moves_nothing(bank: BankService) -> None:
    amount = spend_everything(bank)
    balance = bank.find_account("demo", last4="6688").balance_cents
    said = run(ActionSubmitTransfer(), confirmed_tracker(amount / 100, requested=None, confirmed=True))
    assert "余额不足" not in said and "资金未发生变动" not in said
    assert "成功" in said, said
    assert bank.find_account("demo", last4="6688").balance_cents == balance
    assert ActionSubmitRepay().name() == "action_submit_repay"  # the same base class answers for repayments


@pytest.mark.integration
def test_a_lost_reply_then_confirm_again_tells_what_happened(stack: Stack) -> None:
    token = stack.token("demo")
    key = stack.open_summary(token, "给张三转13")
    first = stack.say(token, "确认")
    assert any("转账成功" in m["text"] for m in first["messages"])
    balance = stack.balance_text(token, "6688")
    status, again = stack.post("/api/chat", {"message": "确认", "summary_key": key}, token=token)  # the retry
    assert status == 200
    said = "\n".join(m["text"] for m in again["messages"])
    assert "已于" in said and "成功" in said and "¥13.00" in said and "张三" in said, said
    assert stack.balance_text(token, "6688") == balance


@pytest.mark.integration
@pytest.mark.parametrize("question", ["刚才那笔成功了吗", "我刚转的钱到了吗"])
def test_the_customer_can_ask_whether_the_last_one_went_through(stack: Stack, question: str) -> None:
    token = stack.token("demo")
    stack.say(token, "取消")
    stack.say(token, "给王芳转14")
    assert any("转账成功" in m["text"] for m in stack.say(token, "确认")["messages"])
    said = "\n".join(m["text"] for m in stack.say(token, question)["messages"])
    assert "成功" in said and "¥14.00" in said and "王芳" in said, said
