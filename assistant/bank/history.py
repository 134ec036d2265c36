"""Transaction history queries, always scoped to one customer.

Days are the bank's days (a 00:30 Beijing posting is stored at 16:30 UTC the day before and belongs
to "today"), and posting times are shown on the bank's wall clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Dict, List, Optional, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assistant.base import clock
from assistant.base.db.models import Account, Transaction
from assistant.base.money import format_cny

MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class HistoryPage:
    items: List[Dict[str, Any]]
    total: int
    page: int
    size: int
    spent_cents: int
    received_cents: int


def transaction_json(t: Transaction, last4: str) -> Dict[str, Any]:
    """One posting as the customer sees it: ``posted_at`` on the bank's wall clock, without an offset."""
    return {
        "id": t.id,
        "account_last4": last4,
        "posted_at": clock.local_iso(t.posted_at),
        "amount_cents": t.amount_cents,
        "amount": format_cny(t.amount_cents),
        "kind": t.kind,
        "counterparty": t.counterparty,
        "category": t.category,
        "memo": t.memo,
    }


def query(
    session: Session,
    customer_id: str,
    account_id: Optional[int] = None,
    start: Optional[date] = None,
    end: Optional[date] = None,
    counterparty: Optional[str] = None,
    category: Optional[str] = None,
    keyword: Optional[str] = None,
    page: int = 1,
    size: int = 20,
    kinds: Optional[Sequence[str]] = None,
) -> HistoryPage:
    """Postings newest first, without the opening balances; ``keyword`` matches counterparty or memo;
    ``kinds`` keeps only postings of those kinds (e.g. ``("transfer_out",)``)."""
    size = max(1, min(size, MAX_PAGE_SIZE))
    page = max(1, page)
    conditions = [Transaction.customer_id == customer_id, Transaction.kind != "opening"]
    if account_id is not None:
        conditions.append(Transaction.account_id == account_id)
    if start is not None:
        conditions.append(Transaction.posted_at >= clock.day_bounds_utc(start)[0])
    if end is not None:
        conditions.append(Transaction.posted_at < clock.day_bounds_utc(end)[1])
    if counterparty:
        conditions.append(Transaction.counterparty == counterparty)
    if kinds:
        conditions.append(Transaction.kind.in_(tuple(kinds)))
    if category:
        conditions.append(Transaction.category == category)
    if keyword:
        like = f"%{keyword.replace('%', '').replace('_', '')}%"
        conditions.append(Transaction.counterparty.like(like) | Transaction.memo.like(like))
    base = select(Transaction).where(*conditions)
    total = session.scalar(select(func.count()).select_from(base.subquery()))
    spent = session.scalar(
        select(func.coalesce(func.sum(Transaction.amount_cents), 0)).where(*conditions, Transaction.amount_cents < 0)
    )
    received = session.scalar(
        select(func.coalesce(func.sum(Transaction.amount_cents), 0)).where(*conditions, Transaction.amount_cents > 0)
    )
    rows = session.scalars(
        base.order_by(Transaction.posted_at.desc(), Transaction.id.desc()).offset((page - 1) * size).limit(size)
    )
    last4 = {a.id: a.last4 for a in session.scalars(select(Account).where(Account.customer_id == customer_id))}
    return HistoryPage(
        items=[transaction_json(t, last4.get(t.account_id, "")) for t in rows],
        total=int(total or 0),
        page=page,
        size=size,
        spent_cents=-int(spent or 0),
        received_cents=int(received or 0),
    )


# Postings that are spending (not moves between one's own accounts, repayments or opening balances).
SPENDING_KINDS = ("purchase", "transfer_out")


def spending_by_category(session: Session, customer_id: str, start: date, end: date) -> Dict[str, int]:
    """Card and account spending per category over the bank's days ``start`` … ``end``, in cents (positive)."""
    since, until = clock.day_bounds_utc(start, end)
    rows = session.execute(
        select(Transaction.category, func.sum(Transaction.amount_cents))
        .where(
            Transaction.customer_id == customer_id,
            Transaction.amount_cents < 0,
            Transaction.kind.in_(SPENDING_KINDS),
            Transaction.category.notin_(("", "其他")),
            Transaction.posted_at >= since,
            Transaction.posted_at < until,
        )
        .group_by(Transaction.category)
    )
    return {category: -int(total) for category, total in rows}
