"""What every action needs: the verified customer, the bank, entities of the latest message."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Tracker

from assistant.bank.protocol import CoreBanking
from assistant.bank.risk.types import AUTH_STRENGTHS
from assistant.bank.service import BankService
from assistant.bank.types import EARLIEST_DATE, LATEST_DATE, AccountView
from assistant.base.config import Settings
from assistant.base.money import InvalidAmount, to_cents


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.from_env()


_replacement: Optional[CoreBanking] = None


@lru_cache(maxsize=1)
def bank() -> CoreBanking:
    """The bank the actions call: BankService on the configured database, unless ``use_bank`` put another
    CoreBanking in its place. Cached; ``bank.cache_clear()`` picks up changed settings."""
    return _replacement if _replacement is not None else BankService(settings().database_url)


def use_bank(replacement: Optional[CoreBanking]) -> None:
    """Make the actions call ``replacement`` (an InMemoryBank in tests); None restores the default.
    A module-level setting, not a context variable: actions may run in another thread than the caller."""
    global _replacement
    _replacement = replacement
    bank.cache_clear()


def customer_id(tracker: Tracker) -> str:
    """The gateway sets the conversation id to the verified token's subject."""
    return tracker.sender_id


def auth_strength(tracker: Tracker) -> str:
    """How strongly the customer logged in ("password", "sms", "device_key"): the gateway puts the token's
    strength in the metadata of every message; the latest user message's counts. Anything missing or
    unknown is a password login, never stronger: the transfer limits follow this."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            value = (event.get("metadata") or {}).get("auth_strength")
            return value if isinstance(value, str) and value in AUTH_STRENGTHS else "password"
    return "password"


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def customer_words(tracker: Tracker) -> str:
    """What the customer wrote last: the latest message, or — when that was a button's payload such as
    "/ask_question" picked after a fallback — the message before it."""
    text = latest_text(tracker)
    if not text.startswith("/"):
        return text
    for event in reversed(tracker.events):
        said = (event.get("text") or "") if event.get("event") == "user" else ""
        if said and not said.startswith("/"):
            return said
    return ""


def latest_intent(tracker: Tracker) -> str:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name") or ""


def entities(tracker: Tracker, kind: str) -> List[Dict[str, Any]]:
    return [e for e in (tracker.latest_message or {}).get("entities") or [] if e.get("entity") == kind]


def last_entity(tracker: Tracker, kind: str) -> Optional[Dict[str, Any]]:
    """The last mention wins: in "不是五百是六百" the amount is 六百."""
    found = entities(tracker, kind)
    return found[-1] if found else None


def entity_text(tracker: Tracker, entity: Dict[str, Any]) -> str:
    return latest_text(tracker)[entity.get("start", 0) : entity.get("end", 0)]


def amount_cents(value: Any) -> Optional[int]:
    """An amount entity value (yuan) as exact cents; None when it is not a usable amount."""
    try:
        cents = to_cents(value)
    except InvalidAmount:
        return None
    return cents if cents > 0 else None


def time_range(tracker: Tracker) -> Optional[Tuple[date, date]]:
    found = last_entity(tracker, "time")
    if not found or not isinstance(found.get("value"), dict):
        return None
    try:
        start, end = date.fromisoformat(found["value"]["start"]), date.fromisoformat(found["value"]["end"])
    except (KeyError, TypeError, ValueError):
        return None
    # A typed payload can carry any date: keep to the years a bank's history can hold.
    return (start, end) if EARLIEST_DATE <= start <= end <= LATEST_DATE else None


def account_from_entity(customer: str, tracker: Tracker, entity: Dict[str, Any]) -> Optional[AccountView]:
    """尾号1024 → by digits; 工资卡 → by nickname; 储蓄卡/信用卡 → by kind."""
    value = entity.get("value")
    if not isinstance(value, dict):
        return None
    if value.get("last4"):
        return bank().find_account(customer, last4=str(value["last4"]))
    said = entity_text(tracker, entity)
    return bank().find_account(customer, kind=value.get("type"), nickname=said if said.endswith("卡") else None)


def is_destination(tracker: Tracker, entity: Dict[str, Any]) -> bool:
    """ "转到尾号1024" / "存到储蓄卡": the account receives, it does not pay."""
    before = latest_text(tracker)[max(0, entity.get("start", 0) - 3) : entity.get("start", 0)]
    return bool(re.search(r"(到|入|进)(我的?|本人)?$", before))


def six_digits(text: str) -> Optional[str]:
    found = re.findall(r"(?<!\d)\d{4,8}(?!\d)", text)
    return found[-1] if found else None
