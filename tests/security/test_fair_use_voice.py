"""Finding 7 (voice part): ASR alternatives are capped in count and length, so one request costs at
most three parses, however many or long the alternatives are."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest

from assistant.gateway.asr import MAX_PARSED_HYPOTHESES, read_alternatives, understand
from assistant.gateway.errors import ApiError
from tests.support.asyncrun import run_async


def test_ten_alternatives_cost_at_most_three_parses() -> None:
    alternatives = [{"text": f"查余额{i}", "confidence": i / 10} for i in range(10)]
    hypotheses = read_alternatives("查余额", {"alternatives": alternatives})
    assert len(hypotheses) == MAX_PARSED_HYPOTHESES == 3
    assert [h.text for h in hypotheses[1:]] == ["查余额9", "查余额8"]  # the recognizer's best two
    parsed: List[str] = []

    async def parse(text: str) -> Dict[str, Any]:
        parsed.append(text)
        return {"intent": {"name": "check_balance", "confidence": 0.9}}

    run_async(understand(hypotheses, [], parse))
    assert len(parsed) == 3


def test_an_alternative_longer_than_speech_is_refused() -> None:
    with pytest.raises(ApiError) as refused:
        read_alternatives("查余额", {"alternatives": [{"text": "查" * 500, "confidence": 0.5}]})
    assert refused.value.status == 400
