"""The endpoints file Rasa runs with, and the masking tracker store it names."""

import json
import os

import pytest
import yaml

from assistant.base.config import ConfigError, Settings
from assistant.ops.stack.endpoints import redis_stores, runtime_endpoints
from tests.support.asyncrun import run_async

MASKING = "assistant.ops.stack.tracker_store.MaskingTrackerStore"


def test_without_redis_conversations_are_kept_in_a_sqlite_tracker_store(tmp_path):
    path = runtime_endpoints(Settings.from_env({"ASSISTANT_DATA_DIR": str(tmp_path)}))
    text = path.read_text()
    assert path.parent == tmp_path and "url: ${ACTION_ENDPOINT_URL}" in text
    assert yaml.safe_load(text)["tracker_store"] == {
        "type": MASKING,
        "store": {"type": "SQL", "dialect": "sqlite", "db": str(tmp_path / "trackers.db")},
    }


def test_with_postgresql_the_tracker_store_shares_its_database(tmp_path):
    url = "postgresql+psycopg2://bank:pw@db.internal:5432/assistant"
    path = runtime_endpoints(Settings.from_env({"ASSISTANT_DATA_DIR": str(tmp_path), "DATABASE_URL": url}))
    assert yaml.safe_load(path.read_text())["tracker_store"] == {
        "type": MASKING,
        "store": {"type": "SQL", "dialect": "postgresql", "url": url},
    }


def test_redis_url_adds_tracker_and_lock_stores(tmp_path):
    path = runtime_endpoints(
        Settings.from_env({"ASSISTANT_DATA_DIR": str(tmp_path), "REDIS_URL": "redis://:s3cret@cache.internal:6380/2"})
    )
    text = path.read_text()
    assert "url: ${ACTION_ENDPOINT_URL}" in text  # still substituted by Rasa
    config = yaml.safe_load(text)
    assert config["tracker_store"] == {
        "type": MASKING,
        "store": {
            "type": "redis",
            "url": "cache.internal",
            "port": 6380,
            "use_ssl": False,
            "password": "s3cret",
            "db": 2,
            "record_exp": 604800,
        },
    }
    assert config["lock_store"]["db"] == 3 and config["lock_store"]["type"] == "redis"


@pytest.mark.parametrize("url", ["http://x", "redis://", "redis://h:notaport/0", "redis://h/x"])
def test_bad_redis_urls_are_refused(url):
    with pytest.raises(ConfigError):
        redis_stores(url)


# ------------------------------------------------------------------ the masking tracker store
CARD, PHONE, CODE = "6222021234567890123", "13800138000", "357246"
SECRETS = (
    CARD,
    PHONE,
    CODE,
    "6222 0212 3456 7890 123",
    "138-0013-8000",
    "１３８００１３８０００",
    "三五七二四六",
    "幺三八零零幺三八零零零",
    "3 5 7 2 4 6",
)
KEY = "3f2a9b8c4d5e6f708192a3b4c5d6e7f8"


@pytest.fixture(scope="module")
def domain():
    from rasa.shared.core.domain import Domain

    from assistant.base.config import REPO_ROOT

    return Domain.load(str(REPO_ROOT / "domain.yml"))


@pytest.fixture
def rasa_env(monkeypatch):
    """The variables Rasa substitutes into the endpoints file."""
    monkeypatch.setenv("ACTION_ENDPOINT_URL", "http://127.0.0.1:5055/webhook")
    monkeypatch.setenv("ACTION_SERVER_SECRET", "test-secret")


def load_store(endpoints_path, domain):
    """The tracker store exactly as `rasa run --endpoints` builds it."""
    from rasa.core.tracker_store import TrackerStore
    from rasa.utils.endpoints import read_endpoint_config

    return TrackerStore.create(read_endpoint_config(str(endpoints_path), "tracker_store"), domain)


def user(text, intent="inform", entities=(), metadata=None):
    from rasa.shared.core.events import UserUttered

    parse = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": list(entities)}
    return UserUttered(text, parse["intent"], list(entities), parse_data=parse, metadata=metadata or {})


def entity(text, said, kind, value):
    start = text.index(said)
    return {"entity": kind, "start": start, "end": start + len(said), "value": value, "text": said}


def a_turn_full_of_numbers():
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet

    first = "我的卡号是6222 0212 3456 7890 123，手机138-0013-8000，转123456元给张三"
    return [
        user(
            first,
            "transfer_money",
            [
                entity(first, "6222 0212 3456 7890 123", "account", CARD),
                entity(first, "123456元", "amount", 12_345_600),
                entity(first, "张三", "payee", "张三"),
            ],
            metadata={"customer_id": "demo", "voice": False, "phone": "１３８００１３８０００"},
        ),
        SlotSet("transfer_key", KEY),
        SlotSet("transfer_to_account", "6688"),
        SlotSet("transfer_amount", 123456.0),
        SlotSet("transfer_payee", "张三"),
        BotUttered(f"已记下收款卡号{CARD}", data={"card": CARD, "phone": PHONE}),
        ActionExecuted("action_listen"),
        user("验证码是三五七二四六"),
        SlotSet("transfer_code", "verified"),
        user("幺三八零零幺三八零零零 3 5 7 2 4 6"),
    ]


def leaks(text):
    return [s for s in SECRETS if s in text or json.dumps(s)[1:-1] in text]


def test_the_runtime_tracker_store_masks_what_it_writes_to_sqlite(tmp_path, rasa_env, domain):
    import sqlite3

    from assistant.ops.stack.tracker_store import MaskingTrackerStore

    store = load_store(runtime_endpoints(Settings.from_env({"ASSISTANT_DATA_DIR": str(tmp_path)})), domain)
    assert isinstance(store, MaskingTrackerStore)

    async def turn():
        tracker = await store.get_or_create_tracker("demo")
        for event in a_turn_full_of_numbers():
            tracker.update(event)
        await store.save(tracker)
        return tracker, await store.retrieve("demo")

    live, stored = run_async(turn())
    assert live.latest_message.text == "幺三八零零幺三八零零零 3 5 7 2 4 6"  # the running turn keeps the clear text
    with sqlite3.connect(tmp_path / "trackers.db") as db:
        rows = [
            " ".join(map(str, row))
            for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
            for row in db.execute(f"SELECT * FROM {table}")
        ]
    assert len(rows) == len(live.events)
    assert not [(row[:80], leaks(row)) for row in rows if leaks(row)]
    assert not leaks((tmp_path / "trackers.db").read_bytes().decode("utf-8", "replace"))
    assert stored.latest_message.text == "幺三八****八零零零 ******"
    # What the forms read later is intact: slots (last four, amount, key), intents, entities that are not secret.
    assert [
        stored.get_slot(s)
        for s in ("transfer_key", "transfer_to_account", "transfer_amount", "transfer_payee", "transfer_code")
    ] == [KEY, "6688", 123456.0, "张三", "verified"]
    first = next(e for e in stored.events if getattr(e, "intent_name", None) == "transfer_money")
    assert first.text == "我的卡号是***************0123，手机138****8000，转123456元给张三"
    spans = {e["entity"]: (e["value"], first.text[e["start"] : e["end"]]) for e in first.parse_data["entities"]}
    assert spans == {
        "account": ("***************0123", "***************0123"),
        "amount": (12_345_600, "123456元"),
        "payee": ("张三", "张三"),
    }


def test_a_later_turn_appends_to_the_masked_history(tmp_path, rasa_env, domain):
    import sqlite3

    store = load_store(runtime_endpoints(Settings.from_env({"ASSISTANT_DATA_DIR": str(tmp_path)})), domain)

    async def two_turns():
        tracker = await store.get_or_create_tracker("demo")
        tracker.update(user(f"卡号{CARD}"))
        await store.save(tracker)
        tracker = await store.get_or_create_tracker("demo")  # as Rasa does at the next message
        tracker.update(user(f"验证码{CODE}"))
        assert tracker.latest_message.text == f"验证码{CODE}"  # understood and acted on in clear
        await store.save(tracker)
        return tracker

    tracker = run_async(two_turns())
    with sqlite3.connect(tmp_path / "trackers.db") as db:
        texts = [json.loads(data).get("text") for (data,) in db.execute("SELECT data FROM events ORDER BY id")]
    assert len(texts) == len(tracker.events) == 3
    assert texts[1:] == ["卡号***************0123", "验证码******"]


def test_a_save_masks_only_what_the_turn_added(tmp_path, rasa_env, domain, monkeypatch):
    """Events read back from the store were masked when saved: the next save reuses them as they are
    (masking the whole session on every turn was a tenth of Rasa's CPU) and masks only the new ones."""
    from assistant.ops.stack import tracker_store as module

    store = load_store(runtime_endpoints(Settings.from_env({"ASSISTANT_DATA_DIR": str(tmp_path)})), domain)
    masked_now = []
    original = module.mask_event
    monkeypatch.setattr(module, "mask_event", lambda event: masked_now.append(event.get("text")) or original(event))

    async def two_turns():
        tracker = await store.get_or_create_tracker("demo")
        tracker.update(user(f"卡号{CARD}"))
        await store.save(tracker)
        first = list(masked_now)
        masked_now.clear()
        tracker = await store.get_or_create_tracker("demo")
        tracker.update(user(f"验证码{CODE}"))
        await store.save(tracker)
        return first, await store.retrieve("demo")

    first, stored = run_async(two_turns())
    assert first[-1] == f"卡号{CARD}"  # a new conversation: nothing was read from the store
    assert masked_now == [f"验证码{CODE}"]  # the next turn: only its own message
    assert [getattr(e, "text", None) for e in stored.events] == [None, "卡号***************0123", "验证码******"]


def test_the_lean_sql_store_reads_what_rasas_own_reads(tmp_path, rasa_env, domain):
    """Rows read as JSON text, not ORM objects: the same trackers as Rasa's SQL store, latest session and all."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.events import SessionStarted

    from assistant.ops.stack.tracker_store import LeanSQLTrackerStore

    store = load_store(runtime_endpoints(Settings.from_env({"ASSISTANT_DATA_DIR": str(tmp_path)})), domain)
    assert type(store.inner) is LeanSQLTrackerStore

    async def conversation():
        tracker = await store.get_or_create_tracker("demo")
        for event in a_turn_full_of_numbers()[:6]:
            tracker.update(event)
        await store.save(tracker)
        tracker = await store.get_or_create_tracker("demo")
        tracker.update(SessionStarted())
        tracker.update(user("查余额", "check_balance"))
        await store.save(tracker)
        rasas = SQLTrackerStore(domain, db=str(tmp_path / "trackers.db"))
        return (
            [await s.retrieve("demo") for s in (store.inner, rasas)],
            [await s.retrieve_full_tracker("demo") for s in (store.inner, rasas)],
            await store.inner.retrieve("nobody"),
        )

    (lean, own), (lean_all, own_all), nobody = run_async(conversation())
    assert lean.events == own.events and len(lean.events) == 2 and lean.latest_message.text == "查余额"
    assert lean_all.events == own_all.events and len(lean_all.events) > len(lean.events)
    assert lean.current_slot_values() == own.current_slot_values() and nobody is None


POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "")


def sql_store(cls, dialect: str, tmp_path, name: str):
    """A Rasa SQL tracker store of class ``cls`` on SQLite (the file ``name``) or the test PostgreSQL."""
    if dialect == "postgresql":
        if not POSTGRES_URL:
            pytest.skip("TEST_POSTGRES_URL not set (e.g. postgresql://postgres@localhost/assistant_test)")
        return cls(None, dialect="postgresql", host=POSTGRES_URL)
    return cls(None, db=str(tmp_path / f"{name}.db"))


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_the_lean_sql_store_writes_the_rows_rasas_own_writes(tmp_path, domain, dialect):
    """Saves inserted as SQL, without the ORM: the same rows as Rasa's SQL store, turn after turn, a new
    session included; a tracker saved again unchanged adds nothing; what it reads back is Rasa's."""
    import uuid

    import sqlalchemy as sa
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.events import SessionStarted

    from assistant.ops.stack.tracker_store import LeanSQLTrackerStore

    classes = (SQLTrackerStore, LeanSQLTrackerStore)
    stores = [sql_store(cls, dialect, tmp_path, cls.__name__) for cls in classes]
    for store in stores:
        store.domain = domain
    events = a_turn_full_of_numbers()
    senders = [f"lean-{uuid.uuid4().hex[:12]}" for _ in stores]  # PostgreSQL: one table for both stores

    async def conversation(store, sender):
        tracker = await store.get_or_create_tracker(sender)
        for event in events[:4]:
            tracker.update(event)
        await store.save(tracker)
        await store.save(tracker)
        tracker = await store.retrieve(sender)
        for event in (*events[4:], SessionStarted(), user("查余额", "check_balance")):
            tracker.update(event)
        await store.save(tracker)
        readers = [sql_store(cls, dialect, tmp_path, type(store).__name__) for cls in classes]  # the same rows
        for reader in readers:
            reader.domain = domain
        return [await r.retrieve(sender) for r in readers], [await r.retrieve_full_tracker(sender) for r in readers]

    rows = []
    for store, sender in zip(stores, senders):
        (lean, own), (lean_all, own_all) = run_async(conversation(store, sender))
        assert lean.events == own.events and lean_all.events == own_all.events and len(lean.events) == 2
        with store.engine.begin() as db:
            found = db.execute(
                sa.text(
                    "SELECT type_name, timestamp, intent_name, action_name, data FROM events"
                    " WHERE sender_id = :s ORDER BY id"
                ),
                {"s": sender},
            ).all()
            db.execute(sa.text("DELETE FROM events WHERE sender_id = :s"), {"s": sender})
        # Timestamps aside (each store's first action_listen is made when its tracker is created).
        assert all(json.loads(row[4])["timestamp"] == row[1] for row in found)
        rows.append([(row[0], row[2], row[3], {**json.loads(row[4]), "timestamp": 0}) for row in found])
    assert rows[0] == rows[1] and len(rows[1]) == 1 + len(events) + 2  # action_listen, the turn, the session
    assert {r[1] for r in rows[1]} >= {"check_balance"}


def test_a_stored_message_keeps_its_best_readings_only():
    """DIET ranks every intent; the stored copy keeps the best ten (the running turn saw them all)."""
    from assistant.ops.stack.tracker_store import STORED_RANKING, mask_event

    ranking = [{"name": f"intent_{i}", "confidence": round(1 / (i + 2), 4)} for i in range(40)]
    event = user(f"卡号{CARD}", "check_balance").as_dict()
    event["parse_data"]["intent_ranking"] = ranking
    stored = mask_event(event)
    assert stored["parse_data"]["intent_ranking"] == ranking[:STORED_RANKING] and STORED_RANKING == 10
    assert stored["parse_data"]["intent"] == {"name": "check_balance", "confidence": 0.9}
    assert stored["text"] == stored["parse_data"]["text"] == "卡号***************0123"
    assert len(event["parse_data"]["intent_ranking"]) == 40  # the turn's own event is not changed


def test_a_tracker_built_elsewhere_is_masked_in_full(domain):
    """Only events this store read back count as stored: equal events of another tracker are masked."""
    from rasa.shared.core.trackers import DialogueStateTracker

    from assistant.ops.stack.tracker_store import StoredEvents, masked_tracker

    stored = StoredEvents()
    seen = DialogueStateTracker.from_events("demo", [user(f"卡号{CARD}")], domain.slots)
    stored.remember(seen)
    other = DialogueStateTracker.from_events("demo", [user(f"卡号{CARD}")], domain.slots)
    assert other.events[0] == seen.events[0] and other.events[0] not in stored
    assert masked_tracker(other, stored).latest_message.text == "卡号***************0123"
    assert masked_tracker(seen, stored).latest_message.text == f"卡号{CARD}"  # trusted: it came from the store


def test_the_redis_tracker_store_gets_masked_trackers(tmp_path, rasa_env, domain):

    class FakeRedis(dict):
        def get(self, key):
            return dict.get(self, key)

        def set(self, key, value, ex=None):
            self[key] = value

        def keys(self, pattern="*"):
            return list(dict.keys(self))

    path = runtime_endpoints(
        Settings.from_env({"ASSISTANT_DATA_DIR": str(tmp_path), "REDIS_URL": "redis://cache.internal:6379/0"})
    )
    store = load_store(path, domain)
    store.inner.red = FakeRedis()  # no Redis server here: keep what would be sent to it

    async def turn():
        tracker = await store.get_or_create_tracker("demo")
        for event in a_turn_full_of_numbers():
            tracker.update(event)
        await store.save(tracker)
        return await store.retrieve("demo")

    stored = run_async(turn())
    (value,) = store.inner.red.values()
    assert CARD[:6] not in value and not leaks(value)
    assert stored.get_slot("transfer_key") == KEY and stored.latest_message.text == "幺三八****八零零零 ******"


def test_the_masking_store_needs_a_real_store_to_wrap(domain):
    from assistant.ops.stack.tracker_store import MaskingTrackerStore

    with pytest.raises(ValueError):
        MaskingTrackerStore(domain)
    with pytest.raises(ValueError):
        MaskingTrackerStore(domain, store={"type": "assistant.ops.stack.tracker_store.MaskingTrackerStore"})


def test_the_store_keeps_each_turns_reading_for_the_gateway_channel_once(tmp_path, rasa_env, domain):
    """One pass per message: the channel answers with what NLU made of the message, taken from the
    save that ends the turn, instead of the gateway asking for the whole tracker again."""
    from types import SimpleNamespace

    from rasa.core.tracker_store import AwaitableTrackerStore
    from rasa.shared.core.events import UserUttered

    from assistant.ops.stack.gateway_channel import _reading
    from assistant.ops.stack.tracker_store import MaskingTrackerStore, RecentReadings

    store = load_store(runtime_endpoints(Settings.from_env({"ASSISTANT_DATA_DIR": str(tmp_path)})), domain)
    assert isinstance(store, MaskingTrackerStore)
    ranking = [{"name": "check_balance", "confidence": 0.8, "id": 1}, {"name": "greet", "confidence": 0.1, "id": 2}]

    async def turn(message_id: str, text: str) -> None:
        tracker = await store.get_or_create_tracker("demo")
        parse = {"text": text, "intent": {"name": "check_balance", "confidence": 0.8}, "intent_ranking": ranking}
        tracker.update(UserUttered(text, parse["intent"], [], parse_data=parse, message_id=message_id))
        await store.save(tracker)

    run_async(turn("m1", "我卡里还有多少钱 6222021234567890123"))
    # As Rasa's server holds it (wrapped), reached from the channel's request.
    request = SimpleNamespace(
        app=SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(tracker_store=AwaitableTrackerStore(store))))
    )
    assert _reading(request, "m1") == {
        "intent": {"name": "check_balance", "confidence": 0.8},
        "intent_ranking": [{"name": "check_balance", "confidence": 0.8}, {"name": "greet", "confidence": 0.1}],
    }  # names and confidences only: nothing of the text travels back
    assert _reading(request, "m1") is None  # taken once
    assert _reading(SimpleNamespace(app=SimpleNamespace(ctx=SimpleNamespace())), "m1") is None

    readings = RecentReadings(capacity=2)
    for n in range(3):
        tracker = run_async(store.get_or_create_tracker(f"c{n}"))
        tracker.update(UserUttered("你好", {"name": "greet", "confidence": 1.0}, [], message_id=f"x{n}"))
        readings.remember(tracker)
    assert readings.take("x0") is None and readings.take("x2")["intent"]["name"] == "greet"


def test_a_long_conversation_starts_a_new_session_at_a_quiet_moment(tmp_path, rasa_env, domain):
    """Rasa replays the whole current session on every turn: past 30 messages, with no task open,
    the store closes the session the way Rasa opens one, so the next turn loads only what follows —
    and every slot the bot knew is still there."""
    from rasa.shared.core.constants import ACTION_LISTEN_NAME
    from rasa.shared.core.events import ActionExecuted, ActiveLoop, SessionStarted, SlotSet

    from assistant.ops.stack.tracker_store import COMPACT_AFTER_TURNS, user_turns_in_session

    store = load_store(runtime_endpoints(Settings.from_env({"ASSISTANT_DATA_DIR": str(tmp_path)})), domain)

    async def talk(sender: str, turns: int, open_task: bool) -> tuple:
        tracker = await store.get_or_create_tracker(sender)
        tracker.update(SlotSet("transfer_payee", "张三"))
        if open_task:
            tracker.update(ActiveLoop("transfer_form"))
        for n in range(turns):
            tracker.update(user(f"第{n}句话", "greet"))
            tracker.update(ActionExecuted("utter_greet"))
            tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
            await store.save(tracker)
            tracker = await store.retrieve(sender)
        return tracker, await store.retrieve_full_tracker(sender)

    current, full = run_async(talk("long", COMPACT_AFTER_TURNS + 5, open_task=False))
    assert user_turns_in_session(current) == 5  # the session began again after the 30th message
    assert current.get_slot("transfer_payee") == "张三"
    assert sum(isinstance(e, SessionStarted) for e in full.events) == 1
    assert sum(1 for e in full.events if getattr(e, "text", None)) == COMPACT_AFTER_TURNS + 5  # nothing lost

    busy, _ = run_async(talk("mid_task", COMPACT_AFTER_TURNS + 5, open_task=True))
    assert user_turns_in_session(busy) == COMPACT_AFTER_TURNS + 5  # never in the middle of a task


def _snapshot(tracker):
    """What a turn sees of a tracker: its events and its state."""
    from rasa.shared.core.trackers import EventVerbosity

    state = tracker.current_state(EventVerbosity.ALL)
    return [e.as_dict() for e in tracker.events], {k: v for k, v in state.items() if k != "latest_event_time"}


def test_a_kept_session_is_the_session_read_back(tmp_path, rasa_env, domain):
    """The next turn starts from the session its save left in memory: the same events and state as
    reading the rows back (a fresh store of another server), a new conversation and a closed session
    included, and without touching the rows."""
    from rasa.shared.core.constants import ACTION_LISTEN_NAME
    from rasa.shared.core.events import ActionExecuted

    from assistant.ops.stack.tracker_store import COMPACT_AFTER_TURNS

    endpoints = runtime_endpoints(Settings.from_env({"ASSISTANT_DATA_DIR": str(tmp_path)}))
    store = load_store(endpoints, domain)

    async def compare(turns: int) -> int:
        hits = 0
        tracker = await store.get_or_create_tracker("kept")
        for n in range(turns):
            for event in a_turn_full_of_numbers() if n == 0 else (user(f"第{n}句话", "greet"),):
                tracker.update(event)
            tracker.update(ActionExecuted("utter_greet"))
            tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
            await store.save(tracker)
            fresh = load_store(endpoints, domain)  # reads the rows
            read_back = await fresh.retrieve("kept")
            kept = store.inner.kept._by_sender["kept"][1]
            assert _snapshot(kept) == _snapshot(read_back), f"turn {n}"
            tracker = await store.retrieve("kept")
            hits += tracker is kept
        return hits

    assert run_async(compare(COMPACT_AFTER_TURNS + 3)) == COMPACT_AFTER_TURNS + 3


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_a_kept_session_is_dropped_when_another_server_wrote_since(tmp_path, rasa_env, domain, dialect):
    import uuid

    import sqlalchemy as sa
    from rasa.shared.core.events import ActionExecuted

    env = {"ASSISTANT_DATA_DIR": str(tmp_path)}
    if dialect == "postgresql":
        if not POSTGRES_URL:
            pytest.skip("TEST_POSTGRES_URL not set (e.g. postgresql://postgres@localhost/assistant_test)")
        env["DATABASE_URL"] = POSTGRES_URL
    endpoints = runtime_endpoints(Settings.from_env(env))
    ours, theirs = load_store(endpoints, domain), load_store(endpoints, domain)
    sender = f"moved-{uuid.uuid4().hex[:12]}"

    async def turns():
        tracker = await ours.get_or_create_tracker(sender)
        tracker.update(user("你好", "greet"))
        await ours.save(tracker)
        other = await theirs.retrieve(sender)  # the conversation moved to another server for a turn
        other.update(user("查余额", "check_balance"))
        other.update(ActionExecuted("action_check_balance"))
        await theirs.save(other)
        back = await ours.retrieve(sender)
        again = await ours.retrieve(sender)  # a turn takes its kept session: a second read goes to the rows
        return back, again

    back, again = run_async(turns())
    with ours.inner.engine.begin() as db:  # PostgreSQL's table is shared with other runs
        db.execute(sa.text("DELETE FROM events WHERE sender_id = :s"), {"s": sender})
    assert back.latest_message.text == "查余额" and back.latest_action_name == "action_check_balance"
    assert _snapshot(again) == _snapshot(back)


def test_a_new_model_drops_the_kept_sessions(tmp_path, rasa_env, domain):
    store = load_store(runtime_endpoints(Settings.from_env({"ASSISTANT_DATA_DIR": str(tmp_path)})), domain)

    async def turn():
        tracker = await store.get_or_create_tracker("model")
        tracker.update(user("你好", "greet"))
        await store.save(tracker)

    run_async(turn())
    assert "model" in store.inner.kept._by_sender
    store.domain = domain  # what Rasa does when it loads a model
    assert "model" not in store.inner.kept._by_sender
