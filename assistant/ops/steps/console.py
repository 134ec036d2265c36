"""The operator's console: one prefixed line per step, flushed at once (the launcher's output is
read by people and by the tests that wait for it)."""

from __future__ import annotations


def say(message: str) -> None:
    print(f"==> {message}", flush=True)
