"""The model to serve for the current training data: reused when it exists, else trained
(fine-tuned from the live model, or from scratch) and let through the publishing gate."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from assistant.base.config import Settings
from assistant.ops.steps.console import say
from assistant.ops.steps.model import model_path, train_model
from assistant.ops.training.gate import gate
from assistant.ops.training.heldout import intent_accuracy
from assistant.ops.training.live import live_model, mark_live
from assistant.ops.training.taught import not_learnt, taught_examples

# Of config.yml's 80 epochs: 4 learn the new examples; with 8 the rest already drifted (0.959 vs 0.969).
FINETUNE_EPOCH_FRACTION = 0.05
REFUSED_DIR = "refused"


def refused_path(settings: Settings, model: Path) -> Path:
    return settings.models_dir / REFUSED_DIR / model.name


def serve_existing_model(settings: Settings, target: Path, live: Optional[Path], force: bool = False) -> Optional[Path]:
    """Serve a model without training, when one fits: the data's model when it exists (made live),
    or the live one when `make train` refused the data's model and nobody forced it.
    None: training is due."""
    if target.exists():
        say(f"model up to date ({target.name})")
        mark_live(settings, target)
        return target
    refused = refused_path(settings, target)
    if refused.exists() and live is not None and not force:
        say(f"{target.name} was refused ({refused}); keeping {live.name}. `make train FORCE=1` publishes it")
        return live
    return None


def train_candidate(settings: Settings, target: Path, live: Optional[Path], full: bool) -> None:
    """Fine-tune the live model on the current data (Rasa's incremental training): a DIET retrained
    from scratch lands 1-2 points of held-out accuracy away on nearly the same data, a fine-tuned
    one usually stays closer. From scratch when asked, when there is no live model, or when it
    cannot be fine-tuned (its config or domain differ), and when the fine-tuned model still misreads
    an example a trainer labelled."""
    if live is None or full:
        train_model(settings, target)
        return
    try:
        train_model(settings, target, finetune_from=live, epoch_fraction=FINETUNE_EPOCH_FRACTION)
    except RuntimeError:
        say(f"{live.name} cannot be fine-tuned on this data (config or domain changed); training from scratch")
        train_model(settings, target)
        return
    missed = not_learnt(target, taught_examples(settings))
    if missed:  # a few epochs are not always enough for a single odd example (seen on another CPU)
        say(
            f"the fine-tuned model still misreads {len(missed)} trainer label(s), e.g. {missed[0][0]!r} "
            f"(labelled {missed[0][1]}); training from scratch"
        )
        train_model(settings, target)


def bring_model_live(settings: Settings, force: bool = False, full: bool = False) -> Path:
    """Make the current training data's model live, training it if needed, unless it does worse
    than the live model on the held-out file (then it is kept in models/refused/ and the live model
    stays; ``force``: a person reviewed the refusal and publishes it anyway). Returns the model
    that is live afterwards."""
    target = model_path(settings)
    live = live_model(settings)
    existing = serve_existing_model(settings, target, live, force)
    if existing is not None:
        return existing
    refused = refused_path(settings, target)
    if refused.exists() and force:
        say(f"publishing the refused {target.name} as asked (FORCE)")
        os.replace(refused, target)
        mark_live(settings, target)
        return target
    train_candidate(settings, target, live, full)
    if live is not None and live != target and not force:
        decision = gate(intent_accuracy(target), intent_accuracy(live))
        say(("accepted: " if decision.accepted else "REFUSED: ") + decision.reason)
        if not decision.accepted:
            refused.parent.mkdir(parents=True, exist_ok=True)
            os.replace(target, refused)
            return live
    mark_live(settings, target)
    return target
