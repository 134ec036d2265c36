"""Clicks on search results: global popularity and each customer's own preferences.

Counts are read from the database and cached for a few seconds, so several gateway
processes share what customers clicked without a query per search.
"""

from __future__ import annotations

import threading
import time
from typing import Dict, Optional, Tuple

# SQLAlchemy 1.4 ships no type information (no py.typed; sqlalchemy2-stubs is not installed).
from sqlalchemy import func, select

from assistant.base.db.engine import session_scope
from assistant.base.db.models import SearchClick
from assistant.base.masking import mask_sensitive

CACHE_SECONDS = 5.0
CLICKS_FOR_FULL_PREFERENCE = 3  # after three opens an entry is "one of mine"


class ClickStats:
    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self._lock = threading.Lock()
        # None → clicks per entry of everyone; a customer id → that customer's clicks per entry.
        self._cache: Dict[Optional[str], Tuple[float, Dict[str, float]]] = {}

    def record(self, customer_id: Optional[str], entry_id: str, query: str) -> None:
        with session_scope(self.url, write=True) as s:
            s.add(SearchClick(customer_id=customer_id, entry_id=entry_id, query=mask_sensitive(query)[:100]))
        with self._lock:  # the customer sees the effect of their own click at once
            self._cache.pop(None, None)
            self._cache.pop(customer_id, None)

    def _counts(self, customer_id: Optional[str]) -> Dict[str, float]:
        """Clicks per entry (of everyone, or of one customer), cached for a few seconds."""
        with self._lock:
            cached = self._cache.get(customer_id)
            if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
                return cached[1]
        query = select(SearchClick.entry_id, func.count()).group_by(SearchClick.entry_id)
        if customer_id is not None:
            query = query.where(SearchClick.customer_id == customer_id)
        with session_scope(self.url) as s:
            counts = {e: float(n) for e, n in s.execute(query)}
        with self._lock:
            self._cache[customer_id] = (time.monotonic(), counts)
        return counts

    def popularity(self) -> Dict[str, float]:
        """Clicks per entry, all customers."""
        return self._counts(None)

    def preferences(self, customer_id: str) -> Dict[str, float]:
        """0..1 per entry: how much this customer prefers it, from their own clicks."""
        return {e: min(1.0, n / CLICKS_FOR_FULL_PREFERENCE) for e, n in self._counts(customer_id).items()}
