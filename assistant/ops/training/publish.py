"""``make train``: fine-tune the live model on the current training data (or train from scratch),
evaluate it on the held-out NLU file against the live model, and refuse it when intent accuracy
drops by more than one point.
An accepted model becomes live: ``models/LIVE`` names it, and a running Rasa server loads it
through its model replacement API (``PUT /model``), so nothing restarts and no request fails.
The outcome is written to ``models/last_publish.json`` for the trainer page.

Exit codes: 0 published (or already live), 1 refused, 2 failed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from typing import Any, Dict, List, Optional

from assistant.base.clock import iso_utc, utcnow
from assistant.base.config import Settings
from assistant.ops.steps.console import say
from assistant.ops.steps.model import model_path
from assistant.ops.training.candidate import bring_model_live
from assistant.ops.training.gate import gate
from assistant.ops.training.heldout import eval_file, intent_accuracy
from assistant.ops.training.live import live_model, load_into_rasa

RESULT_FILE = "last_publish.json"


def write_result(settings: Settings, result: Dict[str, Any]) -> None:
    settings.models_dir.mkdir(parents=True, exist_ok=True)
    (settings.models_dir / RESULT_FILE).write_text(json.dumps(result, ensure_ascii=False, indent=2))


def publish(settings: Settings, force: bool = False, full: bool = False) -> int:
    result: Dict[str, Any] = {"started_at": iso_utc(utcnow())}
    try:
        previous = live_model(settings)
        target = model_path(settings)
        model = bring_model_live(settings, force=force, full=full)
        refused = model != target
        loaded = False if refused else load_into_rasa(settings, model)
        result.update(
            status="refused" if refused else "published",
            model=model.name,
            candidate=target.name,
            loaded_into_rasa=loaded,
            previous=previous.name if previous else None,
        )
        if previous is not None and previous != target and eval_file(target).exists():
            result["decision"] = asdict(gate(intent_accuracy(target), intent_accuracy(previous)))
        code = 1 if refused else 0
    except Exception as exc:  # a failed training or swap leaves the live model serving
        result.update(status="failed", error=str(exc))
        say(f"failed: {exc}")
        code = 2
    result["finished_at"] = iso_utc(utcnow())
    write_result(settings, result)
    say(f"result: {result['status']}")
    return code


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="assistant.ops.training.publish", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--force", action="store_true", help="publish even if accuracy drops: a refused candidate is published as it is"
    )
    parser.add_argument("--full", action="store_true", help="train from scratch instead of fine-tuning the live model")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return publish(Settings.from_env(), force=args.force, full=args.full)


if __name__ == "__main__":
    sys.exit(main())
