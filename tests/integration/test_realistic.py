"""The realistic evaluation (make eval-realistic) on the shared stack: customer-style messages through
POST /api/chat; at least 0.90 handled acceptably and no task started that was not asked for."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.ops.evaluation import realistic_eval
from tests.support.stack import Stack

pytestmark = pytest.mark.integration


def test_realistic_messages_are_handled_and_start_no_task(stack: Stack, output_dir: Path) -> None:
    status, report = realistic_eval.run(
        stack.base_url, stack.rasa_url, "demo2", output_dir / "realistic", stack.rasa_token
    )
    harmful = [(r["text"], r["harmful"]) for r in report["harmful_starts"]]
    assert not harmful, f"tasks started that nobody asked for: {harmful}"
    assert report["messages"] >= 400
    assert report["acceptable_rate"] >= realistic_eval.MIN_ACCEPTABLE, (
        f"acceptable {report['acceptable_rate']:.3f}; misses: {[(r['text'], r['intent']) for r in report['misses']]}"
    )
