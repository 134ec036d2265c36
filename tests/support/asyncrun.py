"""Run a coroutine to completion from a synchronous test, whatever the main thread is doing.

The browser tests keep Playwright's sync API (an event loop running in the main thread) open for the
whole session, and ``asyncio.run`` refuses to start inside a running loop: so the coroutine gets a
fresh loop of its own in a worker thread."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Coroutine, TypeVar

T = TypeVar("T")


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(asyncio.run, coroutine).result()
