"""The two per-turn computations of Rasa done once (assistant/ops/stack/rasa_speedups.py) give Rasa's
own answers: the same event class for every type name, the same verdict on action-server answers."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.ops.stack.rasa_speedups import speed_up_rasa


@pytest.fixture(scope="module")
def original():
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event

    before = (Event.resolve_by_type, RemoteAction._validate_action_result)
    speed_up_rasa()
    speed_up_rasa()  # a second call changes nothing
    yield before
    Event.resolve_by_type = staticmethod(before[0])
    RemoteAction._validate_action_result = before[1]


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
