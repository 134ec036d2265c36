"""Setup step: the application database at the schema of this release, with the demo data."""

from __future__ import annotations

from assistant.bank.seed import seed_demo_data
from assistant.base.config import Settings
from assistant.base.db.engine import session_scope
from assistant.ops.steps.console import say


def ensure_database(settings: Settings) -> None:
    with session_scope(settings.database_url, write=True) as session:
        if seed_demo_data(session):
            say("database created and demo data seeded")
        else:
            say("database ready")
