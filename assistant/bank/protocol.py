"""CoreBanking: every operation the actions and the gateway call on the bank, and nothing else.

``BankService`` (the SQL ledger) and ``InMemoryBank`` (plain dicts, for tests and demos) implement it;
a real core-banking adapter would implement it too. The contract tests run the same behaviour against
every implementation, so what is promised here is what callers may rely on:

* money is integer cents (``*_cents``), never float; amounts leaving an account are negative in history;
* a request the bank refuses raises ``BankError`` with a stable ``code`` (named per method below) and a
  ``message`` in Chinese that the customer is shown as is;
* a customer only ever sees and moves their own accounts, payees, codes and records: another customer's
  id is "not found", never "forbidden";
* every money movement gets a risk decision (assistant.bank.risk) inside the bank, whatever face asked:
  the faces pass what the customer proved (``Assurance``), never the decision itself.
"""

from __future__ import annotations

from datetime import date
from typing import Callable, Dict, List, Optional, Protocol, Sequence, Tuple, TypeVar

from assistant.bank.history import HistoryPage
from assistant.bank.outcomes import Outcome
from assistant.bank.risk.types import Assurance
from assistant.bank.types import (
    AccountView,
    BankError,
    BookEntry,
    CodeCheck,
    CreditBill,
    HeldView,
    PayeeView,
    Receipt,
    TransferQuote,
)

P = TypeVar("P")  # a payee as an implementation finds it (an ORM row, a view): only its ``id`` is used


class CoreBanking(Protocol):
    """The operations the assistant needs from a bank."""

    # ------------------------------------------------------------------ accounts and payees
    def accounts(self, customer_id: str) -> List[AccountView]:
        """The customer's accounts in a stable order (oldest first); empty for an unknown customer.
        Debit: ``balance_cents`` is the money on it; credit: ``balance_cents`` is the amount owed."""
        ...

    def find_account(
        self, customer_id: str, last4: Optional[str] = None, kind: Optional[str] = None, nickname: Optional[str] = None
    ) -> Optional[AccountView]:
        """The account the customer named: by last four digits, else nickname (工资卡), else kind (信用卡,
        the primary one first); None rather than a guess."""
        ...

    def primary_account(self, customer_id: str) -> Optional[AccountView]:
        """The debit account money leaves from by default: the primary one, else the first debit account."""
        ...

    def payees(self, customer_id: str) -> List[PayeeView]:
        """The customer's saved payees with their aliases, oldest first."""
        ...

    def resolve_payee(self, customer_id: str, said: str) -> Optional[PayeeView]:
        """A saved payee by name or alias, with an optional leading 我 (我妈 → 妈妈); None rather than a guess."""
        ...

    # ------------------------------------------------------------------ money movement
    def quote_transfer(
        self,
        customer_id: str,
        from_account_id: int,
        amount_cents: int,
        payee_id: Optional[int] = None,
        to_account_id: Optional[int] = None,
        kind: str = "transfer",
        assurance: Optional[Assurance] = None,
    ) -> TransferQuote:
        """What the movement would do, moving nothing: exactly one of ``payee_id`` / ``to_account_id``;
        ``kind="repayment"`` pays a credit card. ``risk`` is the risk decision it would get with ``assurance``
        (default ``Assurance()``: password only, no code, no warning acknowledged), a preview that is not
        recorded. ``needs_code`` when paying a payee ¥5,000 or more or for the first time, or repaying ¥5,000
        or more, or when the risk decision needs a code; ``needs_warning`` when it needs the anti-fraud
        warning acknowledged. Refusals (BankError): ``invalid_amount``, ``invalid_recipient``,
        ``account_not_found``, ``payee_not_found``, ``invalid_source`` (not debit), ``account_frozen``,
        ``single_limit`` / ``daily_limit`` (payees only; absolute caps, held transfers of the day count),
        ``same_account``, ``invalid_target``, ``over_repayment``, then ``insufficient_funds`` (limits are
        checked before the balance; the available balance is the balance less what held transfers reserve),
        then ``risk_blocked`` (message: why, and what would make it possible)."""
        ...

    def quote_request(
        self,
        customer_id: str,
        amount_cents: int,
        from_last4: Optional[str],
        payee: Optional[str] = None,
        to_last4: Optional[str] = None,
        kind: str = "transfer",
        assurance: Optional[Assurance] = None,
    ) -> TransferQuote:
        """``quote_transfer`` for a request as the customer named it, looked up and quoted in one go (one
        database session): the paying account by its last four digits, then the own account ``to_last4``
        if given, else the saved payee ``payee`` (a name or alias, as ``resolve_payee``). Refusals as
        ``quote_transfer``; ``account_not_found`` when no own account has those digits (the paying one
        first), ``payee_not_found`` when no payee answers to the name."""
        ...

    def send_code(self, customer_id: str, purpose: str, what: str) -> None:
        """Send a fresh 6-digit SMS code for ``purpose`` (``"<kind>:<key>"``), valid 5 minutes;
        earlier unused codes for the same purpose stop working."""
        ...

    def has_pending_code(self, customer_id: str, purpose: str) -> bool:
        """The latest code for ``purpose`` can still be entered (not used, not locked, not expired)."""
        ...

    def check_code(self, customer_id: str, purpose: str, entered: str) -> CodeCheck:
        """Check the latest code for ``purpose``; never raises. A used code stays ok; each wrong try counts and
        the third locks it (reason ``wrong`` / ``locked`` with ``attempts_left``); ``expired`` after 5 minutes;
        ``unknown`` when no code was sent for it (to this customer)."""
        ...

    def execute_transfer(
        self,
        customer_id: str,
        key: str,
        from_account_id: int,
        amount_cents: int,
        payee_id: Optional[int] = None,
        to_account_id: Optional[int] = None,
        kind: str = "transfer",
        assurance: Optional[Assurance] = None,
    ) -> Receipt:
        """Move the money once per idempotency ``key``, after the risk decision (recorded, refusals too): the
        same key again (also concurrently) moves nothing and returns the first receipt with ``replayed=True``,
        before any check that could now fail. Refusals move nothing: those of ``quote_transfer``, ``invalid_key``
        (empty or over 128 characters), ``key_conflict`` (another customer's key), ``risk_blocked``,
        ``risk_step_up`` (the anti-fraud warning is not acknowledged in ``assurance``, or the decision needs a
        code none was verified for; ``detail`` says which: ``needs_code``, ``needs_warning``, ``reasons``) and
        ``code_required`` when the ¥5,000 / first-payment rule needs a code and none was verified for
        ``"<kind>:<key>"``. A code verified for ``"<kind>:<key>"`` raises the strength to "sms" for this
        movement (higher limits); whether one was is the bank's record, not ``assurance.code_verified``.
        A movement the decision holds for review moves nothing and returns ``status="held"`` with ``held_id``
        (``transfer_id`` 0): its amount stays on the account but is no longer available until the back office
        releases (the same key then replays the completed transfer) or cancels it (``status="cancelled"``)."""
        ...

    def outbox(self, customer_id: str, limit: int = 20) -> List[Dict[str, object]]:
        """The SMS codes "sent" to the customer, newest first (the dev outbox): ``id``, ``code`` (None when the
        bank keeps nothing readable, as in prod), ``purpose``, ``message``, ``sent_at``, ``expires_at``."""
        ...

    # ------------------------------------------------------------------ risk: signals, holds, notices
    def record_security_event(self, customer_id: str, kind: str) -> None:
        """Remember a security change (``password_reset``, ``new_device``, ``payee_added``): a transfer soon
        after it is riskier. Refusal: ``invalid_event`` (another kind)."""
        ...

    def record_conversation_signal(self, customer_id: str, phrases: Sequence[str]) -> None:
        """Remember the scam phrases the customer wrote (canonical ones, e.g. 安全账户, as
        ``assistant.bank.risk.scam.scam_phrases`` finds them; others are dropped): the risk decisions of the
        customer's transfers in the next hours see them."""
        ...

    def held_transfers(self, status: str = "held") -> List[HeldView]:
        """The back office's queue: movements of every customer with this ``status`` (held, released or
        cancelled), oldest first. Refusal: ``invalid_status``."""
        ...

    def release_held(self, held_id: int, by: str) -> Receipt:
        """Execute a held movement, once (a completed receipt with ``held_id``; the customer gets a notice),
        after re-checking the source account's status and balance. Atomic against a concurrent release or
        cancel: exactly one decides; the same call again returns the same receipt (``replayed=True``).
        Refusals: ``held_not_found``, ``held_already_decided`` (it was cancelled), ``account_frozen``,
        ``insufficient_funds`` (the hold then stays held)."""
        ...

    def cancel_held(self, held_id: int, by: str) -> HeldView:
        """Cancel a held movement: nothing moves, its reservation is freed, the customer gets a notice. Atomic
        like ``release_held``; cancelling again returns the same view. Refusals: ``held_not_found``,
        ``held_already_decided`` (it was released)."""
        ...

    def notices(self, customer_id: str) -> List[str]:
        """The customer's undelivered notices (e.g. a hold's outcome), oldest first, each delivered once."""
        ...

    # ------------------------------------------------------------------ cards
    def credit_bill(self, customer_id: str, account_id: int) -> CreditBill:
        """The card's current statement and what is owed now. Refusals: ``account_not_found``, ``not_credit``."""
        ...

    def freeze_card(self, customer_id: str, account_id: int, key: str) -> AccountView:
        """Freeze the account at once, after a verified code for ``"freeze:<key>"``; idempotent (a frozen card
        is returned as it is). Refusals: ``account_not_found``, ``code_required``."""
        ...

    # ------------------------------------------------------------------ history and bookkeeping
    def history(
        self,
        customer_id: str,
        *,
        account_id: Optional[int] = None,
        start: Optional[date] = None,
        end: Optional[date] = None,
        counterparty: Optional[str] = None,
        category: Optional[str] = None,
        keyword: Optional[str] = None,
        page: int = 1,
        size: int = 20,
        kinds: Optional[Sequence[str]] = None,
    ) -> HistoryPage:
        """Postings newest first, opening balances left out; ``start``/``end`` are the customer's days
        (inclusive), ``keyword`` matches counterparty or memo, ``kinds`` keeps those kinds only. ``size`` is kept
        within 1–100; totals (``spent_cents`` positive, ``received_cents``) cover every matching posting."""
        ...

    def spending_by_category(self, customer_id: str, start: date, end: date) -> Dict[str, int]:
        """Purchases and transfers out per category over the days ``start``–``end``, in positive cents
        (uncategorised and 其他 left out)."""
        ...

    def book_add(
        self, customer_id: str, direction: str, amount_cents: int, category: str, occurred_on: date, note: str = ""
    ) -> BookEntry:
        """Record a dictated expense or income (the note is masked). Refusals: ``invalid_direction``,
        ``invalid_amount`` (not above zero, or over ¥10 million)."""
        ...

    def book_edit_last(
        self,
        customer_id: str,
        amount_cents: Optional[int] = None,
        category: Optional[str] = None,
        record_id: Optional[int] = None,
    ) -> BookEntry:
        """Change the record ``record_id`` (else the newest one). Refusals: ``no_record``, ``invalid_amount``."""
        ...

    def book_delete_last(self, customer_id: str, record_id: Optional[int] = None) -> BookEntry:
        """Delete the record ``record_id`` (else the newest one) and return it. Refusal: ``no_record``."""
        ...

    def book_records(
        self,
        customer_id: str,
        start: Optional[date] = None,
        end: Optional[date] = None,
        category: Optional[str] = None,
        direction: Optional[str] = None,
    ) -> List[BookEntry]:
        """Records not deleted, newest day first (``start``/``end`` inclusive)."""
        ...

    # ------------------------------------------------------------------ outcomes of executed requests
    def outcome(self, customer_id: str, key: str, freeze: bool = True) -> Optional[Outcome]:
        """What the request with this key did, if it ran: a money movement's receipt (``replayed=True``) or,
        unless ``freeze=False``, the card a freeze with this key froze. None for a key that did not run or is
        another customer's; never raises."""
        ...

    def latest_outcome(self, customer_id: str) -> Optional[Outcome]:
        """The customer's most recent money movement ordered through the assistant (what "刚才那笔" means)."""
        ...


def named_account(
    accounts: List[AccountView], last4: Optional[str] = None, kind: Optional[str] = None, nickname: Optional[str] = None
) -> Optional[AccountView]:
    """``find_account`` over a customer's accounts: one rule for every implementation."""
    if last4:
        return next((a for a in accounts if a.last4 == last4), None)
    if nickname:
        named = next((a for a in accounts if a.nickname == nickname), None)
        if named:
            return named
    if kind:
        of_kind = [a for a in accounts if a.kind == kind]
        return next((a for a in of_kind if a.is_primary), of_kind[0] if of_kind else None)
    return None


def primary_debit(accounts: List[AccountView]) -> Optional[AccountView]:
    """``primary_account`` over a customer's accounts: one rule for every implementation."""
    return next(
        (a for a in accounts if a.is_primary and a.kind == "debit"),
        next((a for a in accounts if a.kind == "debit"), None),
    )


def request_parties(
    accounts: List[AccountView],
    from_last4: Optional[str],
    to_last4: Optional[str],
    payee: Optional[str],
    find_payee: Callable[[str], Optional[P]],
) -> Tuple[AccountView, Optional[AccountView], Optional[P]]:
    """``quote_request``'s paying account, then the own target account or else the payee (looked up
    with the implementation's ``find_payee`` only then): one rule for every implementation and caller."""
    source = named_account(accounts, from_last4) if from_last4 else None
    if source is None:
        raise BankError("account_not_found", "没有找到付款账户")
    if to_last4:
        target = named_account(accounts, to_last4)
        if target is None:
            raise BankError("account_not_found", "没有找到收款账户")
        return source, target, None
    found = find_payee(payee or "")
    if found is None:
        raise BankError("payee_not_found", "没有找到该收款人")
    return source, None, found


__all__ = ["CoreBanking", "named_account", "primary_debit", "request_parties"]
