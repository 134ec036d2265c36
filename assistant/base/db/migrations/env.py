"""Alembic's environment for the application database.

``assistant.base.db.migrate`` runs it with its own connection, already inside the one locked
transaction of an upgrade (``config.attributes["connection"]``). The alembic command line
(``assistant/base/db/alembic.ini``) is for writing and reading revisions; it connects to
``-x url=...`` or else DATABASE_URL / the default SQLite file, without the upgrade lock.
"""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any, Optional

from alembic import context
from sqlalchemy import create_engine, pool
from sqlalchemy.engine import Connection

from assistant.base.db.migrate import NEIGHBOUR_TABLES
from assistant.base.db.models import Base

config = context.config
target_metadata = Base.metadata


def _include_name(name: Optional[str], type_: str, _parent: Any) -> bool:
    """Leave other programs' tables in a shared database (Rasa's tracker store) out of autogenerate."""
    return not (type_ == "table" and name in NEIGHBOUR_TABLES)


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        include_name=_include_name,
        compare_type=True,
        render_as_batch=True,  # SQLite alters a table by copying it; batch operations do that
        **kwargs,
    )


def _cli_url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from assistant.base.config import Settings

    return Settings.from_env().database_url


def run_with(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():  # nothing to begin when the caller's transaction is open
        context.run_migrations()


def main() -> None:
    given = config.attributes.get("connection")
    if given is not None:
        run_with(given)
        return
    if config.config_file_name is not None:
        fileConfig(config.config_file_name)
    if context.is_offline_mode():
        _configure(url=_cli_url(), literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_cli_url(), poolclass=pool.NullPool, future=True)
    try:
        with engine.connect() as connection:
            run_with(connection)
    finally:
        engine.dispose()


main()
