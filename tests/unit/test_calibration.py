"""Expected calibration error on hand-made readings."""

from __future__ import annotations

import pytest

from assistant.ops.evaluation.calibration import calibration


def test_perfectly_calibrated_readings_have_no_error() -> None:
    pairs = [(0.95, True)] * 19 + [(0.95, False)] + [(0.55, True)] * 11 + [(0.55, False)] * 9
    assert calibration(pairs).ece == pytest.approx(0.0, abs=1e-9)


def test_confidently_wrong_readings_are_counted() -> None:
    result = calibration([(0.95, False)] * 3 + [(0.95, True)])
    assert result.ece == pytest.approx(0.70)
    assert result.overconfident_wrong == 1.0
    assert [b.count for b in result.bins if b.count] == [4]
