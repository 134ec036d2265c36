"""Movements held for review, decided in the back office: release (the money moves, once) or cancel
(the reservation is freed). The customer is told the outcome through a notice the chat delivers.

A decision is a conditional UPDATE (``WHERE status = 'held'``) inside the write transaction: of a
concurrent release and cancel exactly one changes the row (PostgreSQL re-checks the condition after
waiting for the other's row lock; SQLite's writers are serialized by BEGIN IMMEDIATE), and only the winner
goes on. Repeating the winner's call returns the same result; the loser hears ``held_already_decided``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import List, Tuple

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from assistant.bank import ledger
from assistant.bank.risk.types import parse_reasons
from assistant.bank.types import BankError, HeldView, Receipt
from assistant.base import clock
from assistant.base.db.models import AuditLog, CustomerNotice, HeldTransfer
from assistant.base.money import format_cny

STATUSES = ("held", "released", "cancelled")
OUTCOME_WORDS = {"released": "已放行", "cancelled": "已取消"}
RELEASED_NOTICE = "已通过人工复核，已成功转出。"
CANCELLED_NOTICE = "已被取消，款项未转出，冻结金额已释放。"


def notice_text(created_at: datetime, amount_cents: int, outcome: str) -> str:
    """What the customer is told of a hold's outcome (``outcome``: RELEASED_NOTICE or CANCELLED_NOTICE);
    the request's time on the bank's wall clock."""
    at = clock.to_local(created_at)
    return f"您于{at.month}月{at.day}日{at:%H:%M}发起的{format_cny(amount_cents)}转账{outcome}"


def view(session: Session, row: HeldTransfer) -> HeldView:
    """The back office's view of one hold."""
    source = ledger.own_account(session, row.customer_id, row.from_account_id)
    return HeldView(
        id=row.id,
        customer_id=row.customer_id,
        kind=row.kind,
        amount_cents=row.amount_cents,
        recipient_label=ledger.recipient_of(session, row.customer_id, row.to_payee_id, row.to_account_id),
        from_account=ledger.account_view(source).label,
        reasons=[r.to_json() for r in parse_reasons(row.reasons)],
        created_at=row.created_at,
        status=row.status,
        decided_by=row.decided_by or "",
        decided_at=row.decided_at,
        transfer_id=row.transfer_id,
    )


def held_transfers(session: Session, status: str = "held") -> List[HeldView]:
    """Holds of every customer with this status, oldest first (the review queue)."""
    if status not in STATUSES:
        raise BankError("invalid_status", "状态只能是 held、released 或 cancelled")
    rows = session.scalars(select(HeldTransfer).where(HeldTransfer.status == status).order_by(HeldTransfer.id))
    return [view(session, r) for r in rows]


def _claim(session: Session, held_id: int, outcome: str, by: str) -> Tuple[HeldTransfer, bool]:
    """Decide the hold for ``outcome`` unless it is decided already: the row as it now is, and whether this
    call decided it (the conditional UPDATE changed one row)."""
    changed = session.execute(
        update(HeldTransfer)
        .where(HeldTransfer.id == held_id, HeldTransfer.status == "held")
        .values(status=outcome, decided_at=clock.utcnow(), decided_by=by)
        .execution_options(synchronize_session=False)
    ).rowcount
    # A fresh read: the row this call changed, or the one a committed rival decided.
    row = session.scalar(
        select(HeldTransfer).where(HeldTransfer.id == held_id).execution_options(populate_existing=True)
    )
    if row is None:
        raise BankError("held_not_found", "没有找到该笔待复核的转账")
    return row, changed == 1


def _decided_already(row: HeldTransfer) -> BankError:
    word = OUTCOME_WORDS.get(row.status, row.status)
    return BankError(
        "held_already_decided",
        f"该笔转账{word}（{row.decided_by or '未知'}处理），不能再次处理",
        {"status": row.status, "decided_by": row.decided_by or ""},
    )


def release(session: Session, held_id: int, by: str) -> Receipt:
    """Execute the held movement once: a Transfer under the hold's request key, postings, audit, notice.
    Re-checks the source account's status and balance (the reservation guaranteed the money); a refusal
    rolls the whole decision back, so the hold stays held and can still be cancelled."""
    row, won = _claim(session, held_id, "released", by)
    if not won:
        if row.status == "released":  # decided before: its receipt again, nothing moves now
            done = ledger.replay(session, row.customer_id, row.request_key)
            assert done is not None and done.transfer_id
            return done
        raise _decided_already(row)
    source = ledger.own_account(session, row.customer_id, row.from_account_id, lock=True)
    if source.status != "active":
        raise BankError("account_frozen", f"{ledger.account_view(source).label}已冻结，无法转出")
    available = ledger.available_cents(session, source)  # this hold no longer counts: its amount is free
    if available < row.amount_cents:
        raise BankError(
            "insufficient_funds", f"{ledger.account_view(source).label}余额不足（可用{format_cny(available)}）"
        )
    payee = ledger.own_payee(session, row.customer_id, row.to_payee_id) if row.to_payee_id else None
    target = ledger.own_account(session, row.customer_id, row.to_account_id, lock=True) if row.to_account_id else None
    if row.kind == "repayment" and target is not None and row.amount_cents > target.balance_cents:
        raise BankError("over_repayment", f"还款金额超过当前欠款{format_cny(target.balance_cents)}")
    receipt = ledger.move(
        session, row.customer_id, row.request_key, source, row.amount_cents, row.kind, payee, target, actor=by
    )
    row.transfer_id = receipt.transfer_id
    session.add(
        AuditLog(actor=by, action="held.released", detail=f"held={row.id} transfer={receipt.transfer_id} by={by}")
    )
    _notify(session, row, RELEASED_NOTICE)
    session.flush()
    return replace(receipt, held_id=row.id)


def cancel(session: Session, held_id: int, by: str) -> HeldView:
    """Cancel the hold: nothing moves, the reservation is freed (a cancelled row is no longer counted), the
    customer is told. Cancelling a cancelled hold again returns it as it is."""
    row, won = _claim(session, held_id, "cancelled", by)
    if not won:
        if row.status == "cancelled":
            return view(session, row)
        raise _decided_already(row)
    session.add(AuditLog(actor=by, action="held.cancelled", detail=f"held={row.id} by={by}"))
    _notify(session, row, CANCELLED_NOTICE)
    session.flush()
    return view(session, row)


def _notify(session: Session, row: HeldTransfer, outcome: str) -> None:
    text = notice_text(row.created_at, row.amount_cents, outcome)
    session.add(CustomerNotice(customer_id=row.customer_id, text=text, created_at=clock.utcnow(), delivered=False))


def has_notices(session: Session, customer_id: str) -> bool:
    """Whether anything waits for the customer (a read: most chats and polls find nothing)."""
    found = session.scalar(
        select(CustomerNotice.id)
        .where(CustomerNotice.customer_id == customer_id, CustomerNotice.delivered.is_(False))
        .limit(1)
    )
    return found is not None


def take_notices(session: Session, customer_id: str) -> List[str]:
    """The customer's undelivered notices, oldest first, marked delivered: each is shown once. The rows are
    locked while read, so two concurrent chats cannot both take the same notice (PostgreSQL re-reads a row
    that was locked and skips it once delivered)."""
    rows = list(
        session.scalars(
            select(CustomerNotice)
            .where(CustomerNotice.customer_id == customer_id, CustomerNotice.delivered.is_(False))
            .order_by(CustomerNotice.id)
            .with_for_update()
        )
    )
    for row in rows:
        row.delivered = True
    return [row.text for row in rows]
