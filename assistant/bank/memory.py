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
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import count
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, cast

from assistant.bank import book, history, ledger, seed, verification
from assistant.bank.history import HistoryPage
from assistant.bank.outcomes import Outcome
from assistant.bank.protocol import CoreBanking, named_account, primary_debit
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


# A posting not yet booked: (posted_at UTC, amount_cents, kind, counterparty, category, memo).
_Entry = Tuple[datetime, int, str, str, str, str]


class InMemoryBank(CoreBanking):
    """CoreBanking in process memory: nothing is written anywhere, the state lives as long as the object."""

    def __init__(self, dev_outbox: Optional[bool] = None, now: Callable[[], datetime] = utcnow) -> None:
        """``dev_outbox``: keep sent codes readable for ``outbox`` (by default only in dev, as BankService).
        ``now``: the clock (naive UTC), replaceable so that tests can let a code expire or a day pass."""
        self.dev_outbox = dev_outbox if dev_outbox is not None else verification.dev_outbox_key() is not None
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
                self.add_payee("demo", name, bank, number, aliases)
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

    def add_payee(self, customer_id: str, name: str, bank: str, number: str, aliases: Iterable[str] = ()) -> PayeeView:
        with self._lock:
            if any(p.customer_id == customer_id and p.name == name for p in self._payees.values()):
                raise ValueError(f"payee {name!r} of {customer_id!r} exists")
            payee = _Payee(self._next("payee"), customer_id, name, bank, number, list(aliases))
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
    ) -> TransferQuote:
        with self._lock:
            return self._quote(customer_id, from_account_id, amount_cents, payee_id, to_account_id, kind)

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
                    code_hash=verification.hash_code(customer_id, purpose, code),
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
            if verification.code_matches(row.code_hash, customer_id, purpose, (entered or "").strip()):
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
    ) -> Receipt:
        if not key or len(key) > 128:
            raise BankError("invalid_key", "请求编号无效")
        with self._lock:
            previous = self._replay(customer_id, key)
            if previous is not None:
                return previous
            q = self._quote(customer_id, from_account_id, amount_cents, payee_id, to_account_id, kind)
            if q.needs_code and not self._code_verified(customer_id, f"{kind}:{key}"):
                raise BankError("code_required", "需要先完成短信验证")
            source = self._own_account(customer_id, from_account_id)
            record = _Transfer(
                id=self._next("transfer"),
                customer_id=customer_id,
                key=key,
                from_account_id=source.id,
                to_payee_id=payee_id,
                to_account_id=to_account_id,
                kind=kind,
                amount_cents=amount_cents,
                fee_cents=q.fee_cents,
                created_at=self.now(),
            )
            self._transfers[key] = record
            category = "人情" if payee_id else "其他"
            out_kind = "repayment" if kind == "repayment" else "transfer_out"
            if q.payee is not None:
                self._post(
                    source, -amount_cents, out_kind, q.payee.name, category, "转账", record.id, record.created_at
                )
            else:
                target = self._own_account(customer_id, cast(int, to_account_id))
                memo = "信用卡还款" if kind == "repayment" else "本人账户互转"
                to_self = f"本人{target.view().label}"
                self._post(source, -amount_cents, out_kind, to_self, category, memo, record.id, record.created_at)
                in_kind = "repayment" if kind == "repayment" else "transfer_in"
                from_self = f"本人{source.view().label}"
                self._post(target, amount_cents, in_kind, from_self, category, memo, record.id, record.created_at)
            return Receipt(
                transfer_id=record.id,
                kind=kind,
                amount_cents=amount_cents,
                fee_cents=q.fee_cents,
                from_account=source.view(),
                recipient_label=q.recipient_label,
                created_at=record.created_at,
            )

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
        if source.balance_cents < amount_cents + fee:
            raise BankError(
                "insufficient_funds", f"{source.view().label}余额不足（可用{format_cny(source.balance_cents)}）"
            )
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
        if done is None:
            return None
        if done.customer_id != customer_id:
            raise BankError("key_conflict", "请求编号冲突，请重新发起")
        source = self._own_account(customer_id, done.from_account_id)
        label = (
            self._own_payee(customer_id, done.to_payee_id).view().label
            if done.to_payee_id
            else f"本人{self._own_account(customer_id, cast(int, done.to_account_id)).view().label}"
        )
        return Receipt(
            transfer_id=done.id,
            kind=done.kind,
            amount_cents=done.amount_cents,
            fee_cents=done.fee_cents,
            from_account=source.view(),
            recipient_label=label,
            created_at=done.created_at,
            replayed=True,
        )

    def _sent_today_cents(self, customer_id: str) -> int:
        """Money sent to other people today (own-account moves and repayments do not count)."""
        start, end = day_bounds_utc(self._today())
        return sum(
            t.amount_cents
            for t in self._transfers.values()
            if t.customer_id == customer_id and t.to_payee_id is not None and start <= t.created_at < end
        )

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
