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
LEGACY_WALLCLOCK_TZ_ENV = "LEGACY_WALLCLOCK_TZ"


def utcnow() -> datetime:
    """Now as stored in the database: naive UTC."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def iso_utc(at: Optional[datetime]) -> Optional[str]:
    """A stored (naive UTC) time as the APIs show it: 2026-11-21T08:00:00Z."""
    return at.isoformat(timespec="seconds") + "Z" if at else None


def bank_zone() -> tzinfo:
    """The zone customers live in (read each call, so tests and operators can set it)."""
    return _named_zone(BANK_TIMEZONE_ENV) or machine_zone()


def legacy_wallclock_zone() -> tzinfo:
    """The zone of the machine that ran release 2026-11, whose bank times were that machine's wall
    clock (``datetime.now()``): LEGACY_WALLCLOCK_TZ, else this machine's zone — never BANK_TIMEZONE,
    which says where customers live, not where that server ran."""
    return _named_zone(LEGACY_WALLCLOCK_TZ_ENV) or machine_zone()


def machine_zone() -> tzinfo:
    """This machine's zone, with its DST rules when the system names it."""
    machine = _machine_zone(os.environ.get("TZ", ""))
    if machine is not None:
        return machine
    local = datetime.now().astimezone().tzinfo  # the offset in force now: right for zones without DST
    return local if local is not None else timezone.utc


def _named_zone(variable: str) -> Optional[tzinfo]:
    name = os.environ.get(variable, "").strip()
    return ZoneInfo(name) if name else None


def check_zones() -> None:
    """Fail at start, not at a customer's first question, on a zone name that does not exist."""
    for variable in (BANK_TIMEZONE_ENV, LEGACY_WALLCLOCK_TZ_ENV):
        try:
            _named_zone(variable)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{variable}={os.environ.get(variable)!r} is not a known time zone") from exc


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


def to_local(at: datetime, zone: Optional[tzinfo] = None) -> datetime:
    """A stored naive-UTC time as naive wall-clock time in the bank's zone (or ``zone``)."""
    return at.replace(tzinfo=timezone.utc).astimezone(zone or bank_zone()).replace(tzinfo=None)


def local_iso(at: datetime) -> str:
    """A stored time as the customer's wall clock in ISO form (2026-11-21T23:30:00), for their APIs."""
    return to_local(at).isoformat(timespec="seconds")


def to_utc(local: datetime, zone: Optional[tzinfo] = None) -> datetime:
    """A naive wall-clock time in the bank's zone (or ``zone``) as stored naive UTC."""
    return local.replace(tzinfo=zone or bank_zone()).astimezone(timezone.utc).replace(tzinfo=None)


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
