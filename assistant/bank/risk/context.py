"""The risk context of one money movement, read from the database in a few indexed queries, so that
``engine.decide`` can stay pure. Every query is scoped to the customer.

History counts both what the assistant executed (``transfers``) and what the account's postings show
from other channels (``transactions`` of kind ``transfer_out``), like the ledger's first-payment check;
postings to the customer's own accounts ("本人…") are not transfers to others. Transfers held for
review count towards velocity and the daily limit: their money is reserved. Stored times are naive
UTC; the hour and the calendar day are the bank's (``clock``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from statistics import median
from typing import Dict, List, Optional, Tuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assistant.bank.risk.rules import Rules, current_rules
from assistant.bank.risk.types import Assurance, RiskContext
from assistant.base import clock
from assistant.base.db.models import (
    Account,
    ConversationSignal,
    HeldTransfer,
    Payee,
    SecurityEvent,
    Transaction,
    Transfer,
)

HISTORY_DAYS = 90  # "usual amount" and the transfers counted for it
OWN_ACCOUNT_PREFIX = "本人"  # counterparty of postings between the customer's own accounts


class UnknownSourceError(LookupError):
    """The account or payee is not the customer's. The bank checks ownership before asking for a
    decision, so this is a caller's mistake; risk does not import the bank's error type, whose
    module imports the risk types (the layers' acyclic contract)."""


def _minutes(now: datetime, at: Optional[datetime]) -> Optional[float]:
    return None if at is None else max(0.0, (now - at).total_seconds() / 60)


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: enough for the back office to recognise, not to identify."""
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""


def _last_paid(session: Session, customer_id: str, payee: Payee, now: datetime) -> Optional[datetime]:
    by_bot = session.scalar(
        select(func.max(Transfer.created_at)).where(
            Transfer.customer_id == customer_id,
            Transfer.to_payee_id == payee.id,
            Transfer.status == "completed",
            Transfer.created_at <= now,
        )
    )
    in_history = session.scalar(
        select(func.max(Transaction.posted_at)).where(
            Transaction.customer_id == customer_id,
            Transaction.kind == "transfer_out",
            Transaction.counterparty == payee.name,
            Transaction.posted_at <= now,
        )
    )
    found = [at for at in (by_bot, in_history) if at is not None]
    return max(found) if found else None


def _outgoing(session: Session, customer_id: str, now: datetime) -> List[Tuple[datetime, int]]:
    """(time, cents) of money sent to others in the last HISTORY_DAYS days, held transfers included."""
    since = now - timedelta(days=HISTORY_DAYS)
    posted = session.execute(
        select(Transaction.posted_at, Transaction.amount_cents).where(
            Transaction.customer_id == customer_id,
            Transaction.kind == "transfer_out",
            Transaction.posted_at >= since,
            Transaction.posted_at <= now,
            Transaction.amount_cents < 0,
            ~Transaction.counterparty.like(f"{OWN_ACCOUNT_PREFIX}%"),
        )
    ).all()
    return [(at, -int(cents)) for at, cents in posted]


def _held(session: Session, customer_id: str, since: datetime, now: datetime) -> List[Tuple[datetime, int]]:
    """(time, cents) of transfers to others held for review (their money is reserved)."""
    rows = session.execute(
        select(HeldTransfer.created_at, HeldTransfer.amount_cents).where(
            HeldTransfer.customer_id == customer_id,
            HeldTransfer.status == "held",
            HeldTransfer.to_payee_id.isnot(None),
            HeldTransfer.created_at >= since,
            HeldTransfer.created_at <= now,
        )
    ).all()
    return [(at, int(cents)) for at, cents in rows]


def _sent_today(session: Session, customer_id: str, now: datetime, held: List[Tuple[datetime, int]]) -> int:
    """Sent to others on the bank's calendar day of ``now`` (the ledger's daily-limit measure), plus
    what is held for review that day."""
    start, end = clock.day_bounds_utc(clock.to_local(now).date())
    sent = session.scalar(
        select(func.coalesce(func.sum(Transfer.amount_cents), 0)).where(
            Transfer.customer_id == customer_id,
            Transfer.status == "completed",
            Transfer.to_payee_id.isnot(None),
            Transfer.created_at >= start,
            Transfer.created_at < end,
        )
    )
    return int(sent or 0) + sum(cents for at, cents in held if start <= at < end)


def _security_minutes(session: Session, customer_id: str, now: datetime) -> Dict[str, Optional[float]]:
    rows = session.execute(
        select(SecurityEvent.kind, func.max(SecurityEvent.at))
        .where(SecurityEvent.customer_id == customer_id, SecurityEvent.at <= now)
        .group_by(SecurityEvent.kind)
    ).all()
    return {kind: _minutes(now, at) for kind, at in rows}


def _scam_phrases(session: Session, customer_id: str, now: datetime, hours: int) -> Tuple[str, ...]:
    details = session.scalars(
        select(ConversationSignal.detail)
        .where(
            ConversationSignal.customer_id == customer_id,
            ConversationSignal.kind == "scam_words",
            ConversationSignal.at >= now - timedelta(hours=hours),
            ConversationSignal.at <= now,
        )
        .order_by(ConversationSignal.at, ConversationSignal.id)
    ).all()
    phrases = (p.strip() for detail in details for p in str(detail).split(","))
    return tuple(dict.fromkeys(p for p in phrases if p))


def counted(amounts: List[int], rules: Rules) -> int:
    """Transfers that count towards velocity: those of at least its floor (a day of small ones is
    no sign, and must not make the next real transfer look like a burst)."""
    return sum(1 for cents in amounts if cents >= rules.signals.velocity.floor_cents)


def build_context(
    session: Session,
    customer_id: str,
    from_account_id: int,
    amount_cents: int,
    payee_id: Optional[int],
    to_account_id: Optional[int],
    kind: str,
    assurance: Assurance,
    now: Optional[datetime] = None,
    rules: Optional[Rules] = None,
) -> RiskContext:
    """Everything ``decide`` needs about this movement; ``now`` is naive UTC (default: the clock)."""
    now = now or clock.utcnow()
    rules = rules or current_rules()
    source = session.scalar(select(Account).where(Account.id == from_account_id, Account.customer_id == customer_id))
    if source is None:
        raise UnknownSourceError(f"account {from_account_id} is not {customer_id}'s")

    payee: Optional[Payee] = None
    last_paid: Optional[datetime] = None
    recipient = ""
    if payee_id is not None:
        payee = session.scalar(select(Payee).where(Payee.id == payee_id, Payee.customer_id == customer_id))
        if payee is None:
            raise UnknownSourceError(f"payee {payee_id} is not {customer_id}'s")
        last_paid = _last_paid(session, customer_id, payee, now)
        recipient = f"{mask_name(payee.name)}（{payee.bank} 尾号{payee.last4}）"
    elif to_account_id is not None:
        target = session.scalar(select(Account).where(Account.id == to_account_id, Account.customer_id == customer_id))
        recipient = f"本人{target.name}尾号{target.last4}" if target is not None else "本人账户"

    outgoing = _outgoing(session, customer_id, now)
    held = _held(session, customer_id, now - timedelta(days=1), now)
    hour = [c for at, c in outgoing + held if at >= now - timedelta(hours=1)]
    day = [c for at, c in outgoing + held if at >= now - timedelta(days=1)]
    security = _security_minutes(session, customer_id, now)
    return RiskContext(
        customer_id=customer_id,
        kind=kind,
        amount_cents=amount_cents,
        to_payee=payee is not None,
        payee_new=payee is not None and last_paid is None,
        days_since_last_paid=(now - last_paid).days if last_paid is not None else None,
        payee_added_minutes_ago=_minutes(now, payee.created_at) if payee is not None else None,
        usual_amount_cents=int(median(c for _, c in outgoing)) if outgoing else None,
        transfers_90d=len(outgoing),
        count_last_hour=counted(hour, rules),
        sum_last_hour_cents=sum(hour),
        count_last_day=counted(day, rules),
        sum_last_day_cents=sum(day),
        local_hour=clock.to_local(now).hour,
        minutes_since_password_reset=security.get("password_reset"),
        minutes_since_new_device=security.get("new_device"),
        balance_cents=int(source.balance_cents),
        scam_phrases=_scam_phrases(session, customer_id, now, rules.signals.scam_words.within_hours),
        assurance=assurance,
        sent_today_cents=_sent_today(session, customer_id, now, held),
        recipient=recipient[:64],
    )


__all__ = ["HISTORY_DAYS", "UnknownSourceError", "build_context", "mask_name"]
