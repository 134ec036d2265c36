"""Cards: credit card statements and freezing a lost card."""

from __future__ import annotations

from sqlalchemy.orm import Session

from assistant.bank.ledger import account_view, code_verified, own_account
from assistant.bank.types import AccountView, BankError, CreditBill
from assistant.base.db.models import AuditLog


def credit_bill(session: Session, customer_id: str, account_id: int) -> CreditBill:
    card = own_account(session, customer_id, account_id)
    if card.kind != "credit":
        raise BankError("not_credit", "这不是信用卡")
    return CreditBill(
        account=account_view(card),
        statement_cents=card.statement_cents,
        min_payment_cents=card.min_payment_cents,
        statement_date=card.statement_date,
        due_date=card.due_date,
        owed_cents=card.balance_cents,
    )


def freeze(session: Session, customer_id: str, account_id: int, key: str) -> AccountView:
    """Freeze a card at once; only after the customer passed SMS verification for this request."""
    card = own_account(session, customer_id, account_id, lock=True)
    if not code_verified(session, customer_id, f"freeze:{key}"):
        raise BankError("code_required", "需要先完成短信验证")
    if card.status != "frozen":
        card.status = "frozen"
        session.add(AuditLog(actor=customer_id, action="card.frozen", detail=f"account={card.id} key={key}"))
    return account_view(card)
