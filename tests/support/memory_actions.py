"""The real actions on an InMemoryBank, driven with trackers as Rasa sends them to the action server:
the ``bank`` fixture puts the bank behind ``actions.common.bank()`` and makes opening a database engine
fail; ``user_says``, ``run``, ``apply`` and ``summary_shown`` build the turns and read their results."""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.common as common
from assistant.bank.memory import InMemoryBank
from assistant.base.db import engine
from tests.support.asyncrun import run_async

CUSTOMER = "demo"


@pytest.fixture(name="bank")
def memory_bank(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemoryBank]:
    def no_database(*_: Any, **__: Any) -> None:
        raise AssertionError("an action opened a database engine")

    for name in ("engine_for", "make_engine", "session_factory"):
        monkeypatch.setattr(engine, name, no_database)
    memory = InMemoryBank.with_demo_data(dev_outbox=True)
    common.use_bank(memory)
    yield memory
    common.use_bank(None)


# ------------------------------------------------------------------ trackers and runs
def user_says(
    text: str,
    intent: str,
    slots: Optional[Dict[str, Any]] = None,
    entities: Tuple[Dict[str, Any], ...] = (),
    history: Tuple[Dict[str, Any], ...] = (),
    form: Optional[str] = None,
    strength: Optional[str] = None,
) -> Tracker:
    """A tracker as Rasa sends it to the action server; the login's strength (``auth_strength``) is in
    the user message's metadata, where the gateway puts it."""
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": list(entities)}
    metadata = {"auth_strength": strength} if strength else {}
    events = [
        *([{"event": "active_loop", "name": form}] if form else []),
        *history,
        {"event": "user", "text": text, "parse_data": latest, "metadata": metadata},
    ]
    loop = {"name": form} if form else {}
    return Tracker(CUSTOMER, dict(slots or {}), latest, events, False, None, loop, "action_listen")


def run(action: Any, tracker: Tracker) -> Tuple[str, List[Dict[str, Any]], List[Dict[str, Any]]]:
    """What the customer is told, the messages as sent, and the events the action returns."""
    dispatcher = CollectingDispatcher()
    events = run_async(action.run(dispatcher, tracker, {}))
    return "\n".join(m.get("text") or "" for m in dispatcher.messages), dispatcher.messages, events


def apply(slots: Dict[str, Any], events: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {**slots, **{e["name"]: e["value"] for e in events if e.get("event") == "slot"}}


def summary_shown(messages: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The bot event of a summary, as the tracker would hold it (its key binds the 确认)."""
    custom = next(m["custom"] for m in messages if m.get("custom"))
    return {"event": "bot", "text": "summary", "data": {"custom": custom}}
