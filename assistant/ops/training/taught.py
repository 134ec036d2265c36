"""What trainers taught: the labelled examples in ``trainer_labels.yml``, and which of them a
model does not understand yet. A candidate that has not learnt what a trainer just labelled is
not what the trainer asked for, whatever its held-out accuracy."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import List, Tuple

from assistant.base.config import Settings
from assistant.ops.training.labels import LABELS_FILE
from assistant.ops.training.nlu_files import examples_in, plain_text


def taught_examples(settings: Settings) -> List[Tuple[str, str]]:
    """(plain text, intent) of every trainer label, in file order."""
    path = settings.nlu_data_dir / LABELS_FILE
    if not path.exists():
        return []
    return [(plain_text(example), intent) for intent, example in examples_in(path)]


def not_learnt(model: Path, taught: List[Tuple[str, str]]) -> List[Tuple[str, str]]:
    """The taught examples ``model`` reads as another intent (a fallback counts as not learnt)."""
    if not taught:
        return []
    from assistant.ops.evaluation.nlu_eval import parse_all

    parses = asyncio.run(parse_all(model, [text for text, _ in taught]))
    return [
        (text, intent)
        for (text, intent), parse in zip(taught, parses)
        if (parse.get("intent") or {}).get("name") != intent
    ]
