from datetime import date

import pytest
from sqlalchemy import func, select

from assistant.bank.seed import seed_demo_data, statement_dates
from assistant.base.db.engine import session_scope
from assistant.base.db.models import Account, Customer, Payee, Transaction


@pytest.fixture()
def db_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'seed.db'}"
    with session_scope(url, write=True) as s:
        assert seed_demo_data(s, today=date(2026, 11, 21)) is True
    return url


def _account(s, customer, last4):
    return next(a for a in s.scalars(select(Account).where(Account.customer_id == customer)) if a.last4 == last4)


def test_documented_balances(db_url):
    with session_scope(db_url) as s:
        assert s.get(Customer, "demo").name == "张伟"
        primary = _account(s, "demo", "6688")
        assert primary.is_primary and primary.balance_cents == 5_238_050
        assert _account(s, "demo", "1024").balance_cents == 800_000
        credit = _account(s, "demo", "3321")
        assert (credit.credit_limit_cents, credit.statement_cents, credit.min_payment_cents) == (
            5_000_000,
            684_217,
            68_422,
        )
        assert credit.due_date == date(2026, 12, 25) and credit.statement_date == date(2026, 11, 5)
        assert _account(s, "demo2", "0001").balance_cents == 100_000


def test_postings_sum_to_balances_and_never_overdraw(db_url):
    with session_scope(db_url) as s:
        for account in s.scalars(select(Account)):
            total = s.scalar(select(func.sum(Transaction.amount_cents)).where(Transaction.account_id == account.id))
            expected = account.balance_cents if account.kind == "debit" else -account.balance_cents
            assert total == expected, account.number
            if account.kind == "debit":
                lowest = s.scalar(
                    select(func.min(Transaction.balance_after_cents)).where(Transaction.account_id == account.id)
                )
                assert lowest >= 0


def test_payees_and_history(db_url):
    with session_scope(db_url) as s:
        payees = {p.name: p for p in s.scalars(select(Payee).where(Payee.customer_id == "demo"))}
        assert set(payees) == {"张三", "李四", "王芳", "刘洋", "陈晨", "赵敏", "妈妈", "爸爸", "老婆"}
        assert {a.alias for a in payees["妈妈"].aliases} == {"我妈", "老妈", "妈"}
        assert payees["李四"].bank == "建设银行" and payees["李四"].last4 == "5678"
        assert s.scalar(select(func.count()).select_from(Payee).where(Payee.customer_id == "demo2")) == 0
        sent_to = set(s.scalars(select(Transaction.counterparty).where(Transaction.kind == "transfer_out")))
        assert {"张三", "王芳", "妈妈"} <= sent_to
        assert not {"李四", "刘洋"} & sent_to
        months = {
            t.posted_at.strftime("%Y-%m")
            for t in s.scalars(select(Transaction).where(Transaction.customer_id == "demo"))
        }
        assert len(months) >= 4


def test_seeding_twice_changes_nothing(db_url):
    with session_scope(db_url, write=True) as s:
        before = s.scalar(select(func.count()).select_from(Transaction))
        assert seed_demo_data(s) is False
    with session_scope(db_url) as s:
        assert s.scalar(select(func.count()).select_from(Transaction)) == before


@pytest.mark.parametrize(
    "today,stmt,due",
    [
        (date(2026, 11, 21), date(2026, 11, 5), date(2026, 12, 25)),
        (date(2026, 11, 3), date(2026, 10, 5), date(2026, 11, 25)),
        (date(2026, 12, 9), date(2026, 12, 5), date(2027, 1, 25)),
    ],
)
def test_statement_dates(today, stmt, due):
    assert statement_dates(today) == (stmt, due)
