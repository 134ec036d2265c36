"""The endpoints file Rasa runs with: endpoints.yml plus a persistent tracker store, so that
conversations survive a restart and a live model swap (PUT /model builds a new agent, and an
in-memory store would start empty): Redis tracker and lock stores when REDIS_URL is set (needed
as soon as more than one Rasa server shares conversations), else an SQL tracker store in the
PostgreSQL database of DATABASE_URL, else a SQLite file in the data folder. The tracker store is
always wrapped in ``assistant.ops.stack.tracker_store.MaskingTrackerStore``: no card number, phone
number or code is written to it in clear."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict
from urllib.parse import urlparse

import yaml

from assistant.base.config import REPO_ROOT, ConfigError, Settings


def redis_stores(redis_url: str) -> Dict[str, Any]:
    """tracker_store (db n) and lock_store (db n+1) sections for a redis://[:password@]host[:port][/db] URL."""
    parsed = urlparse(redis_url)
    if parsed.scheme not in ("redis", "rediss") or not parsed.hostname:
        raise ConfigError(f"REDIS_URL must look like redis://host:6379/0, got {redis_url!r}")
    try:
        db = int((parsed.path or "/0").lstrip("/") or 0)
        port = parsed.port or 6379
    except ValueError as exc:
        raise ConfigError(f"REDIS_URL has a bad port or database number: {redis_url!r}") from exc
    common: Dict[str, Any] = {
        "type": "redis",
        "url": parsed.hostname,
        "port": port,
        "use_ssl": parsed.scheme == "rediss",
    }
    if parsed.password:
        common["password"] = parsed.password
    return {"tracker_store": {**common, "db": db, "record_exp": 7 * 24 * 3600}, "lock_store": {**common, "db": db + 1}}


def sql_tracker_store(settings: Settings) -> Dict[str, Any]:
    """Rasa's SQL tracker store: the PostgreSQL database itself, or data/trackers.db beside SQLite."""
    if settings.database_url.startswith("postgresql"):
        return {"type": "SQL", "dialect": "postgresql", "url": settings.database_url}
    return {"type": "SQL", "dialect": "sqlite", "db": str(settings.data_dir / "trackers.db")}


MASKING_TRACKER_STORE = "assistant.ops.stack.tracker_store.MaskingTrackerStore"


def masking(store: Dict[str, Any]) -> Dict[str, Any]:
    """The tracker_store section that masks conversations before ``store`` (the real one) keeps them."""
    return {"type": MASKING_TRACKER_STORE, "store": store}


def runtime_endpoints(settings: Settings) -> Path:
    """The endpoints file to start Rasa with (written to the data folder)."""
    base = REPO_ROOT / "endpoints.yml"
    config = yaml.safe_load(base.read_text(encoding="utf-8")) or {}
    stores = redis_stores(settings.redis_url) if settings.redis_url else {"tracker_store": sql_tracker_store(settings)}
    stores["tracker_store"] = masking(stores["tracker_store"])
    config.update(stores)
    path = settings.data_dir / "endpoints.runtime.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    # ${VARIABLES} stay unquoted so that Rasa still substitutes them (secrets stay out of the file).
    text = re.sub(r"'(\$\{[A-Z_]+\})'", r"\1", yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    path.write_text(text, encoding="utf-8")
    return path
