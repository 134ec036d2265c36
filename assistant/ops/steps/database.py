"""Setup step: the application database at the schema of this release (Alembic migrations, run in
place on an existing database), with the demo data."""

from __future__ import annotations

from assistant.bank.seed import seed_demo_data
from assistant.base.config import Settings
from assistant.base.db.engine import session_scope
from assistant.base.db.migrate import upgrade_database
from assistant.ops.steps.console import say


def ensure_database(settings: Settings) -> None:
    """Upgrade (or create) the schema, then (dev only) seed the demo customers into an empty database.
    A database no revision describes stops the setup with the migration's explanation."""
    say(f"database schema: {upgrade_database(settings.database_url)}")
    if not settings.is_dev:  # a bank's database gets no demo customers
        say("database ready")
        return
    with session_scope(settings.database_url, write=True) as session:
        if seed_demo_data(session):
            say("database created and demo data seeded")
        else:
            say("database ready")
