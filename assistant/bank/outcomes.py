"""What already happened to a request, by its key: the ledger's answer to a retried 确认 and to
"刚才那笔成功了吗" — read before anything is quoted again, so a retry never reports a refusal
(余额不足) for money that did move."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.bank.ledger import account_view, own_account, replay
from assistant.bank.types import AccountView, Receipt
from assistant.base.db.models import AuditLog, Transfer

_FROZEN_ACCOUNT = re.compile(r"account=(\d+) ")


@dataclass(frozen=True)
class Outcome:
    """An executed request: a money movement (``receipt``) or a card freeze (``card``)."""

    kind: str  # transfer | repayment | freeze
    receipt: Optional[Receipt] = None
    card: Optional[AccountView] = None


def outcome_of(session: Session, customer_id: str, key: str, freeze: bool = True) -> Optional[Outcome]:
    """The executed request with this key of this customer, if any (raises BankError on a foreign key);
    ``freeze=False`` skips the card freezes (found in the audit log, an unindexed scan of the customer's)."""
    receipt = replay(session, customer_id, key)
    if receipt is not None:
        return Outcome(receipt.kind, receipt=receipt)
    if not freeze:
        return None
    audit = session.scalar(
        select(AuditLog)
        .where(AuditLog.actor == customer_id, AuditLog.action == "card.frozen", AuditLog.detail.endswith(f" key={key}"))
        .limit(1)
    )
    found = _FROZEN_ACCOUNT.match(audit.detail) if audit is not None else None
    if found is None:
        return None
    card = account_view(own_account(session, customer_id, int(found.group(1))))
    return Outcome("freeze", card=card)


def latest_outcome(session: Session, customer_id: str) -> Optional[Outcome]:
    """The customer's most recent money movement ordered through the assistant (what "刚才那笔" means)."""
    last = session.scalar(
        select(Transfer).where(Transfer.customer_id == customer_id).order_by(Transfer.id.desc()).limit(1)
    )
    return outcome_of(session, customer_id, last.idempotency_key) if last is not None else None
