"""Objects that live as long as the process — a loaded model, jieba's dictionary, the sentence model,
the search index — kept out of Python's cyclic garbage collector (``gc.freeze``).

A Rasa server holds about a million such objects: every full collection examined them all, a pause
of 250–430 ms that fell on whichever customer's turn was running (the load benchmark's p99). Frozen
after a load, a full collection takes well under a millisecond. Garbage is still freed by reference
counting; cycles among objects made later are still collected.
"""

from __future__ import annotations

import asyncio
import gc
from typing import Any

from assistant.ops.stack.free_memory import malloc_trim

FREEZE_AFTER_LOAD_S = 1.0
_PATCHED = "_assistant_freezes"


def freeze_long_lived() -> None:
    """Collect, then freeze what is left, and hand what the collection freed back to the system at
    once (a server that just loaded a model held ~80 MB more until the next periodic trim, up to
    seconds later: the load benchmark's first level saw Rasa servers at 1.25 GB). What an earlier
    freeze kept (a model replaced since) is examined again first, so a published model's predecessor
    is collected rather than kept."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    trim = malloc_trim()
    if trim is not None:
        trim()


def freeze_after_model_loads(delay_s: float = FREEZE_AFTER_LOAD_S) -> None:
    """Freeze ``delay_s`` after Rasa loads a model (at start and on ``PUT /model``): by then the server
    has replaced its agent, so the old one is garbage when the collection runs."""
    import rasa.core.agent as agent_module

    original = agent_module.load_agent
    if getattr(original, _PATCHED, False):
        return

    async def load_agent(*args: Any, **kwargs: Any) -> Any:
        loaded = await original(*args, **kwargs)
        asyncio.get_running_loop().call_later(delay_s, freeze_long_lived)
        return loaded

    setattr(load_agent, _PATCHED, True)
    agent_module.load_agent = load_agent  # type: ignore[assignment]
