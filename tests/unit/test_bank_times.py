"""Bank times when the bank is in Asia/Shanghai: stored as naive UTC, shown and grouped into days on
the Beijing wall clock. "Now" is frozen by replacing ``assistant.base.clock.utcnow``."""

import os
import time
from datetime import date, datetime, timedelta, timezone

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

import actions.book
import actions.history
from actions.outcomes import describe
from actions.problems import _window
from assistant.bank import ledger
from assistant.bank.seed import seed_demo_data
from assistant.bank.service import BankService
from assistant.base import clock
from assistant.base.db.engine import session_scope
from assistant.base.db.models import Payee, Transaction, VerificationCode
from assistant.nlu.timeexpr import find_times
from tests.support.asyncrun import run_async

OUTBOX_KEY = bytes(range(32))
BEIJING_DAY = date(2026, 11, 21)


class Frozen:
    """A settable "now" (naive UTC) for the whole application."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture()
def now(monkeypatch):
    monkeypatch.setenv(clock.BANK_TIMEZONE_ENV, "Asia/Shanghai")
    frozen = Frozen(datetime(2026, 11, 21, 15, 30))  # 23:30 in Beijing
    monkeypatch.setattr(clock, "utcnow", frozen)
    return frozen


def open_bank(tmp_path) -> BankService:
    url = f"sqlite:///{tmp_path / 'bank.db'}"
    with session_scope(url, write=True) as s:
        seed_demo_data(s)
    return BankService(url, outbox_key=OUTBOX_KEY)


def send_to_zhangsan(bank: BankService, key: str):
    src = bank.find_account("demo", last4="6688")
    zs = bank.resolve_payee("demo", "张三")
    return bank.execute_transfer("demo", key, src.id, 50_000, payee_id=zs.id)


def posted(bank: BankService, transfer_id: int):
    with session_scope(bank.url) as s:
        return [t.posted_at for t in s.scalars(select(Transaction).where(Transaction.transfer_id == transfer_id))]


def day_items(bank: BankService, day: date):
    return bank.history("demo", start=day, end=day, size=100).items


def tracker(text="", intent="", entities=()):
    latest = {"text": text, "intent": {"name": intent}, "entities": list(entities)}
    return Tracker("demo", {}, latest, [], False, None, {}, "action_listen")


def run(action, t: Tracker) -> CollectingDispatcher:
    dispatcher = CollectingDispatcher()
    run_async(action.run(dispatcher, t, {}))  # beside Playwright's loop when the browser tests ran first
    return dispatcher


# ------------------------------------------------------------------ a transfer at 23:30 Beijing time
def test_a_transfer_at_2330_beijing_is_stored_in_utc_and_shown_at_2330(now, tmp_path):
    bank = open_bank(tmp_path)
    receipt = send_to_zhangsan(bank, "late")
    assert receipt.created_at == datetime(2026, 11, 21, 15, 30)
    assert posted(bank, receipt.transfer_id) == [datetime(2026, 11, 21, 15, 30)]

    today = day_items(bank, BEIJING_DAY)
    assert [(i["posted_at"], i["counterparty"]) for i in today] == [("2026-11-21T23:30:00", "张三")]
    assert not [i for i in day_items(bank, BEIJING_DAY + timedelta(days=1)) if i["counterparty"] == "张三"]
    assert not [i for i in day_items(bank, BEIJING_DAY - timedelta(days=1)) if i["counterparty"] == "张三"]

    now.at += timedelta(minutes=5)
    assert "这笔转账已于 23:30 成功" in describe(bank.outcome("demo", "late"))
    now.at += timedelta(hours=1)  # 00:35 on the 22nd in Beijing: it was yesterday
    assert "这笔转账已于 11月21日 23:30 成功" in describe(bank.outcome("demo", "late"))


def test_the_2330_transfer_counts_against_that_beijing_days_limit(now, tmp_path):
    bank = open_bank(tmp_path)
    send_to_zhangsan(bank, "late")
    with session_scope(bank.url) as s:
        assert ledger.sent_today_cents(s, "demo") == 50_000
        assert ledger.sent_today_cents(s, "demo", BEIJING_DAY) == 50_000
        assert ledger.sent_today_cents(s, "demo", BEIJING_DAY + timedelta(days=1)) == 0
    now.at += timedelta(hours=1)  # a new Beijing day: a fresh limit
    with session_scope(bank.url) as s:
        assert ledger.sent_today_cents(s, "demo") == 0


# ------------------------------------------------------------------ a transfer at 00:30 Beijing time
def test_a_transfer_at_0030_beijing_is_in_todays_list_not_the_utc_days(now, tmp_path):
    now.at = datetime(2026, 11, 20, 16, 30)  # 00:30 on the 21st in Beijing, still the 20th in UTC
    bank = open_bank(tmp_path)
    receipt = send_to_zhangsan(bank, "early")
    assert posted(bank, receipt.transfer_id) == [datetime(2026, 11, 20, 16, 30)]

    assert [(i["posted_at"], i["counterparty"]) for i in day_items(bank, BEIJING_DAY)] == [
        ("2026-11-21T00:30:00", "张三")
    ]
    assert not [i for i in day_items(bank, BEIJING_DAY - timedelta(days=1)) if i["counterparty"] == "张三"]
    with session_scope(bank.url) as s:
        assert ledger.sent_today_cents(s, "demo") == 50_000
        assert ledger.sent_today_cents(s, "demo", BEIJING_DAY - timedelta(days=1)) == 0
    assert "这笔转账已于 00:30 成功" in describe(bank.outcome("demo", "early"))


def test_today_in_words_and_actions_is_the_beijing_day(now, tmp_path, monkeypatch):
    now.at = datetime(2026, 11, 20, 16, 30)
    bank = open_bank(tmp_path)
    send_to_zhangsan(bank, "early")
    assert [m.value for m in find_times("今天转了多少")] == [{"start": "2026-11-21", "end": "2026-11-21"}]
    assert [m.value for m in find_times("昨天")] == [{"start": "2026-11-20", "end": "2026-11-20"}]

    monkeypatch.setattr(actions.history, "bank", lambda: bank)
    lines = run(actions.history.ActionQueryTransactions(), tracker("最近的流水")).messages[0]["text"].split("\n")
    assert lines[0].startswith("10月23日至11月21日")
    assert lines[1] == "11月21日 张三 -¥500.00（尾号6688）"

    monkeypatch.setattr(actions.book, "bank", lambda: bank)
    amount = {"entity": "amount", "value": 35, "start": 4, "end": 7}
    said = run(actions.book.ActionRecordBook(), tracker("午饭花了三十五", "record_expense", [amount]))
    assert said.messages[0]["custom"]["record"]["occurred_on"] == "2026-11-21"
    assert _window(tracker(), 7) == (date(2026, 11, 15), BEIJING_DAY)


# ------------------------------------------------------------------ verification codes
def test_code_expiry_across_midnight_in_beijing(now, tmp_path):
    now.at = datetime(2026, 11, 21, 15, 58)  # 23:58 in Beijing; the code lives until 00:03 the next day
    bank = open_bank(tmp_path)
    bank.send_code("demo", "transfer:v1", "测试")
    with session_scope(bank.url) as s:
        row = s.scalar(select(VerificationCode).where(VerificationCode.purpose == "transfer:v1"))
        assert (row.created_at, row.expires_at) == (datetime(2026, 11, 21, 15, 58), datetime(2026, 11, 21, 16, 3))
    code = next(m["code"] for m in bank.outbox("demo") if m["purpose"] == "transfer:v1")
    now.at = datetime(2026, 11, 21, 16, 2)  # 00:02 in Beijing, four minutes on
    assert bank.has_pending_code("demo", "transfer:v1")
    assert bank.check_code("demo", "transfer:v1", code).ok

    now.at = datetime(2026, 11, 21, 15, 58)
    bank.send_code("demo", "transfer:v2", "测试")
    code = next(m["code"] for m in bank.outbox("demo") if m["purpose"] == "transfer:v2")
    now.at = datetime(2026, 11, 21, 16, 4)  # six minutes on
    assert not bank.has_pending_code("demo", "transfer:v2")
    assert bank.check_code("demo", "transfer:v2", code).reason == "expired"


# ------------------------------------------------------------------ seeded history
def test_seeded_history_is_beijing_wall_clock_stored_in_utc(now, tmp_path):
    url = f"sqlite:///{tmp_path / 'seed.db'}"
    with session_scope(url, write=True) as s:
        seed_demo_data(s)  # today: the 21st in Beijing
    with session_scope(url) as s:
        rent = s.scalar(
            select(Transaction).where(Transaction.memo == "房租", Transaction.posted_at >= datetime(2026, 10, 31))
        )
        assert rent.posted_at == datetime(2026, 11, 1, 2)  # 10:00 on the 1st in Beijing
        opening = s.scalar(select(Transaction).where(Transaction.kind == "opening").limit(1))
        assert opening.posted_at == datetime(2026, 7, 23, 0)  # 08:00, 121 days before the 21st
        assert s.scalar(select(Payee).limit(1)).created_at == datetime(2025, 10, 17, 1)  # 09:00, 400 days before
        latest = s.scalar(select(Transaction).order_by(Transaction.posted_at.desc()).limit(1))
        assert clock.to_local(latest.posted_at).date() < BEIJING_DAY  # nothing seeded "today" or later
    bank = BankService(url, outbox_key=OUTBOX_KEY)
    allowance = [i for i in day_items(bank, date(2026, 11, 12)) if i["counterparty"] == "妈妈"]
    assert [i["posted_at"] for i in allowance] == ["2026-11-12T20:00:00"]


# ------------------------------------------------------------------ a server whose own zone is Shanghai
@pytest.fixture()
def server_in_shanghai(monkeypatch):
    """No BANK_TIMEZONE, no frozen clock: the machine itself runs on Beijing time."""
    monkeypatch.delenv(clock.BANK_TIMEZONE_ENV, raising=False)
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Shanghai"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_a_server_on_beijing_time_still_stores_utc(server_in_shanghai, tmp_path):
    bank = open_bank(tmp_path)
    receipt = send_to_zhangsan(bank, "real-clock")
    real_utc = datetime.now(timezone.utc).replace(tzinfo=None)
    assert abs(receipt.created_at - real_utc) < timedelta(minutes=1)
    beijing = real_utc + timedelta(hours=8)
    page = bank.history("demo", start=beijing.date() - timedelta(days=1), end=beijing.date(), counterparty="张三")
    shown = [i["posted_at"] for i in page.items]
    assert len(shown) == 1
    assert abs(datetime.fromisoformat(shown[0]) - beijing) < timedelta(minutes=1)


# ------------------------------------------------------------------ a bank in UTC: as before
def test_a_utc_bank_stores_and_shows_the_same_time(now, tmp_path, monkeypatch):
    monkeypatch.setenv(clock.BANK_TIMEZONE_ENV, "UTC")
    bank = open_bank(tmp_path)
    receipt = send_to_zhangsan(bank, "utc")
    assert posted(bank, receipt.transfer_id) == [datetime(2026, 11, 21, 15, 30)]
    assert [i["posted_at"] for i in day_items(bank, BEIJING_DAY) if i["counterparty"] == "张三"] == [
        "2026-11-21T15:30:00"
    ]
    assert "这笔转账已于 15:30 成功" in describe(bank.outcome("demo", "utc"))
