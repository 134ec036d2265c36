"""What the service layer hands out: plain values (no ORM objects, no open sessions) and one error type."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, Dict, List, Optional, Tuple

from assistant.bank.risk.types import RiskDecision
from assistant.base.clock import iso_utc
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
    """A request the bank refuses; ``message`` is what the customer is told (Chinese).

    ``detail`` carries what a face needs to act on the refusal beyond words, e.g. for ``risk_step_up``
    which confirmations are still missing (``needs_code``, ``needs_warning``) and the reasons, so that the
    conversation can ask for exactly those instead of parsing the message."""

    def __init__(self, code: str, message: str, detail: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail: Dict[str, Any] = dict(detail or {})


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
    # The risk engine's preview for the assurance the quote was asked with: the anti-fraud warning and the
    # code need are known before the customer confirms; the decision that counts is taken again at execution.
    risk: Optional[RiskDecision] = None

    @property
    def recipient_label(self) -> str:
        if self.payee is not None:
            return self.payee.label
        assert self.to_account is not None
        return f"本人{self.to_account.label}"

    @property
    def needs_warning(self) -> bool:
        """The customer must acknowledge the anti-fraud warning (in words) before this can go ahead."""
        return self.risk is not None and self.risk.needs_warning

    def to_json(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {
            "type": "transfer_summary",
            "recipient": self.recipient_label,
            "amount_cents": self.amount_cents,
            "amount": format_cny(self.amount_cents),
            "fee": format_cny(self.fee_cents),
            "from_account": self.from_account.label,
            "needs_code": self.needs_code,
            "needs_warning": self.needs_warning,
        }
        if self.risk is not None:
            out["risk"] = self.risk.to_json()
        return out


@dataclass(frozen=True)
class Receipt:
    """What a money movement (transfer or card repayment) request did.

    ``status``: ``completed`` (the money moved), ``held`` (held for review: nothing moved, the amount is
    reserved on the source account until the back office releases or cancels it; ``transfer_id`` is 0 and
    ``held_id`` names the hold) or ``cancelled`` (a hold the back office cancelled: nothing moved)."""

    transfer_id: int
    kind: str
    amount_cents: int
    fee_cents: int
    from_account: AccountView
    recipient_label: str
    created_at: datetime  # naive UTC as stored; clock.to_local before showing it
    replayed: bool = False  # True when the idempotency key had already been used: nothing moved now
    status: str = "completed"  # completed | held | cancelled
    held_id: Optional[int] = None  # the hold this request went through, if it was held
    reasons: Tuple[str, ...] = ()  # held or cancelled: why it was held, the risk decision's words

    @property
    def completed(self) -> bool:
        return self.status == "completed"

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
            "status": self.status,
            "held_id": self.held_id,
        }


@dataclass(frozen=True)
class HeldView:
    """A movement held for review, as the back office sees it (``reasons``: the risk reasons, code and text)."""

    id: int
    customer_id: str
    kind: str
    amount_cents: int
    recipient_label: str
    from_account: str  # the source account's label
    reasons: List[Dict[str, str]]
    created_at: datetime  # naive UTC
    status: str  # held | released | cancelled
    decided_by: str = ""
    decided_at: Optional[datetime] = None
    transfer_id: Optional[int] = None  # the transfer a release made

    def to_json(self) -> Dict[str, Any]:
        return {
            "id": self.id,
            "customer_id": self.customer_id,
            "kind": self.kind,
            "amount_cents": self.amount_cents,
            "amount": format_cny(self.amount_cents),
            "recipient": self.recipient_label,
            "from_account": self.from_account,
            "reasons": [dict(r) for r in self.reasons],
            "created_at": iso_utc(self.created_at),
            "status": self.status,
            "decided_by": self.decided_by,
            "decided_at": iso_utc(self.decided_at),
            "transfer_id": self.transfer_id,
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
