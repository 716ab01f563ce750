from __future__ import annotations

import numpy as np
import pytest

from auditlens.evaluate import evaluate


def test_hand_computed_case() -> None:
    y = np.array([0, 0, 1, 1, 0, 1])
    p = np.array([0.1, 0.6, 0.7, 0.4, 0.2, 0.9])
    perf = evaluate(y, p)
    # positives 0.7, 0.4, 0.9 vs negatives 0.1, 0.6, 0.2: 8 of 9 pairs ordered correctly
    assert perf.roc_auc == pytest.approx(8 / 9)
    # threshold 0.5: predictions 0,1,1,0,0,1 -> TN=2, FP=1, FN=1, TP=2
    assert perf.confusion == ((2, 1), (1, 2))
    assert perf.accuracy == pytest.approx(4 / 6)
    assert perf.brier == pytest.approx(np.mean((p - y) ** 2))
    # bins of width 0.1: every prediction in its own bin
    assert sum(perf.calibration_count) == 6
    assert perf.calibration_pred == pytest.approx(tuple(sorted(p)))
