"""Two places where Rasa 3.6 redoes, on every turn, work whose result never changes while a server
runs; found with py-spy on a running Rasa server (``docs/performance.md``) and done once here.

Both keep Rasa's behaviour: the same class for an event type name, the same schema and the same
``ValidationError`` for a bad action-server answer. Installed by ``assistant.ops.stack.rasa_server``
before Rasa starts; calling ``speed_up_rasa`` again changes nothing.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional

CACHED = "_assistant_cached"


def cache_event_types() -> None:
    """Rasa finds an event's class by walking every subclass of ``Event`` (``inspect.isabstract`` on
    each) for every event it reads back from the tracker store: 13 % of a small-talk turn's CPU.
    The classes do not change while the server runs, so each type name is resolved once; unknown
    names and defaults still take Rasa's own path (and its errors)."""
    from rasa.shared.core.events import Event

    original = Event.resolve_by_type
    if getattr(original, CACHED, False):
        return
    found: Dict[str, Any] = {}

    def resolve_by_type(type_name: str, default: Optional[Any] = None) -> Optional[Any]:
        cls = found.get(type_name)
        if cls is None:
            cls = original(type_name, default)
            if cls is not None and getattr(cls, "type_name", None) == type_name:
                found[type_name] = cls
        return cls

    setattr(resolve_by_type, CACHED, True)
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign, assignment]


def events_by_type_check(schema: Dict[str, Any], validator_class: Any) -> Optional[Callable[[Any], bool]]:
    """A quicker yes for the action answer schema: each event must match exactly one of 23 alternatives
    (``oneOf``), one per event type, so jsonschema tried all 23 on every event (~1.7 ms for an answer of
    nine events). An event can only match the alternative whose ``event`` constant is its type, so this
    checks the answer's shape without ``oneOf`` and each event against that one alternative: True
    exactly when the full schema says valid. None when the schema is not built that way."""
    events = schema.get("properties", {}).get("events", {})
    items = events.get("items", {})
    alternatives = items.get("oneOf") or []
    types = [alt.get("properties", {}).get("event", {}).get("const") for alt in alternatives]
    if not alternatives or None in types or len(set(types)) != len(types):
        return None
    shape = {
        **schema,
        "properties": {
            **schema["properties"],
            "events": {**events, "items": {k: v for k, v in items.items() if k != "oneOf"}},
        },
    }
    shape_validator = validator_class(shape)
    by_type = {name: validator_class(alt) for name, alt in zip(types, alternatives)}

    def valid(result: Any) -> bool:
        if not shape_validator.is_valid(result):
            return False
        for event in result.get("events") or ():
            alternative = by_type.get(event["event"])
            if alternative is None or not alternative.is_valid(event):
                return False
        return True

    return valid


def check_action_answers_with_one_validator() -> None:
    """Rasa checks every answer of the action server with ``jsonschema.validate``, which first
    validates the (constant) schema itself against the JSON-Schema meta-schema: 47 % of Rasa's CPU in
    a turn that runs one custom action. The schema is checked once and its validator kept; answers
    are still validated in full (valid ones by event type, ``events_by_type_check``), and a bad one
    still raises ``ValidationError`` with Rasa's hint."""
    from jsonschema import ValidationError
    from jsonschema.exceptions import best_match
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    if getattr(RemoteAction._validate_action_result, CACHED, False):
        return
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    quick_yes = events_by_type_check(schema, validator_class)

    def _validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
        if quick_yes is not None and quick_yes(result):
            return True
        error = best_match(validator.iter_errors(result))  # Rasa's verdict and message for anything else
        if error is None:
            return True
        assert isinstance(error, ValidationError)
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the Action "
            f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error

    setattr(_validate_action_result, CACHED, True)
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]


def speed_up_rasa() -> None:
    cache_event_types()
    check_action_answers_with_one_validator()
