"""First-run and incremental setup, in order: database, search index, Rasa model. Each step skips
itself when its inputs have not changed since it last ran."""

from __future__ import annotations

from pathlib import Path

from assistant.base.config import Settings
from assistant.ops.steps.database import ensure_database
from assistant.ops.steps.index import ensure_index
from assistant.ops.steps.model import model_path, train_model
from assistant.ops.training.candidate import serve_existing_model
from assistant.ops.training.live import live_model, mark_live


def setup_all(settings: Settings) -> Path:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ensure_database(settings)
    ensure_index(settings)
    return ensure_model(settings)


def ensure_model(settings: Settings) -> Path:
    """The model of the current training data and component code, trained when missing.

    Setup trains what the data says (a developer's change must be what the tests evaluate);
    the accuracy check against the live model belongs to publishing (`make train`)."""
    target = model_path(settings)
    existing = serve_existing_model(settings, target, live_model(settings))
    if existing is not None:
        return existing
    train_model(settings, target)
    mark_live(settings, target)
    return target
