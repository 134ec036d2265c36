"""Every table of the application database, in one metadata so that one chain of migrations
(``migrations/``) describes it. Who writes what:

- the bank (assistant/bank): customers, accounts, payees and aliases, transactions, transfers,
  book records, verification codes, audit log;
- search (search_index/clicks.py): search clicks;
- the service desk (assistant/desk): chat turns, handoffs and their messages, the trainers' NLU inbox;
- risk control (assistant/bank/risk and the bank's money movement): risk decisions, held transfers,
  security events, conversation signals, notices to customers.

Money is always integer cents (``*_cents``), never float; times are naive UTC (``clock.utcnow``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship

from assistant.base.clock import utcnow

# Any: SQLAlchemy 1.4 (pinned by Rasa) has no types, so mypy cannot know the declarative base's class.
Base: Any = declarative_base()


class Customer(Base):
    __tablename__ = "customers"

    id = Column(String(64), primary_key=True)
    name = Column(String(64), nullable=False)
    phone = Column(String(20), nullable=False, default="")
    created_at = Column(DateTime, nullable=False, default=utcnow)

    accounts = relationship("Account", back_populates="customer", order_by="Account.id")
    payees = relationship("Payee", back_populates="customer", order_by="Payee.id")


class Account(Base):
    """A debit account (balance) or a credit card (owed amount against a limit)."""

    __tablename__ = "accounts"

    id = Column(Integer, primary_key=True)
    customer_id = Column(String(64), ForeignKey("customers.id"), nullable=False, index=True)
    kind = Column(String(16), nullable=False)  # "debit" | "credit"
    name = Column(String(32), nullable=False)  # 储蓄卡 / 信用卡
    nickname = Column(String(32), nullable=False, default="")  # 工资卡 ...
    number = Column(String(32), nullable=False, unique=True)
    is_primary = Column(Boolean, nullable=False, default=False)
    status = Column(String(16), nullable=False, default="active")  # active | frozen
    currency = Column(String(3), nullable=False, default="CNY")
    # debit: money on the account; credit: amount owed (spent and not yet repaid)
    balance_cents = Column(BigInteger, nullable=False, default=0)
    credit_limit_cents = Column(BigInteger, nullable=False, default=0)
    statement_cents = Column(BigInteger, nullable=False, default=0)
    min_payment_cents = Column(BigInteger, nullable=False, default=0)
    statement_date = Column(Date, nullable=True)
    due_date = Column(Date, nullable=True)

    customer = relationship("Customer", back_populates="accounts")

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def available_credit_cents(self) -> int:
        return self.credit_limit_cents - self.balance_cents


class Payee(Base):
    """A saved transfer recipient of one customer."""

    __tablename__ = "payees"
    __table_args__ = (UniqueConstraint("customer_id", "name"),)

    id = Column(Integer, primary_key=True)
    customer_id = Column(String(64), ForeignKey("customers.id"), nullable=False, index=True)
    name = Column(String(64), nullable=False)
    bank = Column(String(32), nullable=False)
    account_number = Column(String(32), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)

    customer = relationship("Customer", back_populates="payees")
    aliases = relationship("PayeeAlias", back_populates="payee", cascade="all, delete-orphan")

    @property
    def last4(self) -> str:
        return self.account_number[-4:]


class PayeeAlias(Base):
    __tablename__ = "payee_aliases"
    __table_args__ = (UniqueConstraint("payee_id", "alias"),)

    id = Column(Integer, primary_key=True)
    payee_id = Column(Integer, ForeignKey("payees.id"), nullable=False, index=True)
    alias = Column(String(64), nullable=False)

    payee = relationship("Payee", back_populates="aliases")


class Transaction(Base):
    """One posting on one account; negative amounts leave the account."""

    __tablename__ = "transactions"

    id = Column(Integer, primary_key=True)
    account_id = Column(Integer, ForeignKey("accounts.id"), nullable=False, index=True)
    customer_id = Column(String(64), ForeignKey("customers.id"), nullable=False, index=True)
    posted_at = Column(DateTime, nullable=False, index=True)
    amount_cents = Column(BigInteger, nullable=False)
    balance_after_cents = Column(BigInteger, nullable=False)
    kind = Column(String(24), nullable=False)  # purchase | salary | transfer_out | transfer_in | repayment | fee
    counterparty = Column(String(64), nullable=False, default="")
    category = Column(String(16), nullable=False, default="")
    memo = Column(String(128), nullable=False, default="")
    transfer_id = Column(Integer, ForeignKey("transfers.id"), nullable=True, index=True)

    account = relationship("Account")


class Transfer(Base):
    """A money movement ordered by a customer; the idempotency key makes a retry harmless."""

    __tablename__ = "transfers"

    id = Column(Integer, primary_key=True)
    customer_id = Column(String(64), ForeignKey("customers.id"), nullable=False, index=True)
    idempotency_key = Column(String(128), nullable=False, unique=True)
    from_account_id = Column(Integer, ForeignKey("accounts.id"), nullable=False)
    to_payee_id = Column(Integer, ForeignKey("payees.id"), nullable=True)
    to_account_id = Column(Integer, ForeignKey("accounts.id"), nullable=True)
    kind = Column(String(16), nullable=False, default="transfer")  # transfer | repayment
    amount_cents = Column(BigInteger, nullable=False)
    fee_cents = Column(BigInteger, nullable=False, default=0)
    status = Column(String(16), nullable=False)  # completed | rejected
    reason = Column(String(64), nullable=False, default="")
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)


class BookRecord(Base):
    """A bookkeeping entry the customer dictated ("今天午饭花了三十五")."""

    __tablename__ = "book_records"

    id = Column(Integer, primary_key=True)
    customer_id = Column(String(64), ForeignKey("customers.id"), nullable=False, index=True)
    direction = Column(String(8), nullable=False)  # expense | income
    amount_cents = Column(BigInteger, nullable=False)
    category = Column(String(16), nullable=False)
    occurred_on = Column(Date, nullable=False, index=True)
    note = Column(String(128), nullable=False, default="")
    created_at = Column(DateTime, nullable=False, default=utcnow)
    deleted = Column(Boolean, nullable=False, default=False)


class VerificationCode(Base):
    """An SMS code, never stored in clear: a salted hash to check it against, the SMS text with the
    code starred out, and in dev only the code encrypted for the outbox endpoint (assistant.bank.verification)."""

    __tablename__ = "verification_codes"

    id = Column(Integer, primary_key=True)
    customer_id = Column(String(64), ForeignKey("customers.id"), nullable=False, index=True)
    purpose = Column(String(64), nullable=False)
    code_hash = Column(String(200), nullable=False)  # hmac-sha256$<salt hex>$<digest hex>
    message = Column(Text, nullable=False, default="")  # as sent, with the code starred out
    sealed_code = Column(Text, nullable=True)  # dev only: AES-GCM, readable by the dev outbox; NULL in prod
    created_at = Column(DateTime, nullable=False, default=utcnow)
    expires_at = Column(DateTime, nullable=False)
    attempts = Column(Integer, nullable=False, default=0)
    used = Column(Boolean, nullable=False, default=False)


class AuditLog(Base):
    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, default=utcnow, index=True)
    actor = Column(String(64), nullable=False)
    action = Column(String(64), nullable=False)
    detail = Column(Text, nullable=False, default="")


# ------------------------------------------------------------------ search
class SearchClick(Base):
    """A search result the customer opened: learns popularity and personal preference."""

    __tablename__ = "search_clicks"

    id = Column(Integer, primary_key=True)
    # The token's subject; not a foreign key: anyone signed in may search, not only account holders.
    customer_id = Column(String(64), nullable=True, index=True)
    entry_id = Column(String(64), nullable=False, index=True)
    query = Column(String(100), nullable=False, default="")
    at = Column(DateTime, nullable=False, default=utcnow)


# ------------------------------------------------------------------ service desk
class ChatTurn(Base):
    """One customer message and how it was handled: the source of the admin statistics."""

    __tablename__ = "chat_turns"

    id = Column(Integer, primary_key=True)
    customer_id = Column(String(64), nullable=False, index=True)
    at = Column(DateTime, nullable=False, default=utcnow, index=True)
    text = Column(String(600), nullable=False)  # masked
    intent = Column(String(64), nullable=False, default="", index=True)
    confidence = Column(Float, nullable=False, default=0.0)
    outcome = Column(String(16), nullable=False)  # answered | fallback | handoff | agent
    handoff_id = Column(Integer, ForeignKey("handoffs.id"), nullable=True, index=True)


class Handoff(Base):
    """A conversation handed to a human agent: queued → claimed → closed | returned (to the bot)."""

    __tablename__ = "handoffs"

    id = Column(Integer, primary_key=True)
    customer_id = Column(String(64), nullable=False, index=True)
    status = Column(String(16), nullable=False, default="queued", index=True)
    reason = Column(String(32), nullable=False)  # requested | complaint | repeated_misses
    intents = Column(Text, nullable=False, default="[]")  # JSON: intents detected before the handoff
    summary = Column(Text, nullable=False, default="")
    agent_id = Column(String(64), nullable=True, index=True)
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    claimed_at = Column(DateTime, nullable=True)
    ended_at = Column(DateTime, nullable=True)

    messages = relationship("HandoffMessage", back_populates="handoff", order_by="HandoffMessage.id")


class HandoffMessage(Base):
    """A line of a handed-off conversation (masked); agent and system lines are delivered to the customer."""

    __tablename__ = "handoff_messages"

    id = Column(Integer, primary_key=True)
    handoff_id = Column(Integer, ForeignKey("handoffs.id"), nullable=False, index=True)
    customer_id = Column(String(64), nullable=False, index=True)
    sender = Column(String(16), nullable=False)  # customer | bot | agent | system
    author = Column(String(64), nullable=False, default="")  # the agent's id for agent lines
    text = Column(Text, nullable=False)
    at = Column(DateTime, nullable=False, default=utcnow)
    delivered = Column(Boolean, nullable=False, default=False)

    handoff = relationship("Handoff", back_populates="messages")


class InboxItem(Base):
    """A message the bot missed, for trainers to label or dismiss (masked)."""

    __tablename__ = "nlu_inbox"

    id = Column(Integer, primary_key=True)
    customer_id = Column(String(64), nullable=False, index=True)
    text = Column(String(600), nullable=False)
    reason = Column(String(16), nullable=False)  # fallback | corrected | handoff
    predicted_intent = Column(String(64), nullable=False, default="")
    confidence = Column(Float, nullable=False, default=0.0)
    suggested_intent = Column(String(64), nullable=False, default="")  # what the customer picked instead
    status = Column(String(16), nullable=False, default="open", index=True)  # open | labelled | dismissed
    label_intent = Column(String(64), nullable=False, default="")
    label_entities = Column(Text, nullable=False, default="[]")
    turn_id = Column(Integer, ForeignKey("chat_turns.id"), nullable=True, index=True)
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    resolved_at = Column(DateTime, nullable=True)
    resolved_by = Column(String(64), nullable=False, default="")


# ------------------------------------------------------------------ risk control
class RiskDecisionRecord(Base):
    """The audit of every risk decision on a money movement (assistant.bank.risk): what was asked,
    what was decided and why, under which rules, and how long it took."""

    __tablename__ = "risk_decisions"

    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, default=utcnow)
    customer_id = Column(String(64), nullable=False, index=True)
    request_key = Column(String(128), nullable=False, default="", index=True)
    kind = Column(String(16), nullable=False)  # transfer | repayment
    amount_cents = Column(BigInteger, nullable=False)
    recipient = Column(String(64), nullable=False, default="")  # masked label
    action = Column(String(16), nullable=False)  # allow | step_up | hold | block
    reasons = Column(Text, nullable=False, default="[]")  # JSON: [{"code", "text"}]
    rules_version = Column(String(32), nullable=False, default="")
    latency_us = Column(Integer, nullable=False, default=0)


class HeldTransfer(Base):
    """A movement held for review: the money is reserved, not sent, until the back office releases
    it (it then executes once, ``transfer_id``) or cancels it (the reservation is given back)."""

    __tablename__ = "held_transfers"

    id = Column(Integer, primary_key=True)
    request_key = Column(String(128), nullable=False, unique=True)
    customer_id = Column(String(64), nullable=False, index=True)
    from_account_id = Column(Integer, ForeignKey("accounts.id"), nullable=False)
    to_payee_id = Column(Integer, ForeignKey("payees.id"), nullable=True)
    to_account_id = Column(Integer, ForeignKey("accounts.id"), nullable=True)
    kind = Column(String(16), nullable=False, default="transfer")  # transfer | repayment
    amount_cents = Column(BigInteger, nullable=False)
    reasons = Column(Text, nullable=False, default="[]")  # JSON: [{"code", "text"}]
    status = Column(String(16), nullable=False, default="held", index=True)  # held | released | cancelled
    created_at = Column(DateTime, nullable=False, default=utcnow)
    decided_at = Column(DateTime, nullable=True)
    decided_by = Column(String(64), nullable=False, default="")
    transfer_id = Column(Integer, ForeignKey("transfers.id"), nullable=True)


class SecurityEvent(Base):
    """A change to how a customer's account is secured; a transfer soon after one is riskier."""

    __tablename__ = "security_events"

    id = Column(Integer, primary_key=True)
    customer_id = Column(String(64), nullable=False, index=True)
    kind = Column(String(24), nullable=False)  # password_reset | new_device | payee_added
    at = Column(DateTime, nullable=False, default=utcnow)


class ConversationSignal(Base):
    """Scam phrases a customer wrote in the conversation (canonical phrases only, never the text)."""

    __tablename__ = "conversation_signals"

    id = Column(Integer, primary_key=True)
    customer_id = Column(String(64), nullable=False, index=True)
    kind = Column(String(16), nullable=False, default="scam_words")
    detail = Column(String(200), nullable=False, default="")  # canonical phrases, comma-joined
    at = Column(DateTime, nullable=False, default=utcnow, index=True)


class CustomerNotice(Base):
    """A message the back office sends a customer outside a handoff (e.g. a held transfer's outcome),
    shown in the chat and marked delivered."""

    __tablename__ = "customer_notices"

    id = Column(Integer, primary_key=True)
    customer_id = Column(String(64), nullable=False, index=True)
    text = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    delivered = Column(Boolean, nullable=False, default=False)


__all__ = [
    "Base",
    "Customer",
    "Account",
    "Payee",
    "PayeeAlias",
    "Transaction",
    "Transfer",
    "BookRecord",
    "VerificationCode",
    "SearchClick",
    "AuditLog",
    "ChatTurn",
    "Handoff",
    "HandoffMessage",
    "InboxItem",
    "RiskDecisionRecord",
    "HeldTransfer",
    "SecurityEvent",
    "ConversationSignal",
    "CustomerNotice",
]
