"""The risk decision inside the bank's money movement: no face can skip it. A scam script in the conversation
needs the anti-fraud warning acknowledged, and from the hold threshold on the money is held for review
(reserved, not sent); the back office releases it once or cancels it, also when both race; limits follow
the strength of what the customer proved; every decision taken at execution is in ``risk_decisions``.

Runs on SQLite and, when TEST_POSTGRES_URL names one, on PostgreSQL (as test_bank_service.py)."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Callable, List, Union

import pytest
from sqlalchemy import func, select

from assistant.bank.risk.scam import scam_phrases
from assistant.bank.risk.types import Assurance
from assistant.bank.seed import seed_demo_data
from assistant.bank.service import BankService
from assistant.bank.types import BankError, HeldView, Receipt
from assistant.base import clock
from assistant.base.db.engine import engine_for, session_scope
from assistant.base.db.models import (
    Account,
    AuditLog,
    Base,
    HeldTransfer,
    RiskDecisionRecord,
    Transaction,
    Transfer,
)

OUTBOX_KEY = bytes(range(32))
SCAM_MESSAGE = "客服让我转到安全账户"
ACKNOWLEDGED = Assurance(warning_acknowledged=True)
START = 5_238_050  # demo's 工资卡 尾号6688


@pytest.fixture(params=["sqlite", "postgresql"])
def bank(request: pytest.FixtureRequest, tmp_path) -> BankService:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'bank.db'}"
    else:
        url = os.environ.get("TEST_POSTGRES_URL", "")
        if not url:
            pytest.skip("TEST_POSTGRES_URL not set (e.g. postgresql://postgres@localhost/assistant_test)")
        engine = engine_for(url)
        Base.metadata.drop_all(engine)
        Base.metadata.create_all(engine)
    with session_scope(url, write=True) as s:
        seed_demo_data(s)
    return BankService(url, outbox_key=OUTBOX_KEY)


# ------------------------------------------------------------------ helpers
def ids(bank: BankService) -> tuple[int, int, int]:
    """demo's 工资卡, 李四 (never paid: a new payee) and 张三 (paid before)."""
    src, ls, zs = (
        bank.find_account("demo", last4="6688"),
        bank.resolve_payee("demo", "李四"),
        bank.resolve_payee("demo", "张三"),
    )
    assert src and ls and zs
    return src.id, ls.id, zs.id


def verify(bank: BankService, purpose: str) -> None:
    bank.send_code("demo", purpose, "测试")
    code = next(m["code"] for m in bank.outbox("demo") if m["purpose"] == purpose)
    assert isinstance(code, str) and bank.check_code("demo", purpose, code).ok


def balance(bank: BankService, last4: str = "6688") -> int:
    found = bank.find_account("demo", last4=last4)
    assert found is not None
    return found.balance_cents


def refusal(call: Callable[[], object]) -> BankError:
    with pytest.raises(BankError) as err:
        call()
    return err.value


def decisions(bank: BankService, key: str) -> List[str]:
    with session_scope(bank.url) as s:
        rows = s.scalars(
            select(RiskDecisionRecord).where(RiskDecisionRecord.request_key == key).order_by(RiskDecisionRecord.id)
        )
        return [r.action for r in rows]


def count(bank: BankService, model: type) -> int:
    with session_scope(bank.url) as s:
        return int(s.scalar(select(func.count()).select_from(model)))


def postings_sum_to_balances(bank: BankService) -> None:
    with session_scope(bank.url) as s:
        for a in s.scalars(select(Account)):
            total = s.scalar(select(func.sum(Transaction.amount_cents)).where(Transaction.account_id == a.id))
            assert total == (a.balance_cents if a.kind == "debit" else -a.balance_cents), a.number


def top_up(bank: BankService, cents: int) -> None:
    """Money arriving from outside the assistant, long ago (not a transfer the risk signals count)."""
    with session_scope(bank.url, write=True) as s:
        account = s.scalar(select(Account).where(Account.number.like("%6688")))
        account.balance_cents += cents
        s.add(
            Transaction(
                account_id=account.id,
                customer_id="demo",
                posted_at=clock.utcnow() - timedelta(days=1),
                amount_cents=cents,
                balance_after_cents=account.balance_cents,
                kind="transfer_in",
                counterparty="test",
            )
        )


def held_transfer(bank: BankService, key: str, amount: int = 800_000) -> Receipt:
    """After the scam words, a transfer to the new payee 李四 from the hold threshold (¥5,000) on, with the
    code and the warning: held for review."""
    src, ls, _ = ids(bank)
    bank.record_conversation_signal("demo", scam_phrases(SCAM_MESSAGE))
    verify(bank, f"transfer:{key}")
    receipt = bank.execute_transfer("demo", key, src, amount, payee_id=ls, assurance=ACKNOWLEDGED)
    assert receipt.status == "held" and receipt.held_id and receipt.transfer_id == 0
    return receipt


# ------------------------------------------------------------------ the anti-fraud warning
def test_scam_words_need_the_warning_acknowledged(bank: BankService) -> None:
    src, ls, _ = ids(bank)
    assert scam_phrases(SCAM_MESSAGE) == ("安全账户",)
    bank.record_conversation_signal("demo", scam_phrases(SCAM_MESSAGE))
    q = bank.quote_transfer("demo", src, 100_000, payee_id=ls)  # ¥1,000: below the hold threshold
    assert q.needs_code and q.needs_warning and q.risk is not None and q.risk.action == "step_up"
    assert "安全账户" in q.risk.warning and q.to_json()["needs_warning"] is True

    first = refusal(lambda: bank.execute_transfer("demo", "scam-1", src, 100_000, payee_id=ls))
    assert first.code == "risk_step_up" and "安全账户" in first.message and "我已知晓风险" in first.message
    assert first.detail["needs_warning"] and first.detail["needs_code"]
    assert "scam_words" in {r["code"] for r in first.detail["reasons"]}
    verify(bank, "transfer:scam-1")
    coded = refusal(lambda: bank.execute_transfer("demo", "scam-1", src, 100_000, payee_id=ls))
    assert coded.code == "risk_step_up" and coded.detail["needs_warning"] and not coded.detail["needs_code"]
    # The caller's word that a code was verified does not count: the bank's record does.
    unverified = refusal(
        lambda: bank.execute_transfer(
            "demo",
            "scam-2",
            src,
            100_000,
            payee_id=ls,
            assurance=Assurance(code_verified=True, warning_acknowledged=True),
        )
    )
    assert unverified.code == "code_required" and unverified.detail["needs_code"]
    assert balance(bank) == START and count(bank, Transfer) == 0

    done = bank.execute_transfer("demo", "scam-1", src, 100_000, payee_id=ls, assurance=ACKNOWLEDGED)
    assert done.status == "completed" and done.transfer_id and balance(bank) == START - 100_000
    assert decisions(bank, "scam-1") == ["step_up", "step_up", "allow"]  # refusals are recorded too
    assert decisions(bank, "scam-2") == ["step_up"]


def test_without_scam_words_a_known_payee_is_paid_as_before(bank: BankService) -> None:
    src, _, zs = ids(bank)
    q = bank.quote_transfer("demo", src, 50_000, payee_id=zs)
    assert q.risk is not None and q.risk.action == "allow" and not q.needs_code and not q.needs_warning
    assert bank.execute_transfer("demo", "plain", src, 50_000, payee_id=zs).status == "completed"
    assert decisions(bank, "plain") == ["allow"]


# ------------------------------------------------------------------ holds
def test_above_the_threshold_the_transfer_is_held_and_the_money_reserved(bank: BankService) -> None:
    src, ls, _ = ids(bank)
    bank.record_conversation_signal("demo", scam_phrases(SCAM_MESSAGE))
    asked = refusal(lambda: bank.execute_transfer("demo", "big", src, 800_000, payee_id=ls))
    assert asked.code == "risk_step_up" and asked.detail["needs_warning"]
    held = held_transfer(bank, "big")
    assert held.from_account.balance_cents == START and held.recipient_label.startswith("李四")
    assert balance(bank) == START and count(bank, Transfer) == 0  # nothing moved, nothing posted
    with session_scope(bank.url) as s:
        assert s.scalar(select(func.count()).select_from(Transaction).where(Transaction.transfer_id.isnot(None))) == 0
    assert decisions(bank, "big") == ["step_up", "hold"]

    again = bank.execute_transfer("demo", "big", src, 800_000, payee_id=ls, assurance=ACKNOWLEDGED)
    assert again.replayed and again.held_id == held.held_id and again.status == "held"
    assert count(bank, HeldTransfer) == 1

    # The reservation: ¥8,000 of the balance is no longer available, also between own accounts.
    available = START - 800_000
    savings = bank.find_account("demo", last4="1024")
    assert savings is not None
    short = refusal(lambda: bank.quote_transfer("demo", src, available + 1, to_account_id=savings.id))
    assert short.code == "insufficient_funds" and "可用¥44,380.50" in short.message
    assert bank.quote_transfer("demo", src, available, to_account_id=savings.id).amount_cents == available

    queue = bank.held_transfers()
    assert [h.id for h in queue] == [held.held_id]
    assert queue[0].status == "held" and queue[0].amount_cents == 800_000 and queue[0].customer_id == "demo"
    assert "scam_words" in {r["code"] for r in queue[0].reasons} and queue[0].from_account.endswith("尾号6688")
    assert refusal(lambda: bank.held_transfers("open")).code == "invalid_status"


def test_release_executes_exactly_once(bank: BankService) -> None:
    src, ls, _ = ids(bank)
    held = held_transfer(bank, "rel")
    assert held.held_id is not None
    done = bank.release_held(held.held_id, "officer-1")
    assert done.status == "completed" and done.transfer_id and not done.replayed and done.held_id == held.held_id
    assert balance(bank) == START - 800_000 and done.from_account.balance_cents == START - 800_000
    again = bank.release_held(held.held_id, "officer-2")
    assert again.replayed and again.transfer_id == done.transfer_id and balance(bank) == START - 800_000
    # The customer's retry of the request replays the transfer the release made.
    retry = bank.execute_transfer("demo", "rel", src, 800_000, payee_id=ls, assurance=ACKNOWLEDGED)
    assert retry.replayed and retry.transfer_id == done.transfer_id and retry.status == "completed"
    held_id = held.held_id
    lost = refusal(lambda: bank.cancel_held(held_id, "officer-2"))
    assert lost.code == "held_already_decided" and "已放行" in lost.message
    assert count(bank, Transfer) == 1 and bank.held_transfers() == []
    released = bank.held_transfers("released")
    assert released[0].decided_by == "officer-1" and released[0].transfer_id == done.transfer_id
    notices = bank.notices("demo")
    assert len(notices) == 1 and "¥8,000.00" in notices[0] and "已通过人工复核，已成功转出" in notices[0]
    assert bank.notices("demo") == [] and bank.notices("demo2") == []
    with session_scope(bank.url) as s:
        audit = [a.action for a in s.scalars(select(AuditLog).where(AuditLog.actor == "officer-1"))]
    assert audit == ["transfer.completed", "held.released"]
    postings_sum_to_balances(bank)
    assert refusal(lambda: bank.release_held(99_999, "officer-1")).code == "held_not_found"


def test_cancel_frees_the_reservation(bank: BankService) -> None:
    src, ls, _ = ids(bank)
    held = held_transfer(bank, "can")
    assert held.held_id is not None
    savings = bank.find_account("demo", last4="1024")
    assert savings is not None
    assert (
        refusal(lambda: bank.quote_transfer("demo", src, START, to_account_id=savings.id)).code == "insufficient_funds"
    )
    view = bank.cancel_held(held.held_id, "officer-1")
    assert isinstance(view, HeldView) and view.status == "cancelled" and view.decided_by == "officer-1"
    assert bank.cancel_held(held.held_id, "officer-2") == view  # the same result again
    assert bank.quote_transfer("demo", src, START, to_account_id=savings.id).amount_cents == START  # all available
    held_id = held.held_id
    lost = refusal(lambda: bank.release_held(held_id, "officer-2"))
    assert lost.code == "held_already_decided" and "已取消" in lost.message
    retry = bank.execute_transfer("demo", "can", src, 800_000, payee_id=ls, assurance=ACKNOWLEDGED)
    assert retry.status == "cancelled" and retry.replayed and retry.transfer_id == 0
    assert balance(bank) == START and count(bank, Transfer) == 0
    notices = bank.notices("demo")
    assert len(notices) == 1 and "已被取消，款项未转出，冻结金额已释放" in notices[0]


Outcome = Union[Receipt, HeldView, BankError]


def race(bank: BankService, pool: ThreadPoolExecutor, held_id: int) -> List[Outcome]:
    """A release and a cancel of one hold, let go at the same instant: [release's outcome, cancel's]."""
    gate = threading.Barrier(2)

    def decide(release: bool) -> Outcome:
        gate.wait()
        try:
            return bank.release_held(held_id, "officer-r") if release else bank.cancel_held(held_id, "officer-c")
        except BankError as exc:
            return exc

    return list(pool.map(decide, (True, False)))


def test_concurrent_release_and_cancel_exactly_one_wins(bank: BankService) -> None:
    rounds = 20
    top_up(bank, rounds * 500_000)
    held_ids = [held_transfer(bank, f"race-{i}", 500_000).held_id for i in range(rounds)]
    before = balance(bank)
    released = 0
    with ThreadPoolExecutor(max_workers=2) as pool:
        for held_id in held_ids:
            assert held_id is not None
            release, cancel = race(bank, pool, held_id)
            lost = [o for o in (release, cancel) if isinstance(o, BankError)]
            assert len(lost) == 1 and lost[0].code == "held_already_decided", (release, cancel)
            # The winner's call again returns the same; the loser's is refused again.
            if isinstance(release, Receipt):
                released += 1
                assert bank.release_held(held_id, "officer-r").transfer_id == release.transfer_id
                with pytest.raises(BankError, match="已放行"):
                    bank.cancel_held(held_id, "officer-c")
            else:
                assert bank.cancel_held(held_id, "officer-c") == cancel
                with pytest.raises(BankError, match="已取消"):
                    bank.release_held(held_id, "officer-r")
    assert balance(bank) == before - released * 500_000
    assert count(bank, Transfer) == released and bank.held_transfers() == []
    assert len(bank.held_transfers("released")) == released
    assert len(bank.held_transfers("cancelled")) == rounds - released
    assert len(bank.notices("demo")) == rounds
    postings_sum_to_balances(bank)


# ------------------------------------------------------------------ limits follow the strength
def test_limits_follow_the_strength_of_what_the_customer_proved(bank: BankService) -> None:
    src, _, zs = ids(bank)
    small = bank.quote_transfer("demo", src, 400_000, payee_id=zs)  # ¥4,000: within password-only limits
    assert small.risk is not None and small.risk.limit_cents == 500_000 and not small.needs_code

    q = bank.quote_transfer("demo", src, 600_000, payee_id=zs)  # ¥6,000 with a password only
    assert q.needs_code and q.risk is not None and q.risk.action == "step_up"
    assert "over_limit_code" in q.risk.codes
    strong = bank.quote_transfer("demo", src, 600_000, payee_id=zs, assurance=Assurance(strength="device_key"))
    assert (
        strong.risk is not None and strong.risk.limit_cents == 20_000_000 and "over_limit_code" not in strong.risk.codes
    )

    refused = refusal(lambda: bank.execute_transfer("demo", "lim", src, 600_000, payee_id=zs))
    assert refused.code == "code_required"  # the ¥5,000 rule's code, in the limit's plain words:
    assert refused.message == "当前登录方式（仅密码）单笔最多可转¥5,000.00，完成短信验证后本笔最多可转¥50,000.00。"
    assert balance(bank) == START
    verify(bank, "transfer:lim")  # the code raises this transfer to "sms"
    done = bank.execute_transfer("demo", "lim", src, 600_000, payee_id=zs)
    assert done.status == "completed" and balance(bank) == START - 600_000
    assert decisions(bank, "lim") == ["step_up", "allow"]


def test_the_daily_limit_follows_the_strength_too(bank: BankService) -> None:
    src, _, zs = ids(bank)
    verify(bank, "transfer:early")
    bank.execute_transfer("demo", "early", src, 1_800_000, payee_id=zs)  # ¥18,000 with a code
    refused = refusal(lambda: bank.execute_transfer("demo", "late", src, 300_000, payee_id=zs))  # ¥3,000 more
    assert refused.code == "risk_step_up" and refused.detail["needs_code"] and not refused.detail["needs_warning"]
    assert "当前登录方式（仅密码）每日最多可转¥20,000.00（今日已转¥18,000.00）" in refused.message
    assert "完成短信验证后每日最多可转¥200,000.00" in refused.message
    verify(bank, "transfer:late")
    assert bank.execute_transfer("demo", "late", src, 300_000, payee_id=zs).status == "completed"
    assert decisions(bank, "late") == ["step_up", "allow"]


def test_own_account_moves_and_repayments_get_a_decision_too(bank: BankService) -> None:
    src, _, _ = ids(bank)
    savings, card = bank.find_account("demo", last4="1024"), bank.find_account("demo", last4="3321")
    assert savings and card
    bank.execute_transfer("demo", "own", src, 100_000, to_account_id=savings.id)
    bank.execute_transfer("demo", "repay", src, 68_422, to_account_id=card.id, kind="repayment")
    assert decisions(bank, "own") == ["allow"] and decisions(bank, "repay") == ["allow"]
    assert bank.quote_transfer("demo", src, 100_000, to_account_id=savings.id).risk is not None


def test_security_events_and_signals_are_checked(bank: BankService) -> None:
    assert refusal(lambda: bank.record_security_event("demo", "coffee")).code == "invalid_event"
    bank.record_security_event("demo", "password_reset")
    bank.record_conversation_signal("demo", ["不是诈骗词"])  # not a canonical phrase: dropped
    src, _, zs = ids(bank)
    q = bank.quote_transfer("demo", src, 400_000, payee_id=zs)  # ¥4,000 just after a password reset
    assert q.risk is not None and "after_password_reset" in q.risk.codes and "scam_words" not in q.risk.codes
