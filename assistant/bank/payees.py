"""Saved payees of one customer, looked up by name or alias."""

from __future__ import annotations

from typing import List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from assistant.base.db.models import Payee, PayeeAlias


def payees_of(session: Session, customer_id: str) -> List[Payee]:
    return list(
        session.scalars(
            select(Payee)
            .where(Payee.customer_id == customer_id)
            .options(selectinload(Payee.aliases))
            .order_by(Payee.id)
        )
    )


def find_payee(session: Session, customer_id: str, said: str) -> Optional[Payee]:
    """The customer's payee called ``said`` (name or alias, optional leading 我); None if unknown."""
    said = said.strip()
    candidates = [said, said[1:]] if said.startswith("我") and len(said) > 1 else [said]
    for name in candidates:
        payee = session.scalar(select(Payee).where(Payee.customer_id == customer_id, Payee.name == name))
        if payee is not None:
            return payee
        payee = session.scalar(
            select(Payee).join(PayeeAlias).where(Payee.customer_id == customer_id, PayeeAlias.alias == name)
        )
        if payee is not None:
            return payee
    return None
