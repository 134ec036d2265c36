"""Reading a customer's accounts; every query is scoped to one customer id."""
from __future__ import annotations

from typing import List

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.db.models import Account
from assistant.money import format_cny


def accounts_of(session: Session, customer_id: str) -> List[Account]:
    return list(session.scalars(select(Account).where(Account.customer_id == customer_id).order_by(Account.id)))


def account_label(account: Account) -> str:
    """储蓄卡（工资卡）尾号6688 — how replies name an account."""
    nick = f"（{account.nickname}）" if account.nickname else ""
    return f"{account.name}{nick}尾号{account.last4}"


def balance_line(account: Account) -> str:
    if account.kind == "credit":
        return (f"{account_label(account)}：可用额度{format_cny(account.available_credit_cents)}"
                f"（总额度{format_cny(account.credit_limit_cents)}）")
    return f"{account_label(account)}：余额{format_cny(account.balance_cents)}"


def account_json(account: Account) -> dict:
    """An account as the app sees it: masked number, amounts in cents and formatted."""
    out = {
        "id": account.id,
        "kind": account.kind,
        "name": account.name,
        "nickname": account.nickname,
        "masked_number": f"**** **** **** {account.last4}",
        "last4": account.last4,
        "is_primary": account.is_primary,
        "status": account.status,
        "currency": account.currency,
    }
    if account.kind == "credit":
        out.update(credit_limit_cents=account.credit_limit_cents, owed_cents=account.balance_cents,
                   available_cents=account.available_credit_cents,
                   available=format_cny(account.available_credit_cents))
    else:
        out.update(balance_cents=account.balance_cents, balance=format_cny(account.balance_cents))
    return out
