"""What CoreBanking promises, checked on every implementation: BankService on a fresh SQLite ledger and
InMemoryBank, both seeded with the demo data. Only protocol methods are used, except to set a scene
(money arriving, a code growing old) that no customer operation can."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date, timedelta
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
from sqlalchemy import select

from assistant.bank.memory import InMemoryBank
from assistant.bank.protocol import CoreBanking
from assistant.bank.risk.scam import scam_phrases
from assistant.bank.risk.types import Assurance, RiskDecision
from assistant.bank.seed import seed_demo_data
from assistant.bank.service import BankService
from assistant.bank.types import CODE_TTL_SECONDS, BankError, PayeeView
from assistant.base.clock import local_today
from assistant.base.db.engine import session_scope
from assistant.base.db.models import Account, Transaction, VerificationCode

OUTBOX_KEY = bytes(range(32))  # BankService's dev outbox key in these tests


@pytest.fixture(params=["sql", "memory"])
def bank(request: pytest.FixtureRequest, tmp_path) -> Iterator[CoreBanking]:
    if request.param == "sql":
        url = f"sqlite:///{tmp_path / 'bank.db'}"
        with session_scope(url, write=True) as s:
            seed_demo_data(s)
        yield BankService(url, outbox_key=OUTBOX_KEY)
    else:
        yield InMemoryBank.with_demo_data(dev_outbox=True)


# ------------------------------------------------------------------ helpers (protocol only, unless said)
def acct(bank: CoreBanking, last4: str, customer: str = "demo"):
    found = bank.find_account(customer, last4=last4)
    assert found is not None, last4
    return found


def payee(bank: CoreBanking, name: str, customer: str = "demo"):
    found = bank.resolve_payee(customer, name)
    assert found is not None, name
    return found


def sent_code(bank: CoreBanking, purpose: str, customer: str = "demo") -> str:
    """The code the customer's phone received, as the dev outbox shows it."""
    sent = [m for m in bank.outbox(customer) if m["purpose"] == purpose]
    assert sent and isinstance(sent[0]["code"], str), sent
    return sent[0]["code"]


def verify(bank: CoreBanking, purpose: str, customer: str = "demo") -> None:
    bank.send_code(customer, purpose, "测试")
    assert bank.check_code(customer, purpose, sent_code(bank, purpose, customer)).ok


def around_today() -> Tuple[date, date]:
    """The customer's days either side of now: robust to a test that runs across midnight."""
    today = local_today()
    return today - timedelta(days=1), today + timedelta(days=1)


def top_up(bank: CoreBanking, account_id: int, cents: int) -> None:
    """Money arriving from outside the assistant (not a CoreBanking operation)."""
    if isinstance(bank, InMemoryBank):
        bank.receive("demo", account_id, cents, "test")
        return
    assert isinstance(bank, BankService)
    with session_scope(bank.url, write=True) as s:
        account = s.get(Account, account_id)
        account.balance_cents += cents
        last = s.scalar(select(Transaction).order_by(Transaction.id.desc()).limit(1))
        s.add(
            Transaction(
                account_id=account_id,
                customer_id="demo",
                posted_at=last.posted_at,
                amount_cents=cents,
                balance_after_cents=account.balance_cents,
                kind="transfer_in",
                counterparty="test",
            )
        )


def postings_sum_to_balances(bank: CoreBanking) -> None:
    """Every account's postings sum to its balance (debit) or minus what it owes (credit); not a CoreBanking
    operation, so read from each implementation's own records."""
    if isinstance(bank, InMemoryBank):
        for a in bank._accounts.values():
            total = sum(p.amount_cents for p in bank._postings if p.account_id == a.id)
            assert total == (a.balance_cents if a.kind == "debit" else -a.balance_cents), a.number
        return
    assert isinstance(bank, BankService)
    with session_scope(bank.url) as s:
        for a in s.scalars(select(Account)):
            total = sum(s.scalars(select(Transaction.amount_cents).where(Transaction.account_id == a.id)))
            assert total == (a.balance_cents if a.kind == "debit" else -a.balance_cents), a.number


def expire_codes(bank: CoreBanking) -> None:
    """Let every code sent so far outlive its five minutes (not a CoreBanking operation)."""
    if isinstance(bank, InMemoryBank):
        clock = bank.now
        bank.now = lambda: clock() + timedelta(seconds=CODE_TTL_SECONDS + 1)
        return
    assert isinstance(bank, BankService)
    with session_scope(bank.url, write=True) as s:
        for row in s.scalars(select(VerificationCode)):
            row.expires_at -= timedelta(days=1)


# ------------------------------------------------------------------ accounts, payees, bills
def test_accounts_payees_and_aliases(bank: CoreBanking) -> None:
    assert [(a.last4, a.kind, a.balance_cents) for a in bank.accounts("demo")] == [
        ("6688", "debit", 5_238_050),
        ("1024", "debit", 800_000),
        ("3321", "credit", 807_757),
    ]
    assert bank.primary_account("demo").last4 == "6688"
    assert bank.find_account("demo", nickname="工资卡").last4 == "6688"
    assert bank.find_account("demo", kind="credit").last4 == "3321"
    assert bank.find_account("demo", last4="0001") is None  # demo2's
    assert payee(bank, "我妈").name == payee(bank, "老妈").name == "妈妈"
    assert payee(bank, "媳妇").label == "老婆（招商银行 尾号8642）"
    assert bank.resolve_payee("demo", "小明") is None
    assert len(bank.payees("demo")) == 9 and bank.payees("demo2") == []
    assert bank.resolve_payee("demo2", "张三") is None


def test_credit_bill(bank: CoreBanking) -> None:
    bill = bank.credit_bill("demo", acct(bank, "3321").id)
    assert (bill.statement_cents, bill.min_payment_cents, bill.owed_cents) == (684_217, 68_422, 807_757)
    assert bill.statement_date and bill.due_date and bill.statement_date.day == 5 and bill.due_date.day == 25
    assert bill.account.available_credit_cents == 5_000_000 - 807_757
    for customer, account, code in (("demo", "6688", "not_credit"), ("demo2", "3321", "account_not_found")):
        with pytest.raises(BankError) as err:
            bank.credit_bill(customer, acct(bank, account).id)
        assert err.value.code == code


# ------------------------------------------------------------------ quotes and limits
def test_quotes_say_what_would_happen_and_move_nothing(bank: CoreBanking) -> None:
    src = acct(bank, "6688")
    q = bank.quote_transfer("demo", src.id, 50_000, payee_id=payee(bank, "张三").id)
    assert (q.amount_cents, q.fee_cents, q.needs_code, q.first_time) == (50_000, 0, False, False)
    assert q.recipient_label == "张三（工商银行 尾号1234）" and q.from_account.balance_cents == 5_238_050
    first = bank.quote_transfer("demo", src.id, 10_000, payee_id=payee(bank, "李四").id)
    assert first.needs_code and first.first_time  # nobody paid 李四 before
    assert bank.quote_transfer("demo", src.id, 500_000, payee_id=payee(bank, "张三").id).needs_code  # ¥5,000
    own = bank.quote_transfer("demo", src.id, 900_000, to_account_id=acct(bank, "1024").id)
    assert not own.needs_code and own.recipient_label == "本人储蓄卡尾号1024"
    assert bank.quote_transfer(
        "demo", src.id, 500_000, to_account_id=acct(bank, "3321").id, kind="repayment"
    ).needs_code
    assert acct(bank, "6688").balance_cents == 5_238_050


def test_a_request_as_named_is_quoted_as_by_ids(bank: CoreBanking) -> None:
    src = acct(bank, "6688")
    strong = Assurance("device_key")
    assert bank.quote_request("demo", 50_000, "6688", payee="张三") == bank.quote_transfer(
        "demo", src.id, 50_000, payee_id=payee(bank, "张三").id
    )
    assert bank.quote_request("demo", 10_000, "6688", payee="我妈", assurance=strong) == bank.quote_transfer(
        "demo", src.id, 10_000, payee_id=payee(bank, "妈妈").id, assurance=strong
    )
    own = bank.quote_request("demo", 900_000, "6688", payee="张三", to_last4="1024")  # the own account wins
    assert own == bank.quote_transfer("demo", src.id, 900_000, to_account_id=acct(bank, "1024").id)
    assert bank.quote_request("demo", 500_000, "6688", to_last4="3321", kind="repayment").needs_code


@pytest.mark.parametrize(
    "from_last4,payee_said,to_last4,amount,code,message",
    [
        (None, "张三", None, 100, "account_not_found", "没有找到付款账户"),
        ("0001", "张三", None, 100, "account_not_found", "没有找到付款账户"),  # demo2's card
        ("6688", None, "0001", 100, "account_not_found", "没有找到收款账户"),
        ("6688", "小明", None, 100, "payee_not_found", "没有找到该收款人"),
        ("6688", None, None, 100, "payee_not_found", "没有找到该收款人"),
        ("6688", "张三", None, 6_000_000, "single_limit", None),  # then quote_transfer's own refusals
    ],
)
def test_a_request_as_named_is_refused_with_a_stable_code(
    bank: CoreBanking,
    from_last4: Optional[str],
    payee_said: Optional[str],
    to_last4: Optional[str],
    amount: int,
    code: str,
    message: Optional[str],
) -> None:
    with pytest.raises(BankError) as err:
        bank.quote_request("demo", amount, from_last4, payee=payee_said, to_last4=to_last4)
    assert err.value.code == code and (message is None or err.value.message == message)


def test_the_sql_ledger_quotes_a_named_request_in_one_session(tmp_path) -> None:
    from sqlalchemy import event

    from assistant.base.db.engine import engine_for

    url = f"sqlite:///{tmp_path / 'bank.db'}"
    with session_scope(url, write=True) as s:
        seed_demo_data(s)
    bank = BankService(url, outbox_key=OUTBOX_KEY)
    begun: List[object] = []
    event.listen(engine_for(url), "begin", begun.append)
    bank.quote_request("demo", 50_000, "6688", payee="张三")
    assert len(begun) == 1


@pytest.mark.parametrize(
    "source,amount,to,kind,code",
    [
        ("6688", 6_000_000, "王芳", "transfer", "single_limit"),  # ¥60,000 > ¥50,000, whatever the balance
        ("1024", 900_000, "张三", "transfer", "insufficient_funds"),  # ¥9,000 from ¥8,000
        ("6688", 0, "张三", "transfer", "invalid_amount"),
        ("6688", -100, "张三", "transfer", "invalid_amount"),
        ("6688", 100, "nowhere", "transfer", "account_not_found"),
        ("6688", 100, "6688", "transfer", "same_account"),
        ("3321", 100, "张三", "transfer", "invalid_source"),
        ("6688", 807_758, "3321", "repayment", "over_repayment"),
        ("6688", 100, "1024", "repayment", "invalid_target"),
    ],
)
def test_refusals_move_nothing(bank: CoreBanking, source: str, amount: int, to: str, kind: str, code: str) -> None:
    src = acct(bank, source)
    target: Dict[str, int]
    if to == "nowhere":
        target = {"to_account_id": 99_999}
    elif to.isdigit():
        target = {"to_account_id": acct(bank, to).id}
    else:
        target = {"payee_id": payee(bank, to).id}
    with pytest.raises(BankError) as quoted:
        bank.quote_transfer("demo", src.id, amount, kind=kind, **target)
    with pytest.raises(BankError) as executed:
        bank.execute_transfer("demo", f"k-{code}", src.id, amount, kind=kind, **target)
    assert quoted.value.code == executed.value.code == code and executed.value.message
    assert [a.balance_cents for a in bank.accounts("demo")] == [5_238_050, 800_000, 807_757]
    assert bank.outcome("demo", f"k-{code}") is None and bank.latest_outcome("demo") is None


def test_insufficient_funds_after_money_left(bank: CoreBanking) -> None:
    savings, salary = acct(bank, "1024"), acct(bank, "6688")
    bank.execute_transfer("demo", "out-1", savings.id, 700_000, to_account_id=salary.id)  # own accounts: no code
    with pytest.raises(BankError) as err:
        bank.execute_transfer("demo", "out-2", savings.id, 100_001, to_account_id=salary.id)
    assert (
        err.value.code == "insufficient_funds" and "余额不足" in err.value.message and "¥1,000.00" in err.value.message
    )
    assert (
        bank.execute_transfer("demo", "out-3", savings.id, 100_000, to_account_id=salary.id).from_account.balance_cents
        == 0
    )
    assert acct(bank, "6688").balance_cents == 5_238_050 + 800_000
    postings_sum_to_balances(bank)


def test_the_daily_limit_counts_what_was_sent_today(bank: CoreBanking) -> None:
    src, zs = acct(bank, "6688"), payee(bank, "张三")
    top_up(bank, src.id, 30_000_000)
    # Four ¥50,000 in a minute, far above demo's usual: the risk engine wants its warning acknowledged
    # (tested on its own below); here the daily limit is what is under test.
    acknowledged = Assurance(strength="sms", warning_acknowledged=True)
    for i in range(4):  # 4 × ¥50,000: the ¥200,000 of a day
        with pytest.raises(BankError) as err:
            bank.execute_transfer("demo", f"d{i}", src.id, 5_000_000, payee_id=zs.id, assurance=acknowledged)
        assert err.value.code == "code_required"
        verify(bank, f"transfer:d{i}")
        bank.execute_transfer("demo", f"d{i}", src.id, 5_000_000, payee_id=zs.id, assurance=acknowledged)
    with pytest.raises(BankError) as err:
        bank.quote_transfer("demo", src.id, 100, payee_id=zs.id)
    assert err.value.code == "daily_limit" and "今日还可转¥0.00" in err.value.message
    assert bank.quote_transfer("demo", src.id, 100, to_account_id=acct(bank, "1024").id)  # own accounts: no limit


# ------------------------------------------------------------------ idempotent execution and outcomes
def test_execute_is_idempotent_by_key(bank: CoreBanking) -> None:
    src, zs = acct(bank, "6688"), payee(bank, "张三")
    first = bank.execute_transfer("demo", "key-1", src.id, 50_000, payee_id=zs.id)
    assert not first.replayed and first.from_account.balance_cents == 5_188_050
    again = bank.execute_transfer("demo", "key-1", src.id, 50_000, payee_id=zs.id)
    assert again.replayed and again.transfer_id == first.transfer_id and again.created_at == first.created_at
    assert (again.amount_cents, again.recipient_label, again.kind) == (50_000, first.recipient_label, "transfer")
    # The replay answers before any check: the same key with other details still moves nothing.
    assert bank.execute_transfer("demo", "key-1", src.id, 99_999_999, payee_id=zs.id).transfer_id == first.transfer_id
    assert acct(bank, "6688").balance_cents == 5_188_050
    postings_sum_to_balances(bank)
    with pytest.raises(BankError) as err:
        bank.execute_transfer("demo2", "key-1", acct(bank, "0001", "demo2").id, 100, payee_id=zs.id)
    assert err.value.code == "key_conflict"
    for key in ("", "k" * 129):
        with pytest.raises(BankError) as err:
            bank.execute_transfer("demo", key, src.id, 100, payee_id=zs.id)
        assert err.value.code == "invalid_key"


def test_concurrent_confirmations_of_one_key_move_the_money_once(bank: CoreBanking) -> None:
    src, zs = acct(bank, "6688"), payee(bank, "张三")
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(
            pool.map(lambda _: bank.execute_transfer("demo", "same", src.id, 50_000, payee_id=zs.id), range(16))
        )
    assert len({r.transfer_id for r in results}) == 1 and sum(not r.replayed for r in results) == 1
    assert acct(bank, "6688").balance_cents == 5_188_050
    postings_sum_to_balances(bank)


def test_the_outcome_of_a_key(bank: CoreBanking) -> None:
    src, card = acct(bank, "6688"), acct(bank, "3321")
    assert bank.outcome("demo", "never-ran") is None and bank.latest_outcome("demo") is None
    paid = bank.execute_transfer("demo", "pay", src.id, 20_000, payee_id=payee(bank, "王芳").id)
    repaid = bank.execute_transfer("demo", "repay", src.id, 68_422, to_account_id=card.id, kind="repayment")
    done = bank.outcome("demo", "pay")
    assert done is not None and done.kind == "transfer" and done.card is None and done.receipt is not None
    assert done.receipt.transfer_id == paid.transfer_id and done.receipt.replayed
    assert done.receipt.from_account.balance_cents == 5_238_050 - 20_000 - 68_422  # the balance now
    assert bank.outcome("demo", "pay", freeze=False) == done
    latest = bank.latest_outcome("demo")
    assert latest is not None and latest.kind == "repayment" and latest.receipt.transfer_id == repaid.transfer_id
    assert latest.receipt.recipient_label == "本人信用卡尾号3321"
    assert bank.outcome("demo2", "pay") is None  # another customer's key: nothing, and no error
    assert acct(bank, "3321").balance_cents == 807_757 - 68_422
    postings_sum_to_balances(bank)


# ------------------------------------------------------------------ SMS codes
def test_codes_check_lock_and_expire(bank: CoreBanking) -> None:
    assert not bank.has_pending_code("demo", "transfer:x")
    assert bank.check_code("demo", "transfer:x", "123456").reason == "unknown"
    bank.send_code("demo", "transfer:x", "向李四转账")
    code = sent_code(bank, "transfer:x")
    message = bank.outbox("demo")[0]["message"]
    assert f"验证码{code}，" in str(message) and "向李四转账" in str(message)
    assert bank.has_pending_code("demo", "transfer:x")
    assert bank.check_code("demo2", "transfer:x", code).reason == "unknown"  # not demo2's code
    wrong = "000000" if code != "000000" else "111111"
    checks = [bank.check_code("demo", "transfer:x", wrong) for _ in range(3)]
    assert [(c.reason, c.attempts_left) for c in checks] == [("wrong", 2), ("wrong", 1), ("locked", 0)]
    assert bank.check_code("demo", "transfer:x", code).reason == "locked" and not bank.has_pending_code(
        "demo", "transfer:x"
    )

    bank.send_code("demo", "transfer:y", "测试")
    old = sent_code(bank, "transfer:y")
    bank.send_code("demo", "transfer:y", "测试")  # a new code: the old one stops working
    new = sent_code(bank, "transfer:y")
    if old != new:
        assert bank.check_code("demo", "transfer:y", old).reason == "wrong"
    assert bank.check_code("demo", "transfer:y", f" {new} ").ok and bank.check_code("demo", "transfer:y", "x").ok
    assert not bank.has_pending_code("demo", "transfer:y")  # used

    bank.send_code("demo", "transfer:z", "测试")
    code = sent_code(bank, "transfer:z")
    expire_codes(bank)
    late = bank.check_code("demo", "transfer:z", code)
    assert (late.ok, late.reason, late.attempts_left) == (False, "expired", 3)
    assert not bank.has_pending_code("demo", "transfer:z")


def test_a_code_approves_only_its_own_request(bank: CoreBanking) -> None:
    src, ls = acct(bank, "6688"), payee(bank, "李四")
    verify(bank, "transfer:other")
    with pytest.raises(BankError) as err:
        bank.execute_transfer("demo", "mine", src.id, 10_000, payee_id=ls.id)  # first payment to 李四
    assert err.value.code == "code_required"
    verify(bank, "transfer:mine")
    assert bank.execute_transfer("demo", "mine", src.id, 10_000, payee_id=ls.id).amount_cents == 10_000
    assert not bank.quote_transfer("demo", src.id, 10_000, payee_id=ls.id).first_time


# ------------------------------------------------------------------ risk control
def test_a_scam_script_needs_the_warning_and_a_large_amount_is_held(bank: CoreBanking) -> None:
    src, ls = acct(bank, "6688"), payee(bank, "李四")
    bank.record_conversation_signal("demo", scam_phrases("客服让我转到安全账户"))
    q = bank.quote_transfer("demo", src.id, 100_000, payee_id=ls.id)
    assert q.needs_code and q.needs_warning and q.risk is not None and "安全账户" in q.risk.warning
    with pytest.raises(BankError) as err:
        bank.execute_transfer("demo", "s1", src.id, 100_000, payee_id=ls.id)
    assert err.value.code == "risk_step_up" and err.value.detail["needs_warning"] and err.value.detail["needs_code"]
    verify(bank, "transfer:s1")
    with pytest.raises(BankError) as err:
        bank.execute_transfer("demo", "s1", src.id, 100_000, payee_id=ls.id)
    assert err.value.code == "risk_step_up" and not err.value.detail["needs_code"]
    acknowledged = Assurance(warning_acknowledged=True)
    assert bank.execute_transfer("demo", "s1", src.id, 100_000, payee_id=ls.id, assurance=acknowledged).completed

    verify(bank, "transfer:s2")  # ¥8,000: from the hold threshold on, held even after the warning
    held = bank.execute_transfer("demo", "s2", src.id, 800_000, payee_id=ls.id, assurance=acknowledged)
    assert (held.status, held.transfer_id, held.replayed) == ("held", 0, False) and held.held_id
    shown = [r["text"] for r in bank.held_transfers()[0].reasons]
    assert held.reasons and list(held.reasons) == shown  # why, as the back office sees it
    again = bank.execute_transfer("demo", "s2", src.id, 800_000, payee_id=ls.id, assurance=acknowledged)
    assert again.replayed and again.held_id == held.held_id and again.status == "held"
    assert again.reasons == held.reasons
    left = 5_238_050 - 100_000
    assert acct(bank, "6688").balance_cents == left  # reserved, not moved
    with pytest.raises(BankError) as err:  # ...and not available either
        bank.quote_transfer("demo", src.id, left - 800_000 + 1, to_account_id=acct(bank, "1024").id)
    assert err.value.code == "insufficient_funds"
    assert [(h.id, h.status, h.amount_cents) for h in bank.held_transfers()] == [(held.held_id, "held", 800_000)]

    done = bank.release_held(held.held_id, "risk-officer")
    assert done.completed and done.transfer_id and done.held_id == held.held_id
    assert bank.release_held(held.held_id, "risk-officer").transfer_id == done.transfer_id  # once
    assert acct(bank, "6688").balance_cents == left - 800_000
    with pytest.raises(BankError) as err:
        bank.cancel_held(held.held_id, "risk-officer")
    assert err.value.code == "held_already_decided"
    replayed = bank.outcome("demo", "s2")
    assert replayed is not None and replayed.receipt is not None and replayed.receipt.transfer_id == done.transfer_id
    notices = bank.notices("demo")
    assert len(notices) == 1 and "¥8,000.00转账已通过人工复核，已成功转出。" in notices[0]
    assert bank.notices("demo") == []
    postings_sum_to_balances(bank)


def test_a_cancelled_hold_frees_its_reservation(bank: CoreBanking) -> None:
    src, ls = acct(bank, "6688"), payee(bank, "李四")
    bank.record_conversation_signal("demo", ["安全账户"])
    verify(bank, "transfer:h")
    acknowledged = Assurance(warning_acknowledged=True)
    held = bank.execute_transfer("demo", "h", src.id, 5_000_000, payee_id=ls.id, assurance=acknowledged)
    assert held.status == "held" and held.held_id
    with pytest.raises(BankError) as err:
        bank.quote_transfer("demo", src.id, 300_000, to_account_id=acct(bank, "1024").id)
    assert err.value.code == "insufficient_funds" and "可用¥2,380.50" in err.value.message
    cancelled = bank.cancel_held(held.held_id, "risk-officer")
    assert (cancelled.status, cancelled.decided_by, cancelled.transfer_id) == ("cancelled", "risk-officer", None)
    assert bank.cancel_held(held.held_id, "someone-else") == cancelled
    assert bank.quote_transfer("demo", src.id, 5_238_050, to_account_id=acct(bank, "1024").id)  # all available
    with pytest.raises(BankError) as err:
        bank.release_held(held.held_id, "risk-officer")
    assert err.value.code == "held_already_decided" and "已取消" in err.value.message
    retry = bank.execute_transfer("demo", "h", src.id, 5_000_000, payee_id=ls.id, assurance=acknowledged)
    assert retry.status == "cancelled" and retry.replayed
    assert [a.balance_cents for a in bank.accounts("demo")] == [5_238_050, 800_000, 807_757]
    assert bank.held_transfers() == [] and [h.id for h in bank.held_transfers("cancelled")] == [held.held_id]
    assert "已被取消，款项未转出，冻结金额已释放。" in bank.notices("demo")[0]


def test_a_release_rechecks_the_account_and_a_refusal_leaves_the_hold_held(bank: CoreBanking) -> None:
    src, ls = acct(bank, "6688"), payee(bank, "李四")
    bank.record_conversation_signal("demo", ["刷单返利"])
    verify(bank, "transfer:f")
    held = bank.execute_transfer(
        "demo", "f", src.id, 600_000, payee_id=ls.id, assurance=Assurance(warning_acknowledged=True)
    )
    assert held.status == "held" and held.held_id
    verify(bank, "freeze:lost")
    bank.freeze_card("demo", src.id, "lost")  # the card was lost in the meantime
    with pytest.raises(BankError) as err:
        bank.release_held(held.held_id, "risk-officer")
    assert err.value.code == "account_frozen"
    assert [h.status for h in bank.held_transfers()] == ["held"] and bank.notices("demo") == []
    assert bank.cancel_held(held.held_id, "risk-officer").status == "cancelled"
    assert acct(bank, "6688").balance_cents == 5_238_050


def test_limits_follow_the_strength(bank: CoreBanking) -> None:
    src, zs = acct(bank, "6688"), payee(bank, "张三")
    weak = bank.quote_transfer("demo", src.id, 600_000, payee_id=zs.id)
    assert weak.needs_code and weak.risk is not None and weak.risk.limit_cents == 500_000
    assert "over_limit_code" in weak.risk.codes
    strong = bank.quote_transfer("demo", src.id, 600_000, payee_id=zs.id, assurance=Assurance(strength="device_key"))
    assert (
        strong.risk is not None and strong.risk.limit_cents == 20_000_000 and "over_limit_code" not in strong.risk.codes
    )
    with pytest.raises(BankError) as err:
        bank.execute_transfer("demo", "l", src.id, 600_000, payee_id=zs.id)
    assert err.value.code == "code_required" and "单笔最多可转¥5,000.00" in err.value.message
    verify(bank, "transfer:l")
    assert bank.execute_transfer("demo", "l", src.id, 600_000, payee_id=zs.id).completed


def test_back_office_refusals(bank: CoreBanking) -> None:
    for call, code in (
        (lambda: bank.release_held(404, "risk-officer"), "held_not_found"),
        (lambda: bank.cancel_held(404, "risk-officer"), "held_not_found"),
        (lambda: bank.held_transfers("pending"), "invalid_status"),
        (lambda: bank.record_security_event("demo", "lunch"), "invalid_event"),
    ):
        with pytest.raises(BankError) as err:
            call()
        assert err.value.code == code and err.value.message
    assert bank.held_transfers() == [] and bank.notices("demo") == []
    bank.record_security_event("demo", "new_device")
    q = bank.quote_transfer("demo", acct(bank, "6688").id, 200_000, payee_id=payee(bank, "张三").id)
    assert q.risk is not None and "after_new_device" in q.risk.codes


# ------------------------------------------------------------------ cards
def test_freezing_needs_a_code_and_twice_is_harmless(bank: CoreBanking) -> None:
    savings = acct(bank, "1024")
    with pytest.raises(BankError) as err:
        bank.freeze_card("demo", savings.id, "f1")
    assert err.value.code == "code_required" and acct(bank, "1024").status == "active"
    verify(bank, "freeze:f1")
    frozen = bank.freeze_card("demo", savings.id, "f1")
    again = bank.freeze_card("demo", savings.id, "f1")
    assert frozen.status == again.status == acct(bank, "1024").status == "frozen" and again == frozen
    done = bank.outcome("demo", "f1")
    assert done is not None and done.kind == "freeze" and done.card == frozen and done.receipt is None
    assert bank.outcome("demo", "f1", freeze=False) is None
    verify(bank, "freeze:f2")
    assert bank.freeze_card("demo", savings.id, "f2").status == "frozen"  # already frozen: nothing new
    assert bank.outcome("demo", "f2") is None
    with pytest.raises(BankError) as err:
        bank.quote_transfer("demo", savings.id, 100, payee_id=payee(bank, "张三").id)
    assert err.value.code == "account_frozen"
    with pytest.raises(BankError) as err:
        bank.freeze_card("demo2", savings.id, "f1")
    assert err.value.code == "account_not_found"


# ------------------------------------------------------------------ history and bookkeeping
def test_the_history_shows_a_transfer_just_made(bank: CoreBanking) -> None:
    start, end = around_today()
    before = bank.history("demo", start=start, end=end)
    src, zs = acct(bank, "6688"), payee(bank, "张三")
    bank.execute_transfer("demo", "h1", src.id, 12_345, payee_id=zs.id)
    bank.execute_transfer("demo", "h2", src.id, 1_000, to_account_id=acct(bank, "1024").id)
    page = bank.history("demo", start=start, end=end, counterparty="张三", kinds=("transfer_out",))
    assert page.total >= 1
    item = page.items[0]
    assert (item["amount_cents"], item["amount"], item["counterparty"]) == (-12_345, "-¥123.45", "张三")
    assert (item["kind"], item["category"], item["memo"], item["account_last4"]) == (
        "transfer_out",
        "人情",
        "转账",
        "6688",
    )
    after = bank.history("demo", start=start, end=end)
    assert after.total == before.total + 3  # 张三, and both sides of the own-account move
    assert after.spent_cents == before.spent_cents + 12_345 + 1_000
    assert after.received_cents == before.received_cents + 1_000
    newest = bank.history("demo", start=start, end=end, size=3).items
    assert {(i["account_last4"], i["amount_cents"], i["counterparty"]) for i in newest[:2]} == {
        ("6688", -1_000, "本人储蓄卡尾号1024"),
        ("1024", 1_000, "本人储蓄卡（工资卡）尾号6688"),
    }
    assert bank.history("demo", account_id=acct(bank, "1024").id, keyword="互转").total == 1
    assert bank.spending_by_category("demo", start, end).get("人情", 0) >= 12_345
    assert bank.history("demo2").total == 0


def test_history_pages(bank: CoreBanking) -> None:
    everything = bank.history("demo", size=100)
    assert everything.total > 100 and len(everything.items) == 100 and everything.size == 100
    assert bank.history("demo", size=1000).size == 100 and bank.history("demo", size=0).size == 1
    second = bank.history("demo", page=2, size=10)
    assert second.items == bank.history("demo", size=20).items[10:]
    assert all(i["kind"] != "opening" for i in everything.items)
    assert bank.history("demo", category="餐饮", size=5).items[0]["category"] == "餐饮"


def test_bookkeeping(bank: CoreBanking) -> None:
    today = local_today()
    lunch = bank.book_add("demo", "expense", 3_500, "餐饮", today, "午饭")
    pay = bank.book_add("demo", "income", 800_000, "工资", today - timedelta(days=1))
    assert bank.book_edit_last("demo", amount_cents=4_500, record_id=lunch.id).amount_cents == 4_500
    assert bank.book_edit_last("demo", category="奖金").id == pay.id  # the newest record
    assert [(r.category, r.amount_cents) for r in bank.book_records("demo")] == [("餐饮", 4_500), ("奖金", 800_000)]
    assert [r.id for r in bank.book_records("demo", direction="income")] == [pay.id]
    assert bank.book_records("demo", start=today, end=today) == [bank.book_records("demo")[0]]
    assert bank.book_delete_last("demo", lunch.id).id == lunch.id
    assert [r.id for r in bank.book_records("demo")] == [pay.id]
    for call, code in (
        (lambda: bank.book_add("demo", "loan", 100, "其他", today), "invalid_direction"),
        (lambda: bank.book_add("demo", "expense", 0, "其他", today), "invalid_amount"),
        (lambda: bank.book_edit_last("demo", amount_cents=10_000_000_01), "invalid_amount"),
        (lambda: bank.book_delete_last("demo2"), "no_record"),
        (lambda: bank.book_edit_last("demo2", amount_cents=100), "no_record"),
    ):
        with pytest.raises(BankError) as err:
            call()
        assert err.value.code == code
    masked = bank.book_add("demo", "expense", 100, "其他", today, "卡号6222021001116688")
    assert "6222021001116688" not in masked.note


# ------------------------------------------------------------------ the same demo data
def sorted_aliases(payees: List[PayeeView]) -> List[PayeeView]:
    """The SQL ledger keeps a payee's aliases in no particular order."""
    return [replace(p, aliases=sorted(p.aliases)) for p in payees]


def test_the_memory_bank_is_seeded_like_the_sql_ledger(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BANK_TIMEZONE", "Asia/Shanghai")  # not UTC: wall-clock and stored times differ
    day = date(2026, 3, 15)
    url = f"sqlite:///{tmp_path / 'bank.db'}"
    with session_scope(url, write=True) as s:
        seed_demo_data(s, today=day)
    sql: CoreBanking = BankService(url, outbox_key=OUTBOX_KEY)
    memory: CoreBanking = InMemoryBank.with_demo_data(today=day)
    for customer in ("demo", "demo2"):
        assert memory.accounts(customer) == sql.accounts(customer)
        assert sorted_aliases(memory.payees(customer)) == sorted_aliases(sql.payees(customer))
        assert memory.history(customer, size=100) == sql.history(customer, size=100)
        assert memory.history(customer, page=3, size=100) == sql.history(customer, page=3, size=100)
        start, end = day - timedelta(days=60), day - timedelta(days=30)
        assert memory.spending_by_category(customer, start, end) == sql.spending_by_category(customer, start, end)
    card = sql.find_account("demo", kind="credit")
    assert card is not None and memory.credit_bill("demo", card.id) == sql.credit_bill("demo", card.id)


def test_both_banks_take_the_same_risk_decisions(tmp_path) -> None:
    """InMemoryBank builds the risk context from its own records: the decisions must be the SQL ledger's."""
    url = f"sqlite:///{tmp_path / 'bank.db'}"
    with session_scope(url, write=True) as s:
        seed_demo_data(s)
    banks: List[CoreBanking] = [BankService(url, outbox_key=OUTBOX_KEY), InMemoryBank.with_demo_data(dev_outbox=True)]
    src, own, card = (acct(banks[0], n).id for n in ("6688", "1024", "3321"))
    quotes: List[Dict[str, Any]] = [
        {"amount_cents": 50_000, "payee_id": payee(banks[0], "张三").id},
        {"amount_cents": 10_000, "payee_id": payee(banks[0], "李四").id},
        {"amount_cents": 600_000, "payee_id": payee(banks[0], "王芳").id},
        {"amount_cents": 5_000_000, "payee_id": payee(banks[0], "张三").id, "assurance": Assurance("device_key")},
        {"amount_cents": 4_000_000, "to_account_id": own},
        {"amount_cents": 68_422, "to_account_id": card, "kind": "repayment"},
    ]

    def decisions() -> List[List[Optional[RiskDecision]]]:
        return [[b.quote_transfer("demo", src, **q).risk for q in quotes] for b in banks]

    sql, memory = decisions()
    assert sql == memory
    for bank in banks:
        bank.execute_transfer("demo", "first", src, 30_000, payee_id=payee(bank, "张三").id)
        bank.record_conversation_signal("demo", ["安全账户", "公检法"])
        bank.record_security_event("demo", "password_reset")
    sql, memory = decisions()
    assert sql == memory and any(d is not None and d.action == "step_up" for d in sql)
