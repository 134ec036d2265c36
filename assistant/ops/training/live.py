"""Which model is in service: what the running Rasa servers serve, else what ``models/LIVE``
names; making a model live (the pointer, old models pruned) and swapping it into every running Rasa
server, one at a time (``PUT /model``)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import List, Optional

from assistant.base.config import Settings
from assistant.base.rasa_client import RasaUnavailable, call_rasa
from assistant.base.rasa_drain import REFRESH_S, clear_draining, mark_draining
from assistant.ops.steps.console import say
from assistant.ops.training.heldout import eval_file

LIVE_FILE = "LIVE"
KEEP_MODELS = 3


# How long a rolling publish waits for a server's turns in flight to finish (the gateway's own wait).
DRAIN_WAIT_S = 30.0
# Gateways re-read the draining marks every REFRESH_S: after a few of those, none sends the marked
# server a new turn, so "no turn in flight" stays true until its model is swapped.
DRAIN_NOTICE_S = 3 * REFRESH_S


def stack_rasa_urls(settings: Settings) -> List[str]:
    """The running stack's Rasa servers (the launcher leaves them in the run folder), else the settings'."""
    try:
        urls = json.loads(settings.rasa_servers_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return settings.rasa_urls
    return [str(u) for u in urls] if isinstance(urls, list) and urls else settings.rasa_urls


def _served_by(settings: Settings, url: str) -> Optional[str]:
    try:
        status = call_rasa(url, settings.rasa_auth_token, lambda rasa: rasa.status())
    except RasaUnavailable as exc:
        if exc.status is not None:  # a server that refuses us is not "no server"
            raise RuntimeError(f"rasa GET /status: {exc}") from exc
        return None
    return Path(status["model_file"]).name


def served_model(settings: Settings) -> Optional[str]:
    """The file name of the model the stack's Rasa servers serve (the first that answers); None when
    no server answers."""
    settings = settings.with_stack_secrets()
    for url in stack_rasa_urls(settings):
        name = _served_by(settings, url)
        if name is not None:
            return name
    return None


def _wait_idle(settings: Settings, url: str) -> None:
    """Until the server has no turn in flight (the gateway already sends it no new one), at most DRAIN_WAIT_S."""
    deadline = time.monotonic() + DRAIN_WAIT_S
    while time.monotonic() < deadline:
        try:
            if call_rasa(url, settings.rasa_auth_token, lambda rasa: rasa.inflight()) == 0:
                return
        except RasaUnavailable:
            return  # an older server without the count: its turns take the swap's pause
        time.sleep(0.1)
    say(f"{url} still had turns in flight after {DRAIN_WAIT_S:.0f}s; swapping anyway")


# Parsed by a server that has just loaded a model, before customers reach it.
WARM_UP_TEXTS = ("你好", "查余额", "给张三转五十", "转账多久到账")


def warm_up(settings: Settings, url: str) -> None:
    """Parse a few messages (no conversation is touched) on a server that has just loaded a model:
    TensorFlow builds DIET's inference graph on the first message — 360 ms and some memory — which
    would otherwise be a customer's wait."""
    for text in WARM_UP_TEXTS:
        try:
            call_rasa(url, settings.rasa_auth_token, lambda rasa, text=text: rasa.parse(text))
        except RasaUnavailable as exc:
            say(f"{url} was not warmed up: {exc}")
            return


def _swap(settings: Settings, url: str, model: Path) -> None:
    """One server of a rolling publish: out of the gateway's routing, idle, new model, back in."""
    mark_draining(settings.draining_file, url)
    try:
        time.sleep(DRAIN_NOTICE_S)  # every gateway has read the mark: no new turn goes to this server
        _wait_idle(settings, url)
        started = time.perf_counter()
        try:
            call_rasa(url, settings.rasa_auth_token, lambda rasa: rasa.replace_model(str(model)), 600)
        except RasaUnavailable as exc:
            raise RuntimeError(f"Rasa at {url} did not load {model.name}: {exc}") from exc
        if _served_by(settings, url) != model.name:
            raise RuntimeError(f"Rasa at {url} did not switch to {model.name}")
        warm_up(settings, url)
        say(f"{url} now serves {model.name} ({time.perf_counter() - started:.1f}s)")
    finally:
        clear_draining(settings.draining_file, url)


def load_into_rasa(settings: Settings, model: Path) -> bool:
    """Give every running Rasa server ``model``, one at a time while the others answer (a rolling
    publish: the gateway routes around the server being swapped); False when no server is running."""
    settings = settings.with_stack_secrets()
    served = {url: _served_by(settings, url) for url in stack_rasa_urls(settings)}
    running = [url for url, name in served.items() if name is not None]
    if not running:
        return False
    say(f"loading {model.name} into {len(running)} running Rasa server(s), one at a time (PUT /model)")
    for url in running:
        if served[url] == model.name:
            say(f"{url} already serves {model.name}")
            continue
        _swap(settings, url, model)
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
