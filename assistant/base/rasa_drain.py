"""Which Rasa servers are being given a new model right now (a rolling publish): the publisher marks
a server, waits until it has no turn in flight, swaps its model, and clears the mark; the gateway
sends no new turn to a marked server. One small JSON file in the data folder, written atomically:
the publisher and the gateways of one machine share it."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Dict, Set

# How often a gateway re-reads the marks (DrainView): a publisher waits a few of these after marking.
REFRESH_S = 0.2
# A mark older than this is a publisher that died mid-swap: ignored, so no server stays out for good.
STALE_AFTER_S = 900.0


def _read(path: Path) -> Dict[str, float]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): float(v) for k, v in data.items() if isinstance(v, (int, float))} if isinstance(data, dict) else {}


def _write(path: Path, marks: Dict[str, float]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(marks), encoding="utf-8")
    os.replace(tmp, path)


def mark_draining(path: Path, url: str) -> None:
    marks = _read(path)
    marks[url] = time.time()
    _write(path, marks)


def clear_draining(path: Path, url: str) -> None:
    marks = _read(path)
    if marks.pop(url, None) is not None:
        _write(path, marks)


def draining(path: Path) -> Set[str]:
    """The servers marked now (stale marks left out)."""
    now = time.time()
    return {url for url, since in _read(path).items() if now - since < STALE_AFTER_S}


class DrainView:
    """``draining()`` for a hot path: the file is read at most every ``every_s`` seconds."""

    def __init__(self, path: Path, every_s: float = REFRESH_S) -> None:
        self.path = path
        self.every_s = every_s
        self._checked = 0.0
        self._current: Set[str] = set()

    def current(self) -> Set[str]:
        now = time.monotonic()
        if now - self._checked >= self.every_s:
            self._checked = now
            self._current = draining(self.path)
        return self._current
