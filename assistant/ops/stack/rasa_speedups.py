"""Places where Rasa 3.6 redoes, on every turn, work whose result never changes while a server runs;
found with py-spy on a running Rasa server (``docs/performance.md``) and done once here.

Each keeps Rasa's behaviour: the same class for an event type name, the same schema and the same
``ValidationError`` for a bad action-server answer, the same requests to its endpoints. Installed by
``assistant.ops.stack.rasa_server`` before Rasa starts; calling ``speed_up_rasa`` again changes nothing.
"""

from __future__ import annotations

import asyncio
import json
import weakref
from typing import Any, Callable, Dict, Optional

import ujson

CACHED = "_assistant_cached"
KEPT_SESSIONS = "_assistant_sessions"
# Idle connections to an endpoint are dropped after this long: well inside the action server's own
# keep-alive (Sanic's default, 5 s), so Rasa never sends on a connection the server is closing.
ENDPOINT_KEEPALIVE_S = 2.0


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


def _dumps(value: Any) -> str:
    """JSON text for a request body: ujson (the tracker sent with every action call is 30-140 kB; ~2.3x
    quicker than the standard library), the standard library for what ujson refuses. ASCII, as the
    standard library writes it: a lone surrogate in a customer's text stays an escape instead of text
    that cannot be encoded."""
    try:
        return ujson.dumps(value, ensure_ascii=True, escape_forward_slashes=False)
    except (TypeError, OverflowError, ValueError):
        return json.dumps(value)


class _KeptSession:
    """``async with endpoint.session()`` on a session that outlives the block (it lives as long as its loop)."""

    def __init__(self, session: Any) -> None:
        self._session = session

    async def __aenter__(self) -> Any:
        return self._session

    async def __aexit__(self, *_: Any) -> None:
        return None


def keep_endpoint_connections() -> None:
    """Rasa's ``EndpointConfig.request`` opened a new aiohttp session — a new TCP connection, accepted by
    the action server — for every action call, and closed it after. Each endpoint now keeps one session
    per event loop (the same headers, authentication and timeout) whose connections are reused."""
    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

    if getattr(EndpointConfig.session, CACHED, False):
        return

    def session(self: EndpointConfig) -> Any:
        # Kept on the endpoint itself (it is not hashable), one per event loop (tests run several).
        sessions = self.__dict__.setdefault(KEPT_SESSIONS, weakref.WeakKeyDictionary())
        loop = asyncio.get_running_loop()
        current = sessions.get(loop)
        if current is None or current.closed:
            auth = (
                aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
            )
            current = aiohttp.ClientSession(
                headers=self.headers,
                auth=auth,
                timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                connector=aiohttp.TCPConnector(keepalive_timeout=ENDPOINT_KEEPALIVE_S),
                json_serialize=_dumps,
            )
            sessions[loop] = current
        return _KeptSession(current)

    setattr(session, CACHED, True)
    EndpointConfig.session = session  # type: ignore[method-assign, assignment]


def speed_up_rasa() -> None:
    cache_event_types()
    check_action_answers_with_one_validator()
    keep_endpoint_connections()
