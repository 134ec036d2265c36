"""The one clock of the application: every stored time is naive UTC, written with ``utcnow()``;
customers see and ask about times in the bank's own time zone (``BANK_TIMEZONE``, e.g.
Asia/Shanghai; the machine's zone when unset), converted here and nowhere else."""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Optional, Tuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

BANK_TIMEZONE_ENV = "BANK_TIMEZONE"


def utcnow() -> datetime:
    """Now as stored in the database: naive UTC."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def iso_utc(at: Optional[datetime]) -> Optional[str]:
    """A stored (naive UTC) time as the APIs show it: 2026-11-21T08:00:00Z."""
    return at.isoformat(timespec="seconds") + "Z" if at else None


def bank_zone() -> tzinfo:
    """The zone customers live in (read each call, so tests and operators can set it)."""
    name = os.environ.get(BANK_TIMEZONE_ENV, "").strip()
    if name:
        return ZoneInfo(name)
    machine = _machine_zone(os.environ.get("TZ", ""))
    if machine is not None:
        return machine
    local = datetime.now().astimezone().tzinfo  # the offset in force now: right for zones without DST
    return local if local is not None else timezone.utc


@lru_cache(maxsize=8)
def _machine_zone(tz: str) -> Optional[tzinfo]:
    """The machine's zone with its DST rules (TZ when it names a zone, else /etc/localtime), so that a
    summer time read in winter gets the summer offset; None when only the C library knows it."""
    if tz:
        try:
            return ZoneInfo(tz.removeprefix(":"))
        except (ZoneInfoNotFoundError, ValueError, OSError):
            return None  # a POSIX rule such as "CST-8"
    try:
        with open("/etc/localtime", "rb") as tzfile:
            return ZoneInfo.from_file(tzfile, key="localtime")
    except (OSError, ValueError):
        return None


def to_local(at: datetime) -> datetime:
    """A stored naive-UTC time as naive wall-clock time in the bank's zone (for display and dates)."""
    return at.replace(tzinfo=timezone.utc).astimezone(bank_zone()).replace(tzinfo=None)


def local_iso(at: datetime) -> str:
    """A stored time as the customer's wall clock in ISO form (2026-11-21T23:30:00), for their APIs."""
    return to_local(at).isoformat(timespec="seconds")


def to_utc(local: datetime) -> datetime:
    """A naive wall-clock time in the bank's zone as stored naive UTC."""
    return local.replace(tzinfo=bank_zone()).astimezone(timezone.utc).replace(tzinfo=None)


def local_now() -> datetime:
    """Now on the bank's wall clock (naive)."""
    return to_local(utcnow())


def local_today() -> date:
    """Today in the bank's zone: what "今天" means to a customer."""
    return local_now().date()


def day_bounds_utc(first: date, last: Optional[date] = None) -> Tuple[datetime, datetime]:
    """[start, end) in stored UTC of the local days ``first`` … ``last`` (inclusive)."""
    start = to_utc(datetime.combine(first, time.min))
    end = to_utc(datetime.combine((last or first) + timedelta(days=1), time.min))
    return start, end
