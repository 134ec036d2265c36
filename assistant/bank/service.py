"""BankService: ``CoreBanking`` (assistant.bank.protocol, the operations the actions and the gateway
call) on the project's database.

A real core-banking adapter would implement the same protocol; ``InMemoryBank`` (assistant.bank.memory)
does, for tests without a database. Every method is one unit of work and returns plain values.
"""

from __future__ import annotations

from datetime import date
from typing import Dict, List, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from assistant.bank import book, cards, history, holds, ledger, outcomes, verification
from assistant.bank.history import HistoryPage
from assistant.bank.outcomes import Outcome
from assistant.bank.payees import find_payee, payees_of
from assistant.bank.protocol import CoreBanking, named_account, primary_debit, request_parties
from assistant.bank.risk import store
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
from assistant.base.clock import iso_utc
from assistant.base.db.engine import session_scope
from assistant.base.db.models import Account


class BankService:
    """CoreBanking on the local SQL ledger (SQLite by default, PostgreSQL by DATABASE_URL).

    It does not inherit the protocol: the assignment at the end of this module is where mypy checks it."""

    def __init__(self, database_url: str, outbox_key: Optional[bytes] = None, code_key: Optional[bytes] = None) -> None:
        """``outbox_key``: encrypts codes for the dev outbox; by default derived in dev, None in prod.
        ``code_key``: hashes the codes; by default from the environment when a code is first sent or
        checked (only the processes that do so need ASSISTANT_CODE_SECRET)."""
        self.url = database_url
        self.outbox_key = outbox_key if outbox_key is not None else verification.dev_outbox_key()
        self._code_key = code_key

    @property
    def code_key(self) -> bytes:
        if self._code_key is None:
            self._code_key = verification.code_hash_key()
        return self._code_key

    # ------------------------------------------------------------------ accounts and payees
    def accounts(self, customer_id: str) -> List[AccountView]:
        with session_scope(self.url) as s:
            rows = s.scalars(select(Account).where(Account.customer_id == customer_id).order_by(Account.id))
            return [ledger.account_view(a) for a in rows]

    def find_account(
        self, customer_id: str, last4: Optional[str] = None, kind: Optional[str] = None, nickname: Optional[str] = None
    ) -> Optional[AccountView]:
        """The account the customer named: by last four digits, nickname (工资卡) or kind (信用卡)."""
        return named_account(self.accounts(customer_id), last4, kind, nickname)

    def primary_account(self, customer_id: str) -> Optional[AccountView]:
        return primary_debit(self.accounts(customer_id))

    def payees(self, customer_id: str) -> List[PayeeView]:
        with session_scope(self.url) as s:
            return [ledger.payee_view(p) for p in payees_of(s, customer_id)]

    def resolve_payee(self, customer_id: str, said: str) -> Optional[PayeeView]:
        """A saved payee by name or alias (我妈 → 妈妈); None rather than a guess."""
        with session_scope(self.url) as s:
            payee = find_payee(s, customer_id, said)
            return ledger.payee_view(payee) if payee else None

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
        with session_scope(self.url) as s:
            return ledger.quote(s, customer_id, from_account_id, amount_cents, payee_id, to_account_id, kind, assurance)

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
        with session_scope(self.url) as s:
            rows = s.scalars(select(Account).where(Account.customer_id == customer_id).order_by(Account.id))
            source, target, found = request_parties(
                [ledger.account_view(a) for a in rows],
                from_last4,
                to_last4,
                payee,
                lambda said: find_payee(s, customer_id, said),
            )
            return ledger.quote(
                s,
                customer_id,
                source.id,
                amount_cents,
                found.id if found else None,
                target.id if target else None,
                kind,
                assurance,
            )

    def send_code(self, customer_id: str, purpose: str, what: str) -> None:
        with session_scope(self.url, write=True) as s:
            verification.issue_code(s, customer_id, purpose, what, outbox_key=self.outbox_key, code_key=self.code_key)

    def has_pending_code(self, customer_id: str, purpose: str) -> bool:
        with session_scope(self.url) as s:
            return verification.has_pending_code(s, customer_id, purpose)

    def check_code(self, customer_id: str, purpose: str, entered: str) -> CodeCheck:
        with session_scope(self.url, write=True) as s:
            return verification.check_code(s, customer_id, purpose, entered, code_key=self.code_key)

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
        refused: Optional[ledger.RiskRefusal] = None
        try:
            with session_scope(self.url, write=True) as s:
                try:
                    return ledger.execute(
                        s, customer_id, key, from_account_id, amount_cents, payee_id, to_account_id, kind, assurance
                    )
                except ledger.RiskRefusal as exc:
                    refused = exc  # only the decision's record was written: commit it (the audit), then refuse
        except IntegrityError:
            # A concurrent twin with the same key won the race: report what it did, move nothing.
            with session_scope(self.url) as s:
                done = ledger.replay(s, customer_id, key)
            if done is None:
                raise
            return done
        assert refused is not None
        raise refused

    def outbox(self, customer_id: str, limit: int = 20) -> List[Dict[str, object]]:
        """The SMS codes "sent" (dev): decrypted here, never stored in clear; code None when unreadable."""
        with session_scope(self.url) as s:
            rows = verification.outbox(s, customer_id, limit)
            sent = [(c, verification.unseal_code(self.outbox_key, c)) for c in rows]
            return [
                {
                    "id": c.id,
                    "code": code,
                    "purpose": c.purpose,
                    "message": c.message.replace(verification.CODE_MASK, code, 1) if code else c.message,
                    "sent_at": iso_utc(c.created_at),
                    "expires_at": iso_utc(c.expires_at),
                }
                for c, code in sent
            ]

    # ------------------------------------------------------------------ risk: signals, holds, notices
    def record_security_event(self, customer_id: str, kind: str) -> None:
        if kind not in store.SECURITY_EVENT_KINDS:  # the store raises ValueError: a face hears a refusal
            raise BankError("invalid_event", f"未知的安全事件：{kind}")
        with session_scope(self.url, write=True) as s:
            store.record_security_event(s, customer_id, kind)

    def record_conversation_signal(self, customer_id: str, phrases: Sequence[str]) -> None:
        with session_scope(self.url, write=True) as s:
            store.record_conversation_signal(s, customer_id, phrases)

    def held_transfers(self, status: str = "held") -> List[HeldView]:
        with session_scope(self.url) as s:
            return holds.held_transfers(s, status)

    def release_held(self, held_id: int, by: str) -> Receipt:
        with session_scope(self.url, write=True) as s:
            return holds.release(s, held_id, by)

    def cancel_held(self, held_id: int, by: str) -> HeldView:
        with session_scope(self.url, write=True) as s:
            return holds.cancel(s, held_id, by)

    def notices(self, customer_id: str) -> List[str]:
        with session_scope(self.url) as s:  # every chat answer and poll asks: no write lock to find nothing
            if not holds.has_notices(s, customer_id):
                return []
        with session_scope(self.url, write=True) as s:
            return holds.take_notices(s, customer_id)

    # ------------------------------------------------------------------ cards
    def credit_bill(self, customer_id: str, account_id: int) -> CreditBill:
        with session_scope(self.url) as s:
            return cards.credit_bill(s, customer_id, account_id)

    def freeze_card(self, customer_id: str, account_id: int, key: str) -> AccountView:
        with session_scope(self.url, write=True) as s:
            return cards.freeze(s, customer_id, account_id, key)

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
        with session_scope(self.url) as s:
            return history.query(
                s,
                customer_id,
                account_id=account_id,
                start=start,
                end=end,
                counterparty=counterparty,
                category=category,
                keyword=keyword,
                page=page,
                size=size,
                kinds=kinds,
            )

    def spending_by_category(self, customer_id: str, start: date, end: date) -> Dict[str, int]:
        with session_scope(self.url) as s:
            return history.spending_by_category(s, customer_id, start, end)

    def book_add(
        self, customer_id: str, direction: str, amount_cents: int, category: str, occurred_on: date, note: str = ""
    ) -> BookEntry:
        with session_scope(self.url, write=True) as s:
            return book.add(s, customer_id, direction, amount_cents, category, occurred_on, note)

    def book_edit_last(
        self,
        customer_id: str,
        amount_cents: Optional[int] = None,
        category: Optional[str] = None,
        record_id: Optional[int] = None,
    ) -> BookEntry:
        with session_scope(self.url, write=True) as s:
            return book.edit_last(s, customer_id, amount_cents, category, record_id)

    def book_delete_last(self, customer_id: str, record_id: Optional[int] = None) -> BookEntry:
        with session_scope(self.url, write=True) as s:
            return book.delete_last(s, customer_id, record_id)

    def book_records(
        self,
        customer_id: str,
        start: Optional[date] = None,
        end: Optional[date] = None,
        category: Optional[str] = None,
        direction: Optional[str] = None,
    ) -> List[BookEntry]:
        with session_scope(self.url) as s:
            return book.records(s, customer_id, start, end, category, direction)

    # ------------------------------------------------------------------ outcomes of executed requests
    def outcome(self, customer_id: str, key: str, freeze: bool = True) -> Optional[Outcome]:
        """What the request with this key did, if it ran (a key of another customer: nothing)."""
        with session_scope(self.url) as s:
            try:
                return outcomes.outcome_of(s, customer_id, key, freeze)
            except BankError:
                return None

    def latest_outcome(self, customer_id: str) -> Optional[Outcome]:
        with session_scope(self.url) as s:
            return outcomes.latest_outcome(s, customer_id)


# The static check: mypy verifies here that BankService has every CoreBanking method with a compatible signature.
_IS_CORE_BANKING: type[CoreBanking] = BankService

__all__ = ["BankService", "BankError", "CoreBanking"]
