"""The two per-turn computations of Rasa done once (assistant/ops/stack/rasa_speedups.py) give Rasa's
own answers: the same event class for every type name, the same verdict on action-server answers."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.ops.stack.rasa_speedups import speed_up_rasa
from tests.support.asyncrun import run_async


@pytest.fixture(scope="module")
def original():
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event
    from rasa.utils.endpoints import EndpointConfig

    before = (Event.resolve_by_type, RemoteAction._validate_action_result, EndpointConfig.session)
    speed_up_rasa()
    speed_up_rasa()  # a second call changes nothing
    yield before
    Event.resolve_by_type = staticmethod(before[0])
    RemoteAction._validate_action_result = before[1]
    EndpointConfig.session = before[2]


def test_every_event_type_resolves_to_rasas_class(original):
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    names = {cls.type_name for cls in all_subclasses(Event)}
    assert {"user", "bot", "slot", "action", "session_started", "active_loop"} <= names
    for name in sorted(names) * 2:  # the second round comes from the cache
        assert Event.resolve_by_type(name) is original[0](name)
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", default=Event) is Event
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")


@pytest.mark.parametrize(
    "answer,valid",
    [
        ({"events": [{"event": "slot", "name": "a", "value": 1}], "responses": [{"text": "好的"}]}, True),
        ({"events": [], "responses": []}, True),
        ({}, True),
        ({"events": [{"event": "no_such_event"}]}, False),
        ({"events": "not a list"}, False),
        ({"responses": ["not an object"]}, False),
        ([], False),
    ],
)
def test_action_answers_get_rasas_verdict(original, answer, valid):
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction

    action = RemoteAction("action_x", None)
    if valid:
        assert action._validate_action_result(answer) is True
        assert original[1](action, answer) is True
    else:
        with pytest.raises(ValidationError, match="Failed to validate Action server response"):
            action._validate_action_result(answer)
        with pytest.raises(ValidationError):
            original[1](action, answer)


def _event_types():
    from rasa.core.actions.action import RemoteAction

    items = RemoteAction.action_response_format_spec()["properties"]["events"]["items"]
    return [alt["properties"]["event"]["const"] for alt in items["oneOf"]]


_JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=3),
    st.lists(st.integers(0, 2), max_size=2),
    st.dictionaries(st.sampled_from(["name", "text", "confidence"]), st.text(max_size=2), max_size=2),
)
_FIELDS = (
    "name",
    "value",
    "text",
    "timestamp",
    "metadata",
    "parse_data",
    "intent",
    "entities",
    "policy",
    "confidence",
    "data",
    "input_channel",
    "message_id",
    "action_text",
    "hide_rule_turn",
    "key",
)


@given(
    st.lists(
        st.builds(
            lambda kind, fields: {"event": kind, **fields},
            st.sampled_from([*_event_types(), "no_such_event"]),
            st.dictionaries(st.sampled_from(_FIELDS), _JSON_VALUES, max_size=4),
        ),
        max_size=4,
    ),
    st.one_of(st.none(), st.lists(st.one_of(st.just({"text": "好"}), _JSON_VALUES), max_size=2)),
)
@settings(max_examples=400, deadline=None)
def test_the_check_by_event_type_agrees_with_the_full_schema(events, responses):
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    from assistant.ops.stack.rasa_speedups import events_by_type_check

    schema = RemoteAction.action_response_format_spec()
    full = validator_for(schema)(schema)
    quick = events_by_type_check(schema, validator_for(schema))
    answer = {"events": events} if responses is None else {"events": events, "responses": responses}
    assert quick is not None and quick(answer) == full.is_valid(answer)


def test_calls_to_an_endpoint_reuse_one_connection_and_send_the_same_json(original):
    """Rasa opened a new connection for every action call; the body, headers and answer stay Rasa's."""
    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig

    body = {
        "next_action": "action_x",
        "tracker": {"events": [{"event": "user", "text": "给张三转五十/元 \ud800"}]},  # a lone surrogate too
        "n": 1.5,
        "big": 2**70,
    }

    async def scenario():
        peers, seen = set(), []

        async def webhook(request):
            peers.add(request.transport.get_extra_info("peername"))  # the client's address and port
            seen.append((await request.json(), request.headers.get("X-Action-Secret")))
            return web.json_response({"events": [], "responses": [{"text": "好"}]})

        app = web.Application()
        app.router.add_post("/webhook", webhook)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook", headers={"X-Action-Secret": "s"})
        answers = [await endpoint.request(json=body, method="post") for _ in range(3)]
        async with endpoint.session() as session:
            await session.close()  # the server would close it with its loop
        await runner.cleanup()
        return peers, seen, answers

    peers, seen, answers = run_async(scenario())
    assert len(peers) == 1
    assert seen == [(body, "s")] * 3
    assert answers == [{"events": [], "responses": [{"text": "好"}]}] * 3
