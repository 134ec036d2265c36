"""Demo customers, accounts, payees and a few months of history, created on first run.

Dates are relative to the day of seeding (the bank's today) so that "上个月的流水"
always has something to show; times are written on the bank's wall clock (salary at 09:00)
and stored, like every time, as naive UTC. Balances are the documented ones; history is generated
backwards from them, and each account starts with an opening posting so that
the postings of an account always sum to its balance (debit) or to minus the
amount owed (credit).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import List, Optional, Sequence, Tuple

from sqlalchemy.orm import Session

from assistant.base import clock
from assistant.base.db.models import Account, Customer, Payee, PayeeAlias, Transaction

DEMO_PAYEES: Sequence[Tuple[str, str, str, Sequence[str]]] = (
    ("张三", "工商银行", "6222020200081234", ()),
    ("李四", "建设银行", "6217000010035678", ()),
    ("王芳", "招商银行", "6225880200129012", ()),
    ("刘洋", "农业银行", "6228480010223456", ()),
    ("陈晨", "中国银行", "6216610100017890", ()),
    ("赵敏", "交通银行", "6222600110032468", ()),
    ("妈妈", "工商银行", "6222020200111357", ("我妈", "老妈", "妈")),
    ("爸爸", "建设银行", "6217000010042460", ("我爸", "老爸")),
    ("老婆", "招商银行", "6225880200138642", ("媳妇", "爱人")),
)


@dataclass
class _Posting:
    account: Account
    at: datetime
    amount_cents: int
    kind: str
    counterparty: str
    category: str
    memo: str = ""


def statement_dates(today: date, statement_day: int = 5) -> Tuple[date, date]:
    """The latest statement date on or before today and its due date (25th of the next month)."""
    if today.day >= statement_day:
        stmt = today.replace(day=statement_day)
    else:
        prev_month_end = today.replace(day=1) - timedelta(days=1)
        stmt = prev_month_end.replace(day=statement_day)
    next_month = (stmt.replace(day=28) + timedelta(days=4)).replace(day=25)
    return stmt, next_month


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """``hour:minute`` of ``day`` on the bank's wall clock, as stored (naive UTC)."""
    return clock.to_utc(datetime.combine(day, time(hour, minute)))


def seed_demo_data(session: Session, today: Optional[date] = None) -> bool:
    """Create the demo data unless it is already there; returns True when it seeded."""
    if session.get(Customer, "demo") is not None:
        return False
    today = today or clock.local_today()
    stmt_date, due_date = statement_dates(today)

    demo = Customer(id="demo", name="张伟", phone="13800001234")
    demo2 = Customer(id="demo2", name="李娜", phone="13900005678")
    salary = Account(
        customer=demo,
        kind="debit",
        name="储蓄卡",
        nickname="工资卡",
        number="6222021001116688",
        is_primary=True,
        balance_cents=5_238_050,
    )
    savings = Account(
        customer=demo, kind="debit", name="储蓄卡", nickname="", number="6222021001121024", balance_cents=800_000
    )
    credit = Account(
        customer=demo,
        kind="credit",
        name="信用卡",
        nickname="",
        number="6258091002343321",
        credit_limit_cents=5_000_000,
        balance_cents=684_217 + 123_540,
        statement_cents=684_217,
        min_payment_cents=68_422,
        statement_date=stmt_date,
        due_date=due_date,
    )
    other = Account(
        customer=demo2,
        kind="debit",
        name="储蓄卡",
        nickname="",
        number="6222021009990001",
        is_primary=True,
        balance_cents=100_000,
    )
    session.add_all([demo, demo2, salary, savings, credit, other])

    payees = {}
    for name, bank, number, aliases in DEMO_PAYEES:
        payee = Payee(
            customer=demo,
            name=name,
            bank=bank,
            account_number=number,
            created_at=_at(today - timedelta(days=400), 9),
        )
        payee.aliases = [PayeeAlias(alias=a) for a in aliases]
        payees[name] = payee
        session.add(payee)

    postings = _demo_history(today, salary, savings, credit)
    _write_postings(session, postings, [salary, savings, credit], today)
    _write_postings(session, [], [other], today)
    session.flush()
    return True


def _demo_history(today: date, salary: Account, savings: Account, credit: Account) -> List[_Posting]:
    """About four months of salary, rent, dining, transport, shopping and transfers."""
    rng = random.Random(6688)
    start = today - timedelta(days=120)
    out: List[_Posting] = []

    dining = [
        ("美团外卖", 25, 60),
        ("星巴克", 30, 45),
        ("海底捞", 180, 420),
        ("肯德基", 28, 55),
        ("公司食堂", 15, 25),
        ("喜茶", 19, 32),
    ]
    transport = [("滴滴出行", 15, 65), ("北京地铁", 4, 8), ("中石化加油站", 280, 420)]
    shopping = [("京东商城", 89, 1299), ("淘宝", 39, 399), ("永辉超市", 68, 320), ("盒马鲜生", 45, 260)]

    day = start
    while day < today:
        if day.day == 10:
            out.append(_Posting(salary, _at(day, 9), 1_850_000, "salary", "北京星辰科技有限公司", "工资", "工资"))
        if day.day == 1:
            out.append(_Posting(salary, _at(day, 10), -420_000, "transfer_out", "房东王先生", "居住", "房租"))
        if day.day == 12:
            out.append(_Posting(salary, _at(day, 20), -200_000, "transfer_out", "妈妈", "人情", "生活费"))
            out.append(_Posting(salary, _at(day, 20, 30), -100_000, "transfer_out", "本人尾号1024", "其他", "存钱"))
            out.append(_Posting(savings, _at(day, 20, 30), 100_000, "transfer_in", "本人尾号6688", "其他", "存钱"))
        if day.day == 18:
            out.append(_Posting(salary, _at(day, 12), -12_800, "purchase", "中国移动", "通讯", "话费充值"))
        if day.day == 22:
            out.append(_Posting(salary, _at(day, 9), -560_000, "repayment", "信用卡尾号3321", "其他", "信用卡还款"))
            out.append(_Posting(credit, _at(day, 9), 560_000, "repayment", "储蓄卡尾号6688", "其他", "还款"))
        for _ in range(rng.choice((1, 1, 2))):
            name, lo, hi = rng.choice(dining)
            acct = credit if rng.random() < 0.3 else salary
            out.append(
                _Posting(
                    acct,
                    _at(day, rng.choice((8, 12, 13, 19))),
                    -rng.randint(lo * 100, hi * 100),
                    "purchase",
                    name,
                    "餐饮",
                )
            )
        if rng.random() < 0.5:
            name, lo, hi = rng.choice(transport)
            out.append(_Posting(salary, _at(day, 18, 30), -rng.randint(lo * 100, hi * 100), "purchase", name, "交通"))
        if rng.random() < 0.25:
            name, lo, hi = rng.choice(shopping)
            acct = credit if rng.random() < 0.6 else salary
            out.append(_Posting(acct, _at(day, 21), -rng.randint(lo * 100, hi * 100), "purchase", name, "购物"))
        day += timedelta(days=1)

    # Earlier transfers to saved payees: 张三, 王芳 and 妈妈 have history; 李四 and 刘洋 none.
    for offset, name, cents, memo in (
        (95, "张三", 50_000, "还钱"),
        (61, "张三", 120_000, "聚餐AA"),
        (33, "王芳", 200_000, "借款"),
        (9, "张三", 30_000, ""),
    ):
        day = today - timedelta(days=offset)
        out.append(_Posting(salary, _at(day, 15), -cents, "transfer_out", name, "人情", memo))
    return out


def _write_postings(session: Session, postings: List[_Posting], accounts: List[Account], today: date) -> None:
    """Walk each account backwards from its final balance to fill balance_after."""
    opening_day = _at(today - timedelta(days=121), 8)
    for account in accounts:
        own = sorted((p for p in postings if p.account is account), key=lambda p: p.at)
        # Debit: balance grows with the amount. Credit: owed shrinks with the amount.
        sign = 1 if account.kind == "debit" else -1
        running = account.balance_cents
        rows = []
        for p in reversed(own):
            rows.append((p, running))
            running -= sign * p.amount_cents
        opening = _Posting(account, opening_day, sign * running, "opening", "", "", "期初余额")
        rows.append((opening, running))
        for p, after in reversed(rows):
            session.add(
                Transaction(
                    account=account,
                    customer_id=account.customer.id,
                    posted_at=p.at,
                    amount_cents=p.amount_cents,
                    balance_after_cents=after,
                    kind=p.kind,
                    counterparty=p.counterparty,
                    category=p.category,
                    memo=p.memo,
                )
            )
