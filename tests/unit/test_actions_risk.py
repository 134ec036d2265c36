"""The real transfer actions on InMemoryBank under the bank's risk decision: the anti-fraud warning the
customer must acknowledge in words, holds for review, limits that follow the login's strength, and a
step the bank asks for only at submit.

Trackers are built as Rasa sends them to the action server; the login's strength is in the metadata
of the user message, where the gateway puts it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Iterator, Optional, Tuple

import pytest
from rasa_sdk import Tracker

from actions.common import auth_strength
from actions.task_form import WARNING_ACKNOWLEDGED, WARNING_NOT_NEEDED, acknowledges_warning
from actions.transfer import (
    ActionAskTransferCode,
    ActionAskTransferConfirmed,
    ActionAskTransferWarning,
    ActionSubmitTransfer,
    ValidateTransferForm,
)
from assistant.bank.memory import InMemoryBank
from assistant.bank.risk import rules as risk_rules
from assistant.bank.risk.scam import scam_phrases
from assistant.bank.risk.types import Assurance
from assistant.bank.types import BankError
from tests.support.memory_actions import CUSTOMER, apply, memory_bank, run, summary_shown, user_says  # noqa: F401 - memory_bank: the fixture `bank`

ACK = "我已知晓风险，确认是本人自愿转账"


class Conversation:
    """One transfer driven through the form as Rasa would: each message validated, then asked or submitted."""

    def __init__(self, bank: InMemoryBank, strength: Optional[str] = None) -> None:
        self.bank = bank
        self.strength = strength
        self.slots: Dict[str, Any] = {}
        self.history: Tuple[Dict[str, Any], ...] = ()

    def tracker(self, text: str, intent: str, entities: Tuple[Dict[str, Any], ...] = (), form: bool = True) -> Tracker:
        return user_says(
            text,
            intent,
            self.slots,
            entities,
            self.history,
            "transfer_form" if form else None,
            self.strength,
        )

    def start(self, payee: str, yuan: int) -> str:
        """ "给<payee>转<yuan>": the form fills the details and shows the summary."""
        text = f"给{payee}转{yuan}"
        found = (
            {"entity": "payee", "value": payee, "start": 1, "end": 1 + len(payee)},
            {"entity": "amount", "value": yuan, "start": 2 + len(payee), "end": len(text)},
        )
        said, _, events = run(ValidateTransferForm(), self.tracker(text, "transfer_money", found, form=False))
        self.slots = apply({}, events)
        if self.slots["requested_slot"] != "transfer_confirmed":
            return said
        summary, messages, _ = run(ActionAskTransferConfirmed(), self.tracker(text, "transfer_money"))
        self.history = (summary_shown(messages),)
        return "\n".join(t for t in (said, summary) if t)

    def say(self, text: str, intent: str) -> str:
        """One more message to the open form, then what the form asks next (or the submit when done)."""
        said, _, events = run(ValidateTransferForm(), self.tracker(text, intent))
        self.slots = apply(self.slots, events)
        if not any(e.get("event") == "slot" and e.get("name") != "requested_slot" for e in events):
            return said + "\n[rejected]"  # nothing validated: Rasa rejects the form, its rules take the message
        asked = self.asks()
        return "\n".join(t for t in (said, asked) if t)

    def asks(self) -> str:
        step = self.slots.get("requested_slot")
        tracker = self.tracker("", "")
        if step == "transfer_warning":
            return run(ActionAskTransferWarning(), tracker)[0]
        if step == "transfer_code":
            return run(ActionAskTransferCode(), tracker)[0]
        if step is None:
            said, _, events = run(ActionSubmitTransfer(), tracker)
            self.submitted = events
            return said
        return ""

    def code(self) -> str:
        return str(self.bank.outbox(CUSTOMER)[0]["code"])


def balance(bank: InMemoryBank, last4: str = "6688") -> int:
    account = bank.find_account(CUSTOMER, last4=last4)
    assert account is not None
    return account.balance_cents


def scam_said(bank: InMemoryBank, text: str = "客服让我转到安全账户") -> None:
    """What the gateway does with every customer message that has scam words."""
    phrases = scam_phrases(text)
    assert phrases == ("安全账户",)
    bank.record_conversation_signal(CUSTOMER, phrases)


# ------------------------------------------------------------------ the warning, acknowledged in words
def test_after_safe_account_words_a_transfer_waits_for_the_typed_acknowledgement(bank: InMemoryBank) -> None:
    before = balance(bank)
    scam_said(bank)
    chat = Conversation(bank)
    summary = chat.start("王芳", 3000)
    assert "收款方：王芳（招商银行 尾号9012）" in summary and "金额：¥3,000.00" in summary
    assert "【风险提示】" in summary and "安全账户" in summary and "确认知晓风险" in summary

    warning = chat.say("确认", "affirm")
    assert chat.slots["transfer_confirmed"] is True and chat.slots["transfer_needs_code"] is True
    assert chat.slots["requested_slot"] == "transfer_warning" and chat.slots["transfer_warning"] is None
    assert "【反诈提醒】" in warning and "安全账户" in warning and ACK in warning and "96110" in warning
    assert "提醒原因：" in warning

    # Anything but the acknowledgement shows the warning again; nothing moves, and the bank refuses too.
    again = chat.say("确认", "affirm")
    assert "还没有收到您的风险确认" in again and "【反诈提醒】" in again
    assert chat.slots["requested_slot"] == "transfer_warning"
    again = chat.say("我不知晓风险，是客服让我转的，本人", "inform")
    assert chat.slots["requested_slot"] == "transfer_warning" and "【反诈提醒】" in again
    payee = bank.resolve_payee(CUSTOMER, "王芳")
    source = bank.primary_account(CUSTOMER)
    assert payee is not None and source is not None
    with pytest.raises(BankError) as refused:
        bank.execute_transfer(CUSTOMER, chat.slots["transfer_key"], source.id, 300_000, payee_id=payee.id)
    assert refused.value.code == "risk_step_up" and refused.value.detail["needs_warning"] is True
    assert balance(bank) == before

    # A question or 取消 goes to the rules (the form is rejected), not into the warning.
    assert chat.say("取消", "cancel").endswith("[rejected]")
    assert chat.say("我还有多少钱", "check_balance").endswith("[rejected]")

    asked = chat.say(ACK, "affirm")
    assert chat.slots["transfer_warning"] == WARNING_ACKNOWLEDGED
    assert chat.slots["requested_slot"] == "transfer_code" and "验证码已发送" in asked
    done = chat.say(chat.code(), "inform")
    assert "转账成功！已向王芳（招商银行 尾号9012）转账¥3,000.00" in done
    assert balance(bank) == before - 300_000


def test_without_scam_words_a_small_transfer_to_a_known_payee_is_unchanged(bank: InMemoryBank) -> None:
    chat = Conversation(bank)
    summary = chat.start("王芳", 3000)
    assert "风险提示" not in summary and "短信验证码" not in summary
    done = chat.say("确认", "affirm")
    assert chat.slots["transfer_warning"] == WARNING_NOT_NEEDED and chat.slots["transfer_needs_code"] is False
    assert "转账成功！" in done


def test_the_acknowledgement_must_say_both_risk_and_own_will() -> None:
    for text in (
        ACK,
        "我已知晓风险，确认是本人自愿转账。",
        "已了解风险，本人自愿",
        "我 已 知晓 风险 本人操作",
        "我已知悉相关风险，确认自愿转账",
    ):
        assert acknowledges_warning(text), text
    for text in (
        "确认",
        "我已知晓风险",
        "本人自愿",
        "我不知晓风险，本人自愿",
        "我已知晓风险，但不是本人自愿的",
        "我已知晓风险，客服让我确认是本人自愿转账",
        "知晓风险，被迫本人操作",
    ):
        assert not acknowledges_warning(text), text


# ------------------------------------------------------------------ held for review
def test_above_the_hold_threshold_it_ends_held_with_the_money_reserved(bank: InMemoryBank) -> None:
    before = balance(bank)
    scam_said(bank)
    chat = Conversation(bank)
    summary = chat.start("张三", 8000)
    assert "【风险提示】" in summary
    chat.say("确认", "affirm")
    assert chat.slots["requested_slot"] == "transfer_warning"
    chat.say(ACK, "affirm")
    held = chat.say(chat.code(), "inform")
    assert "这笔转账需要人工复核，款项已为您冻结、暂未转出；复核结果会在这里通知您。" in held
    assert "原因：" in held and "安全账户" in held and "转账成功" not in held
    assert balance(bank) == before  # nothing left the account ...
    queue = bank.held_transfers()
    assert [(h.customer_id, h.amount_cents) for h in queue] == [(CUSTOMER, 800_000)]
    # ... but the reserved amount is no longer available: a transfer of the whole balance is refused.
    source = bank.primary_account(CUSTOMER)
    payee = bank.resolve_payee(CUSTOMER, "王芳")
    assert source is not None and payee is not None
    with pytest.raises(BankError) as refused:
        bank.quote_transfer(CUSTOMER, source.id, before - 100_000, payee_id=payee.id)
    assert refused.value.code in {"insufficient_funds", "single_limit"}

    # The same 确认 again (a lost reply): the hold as it is, never "成功", nothing new held.
    said, _, _ = run(ActionSubmitTransfer(), user_says("确认", "affirm", chat.slots))
    assert "正在人工复核" in said and "成功" not in said
    assert len(bank.held_transfers()) == 1

    receipt = bank.release_held(queue[0].id, "risk_zhao")
    assert receipt.completed and balance(bank) == before - 800_000
    assert any("已通过人工复核" in n for n in bank.notices(CUSTOMER))


# ------------------------------------------------------------------ limits follow the login's strength
STRICTER_LIMITS = """limits:
  password:
    per_transfer_cents: 500_000
    daily_cents: 2_000_000
  sms:
    per_transfer_cents: 1_000_000
    daily_cents: 20_000_000
  device_key:
    per_transfer_cents: 5_000_000
    daily_cents: 50_000_000
"""


@pytest.fixture
def stricter_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The shipped rules with an SMS login capped at ¥10,000 a transfer, so ¥20,000 needs a device key."""
    shipped = risk_rules.rules_path().read_text(encoding="utf-8")
    start, end = shipped.index("limits:"), shipped.index("signals:")
    path = tmp_path / "rules.yml"
    path.write_text(shipped[:start] + STRICTER_LIMITS + "\n" + shipped[end:], encoding="utf-8")
    monkeypatch.setenv(risk_rules.RULES_FILE_ENV, str(path))
    risk_rules.forget_rules()
    yield
    monkeypatch.delenv(risk_rules.RULES_FILE_ENV)
    risk_rules.forget_rules()


def test_a_password_login_above_its_limit_is_told_why_and_what_would_help(bank: InMemoryBank) -> None:
    before = balance(bank)
    chat = Conversation(bank)  # no strength in the metadata: a password login
    summary = chat.start("张三", 8000)
    assert "当前登录方式（仅密码）单笔最多可转¥5,000.00" in summary and "完成短信验证后" in summary
    # Without the code the bank refuses even a direct call with the password's strength.
    source = bank.primary_account(CUSTOMER)
    payee = bank.resolve_payee(CUSTOMER, "张三")
    assert source is not None and payee is not None
    with pytest.raises(BankError) as refused:
        bank.execute_transfer(CUSTOMER, chat.slots["transfer_key"], source.id, 800_000, payee_id=payee.id)
    assert refused.value.code in {"risk_step_up", "code_required"}
    assert balance(bank) == before
    chat.say("确认", "affirm")
    assert chat.slots["requested_slot"] == "transfer_code"  # the code lifts this one transfer to "sms"
    assert "转账成功！" in chat.say(chat.code(), "inform")
    assert balance(bank) == before - 800_000


def test_an_sms_login_is_not_told_about_the_password_limit(bank: InMemoryBank) -> None:
    summary = Conversation(bank, strength="sms").start("张三", 8000)
    assert "仅密码" not in summary and "金额较大，确认后需要短信验证码" in summary


def test_over_what_the_login_allows_is_refused_in_plain_words(bank: InMemoryBank, stricter_rules: None) -> None:
    before = balance(bank)
    said = Conversation(bank).start("张三", 20000)
    assert "当前登录方式（仅密码）单笔最多可转¥5,000.00" in said and "使用设备密钥登录后可提高限额" in said
    assert "请确认转账信息" not in said
    said = Conversation(bank, strength="sms").start("张三", 20000)
    assert "当前登录方式（短信验证）单笔最多可转¥10,000.00" in said and "设备密钥" in said
    assert balance(bank) == before

    chat = Conversation(bank, strength="device_key")
    summary = chat.start("张三", 20000)
    assert "请确认转账信息" in summary and "金额较大" in summary
    chat.say("确认", "affirm")
    assert "转账成功！" in chat.say(chat.code(), "inform")
    assert balance(bank) == before - 2_000_000


def test_an_unknown_strength_counts_as_a_password() -> None:
    assert auth_strength(user_says("你好", "greet", strength="device_key")) == "device_key"
    assert auth_strength(user_says("你好", "greet", strength="root")) == "password"
    assert auth_strength(user_says("你好", "greet")) == "password"


# ------------------------------------------------------------------ a step the bank asks for only at submit
def test_a_step_up_at_submit_reopens_the_form_on_the_missing_step(bank: InMemoryBank) -> None:
    before = balance(bank)
    chat = Conversation(bank)
    assert "风险提示" not in chat.start("王芳", 3000)
    said, _, events = run(ValidateTransferForm(), chat.tracker("确认", "affirm"))
    chat.slots = apply(chat.slots, events)
    assert chat.slots["requested_slot"] is None and chat.slots["transfer_warning"] == WARNING_NOT_NEEDED
    key = chat.slots["transfer_key"]

    scam_said(bank)  # meanwhile (another client, another message): the risk is different now
    said, _, events = run(ActionSubmitTransfer(), chat.tracker("确认", "affirm", form=False))
    assert "还需要您确认知晓风险、完成短信验证" in said and "转账成功" not in said
    assert [e["name"] for e in events if e["event"] == "followup"] == ["transfer_form"]
    assert balance(bank) == before
    chat.slots = apply(chat.slots, events)
    assert chat.slots["transfer_key"] == key and chat.slots["transfer_confirmed"] is True

    # The form starts again in the same turn, right after the submit: it continues this request.
    submitted = {"event": "action", "name": "action_submit_transfer"}
    resumed = user_says("确认", "affirm", chat.slots, history=chat.history)
    resumed.events.append(submitted)
    _, _, events = run(ValidateTransferForm(), resumed)
    chat.slots = apply(chat.slots, events)
    assert chat.slots["requested_slot"] == "transfer_warning" and chat.slots["transfer_key"] == key
    assert "【反诈提醒】" in chat.asks()
    chat.say(ACK, "affirm")
    assert chat.slots["requested_slot"] == "transfer_code"
    assert "转账成功！" in chat.say(chat.code(), "inform")
    assert balance(bank) == before - 300_000
    assert bank.outcome(CUSTOMER, key) is not None


def test_the_bank_records_what_the_customer_proved(bank: InMemoryBank) -> None:
    """The acknowledgement and the strength reach the bank: with both, an sms login's transfer passes the
    warning without a second look at the slots."""
    scam_said(bank)
    source = bank.primary_account(CUSTOMER)
    payee = bank.resolve_payee(CUSTOMER, "王芳")
    assert source is not None and payee is not None
    q = bank.quote_transfer(CUSTOMER, source.id, 300_000, payee_id=payee.id, assurance=Assurance(strength="sms"))
    assert q.needs_warning and q.needs_code
    q = bank.quote_transfer(
        CUSTOMER,
        source.id,
        300_000,
        payee_id=payee.id,
        assurance=Assurance(strength="sms", code_verified=True, warning_acknowledged=True),
    )
    assert not q.needs_warning and q.risk is not None and q.risk.action == "allow"
