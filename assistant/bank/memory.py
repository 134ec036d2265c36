"""InMemoryBank: CoreBanking on plain Python dicts, for tests and demos that need no database.

It keeps the protocol's promises the way BankService keeps them on the SQL ledger — the same limits,
refusals and codes, idempotency by key, SMS-code rules, postings that sum to each balance — and reuses
the project's pure helpers for it (money, types, code hashing, demo history, posting JSON). It imports
neither SQLAlchemy nor any ``assistant.base.db`` module itself, so it can never open an engine.

Every call holds one lock, the counterpart of BankService's one transaction per call: a transfer is
checked and posted atomically, and concurrent confirmations of one key move the money once. Stored
times are naive UTC (``clock.utcnow`` unless a test hands in another clock); "today" is the bank's
day on that clock (what ``clock.local_today`` is on the real one).
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from itertools import count
from statistics import median
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, cast

from assistant.bank import book, history, holds, ledger, seed, verification
from assistant.bank.history import HistoryPage
from assistant.bank.outcomes import Outcome
from assistant.bank.protocol import CoreBanking, named_account, primary_debit, request_parties
from assistant.bank.risk import context as risk_context
from assistant.bank.risk.context import counted
from assistant.bank.risk.engine import decide
from assistant.bank.risk.rules import current_rules
from assistant.bank.risk.scam import CANONICAL
from assistant.bank.risk.store import SECURITY_EVENT_KINDS
from assistant.bank.risk.types import Assurance, RiskContext, RiskDecision
from assistant.bank.types import (
    CODE_MAX_ATTEMPTS,
    CODE_REQUIRED_FROM_CENTS,
    CODE_TTL_SECONDS,
    DAILY_TRANSFER_LIMIT_CENTS,
    SINGLE_TRANSFER_LIMIT_CENTS,
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
from assistant.base.clock import day_bounds_utc, iso_utc, to_local, utcnow
from assistant.base.masking import mask_sensitive
from assistant.base.money import format_cny


# ------------------------------------------------------------------ the records (what the SQL tables hold)
@dataclass
class _Account:
    id: int
    customer_id: str
    kind: str  # debit | credit
    name: str
    nickname: str
    number: str
    is_primary: bool = False
    status: str = "active"
    balance_cents: int = 0  # debit: money on the account; credit: amount owed
    credit_limit_cents: int = 0
    statement_cents: int = 0
    min_payment_cents: int = 0
    statement_date: Optional[date] = None
    due_date: Optional[date] = None

    def view(self) -> AccountView:
        return AccountView(
            id=self.id,
            kind=self.kind,
            name=self.name,
            nickname=self.nickname,
            last4=self.number[-4:],
            is_primary=self.is_primary,
            status=self.status,
            balance_cents=self.balance_cents,
            credit_limit_cents=self.credit_limit_cents,
        )


@dataclass
class _Payee:
    id: int
    customer_id: str
    name: str
    bank: str
    number: str
    aliases: List[str] = field(default_factory=list)
    created_at: Optional[datetime] = None  # when the customer added it (a transfer right after is riskier)

    def view(self) -> PayeeView:
        return PayeeView(id=self.id, name=self.name, bank=self.bank, last4=self.number[-4:], aliases=list(self.aliases))


@dataclass
class _Posting:
    """One posting on one account (the columns ``history.transaction_json`` reads)."""

    id: int
    account_id: int
    customer_id: str
    posted_at: datetime
    amount_cents: int
    balance_after_cents: int
    kind: str
    counterparty: str = ""
    category: str = ""
    memo: str = ""
    transfer_id: Optional[int] = None


@dataclass
class _Transfer:
    id: int
    customer_id: str
    key: str
    from_account_id: int
    to_payee_id: Optional[int]
    to_account_id: Optional[int]
    kind: str
    amount_cents: int
    fee_cents: int
    created_at: datetime


@dataclass
class _Held:
    """A movement held for review (what ``held_transfers`` holds): its amount is reserved while ``held``."""

    id: int
    request_key: str
    customer_id: str
    from_account_id: int
    to_payee_id: Optional[int]
    to_account_id: Optional[int]
    kind: str
    amount_cents: int
    reasons: List[Dict[str, str]]
    created_at: datetime
    status: str = "held"  # held | released | cancelled
    decided_at: Optional[datetime] = None
    decided_by: str = ""
    transfer_id: Optional[int] = None


@dataclass
class _Notice:
    customer_id: str
    text: str
    created_at: datetime
    delivered: bool = False


@dataclass
class _Code:
    id: int
    customer_id: str
    purpose: str
    code_hash: str
    message: str  # as sent, with the code starred out
    dev_code: Optional[str]  # only when the dev outbox may show it
    created_at: datetime
    expires_at: datetime
    attempts: int = 0
    used: bool = False


@dataclass
class _Record:
    id: int
    customer_id: str
    direction: str
    amount_cents: int
    category: str
    occurred_on: date
    note: str
    deleted: bool = False

    def entry(self) -> BookEntry:
        return BookEntry(self.id, self.direction, self.amount_cents, self.category, self.occurred_on, self.note)


def _minutes(now: datetime, at: Optional[datetime]) -> Optional[float]:
    """Minutes from ``at`` to ``now`` (never negative), None when it never happened."""
    return None if at is None else max(0.0, (now - at).total_seconds() / 60)


# A posting not yet booked: (posted_at UTC, amount_cents, kind, counterparty, category, memo).
_Entry = Tuple[datetime, int, str, str, str, str]


class InMemoryBank(CoreBanking):
    """CoreBanking in process memory: nothing is written anywhere, the state lives as long as the object."""

    def __init__(self, dev_outbox: Optional[bool] = None, now: Callable[[], datetime] = utcnow) -> None:
        """``dev_outbox``: keep sent codes readable for ``outbox`` (by default only in dev, as BankService).
        ``now``: the clock (naive UTC), replaceable so that tests can let a code expire or a day pass."""
        self.dev_outbox = dev_outbox if dev_outbox is not None else verification.dev_outbox_key() is not None
        self._code_key = secrets.token_bytes(32)  # codes live only in this object: so does their key
        self.now = now
        self._lock = threading.RLock()
        self._ids: Dict[str, Iterator[int]] = {}
        self._accounts: Dict[int, _Account] = {}
        self._payees: Dict[int, _Payee] = {}
        self._postings: List[_Posting] = []
        self._transfers: Dict[str, _Transfer] = {}  # by idempotency key (unique, as in the SQL table)
        self._codes: List[_Code] = []
        self._records: List[_Record] = []
        self._freezes: Dict[Tuple[str, str], int] = {}  # (customer, key) → the account that key froze
        # Risk control (the tables assistant.bank.risk.store and assistant.bank.holds write on the SQL ledger).
        self._holds: Dict[str, _Held] = {}  # by request key (unique, as in the SQL table)
        self._notices: List[_Notice] = []
        self._security_events: List[Tuple[str, str, datetime]] = []  # (customer, kind, at)
        self._signals: List[Tuple[str, Tuple[str, ...], datetime]] = []  # (customer, phrases, at)
        self.decisions: List[Dict[str, Any]] = []  # every decision taken at execution, as risk_decisions keeps it

    # ------------------------------------------------------------------ setting up
    @classmethod
    def with_demo_data(
        cls, today: Optional[date] = None, dev_outbox: Optional[bool] = None, now: Callable[[], datetime] = utcnow
    ) -> InMemoryBank:
        bank = cls(dev_outbox, now)
        bank.seed_demo(today)
        return bank

    def seed_demo(self, today: Optional[date] = None) -> bool:
        """What ``seed.seed_demo_data`` creates (customers demo and demo2, their accounts, payees and about four
        months of history), unless it is already there; True when it seeded."""
        with self._lock:
            if any(a.customer_id == "demo" for a in self._accounts.values()):
                return False
            today = today or self._today()
            stmt_date, due_date = seed.statement_dates(today)
            salary = self._add_account(
                "demo",
                "debit",
                "储蓄卡",
                "6222021001116688",
                nickname="工资卡",
                is_primary=True,
                balance_cents=5_238_050,
            )
            savings = self._add_account("demo", "debit", "储蓄卡", "6222021001121024", balance_cents=800_000)
            credit = self._add_account(
                "demo",
                "credit",
                "信用卡",
                "6258091002343321",
                credit_limit_cents=5_000_000,
                balance_cents=684_217 + 123_540,
                statement_cents=684_217,
                min_payment_cents=68_422,
                statement_date=stmt_date,
                due_date=due_date,
            )
            other = self._add_account(
                "demo2", "debit", "储蓄卡", "6222021009990001", is_primary=True, balance_cents=100_000
            )
            for name, bank, number, aliases in seed.DEMO_PAYEES:
                self.add_payee("demo", name, bank, number, aliases, added_at=seed._at(today - timedelta(days=400), 9))
            # The seed's own generator (same random sequence, so the same history as the SQL ledger) and its
            # clock rule (the bank's wall-clock hours, stored as UTC); it uses the accounts only to tell postings apart.
            postings = seed._demo_history(today, cast(Any, salary), cast(Any, savings), cast(Any, credit))
            opened = seed._at(today - timedelta(days=121), 8)
            for account in (salary, savings, credit, other):
                own = [
                    (p.at, p.amount_cents, p.kind, p.counterparty, p.category, p.memo)
                    for p in postings
                    if p.account is account
                ]
                self._book_history(account, own, opened)
            return True

    def open_account(
        self,
        customer_id: str,
        kind: str,
        name: str,
        number: str,
        *,
        nickname: str = "",
        is_primary: bool = False,
        balance_cents: int = 0,
        credit_limit_cents: int = 0,
        statement_cents: int = 0,
        min_payment_cents: int = 0,
        statement_date: Optional[date] = None,
        due_date: Optional[date] = None,
    ) -> AccountView:
        """A new account holding (debit) or owing (credit) ``balance_cents``, booked as its opening posting."""
        with self._lock:
            account = self._add_account(
                customer_id,
                kind,
                name,
                number,
                nickname=nickname,
                is_primary=is_primary,
                balance_cents=balance_cents,
                credit_limit_cents=credit_limit_cents,
                statement_cents=statement_cents,
                min_payment_cents=min_payment_cents,
                statement_date=statement_date,
                due_date=due_date,
            )
            self._book_history(account, [], self.now())
            return account.view()

    def add_payee(
        self,
        customer_id: str,
        name: str,
        bank: str,
        number: str,
        aliases: Iterable[str] = (),
        added_at: Optional[datetime] = None,
    ) -> PayeeView:
        """A saved payee, added ``added_at`` (default now: as a payee the customer just added)."""
        with self._lock:
            if any(p.customer_id == customer_id and p.name == name for p in self._payees.values()):
                raise ValueError(f"payee {name!r} of {customer_id!r} exists")
            payee = _Payee(self._next("payee"), customer_id, name, bank, number, list(aliases), added_at or self.now())
            self._payees[payee.id] = payee
            return payee.view()

    def receive(
        self, customer_id: str, account_id: int, amount_cents: int, counterparty: str = "", kind: str = "transfer_in"
    ) -> AccountView:
        """Money arriving from outside the assistant (a salary, a transfer in): for setting up tests."""
        with self._lock:
            account = self._own_account(customer_id, account_id)
            self._post(account, amount_cents, kind, counterparty)
            return account.view()

    # ------------------------------------------------------------------ accounts and payees
    def accounts(self, customer_id: str) -> List[AccountView]:
        with self._lock:
            return [a.view() for a in self._accounts.values() if a.customer_id == customer_id]

    def find_account(
        self, customer_id: str, last4: Optional[str] = None, kind: Optional[str] = None, nickname: Optional[str] = None
    ) -> Optional[AccountView]:
        return named_account(self.accounts(customer_id), last4, kind, nickname)

    def primary_account(self, customer_id: str) -> Optional[AccountView]:
        return primary_debit(self.accounts(customer_id))

    def payees(self, customer_id: str) -> List[PayeeView]:
        with self._lock:
            return [p.view() for p in self._payees.values() if p.customer_id == customer_id]

    def resolve_payee(self, customer_id: str, said: str) -> Optional[PayeeView]:
        said = said.strip()
        candidates = [said, said[1:]] if said.startswith("我") and len(said) > 1 else [said]
        with self._lock:
            own = [p for p in self._payees.values() if p.customer_id == customer_id]
            for name in candidates:
                found = next((p for p in own if p.name == name), None) or next(
                    (p for p in own if name in p.aliases), None
                )
                if found is not None:
                    return found.view()
        return None

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
        with self._lock:
            q = self._quote(customer_id, from_account_id, amount_cents, payee_id, to_account_id, kind)
            decision = decide(self._risk_context(customer_id, q, kind, assurance or Assurance()))
            if decision.action == "block":
                raise BankError("risk_blocked", decision.customer_text(), ledger.refusal_detail(decision, False, False))
            return replace(q, risk=decision, needs_code=q.needs_code or decision.needs_code)

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
        with self._lock:
            source, target, found = request_parties(
                self.accounts(customer_id),
                from_last4,
                to_last4,
                payee,
                lambda said: self.resolve_payee(customer_id, said),
            )
            return self.quote_transfer(
                customer_id,
                source.id,
                amount_cents,
                found.id if found else None,
                target.id if target else None,
                kind,
                assurance,
            )

    def send_code(self, customer_id: str, purpose: str, what: str) -> None:
        with self._lock:
            for old in self._codes:
                if old.customer_id == customer_id and old.purpose == purpose and not old.used:
                    old.attempts = CODE_MAX_ATTEMPTS  # retired
            code = f"{secrets.randbelow(10**verification.CODE_DIGITS):0{verification.CODE_DIGITS}d}"
            now = self.now()
            self._codes.append(
                _Code(
                    id=self._next("code"),
                    customer_id=customer_id,
                    purpose=purpose,
                    code_hash=verification.hash_code(self._code_key, customer_id, purpose, code),
                    message=verification.sms_text(what, verification.CODE_MASK),
                    dev_code=code if self.dev_outbox else None,
                    created_at=now,
                    expires_at=now + timedelta(seconds=CODE_TTL_SECONDS),
                )
            )

    def has_pending_code(self, customer_id: str, purpose: str) -> bool:
        with self._lock:
            row = self._latest_code(customer_id, purpose)
            return (
                row is not None and not row.used and row.attempts < CODE_MAX_ATTEMPTS and self.now() <= row.expires_at
            )

    def check_code(self, customer_id: str, purpose: str, entered: str) -> CodeCheck:
        with self._lock:
            row = self._latest_code(customer_id, purpose)
            if row is None:
                return CodeCheck(False, "unknown")
            if row.used:
                return CodeCheck(True)
            if row.attempts >= CODE_MAX_ATTEMPTS:
                return CodeCheck(False, "locked")
            if self.now() > row.expires_at:
                return CodeCheck(False, "expired", CODE_MAX_ATTEMPTS - row.attempts)
            if verification.code_matches(self._code_key, row.code_hash, customer_id, purpose, (entered or "").strip()):
                row.used = True
                return CodeCheck(True)
            row.attempts += 1
            left = CODE_MAX_ATTEMPTS - row.attempts
            return CodeCheck(False, "locked" if left <= 0 else "wrong", left)

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
        if not key or len(key) > 128:
            raise BankError("invalid_key", "请求编号无效")
        with self._lock:
            previous = self._replay(customer_id, key)
            if previous is not None:
                return previous
            q = self._quote(customer_id, from_account_id, amount_cents, payee_id, to_account_id, kind)
            effective = ledger.stepped_up(assurance or Assurance(), self._code_verified(customer_id, f"{kind}:{key}"))
            started = time.perf_counter_ns()
            ctx = self._risk_context(customer_id, q, kind, effective)
            decision = decide(ctx)
            self._record_decision(ctx, decision, key, (time.perf_counter_ns() - started) // 1000)
            ledger.gate(decision, q.needs_code, effective)
            if decision.action == "hold":
                return self._hold(customer_id, key, q, kind, decision)
            source = self._own_account(customer_id, from_account_id)
            target = self._own_account(customer_id, to_account_id) if to_account_id is not None else None
            payee = self._own_payee(customer_id, payee_id) if payee_id is not None else None
            return self._move(customer_id, key, source, amount_cents, kind, payee, target, q.fee_cents)

    def outbox(self, customer_id: str, limit: int = 20) -> List[Dict[str, object]]:
        with self._lock:
            sent = [c for c in reversed(self._codes) if c.customer_id == customer_id][: max(0, limit)]
            return [
                {
                    "id": c.id,
                    "code": c.dev_code,
                    "purpose": c.purpose,
                    "message": c.message.replace(verification.CODE_MASK, c.dev_code, 1) if c.dev_code else c.message,
                    "sent_at": iso_utc(c.created_at),
                    "expires_at": iso_utc(c.expires_at),
                }
                for c in sent
            ]

    # ------------------------------------------------------------------ risk: signals, holds, notices
    def record_security_event(self, customer_id: str, kind: str) -> None:
        if kind not in SECURITY_EVENT_KINDS:
            raise BankError("invalid_event", f"未知的安全事件：{kind}")
        with self._lock:
            self._security_events.append((customer_id, kind, self.now()))

    def record_conversation_signal(self, customer_id: str, phrases: Sequence[str]) -> None:
        found = tuple(p for p in dict.fromkeys(phrases) if p in CANONICAL)  # canonical phrases only, as stored
        if found:
            with self._lock:
                self._signals.append((customer_id, found, self.now()))

    def held_transfers(self, status: str = "held") -> List[HeldView]:
        if status not in holds.STATUSES:
            raise BankError("invalid_status", "状态只能是 held、released 或 cancelled")
        with self._lock:
            found = sorted((h for h in self._holds.values() if h.status == status), key=lambda h: h.id)
            return [self._held_view(h) for h in found]

    def release_held(self, held_id: int, by: str) -> Receipt:
        with self._lock:
            row = self._held(held_id)
            if row.status != "held":
                if row.status == "released":  # decided before: its receipt again, nothing moves now
                    done = self._replay(row.customer_id, row.request_key)
                    assert done is not None
                    return done
                raise self._decided_already(row)
            # Checked before anything changes: a refusal leaves the hold held (the SQL ledger rolls back).
            source = self._own_account(row.customer_id, row.from_account_id)
            if source.status != "active":
                raise BankError("account_frozen", f"{source.view().label}已冻结，无法转出")
            available = self._available_cents(source) + row.amount_cents  # this hold's own reservation is free
            if available < row.amount_cents:
                raise BankError("insufficient_funds", f"{source.view().label}余额不足（可用{format_cny(available)}）")
            payee = self._own_payee(row.customer_id, row.to_payee_id) if row.to_payee_id else None
            target = self._own_account(row.customer_id, row.to_account_id) if row.to_account_id else None
            if row.kind == "repayment" and target is not None and row.amount_cents > target.balance_cents:
                raise BankError("over_repayment", f"还款金额超过当前欠款{format_cny(target.balance_cents)}")
            row.status, row.decided_at, row.decided_by = "released", self.now(), by
            receipt = self._move(row.customer_id, row.request_key, source, row.amount_cents, row.kind, payee, target)
            row.transfer_id = receipt.transfer_id
            self._notify(row, holds.RELEASED_NOTICE)
            return replace(receipt, held_id=row.id)

    def cancel_held(self, held_id: int, by: str) -> HeldView:
        with self._lock:
            row = self._held(held_id)
            if row.status == "held":
                row.status, row.decided_at, row.decided_by = "cancelled", self.now(), by
                self._notify(row, holds.CANCELLED_NOTICE)
            elif row.status != "cancelled":
                raise self._decided_already(row)
            return self._held_view(row)

    def notices(self, customer_id: str) -> List[str]:
        with self._lock:
            waiting = [n for n in self._notices if n.customer_id == customer_id and not n.delivered]
            for notice in waiting:
                notice.delivered = True
            return [n.text for n in waiting]

    # ------------------------------------------------------------------ cards
    def credit_bill(self, customer_id: str, account_id: int) -> CreditBill:
        with self._lock:
            card = self._own_account(customer_id, account_id)
            if card.kind != "credit":
                raise BankError("not_credit", "这不是信用卡")
            return CreditBill(
                account=card.view(),
                statement_cents=card.statement_cents,
                min_payment_cents=card.min_payment_cents,
                statement_date=card.statement_date,
                due_date=card.due_date,
                owed_cents=card.balance_cents,
            )

    def freeze_card(self, customer_id: str, account_id: int, key: str) -> AccountView:
        with self._lock:
            card = self._own_account(customer_id, account_id)
            if not self._code_verified(customer_id, f"freeze:{key}"):
                raise BankError("code_required", "需要先完成短信验证")
            if card.status != "frozen":
                card.status = "frozen"
                self._freezes.setdefault((customer_id, key), card.id)
            return card.view()

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
        size = max(1, min(size, history.MAX_PAGE_SIZE))
        page = max(1, page)
        like = keyword.replace("%", "").replace("_", "") if keyword else None
        with self._lock:
            rows = [
                p
                for p in self._postings_between(customer_id, start, end)
                if p.kind != "opening"
                and (account_id is None or p.account_id == account_id)
                and (not counterparty or p.counterparty == counterparty)
                and (not kinds or p.kind in kinds)
                and (not category or p.category == category)
                and (like is None or like in p.counterparty or like in p.memo)
            ]
            rows.sort(key=lambda p: (p.posted_at, p.id), reverse=True)
            last4 = {a.id: a.number[-4:] for a in self._accounts.values() if a.customer_id == customer_id}
            shown = rows[(page - 1) * size : page * size]
            return HistoryPage(
                # transaction_json reads the posting's columns only: a _Posting has the same ones.
                items=[history.transaction_json(cast(Any, p), last4.get(p.account_id, "")) for p in shown],
                total=len(rows),
                page=page,
                size=size,
                spent_cents=-sum(p.amount_cents for p in rows if p.amount_cents < 0),
                received_cents=sum(p.amount_cents for p in rows if p.amount_cents > 0),
            )

    def spending_by_category(self, customer_id: str, start: date, end: date) -> Dict[str, int]:
        totals: Dict[str, int] = {}
        with self._lock:
            for p in self._postings_between(customer_id, start, end):
                if p.amount_cents < 0 and p.kind in history.SPENDING_KINDS and p.category not in ("", "其他"):
                    totals[p.category] = totals.get(p.category, 0) - p.amount_cents
        return totals

    def book_add(
        self, customer_id: str, direction: str, amount_cents: int, category: str, occurred_on: date, note: str = ""
    ) -> BookEntry:
        if direction not in ("expense", "income"):
            raise BankError("invalid_direction", "只能记录支出或收入")
        book._check(amount_cents)
        with self._lock:
            record = _Record(
                self._next("record"),
                customer_id,
                direction,
                amount_cents,
                category,
                occurred_on,
                mask_sensitive(note)[:128],
            )
            self._records.append(record)
            return record.entry()

    def book_edit_last(
        self,
        customer_id: str,
        amount_cents: Optional[int] = None,
        category: Optional[str] = None,
        record_id: Optional[int] = None,
    ) -> BookEntry:
        with self._lock:
            record = self._last_record(customer_id, record_id)
            if record is None:
                raise BankError("no_record", "还没有可以修改的记账记录")
            if amount_cents is not None:
                book._check(amount_cents)
                record.amount_cents = amount_cents
            if category:
                record.category = category
            return record.entry()

    def book_delete_last(self, customer_id: str, record_id: Optional[int] = None) -> BookEntry:
        with self._lock:
            record = self._last_record(customer_id, record_id)
            if record is None:
                raise BankError("no_record", "还没有可以删除的记账记录")
            record.deleted = True
            return record.entry()

    def book_records(
        self,
        customer_id: str,
        start: Optional[date] = None,
        end: Optional[date] = None,
        category: Optional[str] = None,
        direction: Optional[str] = None,
    ) -> List[BookEntry]:
        with self._lock:
            found = [
                r
                for r in self._records
                if r.customer_id == customer_id
                and not r.deleted
                and (not start or r.occurred_on >= start)
                and (not end or r.occurred_on <= end)
                and (not category or r.category == category)
                and (not direction or r.direction == direction)
            ]
        return [r.entry() for r in sorted(found, key=lambda r: (r.occurred_on, r.id), reverse=True)]

    # ------------------------------------------------------------------ outcomes of executed requests
    def outcome(self, customer_id: str, key: str, freeze: bool = True) -> Optional[Outcome]:
        with self._lock:
            try:
                receipt = self._replay(customer_id, key)
                if receipt is not None:
                    return Outcome(receipt.kind, receipt=receipt)
                frozen = self._freezes.get((customer_id, key)) if freeze else None
                return Outcome("freeze", card=self._own_account(customer_id, frozen).view()) if frozen else None
            except BankError:
                return None

    def latest_outcome(self, customer_id: str) -> Optional[Outcome]:
        with self._lock:
            last = max(
                (t for t in self._transfers.values() if t.customer_id == customer_id), key=lambda t: t.id, default=None
            )
            return self.outcome(customer_id, last.key) if last is not None else None

    # ------------------------------------------------------------------ the ledger's rules (as assistant.bank.ledger)
    def _quote(
        self,
        customer_id: str,
        from_account_id: int,
        amount_cents: int,
        payee_id: Optional[int],
        to_account_id: Optional[int],
        kind: str,
    ) -> TransferQuote:
        ledger._check_amount(amount_cents)
        if (payee_id is None) == (to_account_id is None):
            raise BankError("invalid_recipient", "请指定一个收款人或本人账户")
        source = self._own_account(customer_id, from_account_id)
        if source.kind != "debit":
            raise BankError("invalid_source", "只能从储蓄卡转出")
        if source.status != "active":
            raise BankError("account_frozen", f"{source.view().label}已冻结，无法转出")
        fee = 0  # mobile transfers are free of charge
        payee: Optional[_Payee] = None
        target: Optional[_Account] = None
        first_time = False
        if payee_id is not None:
            payee = self._own_payee(customer_id, payee_id)
            if amount_cents > SINGLE_TRANSFER_LIMIT_CENTS:
                raise BankError("single_limit", f"超过单笔转账限额{format_cny(SINGLE_TRANSFER_LIMIT_CENTS)}")
            sent = self._sent_today_cents(customer_id)
            if sent + amount_cents > DAILY_TRANSFER_LIMIT_CENTS:
                left = max(0, DAILY_TRANSFER_LIMIT_CENTS - sent)
                raise BankError(
                    "daily_limit",
                    f"超过每日转账限额{format_cny(DAILY_TRANSFER_LIMIT_CENTS)}（今日还可转{format_cny(left)}）",
                )
            first_time = self._is_first_transfer(customer_id, payee)
        else:
            target = self._own_account(customer_id, cast(int, to_account_id))
            if target.id == source.id:
                raise BankError("same_account", "转出和转入账户不能相同")
            if kind == "repayment":
                if target.kind != "credit":
                    raise BankError("invalid_target", "只能向信用卡还款")
                if amount_cents > target.balance_cents:
                    raise BankError("over_repayment", f"还款金额超过当前欠款{format_cny(target.balance_cents)}")
        available = self._available_cents(source)
        if available < amount_cents + fee:
            raise BankError("insufficient_funds", f"{source.view().label}余额不足（可用{format_cny(available)}）")
        large = amount_cents >= CODE_REQUIRED_FROM_CENTS
        needs_code = (payee is not None and (large or first_time)) or (kind == "repayment" and large)
        return TransferQuote(
            from_account=source.view(),
            amount_cents=amount_cents,
            fee_cents=fee,
            payee=payee.view() if payee else None,
            to_account=target.view() if target else None,
            needs_code=needs_code,
            first_time=first_time,
        )

    def _replay(self, customer_id: str, key: str) -> Optional[Receipt]:
        done = self._transfers.get(key)
        held = self._holds.get(key)
        if done is None and held is None:
            return None
        owner = done.customer_id if done is not None else cast(_Held, held).customer_id
        if owner != customer_id:
            raise BankError("key_conflict", "请求编号冲突，请重新发起")
        if done is None:
            return self._held_receipt(cast(_Held, held), replayed=True)
        return Receipt(
            transfer_id=done.id,
            kind=done.kind,
            amount_cents=done.amount_cents,
            fee_cents=done.fee_cents,
            from_account=self._own_account(customer_id, done.from_account_id).view(),
            recipient_label=self._label(customer_id, done.to_payee_id, done.to_account_id),
            created_at=done.created_at,
            replayed=True,
            held_id=held.id if held is not None else None,
        )

    def _label(self, customer_id: str, to_payee_id: Optional[int], to_account_id: Optional[int]) -> str:
        if to_payee_id:
            return self._own_payee(customer_id, to_payee_id).view().label
        return f"本人{self._own_account(customer_id, cast(int, to_account_id)).view().label}"

    def _move(
        self,
        customer_id: str,
        key: str,
        source: _Account,
        amount_cents: int,
        kind: str,
        payee: Optional[_Payee] = None,
        target: Optional[_Account] = None,
        fee_cents: int = 0,
    ) -> Receipt:
        """Move the money (as ``ledger.move``): the transfer claiming ``key`` and its postings."""
        record = _Transfer(
            id=self._next("transfer"),
            customer_id=customer_id,
            key=key,
            from_account_id=source.id,
            to_payee_id=payee.id if payee is not None else None,
            to_account_id=target.id if target is not None else None,
            kind=kind,
            amount_cents=amount_cents,
            fee_cents=fee_cents,
            created_at=self.now(),
        )
        self._transfers[key] = record
        category = "人情" if payee is not None else "其他"
        out_kind = "repayment" if kind == "repayment" else "transfer_out"
        if payee is not None:
            label = payee.view().label
            self._post(source, -amount_cents, out_kind, payee.name, category, "转账", record.id, record.created_at)
        else:
            assert target is not None
            memo = "信用卡还款" if kind == "repayment" else "本人账户互转"
            label = f"本人{target.view().label}"
            self._post(source, -amount_cents, out_kind, label, category, memo, record.id, record.created_at)
            in_kind = "repayment" if kind == "repayment" else "transfer_in"
            from_self = f"本人{source.view().label}"
            self._post(target, amount_cents, in_kind, from_self, category, memo, record.id, record.created_at)
        return Receipt(
            transfer_id=record.id,
            kind=kind,
            amount_cents=amount_cents,
            fee_cents=fee_cents,
            from_account=source.view(),
            recipient_label=label,
            created_at=record.created_at,
        )

    # ------------------------------------------------------------------ risk (as ledger, holds and risk.store)
    def _available_cents(self, account: _Account) -> int:
        """The balance less what held movements reserve on the account (``ledger.available_cents``)."""
        held = sum(
            h.amount_cents for h in self._holds.values() if h.from_account_id == account.id and h.status == "held"
        )
        return account.balance_cents - held

    def _hold(self, customer_id: str, key: str, q: TransferQuote, kind: str, decision: RiskDecision) -> Receipt:
        row = _Held(
            id=self._next("held"),
            request_key=key,
            customer_id=customer_id,
            from_account_id=q.from_account.id,
            to_payee_id=q.payee.id if q.payee else None,
            to_account_id=q.to_account.id if q.to_account else None,
            kind=kind,
            amount_cents=q.amount_cents,
            reasons=[r.to_json() for r in decision.reasons],
            created_at=self.now(),
        )
        self._holds[key] = row
        return self._held_receipt(row)

    def _held_receipt(self, row: _Held, replayed: bool = False) -> Receipt:
        return Receipt(
            transfer_id=0,
            kind=row.kind,
            amount_cents=row.amount_cents,
            fee_cents=0,
            from_account=self._own_account(row.customer_id, row.from_account_id).view(),
            recipient_label=self._label(row.customer_id, row.to_payee_id, row.to_account_id),
            created_at=row.created_at,
            replayed=replayed,
            status="held" if row.status == "held" else "cancelled",
            held_id=row.id,
            reasons=ledger.reason_texts(row.reasons),
        )

    def _held(self, held_id: int) -> _Held:
        found = next((h for h in self._holds.values() if h.id == held_id), None)
        if found is None:
            raise BankError("held_not_found", "没有找到该笔待复核的转账")
        return found

    def _held_view(self, row: _Held) -> HeldView:
        return HeldView(
            id=row.id,
            customer_id=row.customer_id,
            kind=row.kind,
            amount_cents=row.amount_cents,
            recipient_label=self._label(row.customer_id, row.to_payee_id, row.to_account_id),
            from_account=self._own_account(row.customer_id, row.from_account_id).view().label,
            reasons=[dict(r) for r in row.reasons],
            created_at=row.created_at,
            status=row.status,
            decided_by=row.decided_by,
            decided_at=row.decided_at,
            transfer_id=row.transfer_id,
        )

    @staticmethod
    def _decided_already(row: _Held) -> BankError:
        word = holds.OUTCOME_WORDS.get(row.status, row.status)
        return BankError(
            "held_already_decided",
            f"该笔转账{word}（{row.decided_by or '未知'}处理），不能再次处理",
            {"status": row.status, "decided_by": row.decided_by},
        )

    def _notify(self, row: _Held, outcome: str) -> None:
        """The customer's notice of a hold's outcome, in the words ``holds`` uses."""
        self._notices.append(
            _Notice(row.customer_id, holds.notice_text(row.created_at, row.amount_cents, outcome), self.now())
        )

    def _risk_context(self, customer_id: str, q: TransferQuote, kind: str, assurance: Assurance) -> RiskContext:
        """``risk.context.build_context`` on this bank's records, field by field (the quote has checked that
        the account and the payee are the customer's)."""
        now = self.now()
        payee = self._own_payee(customer_id, q.payee.id) if q.payee is not None else None
        last_paid: Optional[datetime] = None
        recipient = ""
        if payee is not None:
            paid = [
                t.created_at
                for t in self._transfers.values()
                if t.customer_id == customer_id and t.to_payee_id == payee.id and t.created_at <= now
            ] + [
                p.posted_at
                for p in self._postings
                if p.customer_id == customer_id
                and p.kind == "transfer_out"
                and p.counterparty == payee.name
                and p.posted_at <= now
            ]
            last_paid = max(paid, default=None)
            recipient = f"{risk_context.mask_name(payee.name)}（{payee.bank} 尾号{payee.number[-4:]}）"
        elif q.to_account is not None:
            recipient = f"本人{q.to_account.name}尾号{q.to_account.last4}"
        since = now - timedelta(days=risk_context.HISTORY_DAYS)
        outgoing = [
            (p.posted_at, -p.amount_cents)
            for p in self._postings
            if p.customer_id == customer_id
            and p.kind == "transfer_out"
            and since <= p.posted_at <= now
            and p.amount_cents < 0
            and not p.counterparty.startswith(risk_context.OWN_ACCOUNT_PREFIX)
        ]
        held = [
            (h.created_at, h.amount_cents)
            for h in self._holds.values()
            if h.customer_id == customer_id
            and h.status == "held"
            and h.to_payee_id is not None
            and now - timedelta(days=1) <= h.created_at <= now
        ]
        hour = [c for at, c in outgoing + held if at >= now - timedelta(hours=1)]
        day = [c for at, c in outgoing + held if at >= now - timedelta(days=1)]
        start, end = day_bounds_utc(to_local(now).date())
        sent_today = sum(
            t.amount_cents
            for t in self._transfers.values()
            if t.customer_id == customer_id and t.to_payee_id is not None and start <= t.created_at < end
        ) + sum(c for at, c in held if start <= at < end)
        security: Dict[str, datetime] = {}
        for who, event, at in self._security_events:
            if who == customer_id and at <= now and (event not in security or at > security[event]):
                security[event] = at
        within = now - timedelta(hours=current_rules().signals.scam_words.within_hours)
        phrases = [p for who, found, at in self._signals if who == customer_id and within <= at <= now for p in found]
        source = self._own_account(customer_id, q.from_account.id)
        return RiskContext(
            customer_id=customer_id,
            kind=kind,
            amount_cents=q.amount_cents,
            to_payee=payee is not None,
            payee_new=payee is not None and last_paid is None,
            days_since_last_paid=(now - last_paid).days if last_paid is not None else None,
            payee_added_minutes_ago=_minutes(now, payee.created_at) if payee is not None else None,
            usual_amount_cents=int(median(c for _, c in outgoing)) if outgoing else None,
            transfers_90d=len(outgoing),
            count_last_hour=counted(hour, current_rules()),
            sum_last_hour_cents=sum(hour),
            count_last_day=counted(day, current_rules()),
            sum_last_day_cents=sum(day),
            local_hour=to_local(now).hour,
            minutes_since_password_reset=_minutes(now, security.get("password_reset")),
            minutes_since_new_device=_minutes(now, security.get("new_device")),
            balance_cents=source.balance_cents,
            scam_phrases=tuple(dict.fromkeys(phrases)),
            assurance=assurance,
            sent_today_cents=sent_today,
            recipient=recipient[:64],
        )

    def _record_decision(self, ctx: RiskContext, decision: RiskDecision, key: str, latency_us: int) -> None:
        self.decisions.append(
            {
                "customer_id": ctx.customer_id,
                "request_key": key,
                "kind": ctx.kind,
                "amount_cents": ctx.amount_cents,
                "action": decision.action,
                "reasons": [r.to_json() for r in decision.reasons],
                "rules_version": decision.rules_version,
                "latency_us": latency_us,
                "at": self.now(),
            }
        )

    def _sent_today_cents(self, customer_id: str) -> int:
        """Money sent to other people today (own-account moves and repayments do not count), with the
        transfers held for review today (``ledger.sent_today_cents``)."""
        start, end = day_bounds_utc(self._today())
        sent = sum(
            t.amount_cents
            for t in self._transfers.values()
            if t.customer_id == customer_id and t.to_payee_id is not None and start <= t.created_at < end
        )
        held = sum(
            h.amount_cents
            for h in self._holds.values()
            if h.customer_id == customer_id
            and h.status == "held"
            and h.to_payee_id is not None
            and start <= h.created_at < end
        )
        return sent + held

    def _is_first_transfer(self, customer_id: str, payee: _Payee) -> bool:
        by_bot = any(t.customer_id == customer_id and t.to_payee_id == payee.id for t in self._transfers.values())
        in_history = any(
            p.customer_id == customer_id and p.kind == "transfer_out" and p.counterparty == payee.name
            for p in self._postings
        )
        return not by_bot and not in_history

    def _code_verified(self, customer_id: str, purpose: str) -> bool:
        return any(c.customer_id == customer_id and c.purpose == purpose and c.used for c in self._codes)

    def _latest_code(self, customer_id: str, purpose: str) -> Optional[_Code]:
        return next((c for c in reversed(self._codes) if c.customer_id == customer_id and c.purpose == purpose), None)

    def _last_record(self, customer_id: str, record_id: Optional[int]) -> Optional[_Record]:
        return next(
            (
                r
                for r in reversed(self._records)
                if r.customer_id == customer_id and not r.deleted and (record_id is None or r.id == record_id)
            ),
            None,
        )

    # ------------------------------------------------------------------ storage
    def _today(self) -> date:
        """``clock.local_today()`` on this bank's clock: the bank's day, what "今天" means to a customer."""
        return to_local(self.now()).date()

    def _next(self, table: str) -> int:
        return next(self._ids.setdefault(table, count(1)))

    def _own_account(self, customer_id: str, account_id: int) -> _Account:
        """The customer's account, or a refusal: other customers' accounts do not exist for them."""
        account = self._accounts.get(account_id)
        if account is None or account.customer_id != customer_id:
            raise BankError("account_not_found", "没有找到该账户")
        return account

    def _own_payee(self, customer_id: str, payee_id: int) -> _Payee:
        payee = self._payees.get(payee_id)
        if payee is None or payee.customer_id != customer_id:
            raise BankError("payee_not_found", "没有找到该收款人")
        return payee

    def _add_account(self, customer_id: str, kind: str, name: str, number: str, **fields: Any) -> _Account:
        if kind not in ("debit", "credit"):
            raise ValueError(f"account kind {kind!r}")
        if any(a.number == number for a in self._accounts.values()):
            raise ValueError(f"account number …{number[-4:]} exists")
        account = _Account(self._next("account"), customer_id, kind, name, fields.pop("nickname", ""), number, **fields)
        self._accounts[account.id] = account
        return account

    def _post(
        self,
        account: _Account,
        amount_cents: int,
        kind: str,
        counterparty: str = "",
        category: str = "",
        memo: str = "",
        transfer_id: Optional[int] = None,
        at: Optional[datetime] = None,
    ) -> None:
        """Book one posting and update the account: debit accounts hold money, credit cards owe it.
        ``at`` (default now): a transfer's postings carry the transfer's own time."""
        account.balance_cents += amount_cents if account.kind == "debit" else -amount_cents
        self._postings.append(
            _Posting(
                self._next("posting"),
                account.id,
                account.customer_id,
                at or self.now(),
                amount_cents,
                account.balance_cents,
                kind,
                counterparty,
                category,
                memo,
                transfer_id,
            )
        )

    def _book_history(self, account: _Account, entries: List[_Entry], opened_at: datetime) -> None:
        """Postings that end at the account's balance, walked back from it, after an opening posting
        (as the seed writes them): the postings of an account always sum to its balance or minus what it owes."""
        sign = 1 if account.kind == "debit" else -1
        running = account.balance_cents
        after: List[int] = []
        ordered = sorted(entries, key=lambda e: e[0])
        for entry in reversed(ordered):
            after.append(running)
            running -= sign * entry[1]
        opening: _Entry = (opened_at, sign * running, "opening", "", "", "期初余额")
        for (at, cents, kind, counterparty, category, memo), balance in zip(
            [opening, *ordered], [running, *reversed(after)]
        ):
            self._postings.append(
                _Posting(
                    self._next("posting"),
                    account.id,
                    account.customer_id,
                    at,
                    cents,
                    balance,
                    kind,
                    counterparty,
                    category,
                    memo,
                )
            )

    def _postings_between(self, customer_id: str, start: Optional[date], end: Optional[date]) -> List[_Posting]:
        """The customer's postings on the bank's days ``start`` … ``end`` (inclusive; open ends allowed)."""
        since = day_bounds_utc(start)[0] if start else None
        until = day_bounds_utc(end)[1] if end else None
        return [
            p
            for p in self._postings
            if p.customer_id == customer_id
            and (since is None or p.posted_at >= since)
            and (until is None or p.posted_at < until)
        ]


__all__ = ["InMemoryBank"]
