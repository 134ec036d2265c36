"""First-run and incremental setup: database, search index, Rasa model. Each step skips itself
when its inputs have not changed since it last ran."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Optional

from assistant.base.config import REPO_ROOT, Settings
from assistant.ops.stack.fingerprint import INDEX_INPUTS, fingerprint, model_fingerprint
from assistant.ops.stack.lifetime import die_with_parent


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def venv_bin(name: str) -> str:
    """A console script of the running interpreter's environment (the project's .venv)."""
    return str(Path(sys.executable).parent / name)


def child_env(settings: Settings, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """Environment for every process of the stack: repo importable, no telemetry, quiet TF."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env["ASSISTANT_DATA_DIR"] = str(settings.data_dir)
    env["DATABASE_URL"] = settings.database_url
    env["SEARCH_INDEX_DIR"] = str(settings.search_index_dir)
    env["ACTION_ENDPOINT_URL"] = f"{settings.actions_url}/webhook"
    env.update(extra or {})
    return env


def ensure_database(settings: Settings) -> None:
    from assistant.bank.seed import seed_demo_data
    from assistant.base.db.engine import session_scope

    with session_scope(settings.database_url, write=True) as session:
        if seed_demo_data(session):
            say("database created and demo data seeded")
        else:
            say("database ready")


def ensure_index(settings: Settings, force: bool = False) -> None:
    from search_index.builder import build_index
    from search_index.catalog import load_catalog

    root = settings.search_index_dir
    stamp_file = root / "BUILT_FROM"
    want = fingerprint(INDEX_INPUTS)
    if not force and stamp_file.exists() and stamp_file.read_text().strip() == want and (root / "CURRENT").exists():
        say("search index up to date")
        return
    started = time.perf_counter()
    entries = load_catalog()
    build_index(entries, root)
    stamp_file.write_text(want)
    say(f"search index built: {len(entries)} entries in {time.perf_counter() - started:.1f}s")


def model_path(settings: Settings) -> Path:
    """The model trained from the current training data and component code."""
    return settings.models_dir / f"model-{model_fingerprint(settings.training_dir)[:16]}.tar.gz"


def train_model(
    settings: Settings, target: Path, finetune_from: Optional[Path] = None, epoch_fraction: float = 0.1
) -> None:
    """``rasa train`` from the training folder into ``target`` (always trains: our fingerprint
    covers component code, which Rasa's own cache does not). With ``finetune_from``, Rasa's
    incremental training continues that model for a fraction of the epochs instead."""
    settings.models_dir.mkdir(parents=True, exist_ok=True)
    say(
        f"fine-tuning {finetune_from.name} on the current data"
        if finetune_from
        else "training the Rasa model (first run: a few minutes)"
    )
    started = time.perf_counter()
    root = settings.training_dir
    cmd = [
        venv_bin("rasa"),
        "train",
        "--config",
        str(root / "config.yml"),
        "--domain",
        str(root / "domain.yml"),
        "--data",
        str(root / "nlu_data"),
        "--out",
        str(settings.models_dir),
        "--fixed-model-name",
        target.name[: -len(".tar.gz")],
        "--force",
    ]
    if finetune_from is not None:
        cmd += ["--finetune", str(finetune_from), "--epoch-fraction", str(epoch_fraction)]
    result = subprocess.run(cmd, cwd=REPO_ROOT, env=child_env(settings), preexec_fn=die_with_parent)
    if result.returncode != 0 or not target.exists():
        raise RuntimeError(f"rasa train failed (exit {result.returncode})")
    say(f"model trained in {time.perf_counter() - started:.0f}s → {target.name}")


def setup_all(settings: Settings) -> Path:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ensure_database(settings)
    ensure_index(settings)
    return ensure_model(settings)


def ensure_model(settings: Settings) -> Path:
    """The model of the current training data and component code, trained when missing.

    Setup trains what the data says (a developer's change must be what the tests evaluate);
    the accuracy check against the live model belongs to publishing (`make train`)."""
    from assistant.ops.training.publish import live_model, mark_live, settled_model

    target = model_path(settings)
    settled = settled_model(settings, target, live_model(settings))
    if settled is not None:
        return settled
    train_model(settings, target)
    mark_live(settings, target)
    return target
