"""The bank behind the bot: limits, verification, idempotency, concurrency and isolation."""

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from assistant.bank import verification
from assistant.bank.risk.types import Assurance
from assistant.bank.seed import seed_demo_data
from assistant.bank.service import BankService
from assistant.bank.types import BankError
from assistant.base.db.engine import engine_for, session_scope
from assistant.base.db.models import Account, Base, Transaction, Transfer, VerificationCode

OUTBOX_KEY = bytes(range(32))  # the dev outbox's key in these tests


_RESET: set = set()


def fresh_postgres_schema(url: str) -> None:
    """Once per test process: an empty schema, whatever an earlier run (of another checkout, at another
    revision) left in the shared test database."""
    if url in _RESET:
        return
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT", future=True)
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    _RESET.add(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def bank(request, tmp_path):
    """The same tests on SQLite (the default) and on PostgreSQL when TEST_POSTGRES_URL names one."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'bank.db'}"
    else:
        url = os.environ.get("TEST_POSTGRES_URL", "")
        if not url:
            pytest.skip("TEST_POSTGRES_URL not set (e.g. postgresql://postgres@localhost/assistant_test)")
        fresh_postgres_schema(url)
        engine = engine_for(url)  # the first time: the migrations build the schema on PostgreSQL
        Base.metadata.drop_all(engine)
        Base.metadata.create_all(engine)
    with session_scope(url, write=True) as s:
        seed_demo_data(s)
    return BankService(url, outbox_key=OUTBOX_KEY)


def sent_code(bank, customer="demo", purpose=None):
    """The code the customer's phone received, as the dev outbox shows it (the database has only a hash)."""
    sent = [m for m in bank.outbox(customer) if purpose is None or m["purpose"] == purpose]
    assert sent and sent[0]["code"], sent
    return sent[0]["code"]


def acct(bank, customer, last4):
    return bank.find_account(customer, last4=last4)


def payee(bank, customer, name):
    found = bank.resolve_payee(customer, name)
    assert found is not None, name
    return found


def ledger_balances(bank):
    """Every account's postings sum to its balance (debit) or minus what it owes (credit)."""
    with session_scope(bank.url) as s:
        for a in s.scalars(select(Account)):
            total = s.scalar(select(func.sum(Transaction.amount_cents)).where(Transaction.account_id == a.id))
            assert total == (a.balance_cents if a.kind == "debit" else -a.balance_cents), a.number
            assert a.kind != "debit" or a.balance_cents >= 0


def test_transfer_moves_money_once_and_reports_the_new_balance(bank):
    src, zs = acct(bank, "demo", "6688"), payee(bank, "demo", "张三")
    q = bank.quote_transfer("demo", src.id, 50_000, payee_id=zs.id)
    assert not q.needs_code and q.fee_cents == 0 and q.recipient_label == "张三（工商银行 尾号1234）"
    r = bank.execute_transfer("demo", "key-1", src.id, 50_000, payee_id=zs.id)
    assert r.from_account.balance_cents == 5_188_050 and not r.replayed
    again = bank.execute_transfer("demo", "key-1", src.id, 50_000, payee_id=zs.id)
    assert again.replayed and again.transfer_id == r.transfer_id
    assert acct(bank, "demo", "6688").balance_cents == 5_188_050
    ledger_balances(bank)


@pytest.mark.parametrize(
    "name,amount,code,source",
    [
        ("王芳", 6_000_000, "single_limit", "6688"),  # ¥60,000 > ¥50,000 per transfer, whatever the balance
        ("张三", 900_000, "insufficient_funds", "1024"),  # ¥9,000 from ¥8,000
        ("张三", 0, "invalid_amount", "6688"),
        ("张三", -100, "invalid_amount", "6688"),
    ],
)
def test_refusals_change_nothing(bank, name, amount, code, source):
    src, p = acct(bank, "demo", source), payee(bank, "demo", name)
    with pytest.raises(BankError) as err:
        bank.execute_transfer("demo", f"k-{code}", src.id, amount, payee_id=p.id)
    assert err.value.code == code and err.value.message
    assert acct(bank, "demo", "6688").balance_cents == 5_238_050
    assert acct(bank, "demo", "1024").balance_cents == 800_000
    with session_scope(bank.url) as s:
        assert s.scalar(select(func.count()).select_from(Transfer)) == 0


ACKNOWLEDGED = Assurance(strength="sms", code_verified=True, warning_acknowledged=True)


def test_daily_limit(bank):
    with session_scope(bank.url, write=True) as s:  # give demo enough money for five big transfers
        s.scalar(select(Account).where(Account.number.like("%6688"))).balance_cents += 30_000_000
        s.add(
            Transaction(
                account_id=1,
                customer_id="demo",
                posted_at=datetime.now(),
                amount_cents=30_000_000,
                balance_after_cents=0,
                kind="transfer_in",
                counterparty="test",
            )
        )
    src, zs = acct(bank, "demo", "6688"), payee(bank, "demo", "张三")
    for i in range(4):
        bank.send_code("demo", f"transfer:d{i}", "test")
        assert bank.check_code("demo", f"transfer:d{i}", sent_code(bank)).ok
        # Four ¥50,000 transfers in a minute, far above demo's usual: the risk engine wants the warning
        # acknowledged (tests/unit/test_risk_in_ledger.py); here the daily limit is what is under test.
        bank.execute_transfer("demo", f"d{i}", src.id, 5_000_000, payee_id=zs.id, assurance=ACKNOWLEDGED)
    with pytest.raises(BankError) as err:
        bank.quote_transfer("demo", src.id, 100, payee_id=zs.id)
    assert err.value.code == "daily_limit"


def test_large_or_first_transfers_need_a_verified_code(bank):
    src = acct(bank, "demo", "6688")
    ls, zs = payee(bank, "demo", "李四"), payee(bank, "demo", "张三")
    assert bank.quote_transfer("demo", src.id, 10_000, payee_id=ls.id).needs_code  # first time to 李四
    assert bank.quote_transfer("demo", src.id, 500_000, payee_id=zs.id).needs_code  # ¥5,000
    assert not bank.quote_transfer("demo", src.id, 499_999, payee_id=zs.id).needs_code
    assert not bank.quote_transfer("demo", src.id, 900_000, to_account_id=acct(bank, "demo", "1024").id).needs_code
    with pytest.raises(BankError) as err:
        bank.execute_transfer("demo", "big", src.id, 800_000, payee_id=ls.id)
    assert err.value.code == "code_required"
    bank.send_code("demo", "transfer:big", "向李四转账")
    assert bank.check_code("demo", "transfer:big", sent_code(bank, purpose="transfer:big")).ok
    assert bank.execute_transfer("demo", "big", src.id, 800_000, payee_id=ls.id).amount_cents == 800_000


def test_codes_lock_after_three_wrong_tries_and_expire(bank):
    bank.send_code("demo", "transfer:x", "test")
    code = sent_code(bank)
    wrong = "000000" if code != "000000" else "111111"
    assert [bank.check_code("demo", "transfer:x", wrong).reason for _ in range(3)] == ["wrong", "wrong", "locked"]
    assert bank.check_code("demo", "transfer:x", code).reason == "locked"
    bank.send_code("demo", "transfer:y", "test")
    code = sent_code(bank, purpose="transfer:y")
    with session_scope(bank.url, write=True) as s:
        row = s.scalar(select(VerificationCode).where(VerificationCode.purpose == "transfer:y"))
        late = row.expires_at + timedelta(seconds=1)
        assert verification.check_code(s, "demo", "transfer:y", code, now=late).reason == "expired"
    assert bank.check_code("demo2", "transfer:y", "123456").reason == "unknown"  # not demo2's code


def test_fifty_concurrent_transfers_never_overdraw(bank):
    src, zs = acct(bank, "demo", "1024"), payee(bank, "demo", "张三")  # ¥8,000.00 on 尾号1024

    def send(i):
        try:
            return bank.execute_transfer("demo", f"c{i}", src.id, 30_000, payee_id=zs.id)
        except BankError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(send, range(50)))
    ok = [r for r in results if not isinstance(r, BankError)]
    refused = [r for r in results if isinstance(r, BankError)]
    assert len(ok) == 26 and all(r.code == "insufficient_funds" for r in refused)
    assert acct(bank, "demo", "1024").balance_cents == 800_000 - 26 * 30_000
    ledger_balances(bank)


def test_fifty_concurrent_confirmations_of_one_transfer_move_money_once(bank):
    src, zs = acct(bank, "demo", "6688"), payee(bank, "demo", "张三")
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(
            pool.map(lambda _: bank.execute_transfer("demo", "same", src.id, 50_000, payee_id=zs.id), range(50))
        )
    assert len({r.transfer_id for r in results}) == 1 and sum(not r.replayed for r in results) == 1
    assert acct(bank, "demo", "6688").balance_cents == 5_188_050
    ledger_balances(bank)


def test_one_customer_never_reads_or_moves_anothers_money(bank):
    demo_src = acct(bank, "demo", "6688")
    assert [a.last4 for a in bank.accounts("demo2")] == ["0001"]
    assert bank.payees("demo2") == [] and bank.resolve_payee("demo2", "张三") is None
    demo2_src = acct(bank, "demo2", "0001")
    zs = payee(bank, "demo", "张三")
    with pytest.raises(BankError):
        bank.execute_transfer("demo2", "steal-1", demo_src.id, 100, payee_id=zs.id)  # demo's account
    with pytest.raises(BankError):
        bank.execute_transfer("demo2", "steal-2", demo2_src.id, 100, payee_id=zs.id)  # demo's payee
    with pytest.raises(BankError):
        bank.execute_transfer("demo2", "steal-3", demo2_src.id, 100, to_account_id=demo_src.id)
    bank.execute_transfer("demo", "k", demo_src.id, 100, payee_id=zs.id)
    with pytest.raises(BankError):
        bank.execute_transfer("demo2", "k", demo2_src.id, 100, to_account_id=demo2_src.id)  # demo's key
    assert bank.history("demo2").total == 0
    assert acct(bank, "demo2", "0001").balance_cents == 100_000


def test_own_account_transfer_and_card_repayment(bank):
    a, b, card = acct(bank, "demo", "6688"), acct(bank, "demo", "1024"), acct(bank, "demo", "3321")
    bank.execute_transfer("demo", "own", a.id, 100_000, to_account_id=b.id)
    assert acct(bank, "demo", "1024").balance_cents == 900_000
    owed = card.balance_cents
    r = bank.execute_transfer("demo", "repay", a.id, 68_422, to_account_id=card.id, kind="repayment")
    assert r.kind == "repayment" and acct(bank, "demo", "3321").balance_cents == owed - 68_422
    with pytest.raises(BankError) as err:
        bank.quote_transfer("demo", a.id, owed + 1, to_account_id=card.id, kind="repayment")
    assert err.value.code == "over_repayment"
    ledger_balances(bank)


def test_freezing_needs_verification(bank):
    card = acct(bank, "demo", "3321")
    with pytest.raises(BankError):
        bank.freeze_card("demo", card.id, "f1")
    bank.send_code("demo", "freeze:f1", "挂失")
    bank.check_code("demo", "freeze:f1", sent_code(bank, purpose="freeze:f1"))
    assert bank.freeze_card("demo", card.id, "f1").status == "frozen"
    with pytest.raises(BankError):
        bank.freeze_card("demo2", card.id, "f1")


def test_bookkeeping_add_edit_delete(bank):
    e = bank.book_add("demo", "expense", 3_500, "餐饮", date.today(), "午饭")
    assert bank.book_edit_last("demo", amount_cents=4_500).amount_cents == 4_500
    assert [r.amount_cents for r in bank.book_records("demo")] == [4_500]
    bank.book_delete_last("demo", e.id)
    assert bank.book_records("demo") == []
    with pytest.raises(BankError):
        bank.book_delete_last("demo2")


# ------------------------------------------------------------------ codes are never stored in clear
def test_a_code_is_stored_only_as_a_keyed_hash_and_sealed_for_the_dev_outbox(bank):
    bank.send_code("demo", "transfer:h", "向李四转账")
    bank.send_code("demo", "transfer:h2", "向李四转账")
    first, second = sent_code(bank, purpose="transfer:h"), sent_code(bank, purpose="transfer:h2")
    with session_scope(bank.url) as s:
        rows = {r.purpose: r for r in s.scalars(select(VerificationCode))}
    for purpose, code in (("transfer:h", first), ("transfer:h2", second)):
        row = rows[purpose]
        assert row.code_hash.startswith("hmac-sha256$") and code not in row.code_hash
        assert code not in row.message and "验证码******" in row.message and "向李四转账" in row.message
        assert row.sealed_code and code not in row.sealed_code
    assert rows["transfer:h"].code_hash.split("$")[1] != rows["transfer:h2"].code_hash.split("$")[1]  # own salt
    message = bank.outbox("demo")[0]["message"]
    assert f"验证码{second}，" in message and "******" not in message  # the "phone" got the code
    assert bank.check_code("demo", "transfer:h", first).ok and bank.check_code("demo", "transfer:h2", second).ok


def test_without_the_dev_key_nothing_readable_is_kept(bank, monkeypatch):
    monkeypatch.setenv("ASSISTANT_ENV", "prod")  # `make test` runs in dev
    prod = BankService(bank.url, outbox_key=None)
    assert prod.outbox_key is None
    prod.send_code("demo", "transfer:p", "挂失")
    with session_scope(bank.url) as s:
        row = s.scalar(select(VerificationCode).where(VerificationCode.purpose == "transfer:p"))
        assert row.sealed_code is None and "验证码******" in row.message
    shown = [m for m in bank.outbox("demo") if m["purpose"] == "transfer:p"][0]
    assert shown["code"] is None and "验证码******" in shown["message"]
    other = BankService(bank.url, outbox_key=bytes(32))  # another key cannot open the dev rows either
    bank.send_code("demo", "transfer:q", "挂失")
    assert other.outbox("demo")[0]["code"] is None and sent_code(bank, purpose="transfer:q")


def test_a_hash_checks_only_its_own_code_customer_purpose_and_key():
    key = bytes(range(32))
    stored = verification.hash_code(key, "demo", "transfer:k", "482913")
    assert stored.startswith("hmac-sha256$")
    assert verification.code_matches(key, stored, "demo", "transfer:k", "482913")
    assert not verification.code_matches(key, stored, "demo", "transfer:k", "482914")
    assert not verification.code_matches(key, stored, "demo", "transfer:other", "482913")
    assert not verification.code_matches(key, stored, "demo2", "transfer:k", "482913")
    assert not verification.code_matches(bytes(32), stored, "demo", "transfer:k", "482913")  # the table alone: no
    assert not verification.code_matches(key, "482913", "demo", "transfer:k", "482913")  # a clear value never matches
    assert stored != verification.hash_code(key, "demo", "transfer:k", "482913")  # a fresh salt every time


def test_a_code_sent_before_the_keyed_hash_still_checks():
    # Rows an older release wrote (scrypt) while their codes are still alive at an upgrade.
    salt = bytes(16)
    digest = hashlib.scrypt(b"demo\x1ftransfer:k\x1f482913", salt=salt, n=2**14, r=8, p=1, dklen=32)
    stored = f"scrypt${salt.hex()}${digest.hex()}"
    assert verification.code_matches(b"any key", stored, "demo", "transfer:k", "482913")
    assert not verification.code_matches(b"any key", stored, "demo", "transfer:k", "482914")


def test_the_code_key_comes_from_its_own_secret_else_the_jwt_secret():
    from assistant.base.config import ConfigError, Settings

    own = verification.code_hash_key(Settings.from_env({"ASSISTANT_CODE_SECRET": "c" * 40}))
    assert own == verification.code_hash_key(Settings.from_env({"ASSISTANT_CODE_SECRET": "c" * 40}))
    assert own != verification.code_hash_key(Settings.from_env({"ASSISTANT_CODE_SECRET": "d" * 40}))
    dev = verification.code_hash_key(Settings.from_env({"ASSISTANT_ENV": "dev"}))
    assert dev not in (own, verification.dev_outbox_key(Settings.from_env({"ASSISTANT_ENV": "dev"})))
    with pytest.raises(ConfigError):  # prod with neither secret: refused, never a built-in key
        verification.code_hash_key(Settings.from_env({"ASSISTANT_ENV": "prod"}))


def test_codes_sent_with_one_key_do_not_check_with_another(bank):
    bank.send_code("demo", "transfer:kk", "转账")
    code = sent_code(bank, purpose="transfer:kk")
    other = BankService(bank.url, outbox_key=OUTBOX_KEY, code_key=bytes(32))
    assert other.check_code("demo", "transfer:kk", code).reason == "wrong"
    assert bank.check_code("demo", "transfer:kk", code).ok


def test_dev_outbox_key_only_in_dev():
    from assistant.base.config import Settings

    assert verification.dev_outbox_key(Settings.from_env({"ASSISTANT_ENV": "prod"})) is None
    dev = verification.dev_outbox_key(Settings.from_env({"ASSISTANT_ENV": "dev"}))
    assert dev and len(dev) == 32
    other = verification.dev_outbox_key(Settings.from_env({"ASSISTANT_ENV": "dev", "ASSISTANT_JWT_SECRET": "x" * 40}))
    assert other != dev


def test_a_database_made_before_hashing_is_refused_with_its_clear_codes_unread(tmp_path):
    """A database older than release 2026-11 (codes in clear) is not one the migrations know: the
    service refuses to open it (an operator upgrades it by hand) rather than serve from it."""
    import sqlite3

    from assistant.base.db.migrate import UnknownDatabaseError

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:
        old.execute(
            "CREATE TABLE verification_codes (id INTEGER PRIMARY KEY, customer_id VARCHAR(64) NOT NULL, "
            "purpose VARCHAR(64) NOT NULL, code VARCHAR(6) NOT NULL, message TEXT NOT NULL, "
            "created_at DATETIME NOT NULL, expires_at DATETIME NOT NULL, attempts INTEGER NOT NULL, "
            "used BOOLEAN NOT NULL)"
        )
        old.execute(
            "INSERT INTO verification_codes VALUES (1, 'demo', 'transfer:o', '135790', '验证码135790', "
            "'2026-01-01', '2026-01-01', 0, 0)"
        )
    before = path.read_bytes()
    url = f"sqlite:///{path}"
    with pytest.raises(UnknownDatabaseError, match="unknown release"):
        engine_for(url)
    with pytest.raises(UnknownDatabaseError):
        BankService(url, outbox_key=OUTBOX_KEY).send_code("demo", "transfer:n", "转账")
    assert path.read_bytes() == before
