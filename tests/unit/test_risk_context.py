"""The risk context read from the database: payee history (dormant, new), the customer's usual amount,
velocity with held transfers, security events, scam phrases of the last hours, the bank's hour and day;
and what the risk store writes (masked, short)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.bank.risk.context import UnknownSourceError, build_context, mask_name
from assistant.bank.risk.engine import decide
from assistant.bank.risk.rules import DEFAULT_RULES_FILE, load_rules
from assistant.bank.risk.store import (
    note_message,
    record_conversation_signal,
    record_decision,
    record_security_event,
)
from assistant.bank.risk.types import Assurance
from assistant.base import clock
from assistant.base.db.engine import engine_for
from assistant.base.db.models import (
    Account,
    ConversationSignal,
    Customer,
    HeldTransfer,
    Payee,
    RiskDecisionRecord,
    SecurityEvent,
    Transaction,
    Transfer,
)

RULES = load_rules(DEFAULT_RULES_FILE)
# 17:30 UTC is 01:30 the next day in Asia/Shanghai: a night transfer on the bank's clock.
NOW = datetime(2026, 12, 9, 17, 30)


@pytest.fixture(autouse=True)
def bank_in_shanghai(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.BANK_TIMEZONE_ENV, "Asia/Shanghai")


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    engine = engine_for(f"sqlite:///{tmp_path / 'risk.db'}")
    with Session(engine, future=True) as s:
        yield s
    engine.dispose()


class Profile:
    """A customer with a salary account, a savings account and payees, writing history as the ledger does."""

    def __init__(self, session: Session) -> None:
        self.session = session
        customer = Customer(id="c1", name="张伟", phone="13800001234")
        self.salary = Account(
            customer=customer, kind="debit", name="储蓄卡", number="6222021001116688", balance_cents=1_000_000
        )
        self.savings = Account(
            customer=customer, kind="debit", name="储蓄卡", number="6222021001121024", balance_cents=0
        )
        self.other = Account(
            customer=Customer(id="c2", name="李娜"), kind="debit", name="储蓄卡", number="6222021009990001"
        )
        session.add_all([customer, self.salary, self.savings, self.other])
        self.payees = {}
        for i, (name, added) in enumerate((("妈妈", 400 * 1440), ("老朋友", 400 * 1440), ("新同事", 10), ("小李", 90))):
            self.payees[name] = Payee(
                customer=customer,
                name=name,
                bank="工商银行",
                account_number=f"622202020011{i:04d}",
                created_at=NOW - timedelta(minutes=added),
            )
            session.add(self.payees[name])
        session.flush()
        self.keys = 0

    def sent(self, name: str, cents: int, ago: timedelta, by_bot: bool = True) -> None:
        at = NOW - ago
        transfer_id = None
        if by_bot:
            self.keys += 1
            record = Transfer(
                customer_id="c1",
                idempotency_key=f"k{self.keys}",
                from_account_id=self.salary.id,
                to_payee_id=self.payees[name].id,
                amount_cents=cents,
                status="completed",
                created_at=at,
            )
            self.session.add(record)
            self.session.flush()
            transfer_id = record.id
        self.session.add(
            Transaction(
                account_id=self.salary.id,
                customer_id="c1",
                posted_at=at,
                amount_cents=-cents,
                balance_after_cents=0,
                kind="transfer_out",
                counterparty=name,
                transfer_id=transfer_id,
            )
        )
        self.session.flush()

    def context(self, payee: str = "妈妈", cents: int = 100_000, **kw):
        args = {"payee_id": self.payees[payee].id, "to_account_id": None, "kind": "transfer", **kw}
        return build_context(
            self.session,
            "c1",
            self.salary.id,
            cents,
            args["payee_id"],
            args["to_account_id"],
            args["kind"],
            Assurance(),
            now=NOW,
            rules=RULES,
        )


def test_dormant_and_new_payees(session: Session) -> None:
    p = Profile(session)
    p.sent("老朋友", 50_000, timedelta(days=120))
    p.sent("妈妈", 200_000, timedelta(days=3), by_bot=False)  # paid at the counter: only the posting shows it
    old = p.context("老朋友")
    assert (old.payee_new, old.days_since_last_paid) == (False, 120)
    assert decide(old, RULES).codes == ("dormant_payee",)
    mom = p.context("妈妈")
    assert (mom.payee_new, mom.days_since_last_paid) == (False, 3)
    new = p.context("新同事")
    assert new.payee_new and new.days_since_last_paid is None and new.payee_added_minutes_ago == pytest.approx(10)
    assert new.recipient == "新**（工商银行 尾号0002）" and new.to_payee


def test_usual_amount_is_the_median_of_90_days_to_others(session: Session) -> None:
    p = Profile(session)
    for cents, days in ((100_000, 10), (200_000, 20), (300_000, 30), (9_900_000, 100)):  # the last one too old
        p.sent("妈妈", cents, timedelta(days=days))
    # a move between own accounts is not a transfer to others
    session.add(
        Transaction(
            account_id=p.salary.id,
            customer_id="c1",
            posted_at=NOW - timedelta(days=1),
            amount_cents=-5_000_000,
            balance_after_cents=0,
            kind="transfer_out",
            counterparty="本人储蓄卡尾号1024",
        )
    )
    ctx = p.context()
    assert (ctx.usual_amount_cents, ctx.transfers_90d) == (200_000, 3)


def test_velocity_counts_the_last_hour_and_day_with_held_transfers(session: Session) -> None:
    p = Profile(session)
    p.sent("妈妈", 100_000, timedelta(minutes=10))
    p.sent("小李", 200_000, timedelta(minutes=50))
    p.sent("老朋友", 400_000, timedelta(hours=5))
    p.sent("老朋友", 800_000, timedelta(hours=25))  # outside the day
    session.add(
        HeldTransfer(
            request_key="held-1",
            customer_id="c1",
            from_account_id=p.salary.id,
            to_payee_id=p.payees["小李"].id,
            amount_cents=300_000,
            status="held",
            created_at=NOW - timedelta(minutes=20),
        )
    )
    session.add(
        HeldTransfer(
            request_key="held-2",
            customer_id="c1",
            from_account_id=p.salary.id,
            to_payee_id=p.payees["小李"].id,
            amount_cents=999_900,
            status="cancelled",
            created_at=NOW - timedelta(minutes=30),
        )
    )
    session.flush()
    ctx = p.context()
    assert (ctx.count_last_hour, ctx.sum_last_hour_cents) == (3, 600_000)
    assert (ctx.count_last_day, ctx.sum_last_day_cents) == (4, 1_000_000)
    assert "velocity" in decide(ctx, RULES).codes  # the fourth within the hour


def test_local_hour_and_the_bank_day(session: Session) -> None:
    p = Profile(session)
    # 01:30 in Shanghai. 16:10 UTC is 00:10 today there; 15:50 UTC is 23:50 yesterday.
    p.sent("妈妈", 300_000, NOW - datetime(2026, 12, 9, 16, 10))
    p.sent("妈妈", 700_000, NOW - datetime(2026, 12, 9, 15, 50))
    ctx = p.context(cents=300_000)
    assert ctx.local_hour == 1 and ctx.sent_today_cents == 300_000
    assert "night" in decide(ctx, RULES).codes


def test_local_hour_follows_the_bank_zone(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    p = Profile(session)
    monkeypatch.setenv(clock.BANK_TIMEZONE_ENV, "UTC")
    assert p.context().local_hour == 17


def test_security_events_and_scam_phrases_in_their_window(session: Session) -> None:
    p = Profile(session)
    record_security_event(session, "c1", "new_device", at=NOW - timedelta(minutes=30))
    record_security_event(session, "c1", "new_device", at=NOW - timedelta(days=3))
    record_security_event(session, "c1", "password_reset", at=NOW - timedelta(hours=2))
    record_security_event(session, "c2", "password_reset", at=NOW - timedelta(minutes=1))  # someone else
    record_conversation_signal(session, "c1", ("安全账户", "公检法"), at=NOW - timedelta(hours=2))
    record_conversation_signal(session, "c1", ("刷单返利",), at=NOW - timedelta(hours=30))  # too long ago
    record_conversation_signal(session, "c1", ("公检法", "涉嫌洗钱"), at=NOW - timedelta(minutes=5))
    record_conversation_signal(session, "c2", ("屏幕共享",), at=NOW - timedelta(minutes=5))
    session.flush()
    ctx = p.context("新同事", cents=500_000)
    assert ctx.minutes_since_new_device == pytest.approx(30) and ctx.minutes_since_password_reset == pytest.approx(120)
    assert ctx.scam_phrases == ("安全账户", "公检法", "涉嫌洗钱")
    d = decide(ctx, RULES)
    assert d.action == "step_up" and d.needs_warning and "scam_words" in d.codes


def test_own_accounts_and_repayments(session: Session) -> None:
    p = Profile(session)
    ctx = build_context(
        session, "c1", p.salary.id, 100_000, None, p.savings.id, "transfer", Assurance(), now=NOW, rules=RULES
    )
    assert not ctx.to_payee and ctx.recipient == "本人储蓄卡尾号1024" and ctx.balance_cents == 1_000_000
    assert decide(ctx, RULES).action == "allow"


def test_another_customers_account_or_payee_is_refused(session: Session) -> None:
    p = Profile(session)
    with pytest.raises(UnknownSourceError):
        build_context(
            session, "c1", p.other.id, 100, p.payees["妈妈"].id, None, "transfer", Assurance(), now=NOW, rules=RULES
        )
    with pytest.raises(UnknownSourceError):
        build_context(
            session, "c2", p.other.id, 100, p.payees["妈妈"].id, None, "transfer", Assurance(), now=NOW, rules=RULES
        )


def test_mask_name() -> None:
    assert (mask_name("张三"), mask_name("欧阳娜娜"), mask_name("李"), mask_name("")) == ("张*", "欧***", "李*", "")


# ------------------------------------------------------------------ the store
def test_record_decision_is_masked_and_readable(session: Session) -> None:
    p = Profile(session)
    ctx = p.context("新同事", cents=600_000)
    d = decide(ctx, RULES)
    record_decision(session, ctx, d, "transfer:abc", latency_us=1234)
    session.flush()
    row = session.scalar(select(RiskDecisionRecord))
    assert (row.customer_id, row.request_key, row.kind, row.amount_cents, row.action) == (
        "c1",
        "transfer:abc",
        "transfer",
        600_000,
        "step_up",
    )
    assert row.recipient == "新**（工商银行 尾号0002）" and "6222" not in row.recipient
    assert [r["code"] for r in json.loads(row.reasons)] == list(d.codes)
    assert row.rules_version == RULES.version and row.latency_us == 1234


def test_only_canonical_phrases_are_stored(session: Session) -> None:
    assert record_conversation_signal(session, "c1", ()) is None
    assert record_conversation_signal(session, "c1", ("我的卡号6222021001116688",)) is None
    assert note_message(session, "c1", "客服让我把验证码发给他，卡号6222021001116688") == ("验证码告诉对方",)
    assert note_message(session, "c1", "查一下余额") == ()
    session.flush()
    assert [(s.kind, s.detail) for s in session.scalars(select(ConversationSignal))] == [
        ("scam_words", "验证码告诉对方")
    ]


def test_unknown_security_event_is_refused(session: Session) -> None:
    with pytest.raises(ValueError, match="unknown security event"):
        record_security_event(session, "c1", "face_changed")
    record_security_event(session, "c1", "payee_added")
    session.flush()
    assert session.scalar(select(SecurityEvent.kind)) == "payee_added"
