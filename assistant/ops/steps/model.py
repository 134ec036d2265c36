"""The Rasa model of the current training data: its name (a content hash of data and component
code) and ``rasa train`` into it."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Optional

from assistant.base.config import REPO_ROOT, Settings
from assistant.ops.steps.console import say
from assistant.ops.steps.fingerprint import model_fingerprint
from assistant.ops.steps.processes import child_env, die_with_parent, venv_bin


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
