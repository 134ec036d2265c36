"""Rasa's tracker store, masked: conversations are kept (SQL or Redis) without card numbers, phone
numbers or verification codes in clear.

Rasa processes a turn on the tracker in memory and saves it when the turn is over, so the
current message is understood and acted on in clear (the SMS-code step reads the code from the
latest message of the same turn); only what is written to the real store is masked, and later
turns see the masked history. Intents, entity names, slot values the forms use (last four
digits, amounts, idempotency keys) stay as they were, so retrieved trackers keep working.

endpoints.yml (see ``assistant.ops.stack.endpoints``)::

    tracker_store:
      type: assistant.ops.stack.tracker_store.MaskingTrackerStore
      store: {type: SQL, dialect: sqlite, db: data/trackers.db}   # or type: redis, url: …
"""

from __future__ import annotations

import itertools
import json
import weakref
from collections import OrderedDict
from typing import Any, Container, Dict, Iterable, List, Optional, Tuple

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SerializedTrackerAsText, SQLTrackerStore, TrackerStore, create_tracker_store
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.conversation import Dialogue
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, SlotSet, UserUttered, deserialise_events
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy import event as sa_event
from sqlalchemy.pool import QueuePool

from assistant.base.masking import Finding, apply_findings, find_sensitive, mask_sensitive, mask_value, masked_position

# Messages in one Rasa session before it is closed at the next quiet moment (see start_new_session_if_long).
COMPACT_AFTER_TURNS = 30
# Readings kept for the gateway channel to collect (one per turn in flight is enough; old ones go).
READINGS_KEPT = 4096
# Conversations whose latest saved session a Rasa server keeps in memory between their turns (each a
# few hundred kB at most; a conversation mid-turn holds none).
SESSIONS_KEPT = 128
# A stored message keeps its best readings only (the running turn sees them all): DIET ranks every
# intent, and the full ranking was 60 % of a stored message and of the tracker sent with each action call.
STORED_RANKING = 10
# Keys of an event that never hold customer text: kept as they are.
_STRUCTURAL_KEYS = frozenset({"event", "timestamp", "name", "policy", "confidence", "input_channel", "message_id"})


def _overlapping(findings: List[Finding], start: Any, end: Any) -> List[Finding]:
    if not isinstance(start, int) or not isinstance(end, int):
        return []
    return [f for f in findings if f.start < end and start < f.end]


def mask_entity(entity: Dict[str, Any], findings: List[Finding], masked_text: str) -> Dict[str, Any]:
    """The entity with its span moved onto the masked text. One whose span touches a sensitive number
    gets the masked span as its text and value; the others (amounts, payees, 尾号6688) keep their
    value, which the forms may still need."""
    start, end = entity.get("start"), entity.get("end")
    if not isinstance(start, int) or not isinstance(end, int):
        return mask_value(entity)  # no span to judge by: mask whatever looks sensitive
    hits = _overlapping(findings, start, end)
    if hits:
        start, end = min([start] + [f.start for f in hits]), max([end] + [f.end for f in hits])
    new_start, new_end = masked_position(findings, start), masked_position(findings, end)
    moved = {**entity, "start": new_start, "end": new_end}
    if hits:
        moved["value"] = moved["text"] = masked_text[new_start:new_end]
    return moved  # judged in context: "123456" in "转123456元" is money, not a code


def mask_user_event(event: Dict[str, Any]) -> Dict[str, Any]:
    """The message as it is stored: masked, its intent ranking cut to the best ``STORED_RANKING``."""
    parse = event.get("parse_data")
    if isinstance(parse, dict) and isinstance(parse.get("intent_ranking"), list):
        parse = {**parse, "intent_ranking": parse["intent_ranking"][:STORED_RANKING]}
        event = {**event, "parse_data": parse}
    masked = {
        k: v if k in _STRUCTURAL_KEYS else mask_value(v)
        for k, v in event.items()
        if not (k == "parse_data" and isinstance(parse, dict))  # masked field by field below
    }
    text = event.get("text")
    if isinstance(text, str):
        masked["text"] = mask_sensitive(text)
    if isinstance(parse, dict):
        parse_text = parse.get("text") if isinstance(parse.get("text"), str) else ""
        findings = find_sensitive(parse_text)
        masked_text = apply_findings(parse_text, findings)
        masked["parse_data"] = {k: mask_value(v) for k, v in parse.items() if k not in ("text", "entities")}
        if "text" in parse:
            masked["parse_data"]["text"] = masked_text if parse_text else parse["text"]
        if "entities" in parse:
            masked["parse_data"]["entities"] = [
                mask_entity(e, findings, masked_text) if isinstance(e, dict) else mask_value(e)
                for e in parse.get("entities") or []
            ]
    return masked


def mask_event(event: Dict[str, Any]) -> Dict[str, Any]:
    """The event as it may be stored: customer text, bot text and data, metadata and slot values masked."""
    if event.get("event") == "user":
        return mask_user_event(event)
    return {k: v if k in _STRUCTURAL_KEYS else mask_value(v) for k, v in event.items()}


class StoredEvents:
    """The events of trackers read from the store, by identity: they were masked when they were
    saved, so a save masks only what the turn added (masking the whole session again on every turn
    cost more than the NLU). Weak references: an event is forgotten with its tracker."""

    def __init__(self) -> None:
        self._events: weakref.WeakValueDictionary[int, Event] = weakref.WeakValueDictionary()

    def remember(self, tracker: Optional[DialogueStateTracker]) -> None:
        for event in tracker.events if tracker is not None else ():
            self._events[id(event)] = event

    def __contains__(self, event: Event) -> bool:
        return self._events.get(id(event)) is event


def masked_tracker(tracker: DialogueStateTracker, stored: Container[Event] = ()) -> DialogueStateTracker:
    """A copy of the tracker rebuilt from masked events (the tracker of the running turn is untouched).
    Events in ``stored`` came from the store, masked already, and are reused as they are."""
    events: List[Event] = []
    for event in tracker.events:
        if event in stored:
            events.append(event)
        else:
            events.extend(deserialise_events([mask_event(event.as_dict())]))
    copy = tracker.init_copy()
    copy.recreate_from_dialogue(Dialogue(tracker.sender_id, events))
    return copy


def _share_sqlite(store: Any) -> None:
    """Several Rasa servers write one SQLite tracker file: WAL (readers never wait for a writer), a
    generous busy timeout (a writer waits its turn instead of failing with "database is locked") and
    a pool of open connections (SQLAlchemy 1.4 opens a new SQLite connection for every session by
    default: a fifth of a small-talk turn went to opening files and setting pragmas)."""
    store = getattr(store, "_tracker_store", store)
    engine = getattr(store, "engine", None)
    if engine is None or engine.dialect.name != "sqlite":
        return
    engine.dispose()
    engine = sa.create_engine(
        engine.url, poolclass=QueuePool, pool_size=4, max_overflow=8, connect_args={"check_same_thread": False}
    )
    store.engine = engine
    store.sessionmaker = sa.orm.session.sessionmaker(bind=engine)

    @sa_event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


def user_turns_in_session(tracker: DialogueStateTracker) -> int:
    """Customer messages since the conversation's current Rasa session began."""
    turns = 0
    for event in reversed(tracker.events):
        if isinstance(event, SessionStarted):
            break
        if isinstance(event, UserUttered):
            turns += 1
    return turns


def start_new_session_if_long(tracker: DialogueStateTracker, after_turns: int = COMPACT_AFTER_TURNS) -> bool:
    """Rasa reloads and replays the whole current session on every turn, so a conversation slows
    down as it grows. Past ``after_turns`` messages, at a quiet moment (no task open, the bot waiting
    for the customer), the session is closed the way Rasa opens one — session start, the slots carried
    over, listen — so the next turn loads only what follows; nothing the bot knows is lost."""
    if tracker.active_loop_name or tracker.latest_action_name != ACTION_LISTEN_NAME:
        return False
    if user_turns_in_session(tracker) < after_turns:
        return False
    values = {name: slot.value for name, slot in tracker.slots.items() if slot.value is not None}
    tracker.update(ActionExecuted(ACTION_SESSION_START_NAME))
    tracker.update(SessionStarted())
    # Made after SessionStarted: stores load a session's events by timestamp from its start.
    for name, value in values.items():
        tracker.update(SlotSet(name, value))
    tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
    return True


def latest_session(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """The tracker as the SQL store reads it back: the events from its latest session start on (by
    timestamp, as ``_event_query`` selects them); the tracker itself when that is all of it."""
    starts = [event.timestamp for event in tracker.events if isinstance(event, SessionStarted)]
    since = max(starts) if starts else None
    if since is None or all(event.timestamp >= since for event in tracker.events):
        return tracker
    events = [event for event in tracker.events if event.timestamp >= since]
    return DialogueStateTracker.from_events(tracker.sender_id, events, tracker.slots.values())


class KeptSessions:
    """The session each conversation's last save left, with the id of the last row it wrote: its next
    turn (usually on the same server: the gateway routes a customer to one) starts from it instead of
    reading the rows back, parsing their JSON and replaying every event. A turn takes its entry (so a
    turn that fails leaves nothing behind), and uses it only while that id is still the conversation's
    last row: a turn another server ran since, or an API call that wrote events, means reading back."""

    def __init__(self, capacity: int = SESSIONS_KEPT) -> None:
        self._capacity = capacity
        self._by_sender: OrderedDict[str, Tuple[int, DialogueStateTracker]] = OrderedDict()

    def put(self, last_id: int, tracker: DialogueStateTracker) -> None:
        self._by_sender.pop(tracker.sender_id, None)
        self._by_sender[tracker.sender_id] = (last_id, tracker)
        while len(self._by_sender) > self._capacity:
            self._by_sender.popitem(last=False)

    def take(self, sender_id: str) -> Optional[Tuple[int, DialogueStateTracker]]:
        return self._by_sender.pop(sender_id, None)

    def clear(self) -> None:
        self._by_sender.clear()


class LeanSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store with the same rows, queries and results, minus the ORM on the turn's
    path: Rasa rebuilt its session query with the ORM (and compiled it) twice per turn — to read the
    session, then to count it before a save — made an ORM object per event only to read its ``data``
    back, and flushed one ORM object per new event; together a fifth of a small-talk turn in Rasa.
    Here the statements are built once (the latest session, in id order: Rasa's ``_event_query``)
    and run as SQL, and a save inserts the new events in one statement.

    With ``kept`` set (``KeptSessions``; only by an owner that saves trackers nobody touches afterwards,
    such as ``MaskingTrackerStore``'s masked copies), the session a save wrote is kept for the next turn."""

    kept: Optional[KeptSessions] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        table = self.SQLEvent.__table__
        sender = sa.bindparam("sender_id")
        session_start = (
            sa.select(sa.func.max(table.c.timestamp))
            .where(table.c.sender_id == sender, table.c.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        in_session = sa.and_(
            table.c.sender_id == sender, sa.or_(table.c.timestamp >= session_start, session_start.is_(None))
        )
        self._session_rows = sa.select(table.c.data).where(in_session).order_by(table.c.id)
        self._all_rows = sa.select(table.c.data).where(table.c.sender_id == sender).order_by(table.c.id)
        self._session_size = sa.select(sa.func.count()).select_from(table).where(in_session)
        self._last_id = sa.select(sa.func.max(table.c.id)).where(table.c.sender_id == sender)
        self._insert = table.insert()

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        kept = None
        if self.kept is not None and not fetch_events_from_all_sessions:
            kept = self.kept.take(sender_id)
        with self.engine.connect() as connection:
            if kept is not None and connection.execute(self._last_id, {"sender_id": sender_id}).scalar() == kept[0]:
                return kept[1]
            statement = self._all_rows if fetch_events_from_all_sessions else self._session_rows
            rows = connection.execute(statement, {"sender_id": sender_id}).scalars().all()
        if not self.domain or not rows:
            return None
        return DialogueStateTracker.from_dict(sender_id, [json.loads(data) for data in rows], self.domain.slots)

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        with self.engine.begin() as connection:
            stored = connection.execute(self._session_size, {"sender_id": tracker.sender_id}).scalar_one()
            rows = [event_row(tracker.sender_id, event) for event in itertools.islice(tracker.events, stored, None)]
            if rows:
                connection.execute(self._insert, rows)
            last_id = None
            if self.kept is not None:
                last_id = connection.execute(self._last_id, {"sender_id": tracker.sender_id}).scalar()
        if self.kept is not None and last_id is not None:
            self.kept.put(last_id, latest_session(tracker))


def event_row(sender_id: str, event: Event) -> Dict[str, Any]:
    """An event as Rasa's SQL tracker store writes it (``SQLTrackerStore.save``)."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": ((data.get("parse_data") or {}).get("intent") or {}).get("name"),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


class RecentReadings:
    """The intent readings of the latest messages, by message id, kept from the save that ends their
    turn: the gateway channel hands a message's reading back with the bot's reply, so the gateway
    never asks for the tracker again (a second request that replays the whole conversation)."""

    def __init__(self, capacity: int = READINGS_KEPT) -> None:
        self._capacity = capacity
        self._by_message: OrderedDict[str, Dict[str, Any]] = OrderedDict()

    def remember(self, tracker: DialogueStateTracker) -> None:
        message = tracker.latest_message
        message_id = getattr(message, "message_id", None) if message is not None else None
        if not message_id:
            return
        parse = message.parse_data or {}
        intent = parse.get("intent") or {}
        self._by_message[message_id] = {
            "intent": {"name": intent.get("name"), "confidence": intent.get("confidence")},
            "intent_ranking": [
                {"name": r.get("name"), "confidence": r.get("confidence")} for r in parse.get("intent_ranking") or []
            ],
        }
        while len(self._by_message) > self._capacity:  # turns whose reply never came back for it
            self._by_message.popitem(last=False)

    def take(self, message_id: str) -> Optional[Dict[str, Any]]:
        return self._by_message.pop(message_id, None)


class MaskingTrackerStore(TrackerStore, SerializedTrackerAsText):
    """Wraps the real tracker store (``store``: its endpoint settings) and masks every save."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        host: Optional[str] = None,
        event_broker: Optional[EventBroker] = None,
        store: Optional[Dict[str, Any]] = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(store, dict) or not store.get("type"):
            raise ValueError("MaskingTrackerStore needs the real tracker store's settings under `store:`")
        if str(store["type"]).endswith(type(self).__name__):
            raise ValueError("MaskingTrackerStore cannot wrap itself")
        config = dict(store)
        if str(config["type"]).lower() == "sql":
            config["type"] = f"{LeanSQLTrackerStore.__module__}.{LeanSQLTrackerStore.__qualname__}"
        self._store = create_tracker_store(EndpointConfig.from_dict(config), domain, event_broker)
        _share_sqlite(self._store)
        if isinstance(self._store, LeanSQLTrackerStore):
            self._store.kept = KeptSessions()  # it is given masked copies, which nothing else holds
        self._readings = RecentReadings()
        self._stored = StoredEvents()
        super().__init__(domain, None, **kwargs)

    @property
    def inner(self) -> TrackerStore:
        """The real store (its rows hold the masked conversations)."""
        return self._store

    @property
    def domain(self) -> Domain:
        return self._store.domain

    @domain.setter
    def domain(self, domain: Optional[Domain]) -> None:
        # Rasa sets the domain when a model is loaded; the real store rebuilds trackers with its slots.
        if hasattr(self, "_store"):
            self._store.domain = domain or Domain.empty()
            if isinstance(self._store, LeanSQLTrackerStore) and self._store.kept is not None:
                self._store.kept.clear()  # sessions replayed with the old model's slots

    async def save(self, tracker: DialogueStateTracker) -> None:
        self._readings.remember(tracker)
        start_new_session_if_long(tracker)
        await self._store.save(masked_tracker(tracker, self._stored))

    def reading_of(self, message_id: str) -> Optional[Dict[str, Any]]:
        """What NLU made of the message ``message_id`` (saved in this process; taken once)."""
        return self._readings.take(message_id)

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        tracker = await self._store.retrieve(sender_id)
        self._stored.remember(tracker)
        return tracker

    async def retrieve_full_tracker(self, conversation_id: str) -> Optional[DialogueStateTracker]:
        return await self._store.retrieve_full_tracker(conversation_id)

    async def exists(self, conversation_id: str) -> bool:
        return await self._store.exists(conversation_id)

    async def keys(self) -> Iterable[str]:
        return await self._store.keys()
