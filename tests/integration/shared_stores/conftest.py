"""The stack of this package: the multi-server topology with shared stores — two Rasa servers, Redis
for conversations and their locks, PostgreSQL for the application database (what docs/deployment.md
describes for more than one machine). Its modules run, in order, the conversation tests once more
(test_1_*) and then what changes the demo customer's state: a killed server, a rolling publish under
load (test_2_*). Skipped, with the reason, where Redis or PostgreSQL cannot run; `make test` installs
both when it can (scripts/ensure_redis.sh, scripts/ensure_postgres.sh)."""

from __future__ import annotations

import os
import uuid
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

# The same tests, collected again in this module: they run on this module's `stack`.
from tests.integration.test_banking_conversations import *  # noqa: F401,F403,E402
from tests.integration.test_rasa_servers import (  # noqa: F401,E402
    test_a_killed_rasa_server_loses_no_conversation_and_comes_back,
    test_a_rolling_publish_under_load_fails_no_request_and_leaves_no_old_model,
)
from tests.support.stack import Stack, isolated_training, pid_alive, rasa_servers_by_default

pytestmark = pytest.mark.integration
REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "")


def fresh_database(server_url: str) -> str:
    """A new, empty PostgreSQL database on the test server; its URL."""
    name = f"assistant_topology_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return str(make_url(server_url).set(database=name).render_as_string(hide_password=False))


def drop_database(server_url: str, url: str) -> None:
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not REDIS_URL or not POSTGRES_URL:
        pytest.skip("Redis or PostgreSQL is not available here (TEST_REDIS_URL / TEST_POSTGRES_URL unset)")
    import redis

    for db in (0, 1):  # tracker store and lock store: nothing left from an earlier run
        redis.Redis.from_url(REDIS_URL, db=db).flushdb()
    database_url = fresh_database(POSTGRES_URL)
    root = tmp_path_factory.mktemp("shared-stores")
    running = Stack(
        data_dir=root / "data",
        rasa_servers=max(2, rasa_servers_by_default()),  # the topology under test, even on one core
        extra_env={**isolated_training(root), "REDIS_URL": REDIS_URL, "DATABASE_URL": database_url},
    ).start()
    try:
        yield running
    finally:
        pids = running.child_pids()
        running.stop()
        drop_database(POSTGRES_URL, database_url)
    assert not [p for p in pids if pid_alive(p)], "stack processes left behind after stop"


@pytest.fixture(scope="package")
def demo_token(stack: Stack) -> str:
    return stack.token("demo")
