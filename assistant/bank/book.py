"""The customer's bookkeeping book: dictated expenses and income, edited or deleted by voice."""

from __future__ import annotations

from datetime import date
from typing import Dict, List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.bank.types import BankError, BookEntry
from assistant.base.db.models import AuditLog, BookRecord
from assistant.base.masking import mask_sensitive

MAX_BOOK_AMOUNT_CENTS = 10_000_000_00  # ¥10 million: larger is a mishearing, not a lunch


def entry(row: BookRecord) -> BookEntry:
    return BookEntry(
        id=row.id,
        direction=row.direction,
        amount_cents=row.amount_cents,
        category=row.category,
        occurred_on=row.occurred_on,
        note=row.note,
    )


def _check(amount_cents: int) -> None:
    if amount_cents <= 0 or amount_cents > MAX_BOOK_AMOUNT_CENTS:
        raise BankError("invalid_amount", "金额不正确，请重新说一下")


def add(
    session: Session,
    customer_id: str,
    direction: str,
    amount_cents: int,
    category: str,
    occurred_on: date,
    note: str = "",
) -> BookEntry:
    if direction not in ("expense", "income"):
        raise BankError("invalid_direction", "只能记录支出或收入")
    _check(amount_cents)
    row = BookRecord(
        customer_id=customer_id,
        direction=direction,
        amount_cents=amount_cents,
        category=category,
        occurred_on=occurred_on,
        note=mask_sensitive(note)[:128],
    )
    session.add(row)
    session.flush()
    session.add(AuditLog(actor=customer_id, action="book.added", detail=f"record={row.id} amount={amount_cents}"))
    return entry(row)


def last_record(session: Session, customer_id: str, record_id: Optional[int] = None) -> Optional[BookRecord]:
    """The record just made (by id when known), else the newest one of this customer."""
    query = select(BookRecord).where(BookRecord.customer_id == customer_id, BookRecord.deleted.is_(False))
    if record_id is not None:
        query = query.where(BookRecord.id == record_id)
    return session.scalar(query.order_by(BookRecord.id.desc()).limit(1))


def edit_last(
    session: Session,
    customer_id: str,
    amount_cents: Optional[int] = None,
    category: Optional[str] = None,
    record_id: Optional[int] = None,
) -> BookEntry:
    row = last_record(session, customer_id, record_id)
    if row is None:
        raise BankError("no_record", "还没有可以修改的记账记录")
    if amount_cents is not None:
        _check(amount_cents)
        row.amount_cents = amount_cents
    if category:
        row.category = category
    session.add(AuditLog(actor=customer_id, action="book.edited", detail=f"record={row.id}"))
    return entry(row)


def delete_last(session: Session, customer_id: str, record_id: Optional[int] = None) -> BookEntry:
    row = last_record(session, customer_id, record_id)
    if row is None:
        raise BankError("no_record", "还没有可以删除的记账记录")
    row.deleted = True
    session.add(AuditLog(actor=customer_id, action="book.deleted", detail=f"record={row.id}"))
    return entry(row)


def records(
    session: Session,
    customer_id: str,
    start: Optional[date] = None,
    end: Optional[date] = None,
    category: Optional[str] = None,
    direction: Optional[str] = None,
) -> List[BookEntry]:
    query = select(BookRecord).where(BookRecord.customer_id == customer_id, BookRecord.deleted.is_(False))
    if start:
        query = query.where(BookRecord.occurred_on >= start)
    if end:
        query = query.where(BookRecord.occurred_on <= end)
    if category:
        query = query.where(BookRecord.category == category)
    if direction:
        query = query.where(BookRecord.direction == direction)
    return [entry(r) for r in session.scalars(query.order_by(BookRecord.occurred_on.desc(), BookRecord.id.desc()))]


def by_category(entries: List[BookEntry]) -> Dict[str, int]:
    totals: Dict[str, int] = {}
    for e in entries:
        totals[e.category] = totals.get(e.category, 0) + e.amount_cents
    return dict(sorted(totals.items(), key=lambda kv: -kv[1]))
