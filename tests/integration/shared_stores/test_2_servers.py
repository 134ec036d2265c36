"""On this package's stack (two Rasa servers, Redis, PostgreSQL): where conversations and the ledger
live, and a rolling publish under load — after the conversation tests."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

from assistant.base.db.migrate import head_revision

# Collected again: they run on this stack (the killed server first: the publish then restarts nothing).
from tests.integration.test_rasa_servers import (  # noqa: F401
    test_a_killed_rasa_server_loses_no_conversation_and_comes_back,
    test_a_rolling_publish_under_load_fails_no_request_and_leaves_no_old_model,
)
from tests.support.stack import Stack

pytestmark = pytest.mark.integration
REDIS_URL = os.environ.get("TEST_REDIS_URL", "")  # set when the stack of this package runs at all


def test_conversations_live_in_redis_and_the_ledger_in_postgresql(stack: Stack, demo_token: str) -> None:
    import redis

    stack.chat(demo_token, "查余额")
    assert redis.Redis.from_url(REDIS_URL, db=0).exists("demo") or any(
        b"demo" in key for key in redis.Redis.from_url(REDIS_URL, db=0).keys("*")
    )
    assert stack.env["DATABASE_URL"].startswith("postgresql")
    engine = create_engine(stack.env["DATABASE_URL"], future=True)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM chat_turns WHERE customer_id = 'demo'")).scalar() >= 1
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head_revision()
    engine.dispose()
