"""The summary a customer confirms, and which one a 确认 is for.

Every summary carries the key of the request it describes (``summary_key``); the gateway passes
on the key of the summary the customer's client showed. Request keys are letters only, so no
masker of numbers can alter them.
"""

from __future__ import annotations

import secrets
import string
from typing import Dict, List, Optional

from rasa_sdk import Tracker

SUMMARY_KEY = "summary_key"
RESHOWN = "reshow_of"  # on the note before a summary shown again because a 确认 did not match it
KEY_LETTERS = 24


def new_key() -> str:
    """A request key: 24 random letters (~112 bits). No digits, so no masker mistakes it for a number."""
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(KEY_LETTERS))


def summary_key_said(tracker: Tracker) -> Optional[str]:
    """The summary the customer's client says this message confirms (gateway metadata), if any."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            key = (event.get("metadata") or {}).get(SUMMARY_KEY)
            return key if isinstance(key, str) and key else None
    return None


def summaries_shown(tracker: Tracker, prefix: str) -> List[str]:
    """Keys of this form's summaries shown since the form last started, oldest first."""
    keys: List[str] = []
    for event in reversed(tracker.events):
        if event.get("event") == "active_loop" and event.get("name") is None:
            break  # the end of an earlier run of a form: its summaries had other keys
        custom = (event.get("data") or {}).get("custom") if event.get("event") == "bot" else None
        if isinstance(custom, dict) and custom.get("summary_of") == prefix and custom.get(SUMMARY_KEY):
            keys.append(custom[SUMMARY_KEY])
    return keys[::-1]


def reshown_in_last_turn(tracker: Tracker, key: str) -> bool:
    """The bot's answer to the previous message showed the summary of ``key`` again (after a 确认 that
    did not match), and nothing was said in between: a plain 确认 now confirms what was just shown."""
    users = [i for i, event in enumerate(tracker.events) if event.get("event") == "user"]
    if len(users) < 2:
        return False
    between = tracker.events[users[-2] + 1 : users[-1]]
    return any(
        event.get("event") == "bot" and ((event.get("data") or {}).get("custom") or {}).get(RESHOWN) == key
        for event in between
    )


def summary_data(prefix: str, key: str) -> Dict[str, str]:
    """What a summary's custom payload carries so that its 确认 can be bound to it."""
    return {SUMMARY_KEY: key, "summary_of": prefix}


def last_summary_key(tracker: Tracker) -> Optional[str]:
    """The key of the latest summary the bot showed in this conversation, of any form."""
    for event in reversed(tracker.events):
        custom = (event.get("data") or {}).get("custom") if event.get("event") == "bot" else None
        if isinstance(custom, dict) and custom.get(SUMMARY_KEY):
            return str(custom[SUMMARY_KEY])
    return None
