"""What every action needs: the verified customer id and a database session."""
from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator

from rasa_sdk import Tracker
from sqlalchemy.orm import Session

from assistant.config import Settings
from assistant.db.engine import session_scope


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.from_env()


def customer_id(tracker: Tracker) -> str:
    """The gateway sets the conversation id to the verified token's subject."""
    return tracker.sender_id


@contextmanager
def db(write: bool = False) -> Iterator[Session]:
    with session_scope(settings().database_url, write=write) as session:
        yield session
