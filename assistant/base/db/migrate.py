"""Bring the application database to the newest schema (Alembic revisions in ``migrations/versions``).

Every process that opens the database calls ``upgrade_database`` first (``engine_for`` does), and
several may start at once on one file, so an upgrade runs under an exclusive lock — an ``flock``'d
file beside a SQLite database, ``pg_advisory_xact_lock`` on PostgreSQL — in one transaction (SQLite:
``BEGIN IMMEDIATE``; both have transactional DDL), re-reading the version once it holds the lock:
the first process upgrades, the others find it done, and a failed upgrade leaves nothing half-made.

A database without ``alembic_version`` was made by ``create_all`` of release 2026-11 (or is empty).
It is adopted only when its tables and columns are exactly those of revision 0001, which is then
stamped without running; anything else is refused (``UnknownDatabaseError``), never guessed at.
"""

from __future__ import annotations

import fcntl
import hashlib
import time
from contextlib import contextmanager, nullcontext
from functools import lru_cache
from pathlib import Path
from typing import Dict, Iterator, List, Optional

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.operations import Operations
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import NullPool, StaticPool

from assistant.base.clock import legacy_wallclock_zone

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001"  # the schema of release 2026-11, the last one made by create_all
VERSION_TABLE = "alembic_version"
# Tables of other programs that may share the database: Rasa's SQL tracker store writes its
# conversations into the PostgreSQL database of DATABASE_URL (assistant.ops.stack.endpoints).
NEIGHBOUR_TABLES = frozenset({"events"})
LOCK_WAIT_SECONDS = 300.0  # another process's upgrade of a large ledger may take a while
# One advisory-lock key for this application's schema, the same in every process.
_PG_LOCK_KEY = int.from_bytes(hashlib.sha256(b"assistant.base.db.migrate").digest()[:8], "big", signed=True)

Shape = Dict[str, Dict[str, bool]]  # table -> column -> nullable


class UnknownDatabaseError(RuntimeError):
    """The database holds a schema no revision describes: an operator must upgrade it by hand."""


def alembic_config(connection: Connection) -> Config:
    """An Alembic configuration that runs on ``connection`` (and in its transaction, if one is open)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def _scripts() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS_DIR))


def head_revision() -> str:
    head = _scripts().get_current_head()
    assert head is not None, "no migrations"
    return head


def _sqlite_file(url: str) -> Optional[Path]:
    """The file of a SQLite URL; None for other databases. In-memory SQLite is refused: each engine
    would see a database of its own, so the schema made here would not be the one used."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:" or parsed.database.startswith("file:"):
        raise ValueError(f"only SQLite databases in a file can be migrated, not {parsed!r}")
    return Path(parsed.database)


def _migration_engine(url: str, sqlite_file: Optional[Path]) -> Engine:
    """A one-connection engine for the upgrade alone (the application's engines are made later)."""
    if sqlite_file is None:
        return create_engine(url, future=True, poolclass=NullPool)
    sqlite_file.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True, poolclass=NullPool, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_conn, _record) -> None:  # pragma: no cover - trivial
        dbapi_conn.isolation_level = None  # SQLAlchemy's BEGIN below reaches SQLite, DDL included
        # Off for the upgrade: a batch migration copies and drops tables that others refer to.
        dbapi_conn.execute("PRAGMA foreign_keys=OFF")
        dbapi_conn.execute("PRAGMA busy_timeout=30000")

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn) -> None:  # pragma: no cover - trivial
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock from the first statement on

    return engine


@contextmanager
def _file_lock(database: Path) -> Iterator[None]:
    """Exclusive across processes and threads (flock holds per open file), bounded wait."""
    lock_path = database.with_name(database.name + ".migrate.lock")
    with open(lock_path, "a+b") as handle:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"another process has held {lock_path} for {LOCK_WAIT_SECONDS:.0f} s") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _shape(conn: Connection) -> Shape:
    inspector = inspect(conn)
    return {
        table: {column["name"]: bool(column["nullable"]) for column in inspector.get_columns(table)}
        for table in inspector.get_table_names()
        if table != VERSION_TABLE and table not in NEIGHBOUR_TABLES
    }


@lru_cache(maxsize=1)
def _baseline_shape() -> Shape:
    """Tables and columns of revision 0001, made by the revision itself in a scratch database."""
    engine = create_engine("sqlite://", future=True, poolclass=StaticPool)
    try:
        with engine.connect() as conn, Operations.context(MigrationContext.configure(conn)):
            _scripts().get_revision(BASELINE).module.upgrade()
            return _shape(conn)
    finally:
        engine.dispose()


def _baseline_differences(have: Shape) -> List[str]:
    want = _baseline_shape()
    found = [f"no table {t}" for t in sorted(want.keys() - have.keys())]
    found += [f"unknown table {t}" for t in sorted(have.keys() - want.keys())]
    for table in sorted(want.keys() & have.keys()):
        found += [f"no column {table}.{c}" for c in sorted(want[table].keys() - have[table].keys())]
        found += [f"unknown column {table}.{c}" for c in sorted(have[table].keys() - want[table].keys())]
        found += [
            f"{table}.{c} is {'' if have[table][c] else 'NOT '}NULL"
            for c in sorted(want[table].keys() & have[table].keys())
            if want[table][c] != have[table][c]
        ]
    return found


def _upgrade(conn: Connection, shown_url: str) -> str:
    """Inside the locked transaction: find where the database stands and take it to head."""
    head = head_revision()
    current = MigrationContext.configure(conn).get_current_revision()
    if current is None:
        have = _shape(conn)
        if not have:
            command.upgrade(alembic_config(conn), "head")
            return f"created at {head}"
        problems = _baseline_differences(have)
        if problems:
            raise UnknownDatabaseError(
                f"the database {shown_url} has tables but no {VERSION_TABLE}, and they are not those of "
                f"release 2026-11 (revision {BASELINE}): {'; '.join(problems)}. It is from an unknown release "
                "and must be upgraded by hand; nothing was changed."
            )
        command.stamp(alembic_config(conn), BASELINE)
        command.upgrade(alembic_config(conn), "head")
        return (
            f"adopted release 2026-11 at {BASELINE}, upgraded {BASELINE} → {head} "
            f"(its bank times read as {legacy_wallclock_zone()} wall-clock time; LEGACY_WALLCLOCK_TZ)"
        )
    if current == head:
        return f"up to date at {head}"
    if current not in {script.revision for script in _scripts().walk_revisions()}:
        raise UnknownDatabaseError(
            f"the database {shown_url} is at revision {current}, which this code does not know (its newest "
            f"is {head}): it was upgraded by a newer release; run that release, nothing was changed."
        )
    command.upgrade(alembic_config(conn), "head")
    return f"upgraded {current} → {head}"


def upgrade_database(url: str) -> str:
    """Take the database at ``url`` to the newest revision; says in a few words what it did."""
    sqlite_file = _sqlite_file(url)
    shown_url = repr(make_url(url))  # the password hidden
    # Without a file, PostgreSQL's advisory lock (or, elsewhere, the transaction itself) serializes.
    lock = _file_lock(sqlite_file) if sqlite_file is not None else nullcontext()
    engine = _migration_engine(url, sqlite_file)
    try:
        with lock, engine.connect() as conn, conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            done = _upgrade(conn, shown_url)
            reached = MigrationContext.configure(conn).get_current_revision()
            if reached != head_revision():  # pragma: no cover - a broken revision chain
                raise RuntimeError(f"upgrade of {shown_url} ended at {reached}, not {head_revision()}")
            return done
    finally:
        engine.dispose()


__all__ = ["BASELINE", "UnknownDatabaseError", "alembic_config", "head_revision", "upgrade_database"]
