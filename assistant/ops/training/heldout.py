"""A model's intent accuracy on the held-out NLU file, cached next to the model (a model file
never changes, and loading one to evaluate it costs most of a minute)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path

from assistant.ops.evaluation.nlu_eval import HELDOUT, load_examples, parse_all, score
from assistant.ops.steps.console import say


def eval_file(model: Path) -> Path:
    return model.with_name(model.name[: -len(".tar.gz")] + ".eval.json")


def intent_accuracy(model: Path) -> float:
    """Intent accuracy on the held-out file; from the cache when the model was evaluated before."""
    cache = eval_file(model)
    if cache.exists():
        return float(json.loads(cache.read_text())["intent_accuracy"])
    logging.getLogger("rasa").setLevel(logging.WARNING)
    started = time.perf_counter()
    examples = load_examples(HELDOUT)
    report = score(examples, asyncio.run(parse_all(model, [e.text for e in examples])))
    cache.write_text(
        json.dumps(
            {
                "intent_accuracy": report["intent_accuracy"],
                "examples": report["examples"],
                "macro_f1": report["macro_f1"],
            }
        )
    )
    say(
        f"{model.name}: intent accuracy {report['intent_accuracy']:.3f} on {report['examples']} held-out "
        f"utterances ({time.perf_counter() - started:.0f}s)"
    )
    return float(report["intent_accuracy"])
