"""Which model is in service: what the running Rasa server serves, else what ``models/LIVE``
names; making a model live (the pointer, old models pruned) and swapping it into a running Rasa
server (``PUT /model``)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Optional

from assistant.base.config import Settings
from assistant.base.rasa_client import RasaUnavailable, call_rasa
from assistant.ops.steps.console import say
from assistant.ops.training.heldout import eval_file

LIVE_FILE = "LIVE"
KEEP_MODELS = 3


def served_model(settings: Settings) -> Optional[str]:
    """The file name of the model the stack's Rasa server serves; None when no server answers."""
    settings = settings.with_stack_secrets()
    try:
        status = call_rasa(settings.rasa_url, settings.rasa_auth_token, lambda rasa: rasa.status())
    except RasaUnavailable as exc:
        if exc.status is not None:  # a server that refuses us is not "no server"
            raise RuntimeError(f"rasa GET /status: {exc}") from exc
        return None
    return Path(status["model_file"]).name


def load_into_rasa(settings: Settings, model: Path) -> bool:
    """Make the running Rasa server swap to ``model``; False when no server is running."""
    served = served_model(settings)
    if served is None:
        return False
    if served == model.name:
        say(f"Rasa already serves {model.name}")
        return True
    say(f"loading {model.name} into the running Rasa server (PUT /model)")
    started = time.perf_counter()
    settings = settings.with_stack_secrets()
    try:
        call_rasa(settings.rasa_url, settings.rasa_auth_token, lambda rasa: rasa.replace_model(str(model)), 600)
    except RasaUnavailable as exc:
        raise RuntimeError(f"Rasa did not load {model.name}: {exc}") from exc
    if served_model(settings) != model.name:
        raise RuntimeError(f"Rasa did not switch to {model.name}")
    say(f"Rasa now serves {model.name} ({time.perf_counter() - started:.1f}s)")
    return True


def live_model(settings: Settings) -> Optional[Path]:
    """The model in service: what Rasa serves, else what models/LIVE names (None: no model yet)."""
    name = served_model(settings)
    pointer = settings.models_dir / LIVE_FILE
    if name is None and pointer.exists():
        name = pointer.read_text().strip()
    path = settings.models_dir / name if name else None
    return path if path is not None and path.exists() else None


def mark_live(settings: Settings, model: Path) -> None:
    """Point models/LIVE at ``model`` (atomically) and delete all but the newest few other models."""
    pointer = settings.models_dir / LIVE_FILE
    tmp = pointer.with_suffix(".tmp")
    tmp.write_text(model.name)
    os.replace(tmp, pointer)
    prune_models(settings, keep=model)


def prune_models(settings: Settings, keep: Path) -> None:
    """Delete models (and their cached evaluations) beyond the newest KEEP_MODELS, never ``keep``."""
    models = sorted(settings.models_dir.glob("model-*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in models[KEEP_MODELS:]:
        if old != keep:
            old.unlink(missing_ok=True)
            eval_file(old).unlink(missing_ok=True)
