"""The one clock: naive UTC stored, the bank's zone for customers — in a zone without DST
(Asia/Shanghai), in one with DST (America/New_York), and when only the machine's zone is known."""

import os
import time
from datetime import date, datetime, timedelta

import pytest

from assistant.base import clock


@pytest.fixture()
def shanghai(monkeypatch):
    monkeypatch.setenv(clock.BANK_TIMEZONE_ENV, "Asia/Shanghai")


@pytest.fixture()
def new_york(monkeypatch):
    monkeypatch.setenv(clock.BANK_TIMEZONE_ENV, "America/New_York")


@pytest.fixture()
def machine_zone(monkeypatch):
    """Run with no BANK_TIMEZONE on a machine whose zone is the one given (TZ + tzset)."""
    monkeypatch.delenv(clock.BANK_TIMEZONE_ENV, raising=False)
    before = os.environ.get("TZ")

    def use(name: str) -> None:
        os.environ["TZ"] = name
        time.tzset()

    yield use
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


def hours_of_year(year: int):
    at = datetime(year, 1, 1)
    while at.year == year:
        yield at
        at += timedelta(hours=1)


def test_utcnow_is_naive_utc():
    now = clock.utcnow()
    assert now.tzinfo is None
    assert abs(now - datetime(*time.gmtime()[:6])) < timedelta(seconds=5)


def test_shanghai_is_eight_hours_ahead_all_year(shanghai):
    assert clock.to_local(datetime(2026, 11, 21, 15, 30)) == datetime(2026, 11, 21, 23, 30)
    assert clock.to_local(datetime(2026, 11, 20, 16, 30)) == datetime(2026, 11, 21, 0, 30)
    assert clock.to_utc(datetime(2026, 11, 21, 0, 30)) == datetime(2026, 11, 20, 16, 30)
    for at in hours_of_year(2026):
        assert clock.to_local(at) - at == timedelta(hours=8)


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York", "UTC"])
def test_round_trip_every_hour_of_a_year(monkeypatch, zone):
    """Every stored time comes back from the wall clock unchanged, including New York's repeated hour."""
    monkeypatch.setenv(clock.BANK_TIMEZONE_ENV, zone)
    for at in hours_of_year(2026):
        assert clock.to_utc(clock.to_local(at)) == at, at


def test_shanghai_days_are_24_hours_starting_at_16_utc(shanghai):
    assert clock.day_bounds_utc(date(2026, 11, 21)) == (datetime(2026, 11, 20, 16), datetime(2026, 11, 21, 16))
    assert clock.day_bounds_utc(date(2026, 11, 1), date(2026, 11, 30)) == (
        datetime(2026, 10, 31, 16),
        datetime(2026, 11, 30, 16),
    )
    day = date(2026, 1, 1)
    while day.year == 2026:
        start, end = clock.day_bounds_utc(day)
        assert end - start == timedelta(hours=24)
        day += timedelta(days=1)


def test_local_today_follows_the_banks_zone(shanghai, monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 11, 20, 16, 30))  # 00:30 on the 21st in Beijing
    assert clock.local_now() == datetime(2026, 11, 21, 0, 30)
    assert clock.local_today() == date(2026, 11, 21)
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 11, 21, 15, 59))  # 23:59 the same Beijing day
    assert clock.local_today() == date(2026, 11, 21)


@pytest.mark.parametrize(
    "day,hours",
    [
        (date(2026, 3, 8), 23),  # clocks spring forward at 02:00
        (date(2026, 11, 1), 25),  # and fall back at 02:00
        (date(2026, 7, 4), 24),
        (date(2026, 12, 25), 24),
    ],
)
def test_dst_change_days_are_23_or_25_hours(new_york, day, hours):
    start, end = clock.day_bounds_utc(day)
    assert end - start == timedelta(hours=hours)
    assert clock.to_local(start) == datetime.combine(day, datetime.min.time())


def test_new_yorks_offset_follows_the_season(new_york):
    assert clock.to_local(datetime(2026, 1, 15, 12)) == datetime(2026, 1, 15, 7)
    assert clock.to_local(datetime(2026, 7, 15, 12)) == datetime(2026, 7, 15, 8)
    assert clock.day_bounds_utc(date(2026, 7, 15))[0] == datetime(2026, 7, 15, 4)


def test_unset_zone_is_the_machines_with_its_dst(machine_zone):
    """Without BANK_TIMEZONE the machine's zone is used, with the offset of each instant (not of today)."""
    machine_zone("America/New_York")
    assert clock.to_local(datetime(2026, 1, 15, 12)) == datetime(2026, 1, 15, 7)
    assert clock.to_local(datetime(2026, 7, 15, 12)) == datetime(2026, 7, 15, 8)
    assert clock.day_bounds_utc(date(2026, 3, 8))[1] - clock.day_bounds_utc(date(2026, 3, 8))[0] == timedelta(hours=23)
    machine_zone("Asia/Shanghai")
    assert clock.to_local(datetime(2026, 11, 21, 15, 30)) == datetime(2026, 11, 21, 23, 30)
    machine_zone("UTC")
    assert clock.to_local(datetime(2026, 11, 21, 15, 30)) == datetime(2026, 11, 21, 15, 30)


def test_a_utc_bank_changes_nothing(monkeypatch):
    monkeypatch.setenv(clock.BANK_TIMEZONE_ENV, "UTC")
    at = datetime(2026, 11, 21, 23, 30)
    assert clock.to_local(at) == at == clock.to_utc(at)
    assert clock.day_bounds_utc(date(2026, 11, 21)) == (datetime(2026, 11, 21), datetime(2026, 11, 22))


def test_local_iso_shows_the_wall_clock(shanghai):
    assert clock.local_iso(datetime(2026, 11, 21, 15, 30, 12, 345)) == "2026-11-21T23:30:12"
    assert clock.iso_utc(datetime(2026, 11, 21, 15, 30, 12)) == "2026-11-21T15:30:12Z"
