"""What the service layer hands out: plain values (no ORM objects, no open sessions) and one error type."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, Dict, List, Optional

from assistant.base.money import format_cny

SINGLE_TRANSFER_LIMIT_CENTS = 5_000_000  # ¥50,000.00
DAILY_TRANSFER_LIMIT_CENTS = 20_000_000  # ¥200,000.00
CODE_REQUIRED_FROM_CENTS = 500_000  # ¥5,000.00 and more needs an SMS code
CODE_TTL_SECONDS = 300
CODE_MAX_ATTEMPTS = 3
# The dates a query about the bank's records may name: far enough from date.min/max that a day or a
# week either side cannot overflow (a typed payload or a URL can carry 9999-12-31).
EARLIEST_DATE = date(1970, 1, 1)
LATEST_DATE = date(2099, 12, 31)


class BankError(Exception):
    """A request the bank refuses; ``message`` is what the customer is told (Chinese)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class AccountView:
    id: int
    kind: str
    name: str
    nickname: str
    last4: str
    is_primary: bool
    status: str
    balance_cents: int
    credit_limit_cents: int = 0

    @property
    def label(self) -> str:
        nick = f"（{self.nickname}）" if self.nickname else ""
        return f"{self.name}{nick}尾号{self.last4}"

    @property
    def available_credit_cents(self) -> int:
        return self.credit_limit_cents - self.balance_cents

    def to_json(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "nickname": self.nickname,
            "masked_number": f"**** **** **** {self.last4}",
            "last4": self.last4,
            "is_primary": self.is_primary,
            "status": self.status,
            "currency": "CNY",
        }
        if self.kind == "credit":
            out.update(
                credit_limit_cents=self.credit_limit_cents,
                owed_cents=self.balance_cents,
                available_cents=self.available_credit_cents,
                available=format_cny(self.available_credit_cents),
            )
        else:
            out.update(balance_cents=self.balance_cents, balance=format_cny(self.balance_cents))
        return out


@dataclass(frozen=True)
class PayeeView:
    id: int
    name: str
    bank: str
    last4: str
    aliases: List[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.name}（{self.bank} 尾号{self.last4}）"


@dataclass(frozen=True)
class TransferQuote:
    """What a transfer would do, shown to the customer before they confirm."""

    from_account: AccountView
    amount_cents: int
    fee_cents: int
    payee: Optional[PayeeView] = None
    to_account: Optional[AccountView] = None
    needs_code: bool = False
    first_time: bool = False

    @property
    def recipient_label(self) -> str:
        if self.payee is not None:
            return self.payee.label
        assert self.to_account is not None
        return f"本人{self.to_account.label}"

    def to_json(self) -> Dict[str, Any]:
        return {
            "type": "transfer_summary",
            "recipient": self.recipient_label,
            "amount_cents": self.amount_cents,
            "amount": format_cny(self.amount_cents),
            "fee": format_cny(self.fee_cents),
            "from_account": self.from_account.label,
            "needs_code": self.needs_code,
        }


@dataclass(frozen=True)
class Receipt:
    """A completed money movement (transfer or card repayment)."""

    transfer_id: int
    kind: str
    amount_cents: int
    fee_cents: int
    from_account: AccountView
    recipient_label: str
    created_at: datetime  # naive UTC as stored; clock.to_local before showing it
    replayed: bool = False  # True when the idempotency key had already been used: nothing moved now

    def to_json(self) -> Dict[str, Any]:
        return {
            "type": f"{self.kind}_receipt",
            "transfer_id": self.transfer_id,
            "amount": format_cny(self.amount_cents),
            "amount_cents": self.amount_cents,
            "fee": format_cny(self.fee_cents),
            "recipient": self.recipient_label,
            "from_account": self.from_account.label,
            "balance": format_cny(self.from_account.balance_cents),
            "replayed": self.replayed,
        }


@dataclass(frozen=True)
class CodeCheck:
    ok: bool
    reason: str = ""  # "" | wrong | expired | locked | unknown
    attempts_left: int = 0


@dataclass(frozen=True)
class BookEntry:
    id: int
    direction: str
    amount_cents: int
    category: str
    occurred_on: date
    note: str

    def to_json(self) -> Dict[str, Any]:
        return {**asdict(self), "occurred_on": self.occurred_on.isoformat(), "amount": format_cny(self.amount_cents)}


@dataclass(frozen=True)
class CreditBill:
    account: AccountView
    statement_cents: int
    min_payment_cents: int
    statement_date: Optional[date]
    due_date: Optional[date]
    owed_cents: int
