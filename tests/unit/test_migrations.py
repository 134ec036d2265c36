"""Schema migrations: a database of release 2026-11 (tests/fixtures/db) is adopted and upgraded with its
data intact and its bank times moved to UTC; a new database is made at head; an unknown one is refused.
Every migrated schema must equal the models (alembic's autogenerate finds nothing to do)."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Dict, List

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from assistant.base.db.engine import engine_for
from assistant.base.db.migrate import UnknownDatabaseError, alembic_config, upgrade_database
from assistant.base.db.models import Base

REPO = Path(__file__).resolve().parents[2]
RELEASE_DUMP = REPO / "tests" / "fixtures" / "db" / "release-2026-11.sql"
HEAD = "0003"
# Tables a revision after release 2026-11 added: empty after an upgrade, gone after a downgrade.
NEW_TABLES = {"risk_decisions", "held_transfers", "security_events", "conversation_signals", "customer_notices"}
SHANGHAI = timedelta(hours=8)
# The columns release 2026-11 wrote with datetime.now() (Asia/Shanghai when the dump was made).
BANK_TIMES = {
    ("transactions", "posted_at"),
    ("transfers", "created_at"),
    ("verification_codes", "created_at"),
    ("verification_codes", "expires_at"),
    ("payees", "created_at"),
}
# Every other time column: naive UTC already, never touched.
UTC_TIMES = {
    ("customers", "created_at"),
    ("book_records", "created_at"),
    ("search_clicks", "at"),
    ("audit_log", "at"),
    ("chat_turns", "at"),
    ("handoffs", "created_at"),
    ("handoffs", "claimed_at"),
    ("handoffs", "ended_at"),
    ("handoff_messages", "at"),
    ("nlu_inbox", "created_at"),
    ("nlu_inbox", "resolved_at"),
}

Rows = Dict[str, Dict[Any, Dict[str, Any]]]  # table -> id -> column -> stored value


@pytest.fixture(autouse=True)
def release_ran_in_shanghai(monkeypatch: pytest.MonkeyPatch) -> None:
    """The dump was made on a machine in Asia/Shanghai; this one may be in UTC, and its customers'
    zone (BANK_TIMEZONE) says nothing about where the old server ran."""
    monkeypatch.setenv("LEGACY_WALLCLOCK_TZ", "Asia/Shanghai")
    monkeypatch.setenv("BANK_TIMEZONE", "Europe/Lisbon")


def load_release(path: Path) -> str:
    con = sqlite3.connect(path)
    con.executescript(RELEASE_DUMP.read_text(encoding="utf-8"))
    con.close()
    return f"sqlite:///{path}"


def rows(path: Path) -> Rows:
    """Every row of every application table, as SQLite stores it (text for times)."""
    con = sqlite3.connect(path)
    try:
        tables = [
            r[0]
            for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'alembic_version'")
        ]
        found: Rows = {}
        for table in tables:
            cursor = con.execute(f'SELECT * FROM "{table}"')
            columns = [d[0] for d in cursor.description]
            found[table] = {row[0]: dict(zip(columns, row)) for row in cursor}
        return found
    finally:
        con.close()


def version(path: Path) -> List[str]:
    con = sqlite3.connect(path)
    try:
        return [r[0] for r in con.execute("SELECT version_num FROM alembic_version")]
    finally:
        con.close()


def schema_differences(path: Path) -> List[Any]:
    """What autogenerate would change to make the database match the models: nothing, when it does."""
    engine = create_engine(f"sqlite:///{path}", future=True)
    try:
        with engine.connect() as conn:
            opts = {"compare_type": True, "compare_server_default": True}
            return compare_metadata(MigrationContext.configure(conn, opts=opts), Base.metadata)
    finally:
        engine.dispose()


def ddl(path: Path) -> List[Any]:
    con = sqlite3.connect(path)
    try:
        return sorted(
            con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE tbl_name != 'alembic_version'")
        )
    finally:
        con.close()


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


# ------------------------------------------------------------------ the previous release's database
def test_release_database_is_adopted_and_upgraded_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "assistant.db"
    url = load_release(path)
    before = rows(path)
    assert (
        len(before["transactions"]) > 300 and len(before["transfers"]) == 4 and len(before["verification_codes"]) == 4
    )

    assert upgrade_database(url) == (
        f"adopted release 2026-11 at 0001, upgraded 0001 → {HEAD} "
        "(its bank times read as Asia/Shanghai wall-clock time; LEGACY_WALLCLOCK_TZ)"
    )
    assert version(path) == [HEAD]
    after = rows(path)

    assert after.keys() == before.keys() | NEW_TABLES
    assert all(after[table] == {} for table in NEW_TABLES)
    time_columns_seen = set()
    for table, old_rows in before.items():
        assert after[table].keys() == old_rows.keys(), table  # same rows: none lost, none added
        for row_id, old in old_rows.items():
            new = after[table][row_id]
            assert new.keys() == old.keys()
            for column, value in old.items():
                if (table, column) in BANK_TIMES:
                    assert at(new[column]) == at(value) - SHANGHAI, (table, row_id, column)
                    time_columns_seen.add((table, column))
                else:  # balances, amounts, keys, hashes, texts and the UTC times: byte for byte
                    assert new[column] == value, (table, row_id, column)
    assert time_columns_seen == BANK_TIMES
    # The dump has rows with every UTC time column too, so "untouched" above was really checked.
    assert all(column in before[table][next(iter(before[table]))] for table, column in UTC_TIMES)

    # Converted bank times now agree with the UTC audit log written in the same request.
    audit = list(after["audit_log"].values())
    for transfer in after["transfers"].values():
        done = next(
            a
            for a in audit
            if a["action"].endswith(".completed") and a["detail"].endswith(f"key={transfer['idempotency_key']}")
        )
        assert abs(at(transfer["created_at"]) - at(done["at"])) < timedelta(seconds=1), transfer
    for code in after["verification_codes"].values():
        sent = next(a for a in audit if a["action"] == "sms.code_sent" and f"purpose={code['purpose']} " in a["detail"])
        assert abs(at(code["created_at"]) - at(sent["at"])) < timedelta(seconds=1), code
        assert at(code["expires_at"]) - at(code["created_at"]) == timedelta(minutes=5)

    # The ledger still balances: every account's postings sum to its balance (debit) or minus what it owes.
    for account in after["accounts"].values():
        posted = sum(t["amount_cents"] for t in after["transactions"].values() if t["account_id"] == account["id"])
        assert posted == (account["balance_cents"] if account["kind"] == "debit" else -account["balance_cents"])

    assert schema_differences(path) == []
    assert upgrade_database(url) == f"up to date at {HEAD}"
    assert rows(path) == after


def test_downgrade_of_bank_times_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "assistant.db"
    url = load_release(path)
    original = rows(path)
    upgrade_database(url)
    upgraded = rows(path)

    engine = create_engine(url, future=True)
    try:
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0001")
    finally:
        engine.dispose()
    assert version(path) == ["0001"]
    assert rows(path) == original  # the wall-clock times of the release, to the microsecond

    assert upgrade_database(url) == f"upgraded 0001 → {HEAD}"
    assert rows(path) == upgraded


def test_revision_0001_is_the_schema_release_2026_11_made(tmp_path: Path) -> None:
    """Tables, columns, types, constraints and indexes as that release's create_all wrote them."""
    release, migrated = tmp_path / "release.db", tmp_path / "migrated.db"
    load_release(release)
    engine = create_engine(f"sqlite:///{migrated}", future=True)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "0001")
    finally:
        engine.dispose()
    assert ddl(migrated) == ddl(release)


# ------------------------------------------------------------------ new databases
def test_new_database_is_created_at_head_and_matches_the_models(tmp_path: Path) -> None:
    path = tmp_path / "data" / "new.db"  # the folder does not exist yet either
    url = f"sqlite:///{path}"
    assert upgrade_database(url) == f"created at {HEAD}"
    assert version(path) == [HEAD]
    assert schema_differences(path) == []
    assert upgrade_database(url) == f"up to date at {HEAD}"


def test_schema_comparison_sees_a_difference(tmp_path: Path) -> None:
    """The check above has teeth: one missing index is a difference."""
    path = tmp_path / "new.db"
    upgrade_database(f"sqlite:///{path}")
    con = sqlite3.connect(path)
    con.execute("DROP INDEX ix_transfers_created_at")
    con.commit()
    con.close()
    assert [d[0] for d in schema_differences(path)] == ["add_index"]


@pytest.mark.parametrize("start", ["new", "release"])
def test_failed_upgrade_leaves_nothing_half_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, start: str) -> None:
    """0002 fails (no such zone) after 0001 made or stamped the tables: one transaction, all rolled back."""
    path = tmp_path / "assistant.db"
    url = load_release(path) if start == "release" else f"sqlite:///{path}"
    before = rows(path) if start == "release" else {}
    monkeypatch.setenv("LEGACY_WALLCLOCK_TZ", "Nowhere/Atlantis")
    with pytest.raises(Exception, match="Atlantis"):
        upgrade_database(url)
    assert rows(path) == before
    con = sqlite3.connect(path)
    assert con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'alembic_version'").fetchone() == (0,)
    con.close()
    monkeypatch.setenv("LEGACY_WALLCLOCK_TZ", "Asia/Shanghai")
    assert (f"created at {HEAD}" if start == "new" else f"0001 → {HEAD} (") in upgrade_database(url)


def test_engine_for_upgrades_before_use(tmp_path: Path) -> None:
    """Every caller of engine_for (gateway, action server, tests) gets a database at head."""
    path = tmp_path / "assistant.db"
    url = load_release(path)
    with engine_for(url).connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == HEAD
        assert conn.execute(text("SELECT count(*) FROM transfers")).scalar_one() == 4


def test_processes_starting_at_once_upgrade_once(tmp_path: Path) -> None:
    path = tmp_path / "assistant.db"
    url = f"sqlite:///{path}"
    script = "import sys; from assistant.base.db.migrate import upgrade_database; print(upgrade_database(sys.argv[1]))"
    starts = [
        subprocess.Popen([sys.executable, "-c", script, url], cwd=REPO, stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    said = sorted(p.communicate(timeout=120)[0].strip() for p in starts)
    assert all(p.returncode == 0 for p in starts)
    assert said == [f"created at {HEAD}"] + [f"up to date at {HEAD}"] * 3
    assert version(path) == [HEAD]


def test_rasa_tracker_table_in_a_shared_database_is_left_alone(tmp_path: Path) -> None:
    """Rasa's tracker store keeps ``events`` in the PostgreSQL database of DATABASE_URL."""
    new, release = tmp_path / "new.db", tmp_path / "release.db"
    for path in (new, release):
        con = sqlite3.connect(path)
        con.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), data TEXT)")
        con.execute("INSERT INTO events VALUES (1, 'demo', '{}')")
        con.commit()
        con.close()
    assert upgrade_database(f"sqlite:///{new}") == f"created at {HEAD}"
    assert upgrade_database(load_release(release)).startswith("adopted release 2026-11")
    for path in (new, release):
        assert rows(path)["events"] == {1: {"id": 1, "sender_id": "demo", "data": "{}"}}
        # Only the foreign table differs from the models (alembic's env leaves it out of autogenerate).
        assert [(d[0], d[1].name) for d in schema_differences(path)] == [("remove_table", "events")]


# ------------------------------------------------------------------ refusals
def _codes_in_clear(con: sqlite3.Connection) -> None:
    """A database from before SMS codes were hashed (no release ever stamped it)."""
    con.executescript(RELEASE_DUMP.read_text(encoding="utf-8"))
    con.executescript(
        "DROP TABLE verification_codes; CREATE TABLE verification_codes (id INTEGER NOT NULL PRIMARY KEY, "
        "customer_id VARCHAR(64) NOT NULL, purpose VARCHAR(64) NOT NULL, code VARCHAR(6) NOT NULL, "
        "created_at DATETIME NOT NULL, expires_at DATETIME NOT NULL, attempts INTEGER NOT NULL, used BOOLEAN NOT NULL);"
    )


def _someone_elses(con: sqlite3.Connection) -> None:
    con.executescript("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes VALUES (1, '备忘');")


def _release_with_a_column_loosened(con: sqlite3.Connection) -> None:
    con.executescript(RELEASE_DUMP.read_text(encoding="utf-8"))
    con.executescript(
        "DROP TABLE search_clicks; CREATE TABLE search_clicks (id INTEGER NOT NULL PRIMARY KEY, "
        'customer_id VARCHAR(64), entry_id VARCHAR(64), "query" VARCHAR(100) NOT NULL, at DATETIME NOT NULL);'
    )


@pytest.mark.parametrize(
    ("make", "named"),
    [
        (_codes_in_clear, "no column verification_codes.code_hash"),
        (_someone_elses, "no table accounts; "),
        (_release_with_a_column_loosened, "search_clicks.entry_id is NULL"),
    ],
)
def test_unknown_unversioned_database_is_refused_and_left_untouched(tmp_path: Path, make, named: str) -> None:
    path = tmp_path / "other.db"
    con = sqlite3.connect(path)
    make(con)
    con.commit()
    con.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()

    with pytest.raises(UnknownDatabaseError) as refused:
        upgrade_database(f"sqlite:///{path}")
    message = str(refused.value)
    assert "unknown release" in message and "must be upgraded by hand" in message and named in message

    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    con = sqlite3.connect(path)
    assert con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'alembic_version'").fetchone() == (0,)
    con.close()


def test_database_of_a_newer_release_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "assistant.db"
    url = f"sqlite:///{path}"
    upgrade_database(url)
    con = sqlite3.connect(path)
    con.execute("UPDATE alembic_version SET version_num = '0099'")
    con.commit()
    con.close()
    with pytest.raises(UnknownDatabaseError, match="revision 0099, which this code does not know"):
        upgrade_database(url)
    assert version(path) == ["0099"]


def test_in_memory_sqlite_is_refused() -> None:
    with pytest.raises(ValueError, match="in a file"):
        upgrade_database("sqlite://")


def test_the_setup_step_of_make_run_migrates_an_existing_database_in_place(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """`make run` / `make test` go through ensure_database: the release's database file, where the
    settings look for it, is upgraded with every row kept and no demo data seeded over it."""
    from assistant.base.config import Settings
    from assistant.ops.steps.database import ensure_database

    settings = Settings.from_env({"ASSISTANT_DATA_DIR": str(tmp_path)})
    database = Path(settings.database_url[len("sqlite:///") :])
    load_release(database)
    before = rows(database)
    ensure_database(settings)
    said = capsys.readouterr().out
    assert f"adopted release 2026-11 at 0001, upgraded 0001 → {HEAD}" in said and "database ready" in said
    after = rows(database)
    assert {t: len(r) for t, r in after.items()} == {
        **{t: len(r) for t, r in before.items()},
        **dict.fromkeys(NEW_TABLES, 0),
    }
    assert after["accounts"] == before["accounts"]  # balances and everything else of the accounts
    ensure_database(settings)
    assert f"up to date at {HEAD}" in capsys.readouterr().out and rows(database) == after


# ------------------------------------------------------------------ 0003: risk control
def test_risk_tables_come_with_0003_and_go_with_its_downgrade(tmp_path: Path) -> None:
    """0003 only adds tables: a downgrade to 0002 drops them and leaves every other row as it was."""
    path = tmp_path / "assistant.db"
    url = load_release(path)
    upgrade_database(url)
    con = sqlite3.connect(path)
    account, payee = con.execute(
        "SELECT a.id, p.id FROM accounts a, payees p WHERE a.customer_id = p.customer_id"
    ).fetchone()
    con.execute(
        "INSERT INTO held_transfers (request_key, customer_id, from_account_id, to_payee_id, kind, amount_cents,"
        " reasons, status, created_at, decided_by) VALUES ('k1', 'demo', ?, ?, 'transfer', 800000, '[]', 'held',"
        " '2026-12-01 02:00:00', '')",
        (account, payee),
    )
    con.execute(
        "INSERT INTO security_events (customer_id, kind, at) VALUES ('demo', 'new_device', '2026-12-01 01:00:00')"
    )
    con.commit()
    con.close()
    with_risk = rows(path)
    assert len(with_risk["held_transfers"]) == 1 and len(with_risk["security_events"]) == 1

    engine = create_engine(url, future=True)
    try:
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0002")
    finally:
        engine.dispose()
    assert version(path) == ["0002"]
    at_0002 = rows(path)
    assert at_0002.keys() == with_risk.keys() - NEW_TABLES
    assert all(at_0002[t] == with_risk[t] for t in at_0002)

    assert upgrade_database(url) == f"upgraded 0002 → {HEAD}"
    assert all(rows(path)[t] == {} for t in NEW_TABLES)
    assert schema_differences(path) == []
