"""Moving money on the local ledger: quotes, limits, the risk decision and idempotent execution.

Every movement runs inside one database transaction opened for writing (SQLite:
BEGIN IMMEDIATE; PostgreSQL: the source account row is locked FOR UPDATE), so the
balance checked is the balance debited, and concurrent transfers cannot overdraw.
The Transfer row carries a unique idempotency key: a repeated confirmation finds
it and moves nothing.

The risk decision (assistant.bank.risk) is taken here, inside that transaction and after the replay
check, so that no face can move money without it: ``block`` and an unmet ``step_up`` refuse, ``hold``
reserves the amount in ``held_transfers`` (the money stays on the account but is no longer available)
until the back office releases or cancels it (assistant.bank.holds), ``allow`` moves the money.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import date, datetime
from typing import Any, Dict, Iterable, Optional, Tuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assistant.bank.risk.context import build_context
from assistant.bank.risk.engine import decide
from assistant.bank.risk.store import record_decision
from assistant.bank.risk.types import Assurance, RiskContext, RiskDecision, reasons_json
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
from assistant.base.db.models import (
    Account,
    AuditLog,
    HeldTransfer,
    Payee,
    Transaction,
    Transfer,
    VerificationCode,
)
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


def held_cents(session: Session, account_id: int) -> int:
    """Money reserved on the account by movements held for review: still on it, no longer available."""
    total = session.scalar(
        select(func.coalesce(func.sum(HeldTransfer.amount_cents), 0)).where(
            HeldTransfer.from_account_id == account_id, HeldTransfer.status == "held"
        )
    )
    return int(total or 0)


def available_cents(session: Session, account: Account) -> int:
    """What can leave a debit account now: its balance less what held movements reserve on it."""
    return int(account.balance_cents) - held_cents(session, account.id)


def sent_today_cents(session: Session, customer_id: str, day: Optional[date] = None) -> int:
    """Money sent to other people on the bank's ``day`` (default today; own-account moves and repayments
    do not count): the limit resets at the customer's midnight, not at UTC's. Transfers held for review that
    day count too: they may still go, and holding them must not open room for more."""
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
    held = session.scalar(
        select(func.coalesce(func.sum(HeldTransfer.amount_cents), 0)).where(
            HeldTransfer.customer_id == customer_id,
            HeldTransfer.status == "held",
            HeldTransfer.to_payee_id.isnot(None),
            HeldTransfer.created_at >= start,
            HeldTransfer.created_at < end,
        )
    )
    return int(total or 0) + int(held or 0)


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


def check(
    session: Session,
    customer_id: str,
    from_account_id: int,
    amount_cents: int,
    payee_id: Optional[int] = None,
    to_account_id: Optional[int] = None,
    kind: str = "transfer",
) -> TransferQuote:
    """The bank's fixed rules for a movement, without the risk decision: ownership, status, the absolute
    limits, the available balance, and whether the code rule of large or first payments applies."""
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
    # Limits first (they hold whatever the balance), then the money itself: what held movements reserve
    # is on the account but not available.
    available = available_cents(session, source)
    if available < amount_cents + fee:
        raise BankError("insufficient_funds", f"{account_view(source).label}余额不足（可用{format_cny(available)}）")
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


def quote(
    session: Session,
    customer_id: str,
    from_account_id: int,
    amount_cents: int,
    payee_id: Optional[int] = None,
    to_account_id: Optional[int] = None,
    kind: str = "transfer",
    assurance: Optional[Assurance] = None,
) -> TransferQuote:
    """Check a movement without doing it: the fixed rules, then the risk decision it would get with
    ``assurance`` (a preview: not recorded, taken again at execution). A block refuses here already, so the
    customer is told before confirming; a step-up shows as ``needs_code`` / ``needs_warning``."""
    q = check(session, customer_id, from_account_id, amount_cents, payee_id, to_account_id, kind)
    ctx = build_context(
        session, customer_id, from_account_id, amount_cents, payee_id, to_account_id, kind, assurance or Assurance()
    )
    decision = decide(ctx)
    if decision.action == "block":
        raise BankError("risk_blocked", decision.customer_text(), refusal_detail(decision, False, False))
    return replace(q, risk=decision, needs_code=q.needs_code or decision.needs_code)


def recipient_of(session: Session, customer_id: str, to_payee_id: Optional[int], to_account_id: Optional[int]) -> str:
    """How a receipt names where the money goes: the payee's label, or 本人 and the own account's label."""
    if to_payee_id:
        return payee_view(own_payee(session, customer_id, to_payee_id)).label
    return f"本人{account_view(own_account(session, customer_id, to_account_id)).label}"  # type: ignore[arg-type]


def replay(session: Session, customer_id: str, key: str) -> Optional[Receipt]:
    """The receipt of a request already made with this idempotency key, if any: the movement it made
    (also when a hold was released), else the hold it is (``held``) or was (``cancelled``)."""
    done = session.scalar(select(Transfer).where(Transfer.idempotency_key == key))
    held = session.scalar(select(HeldTransfer).where(HeldTransfer.request_key == key))
    if done is None and held is None:
        return None
    owner = done.customer_id if done is not None else held.customer_id
    if owner != customer_id:
        raise BankError("key_conflict", "请求编号冲突，请重新发起")
    if done is not None:
        return Receipt(
            transfer_id=done.id,
            kind=done.kind,
            amount_cents=done.amount_cents,
            fee_cents=done.fee_cents,
            from_account=account_view(own_account(session, customer_id, done.from_account_id)),
            recipient_label=recipient_of(session, customer_id, done.to_payee_id, done.to_account_id),
            created_at=done.created_at,
            replayed=True,
            held_id=held.id if held is not None else None,
        )
    return held_receipt(session, held, replayed=True)


def reason_texts(reasons: Iterable[Dict[str, str]]) -> Tuple[str, ...]:
    """A hold's reasons (``[{"code", "text"}]``) as the customer is told them."""
    return tuple(str(r["text"]) for r in reasons if r.get("text"))


def held_receipt(session: Session, held: HeldTransfer, replayed: bool = False) -> Receipt:
    """A request that went to review: nothing moved (``transfer_id`` 0), the hold's status and id."""
    return Receipt(
        transfer_id=0,
        kind=held.kind,
        amount_cents=held.amount_cents,
        fee_cents=0,
        from_account=account_view(own_account(session, held.customer_id, held.from_account_id)),
        recipient_label=recipient_of(session, held.customer_id, held.to_payee_id, held.to_account_id),
        created_at=held.created_at,
        replayed=replayed,
        status="held" if held.status == "held" else "cancelled",
        held_id=held.id,
        reasons=reason_texts(json.loads(held.reasons or "[]")),
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


# ------------------------------------------------------------------ the risk decision at execution
class RiskRefusal(BankError):
    """A movement the risk decision refused (``risk_blocked``, ``risk_step_up``, or ``code_required`` when
    the fixed code rule or the decision wants a code). Raised before anything but the decision's record was
    written, so the caller may commit that record (the audit of every decision) and then refuse."""


def stepped_up(assurance: Assurance, verified: bool) -> Assurance:
    """The assurance that counts for one movement: whether a code was verified for this very request is the
    ledger's record, not the caller's word (``Assurance.effective_strength`` then raises it to "sms")."""
    return replace(assurance, code_verified=verified)


def refusal_detail(decision: RiskDecision, needs_code: bool, needs_warning: bool) -> Dict[str, Any]:
    """What a face needs to ask for the missing confirmations: still needed, and why."""
    return {
        "action": decision.action,
        "needs_code": needs_code,
        "needs_warning": needs_warning,
        "reasons": [r.to_json() for r in decision.reasons],
        "limit_cents": decision.limit_cents,
        "daily_limit_cents": decision.daily_limit_cents,
        "rules_version": decision.rules_version,
    }


def gate(decision: RiskDecision, fixed_rule_needs_code: bool, assurance: Assurance) -> None:
    """Refuse unless the decision's conditions are met (``assurance`` as ``stepped_up`` made it)."""
    if decision.action == "block":
        raise RiskRefusal("risk_blocked", decision.customer_text(), refusal_detail(decision, False, False))
    missing_code = (fixed_rule_needs_code or decision.needs_code) and not assurance.code_verified
    missing_warning = decision.needs_warning and not assurance.warning_acknowledged
    detail = refusal_detail(decision, missing_code, missing_warning)
    if missing_warning or (missing_code and not fixed_rule_needs_code):
        raise RiskRefusal("risk_step_up", decision.customer_text(), detail)
    if missing_code:  # the fixed rule's code (large or first payment): the refusal callers already know,
        # in the decision's words when it has them (e.g. the password-only limit and what a code lifts it to)
        text = decision.customer_text() if decision.action == "step_up" else "需要先完成短信验证"
        raise RiskRefusal("code_required", text, detail)


def _decide(
    session: Session, customer_id: str, q: TransferQuote, kind: str, assurance: Assurance
) -> tuple[RiskContext, RiskDecision, int]:
    """The decision on the movement ``q`` describes, with how long it took (microseconds, for the record)."""
    started = time.perf_counter_ns()
    ctx = build_context(
        session,
        customer_id,
        q.from_account.id,
        q.amount_cents,
        q.payee.id if q.payee else None,
        q.to_account.id if q.to_account else None,
        kind,
        assurance,
    )
    decision = decide(ctx)
    return ctx, decision, (time.perf_counter_ns() - started) // 1000


def hold(session: Session, customer_id: str, key: str, q: TransferQuote, kind: str, decision: RiskDecision) -> Receipt:
    """Reserve the amount for review instead of moving it: a ``held_transfers`` row (unique by key, so a
    concurrent twin fails on it) whose amount ``available_cents`` subtracts until it is decided."""
    row = HeldTransfer(
        request_key=key,
        customer_id=customer_id,
        from_account_id=q.from_account.id,
        to_payee_id=q.payee.id if q.payee else None,
        to_account_id=q.to_account.id if q.to_account else None,
        kind=kind,
        amount_cents=q.amount_cents,
        reasons=reasons_json(decision.reasons),
        status="held",
        created_at=clock.utcnow(),
    )
    session.add(row)
    session.flush()
    session.add(
        AuditLog(
            actor=customer_id,
            action=f"{kind}.held",
            detail=f"held={row.id} amount={q.amount_cents} to={q.recipient_label} key={key}",
        )
    )
    return held_receipt(session, row)


def move(
    session: Session,
    customer_id: str,
    key: str,
    source: Account,
    amount_cents: int,
    kind: str,
    payee: Optional[Payee] = None,
    target: Optional[Account] = None,
    fee_cents: int = 0,
    actor: Optional[str] = None,
) -> Receipt:
    """Move the money: the Transfer row (claiming ``key``), the postings and the audit line. The caller has
    locked ``source`` and checked everything; ``actor`` is who ordered it (the customer, or the back office
    releasing a hold)."""
    record = Transfer(
        customer_id=customer_id,
        idempotency_key=key,
        from_account_id=source.id,
        to_payee_id=payee.id if payee is not None else None,
        to_account_id=target.id if target is not None else None,
        kind=kind,
        amount_cents=amount_cents,
        fee_cents=fee_cents,
        status="completed",
        created_at=clock.utcnow(),
    )
    session.add(record)
    session.flush()  # the unique key is claimed here; a concurrent twin fails on it
    category = "人情" if payee is not None else "其他"
    out_kind = "repayment" if kind == "repayment" else "transfer_out"
    if payee is not None:
        label = payee_view(payee).label
        post(session, source, -amount_cents, out_kind, payee.name, category, "转账", record.id, at=record.created_at)
    else:
        assert target is not None
        memo = "信用卡还款" if kind == "repayment" else "本人账户互转"
        label = f"本人{account_view(target).label}"
        post(session, source, -amount_cents, out_kind, label, category, memo, record.id, at=record.created_at)
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
            actor=actor or customer_id,
            action=f"{kind}.completed",
            detail=f"transfer={record.id} amount={amount_cents} to={label} key={key}",
        )
    )
    session.flush()
    return Receipt(
        transfer_id=record.id,
        kind=kind,
        amount_cents=amount_cents,
        fee_cents=fee_cents,
        from_account=account_view(source),
        recipient_label=label,
        created_at=record.created_at,
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
    assurance: Optional[Assurance] = None,
) -> Receipt:
    """Move the money once, or hold it for review, after the risk decision. Call inside
    ``session_scope(url, write=True)``. The decision is recorded in this transaction; a ``RiskRefusal``
    leaves only that record written (see BankService.execute_transfer, which commits it)."""
    if not key or len(key) > 128:
        raise BankError("invalid_key", "请求编号无效")
    previous = replay(session, customer_id, key)
    if previous is not None:
        return previous
    source = own_account(session, customer_id, from_account_id, lock=True)  # serializes movements from it
    previous = replay(session, customer_id, key)  # a twin that held the lock before us (PostgreSQL)
    if previous is not None:
        return previous
    q = check(session, customer_id, from_account_id, amount_cents, payee_id, to_account_id, kind)
    effective = stepped_up(assurance or Assurance(), code_verified(session, customer_id, f"{kind}:{key}"))
    ctx, decision, latency_us = _decide(session, customer_id, q, kind, effective)
    record_decision(session, ctx, decision, key, latency_us)
    gate(decision, q.needs_code, effective)
    if decision.action == "hold":
        return hold(session, customer_id, key, q, kind, decision)
    payee = own_payee(session, customer_id, payee_id) if payee_id is not None else None
    target = own_account(session, customer_id, to_account_id, lock=True) if to_account_id is not None else None
    return move(session, customer_id, key, source, amount_cents, kind, payee, target, q.fee_cents)
