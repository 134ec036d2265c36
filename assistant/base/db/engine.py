"""Engine and session factory; SQLite by default, any SQLAlchemy URL by DATABASE_URL."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from assistant.base.db.migrate import upgrade_database

log = logging.getLogger(__name__)


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and enforced foreign keys."""
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
        # A pool of open connections: SQLAlchemy 1.4 opens a new SQLite connection (and runs the pragmas
        # below) for every session by default, a third of the gateway's CPU per chat turn.
        engine = create_engine(
            url,
            future=True,
            poolclass=QueuePool,
            pool_size=5,
            max_overflow=10,
            connect_args={"timeout": 30, "check_same_thread": False},
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # pragma: no cover - trivial
            # Let SQLAlchemy's BEGIN reach SQLite so writers can take the lock up front.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn) -> None:  # pragma: no cover - trivial
            # Writers ask for the lock at BEGIN (see session_scope(write=True)) so that
            # read-modify-write of balances can never interleave; readers stay concurrent.
            immediate = conn.get_execution_options().get("sqlite_immediate", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(url, future=True, pool_pre_ping=True)


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine (and connection pool) per URL per process, on a database brought to the newest
    schema first (``upgrade_database``: locked, and a quick look when it is already there)."""
    log.info("database %s", upgrade_database(url))
    return make_engine(url)


def session_factory(url: str) -> sessionmaker:
    return sessionmaker(bind=engine_for(url), future=True, expire_on_commit=False)


@contextmanager
def session_scope(url: str, write: bool = False) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on any error.

    ``write=True`` takes SQLite's write lock when the transaction starts, so a
    balance read inside it is still true when the update is written.
    """
    session = session_factory(url)()
    if write and url.startswith("sqlite"):
        session.connection(execution_options={"sqlite_immediate": True})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
