"""The two per-turn computations of Rasa done once (assistant/ops/stack/rasa_speedups.py) give Rasa's
own answers: the same event class for every type name, the same verdict on action-server answers."""

import pytest

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
