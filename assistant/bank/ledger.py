"""Moving money on the local ledger: quotes, limits and idempotent execution.

Every movement runs inside one database transaction opened for writing (SQLite:
BEGIN IMMEDIATE; PostgreSQL: the source account row is locked FOR UPDATE), so the
balance checked is the balance debited, and concurrent transfers cannot overdraw.
The Transfer row carries a unique idempotency key: a repeated confirmation finds
it and moves nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assistant.bank.types import (
    CODE_REQUIRED_FROM_CENTS,
    DAILY_TRANSFER_LIMIT_CENTS,
    SINGLE_TRANSFER_LIMIT_CENTS,
    AccountView,
    BankError,
    PayeeView,
    Receipt,
    TransferQuote,
)
from assistant.base import clock
from assistant.base.db.models import Account, AuditLog, Payee, Transaction, Transfer, VerificationCode
from assistant.base.money import format_cny

MAX_AMOUNT_CENTS = 100_000_000_00  # anything above ¥100 million is not a real request


def account_view(account: Account) -> AccountView:
    return AccountView(
        id=account.id,
        kind=account.kind,
        name=account.name,
        nickname=account.nickname,
        last4=account.last4,
        is_primary=account.is_primary,
        status=account.status,
        balance_cents=account.balance_cents,
        credit_limit_cents=account.credit_limit_cents,
    )


def payee_view(payee: Payee) -> PayeeView:
    return PayeeView(
        id=payee.id, name=payee.name, bank=payee.bank, last4=payee.last4, aliases=[a.alias for a in payee.aliases]
    )


def own_account(session: Session, customer_id: str, account_id: int, lock: bool = False) -> Account:
    """The customer's account, or a refusal: other customers' accounts do not exist for them."""
    query = select(Account).where(Account.id == account_id, Account.customer_id == customer_id)
    if lock:
        query = query.with_for_update()
    account = session.scalar(query)
    if account is None:
        raise BankError("account_not_found", "没有找到该账户")
    return account


def own_payee(session: Session, customer_id: str, payee_id: int) -> Payee:
    payee = session.scalar(select(Payee).where(Payee.id == payee_id, Payee.customer_id == customer_id))
    if payee is None:
        raise BankError("payee_not_found", "没有找到该收款人")
    return payee


def post(
    session: Session,
    account: Account,
    amount_cents: int,
    kind: str,
    counterparty: str = "",
    category: str = "",
    memo: str = "",
    transfer_id: Optional[int] = None,
    at: Optional[datetime] = None,
) -> Transaction:
    """Book one posting and update the account: debit accounts hold money, credit cards owe it.
    ``at`` (naive UTC, default now) lets a transfer's postings carry the transfer's own time."""
    if account.kind == "debit":
        account.balance_cents += amount_cents
    else:
        account.balance_cents -= amount_cents
    row = Transaction(
        account_id=account.id,
        customer_id=account.customer_id,
        posted_at=at or clock.utcnow(),
        amount_cents=amount_cents,
        balance_after_cents=account.balance_cents,
        kind=kind,
        counterparty=counterparty,
        category=category,
        memo=memo,
        transfer_id=transfer_id,
    )
    session.add(row)
    return row


def sent_today_cents(session: Session, customer_id: str, day: Optional[date] = None) -> int:
    """Money sent to other people on the bank's ``day`` (default today; own-account moves and repayments
    do not count): the limit resets at the customer's midnight, not at UTC's."""
    start, end = clock.day_bounds_utc(day or clock.local_today())
    total = session.scalar(
        select(func.coalesce(func.sum(Transfer.amount_cents), 0)).where(
            Transfer.customer_id == customer_id,
            Transfer.status == "completed",
            Transfer.to_payee_id.isnot(None),
            Transfer.created_at >= start,
            Transfer.created_at < end,
        )
    )
    return int(total or 0)


def is_first_transfer(session: Session, customer_id: str, payee: Payee) -> bool:
    """No earlier transfer to this payee, neither by the assistant nor in the account history."""
    by_bot = session.scalar(
        select(func.count())
        .select_from(Transfer)
        .where(Transfer.customer_id == customer_id, Transfer.to_payee_id == payee.id, Transfer.status == "completed")
    )
    in_history = session.scalar(
        select(func.count())
        .select_from(Transaction)
        .where(
            Transaction.customer_id == customer_id,
            Transaction.kind == "transfer_out",
            Transaction.counterparty == payee.name,
        )
    )
    return not by_bot and not in_history


def _check_amount(amount_cents: int) -> None:
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool) or amount_cents <= 0:
        raise BankError("invalid_amount", "转账金额必须大于零")
    if amount_cents > MAX_AMOUNT_CENTS:
        raise BankError("invalid_amount", "金额过大，请核对后重试")


def quote(
    session: Session,
    customer_id: str,
    from_account_id: int,
    amount_cents: int,
    payee_id: Optional[int] = None,
    to_account_id: Optional[int] = None,
    kind: str = "transfer",
) -> TransferQuote:
    """Check a movement without doing it: ownership, status, balance, limits, and whether a code is needed."""
    _check_amount(amount_cents)
    if (payee_id is None) == (to_account_id is None):
        raise BankError("invalid_recipient", "请指定一个收款人或本人账户")
    source = own_account(session, customer_id, from_account_id)
    if source.kind != "debit":
        raise BankError("invalid_source", "只能从储蓄卡转出")
    if source.status != "active":
        raise BankError("account_frozen", f"{account_view(source).label}已冻结，无法转出")
    fee = 0  # mobile transfers are free of charge
    payee = target = None
    first_time = False
    if payee_id is not None:
        payee = own_payee(session, customer_id, payee_id)
        if amount_cents > SINGLE_TRANSFER_LIMIT_CENTS:
            raise BankError("single_limit", f"超过单笔转账限额{format_cny(SINGLE_TRANSFER_LIMIT_CENTS)}")
        sent = sent_today_cents(session, customer_id)
        if sent + amount_cents > DAILY_TRANSFER_LIMIT_CENTS:
            left = max(0, DAILY_TRANSFER_LIMIT_CENTS - sent)
            raise BankError(
                "daily_limit",
                f"超过每日转账限额{format_cny(DAILY_TRANSFER_LIMIT_CENTS)}（今日还可转{format_cny(left)}）",
            )
        first_time = is_first_transfer(session, customer_id, payee)
    else:
        target = own_account(session, customer_id, to_account_id)  # type: ignore[arg-type]
        if target.id == source.id:
            raise BankError("same_account", "转出和转入账户不能相同")
        if kind == "repayment":
            if target.kind != "credit":
                raise BankError("invalid_target", "只能向信用卡还款")
            if amount_cents > target.balance_cents:
                raise BankError("over_repayment", f"还款金额超过当前欠款{format_cny(target.balance_cents)}")
    # Limits first (they hold whatever the balance), then the money itself.
    if source.balance_cents < amount_cents + fee:
        raise BankError(
            "insufficient_funds", f"{account_view(source).label}余额不足（可用{format_cny(source.balance_cents)}）"
        )
    # Large amounts and first payments to a payee need an SMS code; so do large card repayments.
    # Moving money between one's own accounts does not.
    large = amount_cents >= CODE_REQUIRED_FROM_CENTS
    needs_code = (payee is not None and (large or first_time)) or (kind == "repayment" and large)
    return TransferQuote(
        from_account=account_view(source),
        amount_cents=amount_cents,
        fee_cents=fee,
        payee=payee_view(payee) if payee else None,
        to_account=account_view(target) if target else None,
        needs_code=needs_code,
        first_time=first_time,
    )


def replay(session: Session, customer_id: str, key: str) -> Optional[Receipt]:
    """The receipt of an already executed movement with this idempotency key, if any."""
    done = session.scalar(select(Transfer).where(Transfer.idempotency_key == key))
    if done is None:
        return None
    if done.customer_id != customer_id:
        raise BankError("key_conflict", "请求编号冲突，请重新发起")
    source = own_account(session, customer_id, done.from_account_id)
    label = (
        payee_view(own_payee(session, customer_id, done.to_payee_id)).label
        if done.to_payee_id
        else f"本人{account_view(own_account(session, customer_id, done.to_account_id)).label}"
    )
    return Receipt(
        transfer_id=done.id,
        kind=done.kind,
        amount_cents=done.amount_cents,
        fee_cents=done.fee_cents,
        from_account=account_view(source),
        recipient_label=label,
        created_at=done.created_at,
        replayed=True,
    )


def code_verified(session: Session, customer_id: str, purpose: str) -> bool:
    return (
        session.scalar(
            select(func.count())
            .select_from(VerificationCode)
            .where(
                VerificationCode.customer_id == customer_id,
                VerificationCode.purpose == purpose,
                VerificationCode.used.is_(True),
            )
        )
        > 0
    )


def execute(
    session: Session,
    customer_id: str,
    key: str,
    from_account_id: int,
    amount_cents: int,
    payee_id: Optional[int] = None,
    to_account_id: Optional[int] = None,
    kind: str = "transfer",
) -> Receipt:
    """Move the money once. Call inside ``session_scope(url, write=True)``."""
    if not key or len(key) > 128:
        raise BankError("invalid_key", "请求编号无效")
    previous = replay(session, customer_id, key)
    if previous is not None:
        return previous
    own_account(session, customer_id, from_account_id, lock=True)  # serializes movements from this account
    q = quote(session, customer_id, from_account_id, amount_cents, payee_id, to_account_id, kind)
    if q.needs_code and not code_verified(session, customer_id, f"{kind}:{key}"):
        raise BankError("code_required", "需要先完成短信验证")
    source = own_account(session, customer_id, from_account_id)
    record = Transfer(
        customer_id=customer_id,
        idempotency_key=key,
        from_account_id=source.id,
        to_payee_id=payee_id,
        to_account_id=to_account_id,
        kind=kind,
        amount_cents=amount_cents,
        fee_cents=q.fee_cents,
        status="completed",
        created_at=clock.utcnow(),
    )
    session.add(record)
    session.flush()  # the unique key is claimed here; a concurrent twin fails on it
    category = "人情" if payee_id else "其他"
    out_kind = "repayment" if kind == "repayment" else "transfer_out"
    if q.payee is not None:
        post(session, source, -amount_cents, out_kind, q.payee.name, category, "转账", record.id, at=record.created_at)
    else:
        target = own_account(session, customer_id, to_account_id, lock=True)  # type: ignore[arg-type]
        memo = "信用卡还款" if kind == "repayment" else "本人账户互转"
        to_self = f"本人{account_view(target).label}"
        post(session, source, -amount_cents, out_kind, to_self, category, memo, record.id, at=record.created_at)
        post(
            session,
            target,
            amount_cents,
            "repayment" if kind == "repayment" else "transfer_in",
            f"本人{account_view(source).label}",
            category,
            memo,
            record.id,
            at=record.created_at,
        )
    session.add(
        AuditLog(
            actor=customer_id,
            action=f"{kind}.completed",
            detail=f"transfer={record.id} amount={amount_cents} to={q.recipient_label} key={key}",
        )
    )
    session.flush()
    return Receipt(
        transfer_id=record.id,
        kind=kind,
        amount_cents=amount_cents,
        fee_cents=q.fee_cents,
        from_account=account_view(source),
        recipient_label=q.recipient_label,
        created_at=record.created_at,
    )
