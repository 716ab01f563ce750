"""Performance checks: each triggered on purpose-built evidence and silent on the sample's."""

from __future__ import annotations

import numpy as np
import pytest
from check_helpers import fired, tweak

from auditlens.evaluate import calibration_fit
from auditlens.results import AuditResult


def test_degenerate_threshold(base: AuditResult) -> None:
    assert fired(base, "performance.degenerate_threshold") == []
    (f,) = fired(tweak(base, "performance", confusion=[[175, 0], [75, 0]]), "performance.degenerate_threshold")
    assert f.severity == "high" and f.measured["predicted_positive"] == 0 and f.section == "performance"
    (f,) = fired(tweak(base, "performance", confusion=[[0, 175], [0, 75]]), "performance.degenerate_threshold")
    assert f.measured["share_predicted_positive"] == 1.0
    # 3 of 250 predicted positive (1.2%): above the default 1%, below a stricter 2%.
    nearly = tweak(base, "performance", confusion=[[173, 2], [74, 1]])
    assert fired(nearly, "performance.degenerate_threshold") == []
    assert fired(nearly, "performance.degenerate_threshold", {"performance.degenerate_threshold": {"min_share": 0.02}})


def test_class_recall_floor_is_graded_by_the_wilson_interval(base: AuditResult) -> None:
    silent = tweak(base, "performance", confusion=[[150, 25], [20, 55]])
    assert fired(silent, "performance.class_recall_floor") == []
    # 25 of 75 found: Wilson centre (1/3 + z²/150)/(1 + z²/75) = 0.3415, half-width 0.1044, so
    # [0.237, 0.446] lies wholly below 0.5.
    (f,) = fired(tweak(base, "performance", confusion=[[150, 25], [50, 25]]), "performance.class_recall_floor")
    assert f.severity == "medium" and f.subject == base.performance.positive_class
    assert f.measured["ci_high"] == pytest.approx(0.4458, abs=1e-4)
    # 35 of 75 (0.467): the interval reaches above the floor, so one grade lower.
    (f,) = fired(tweak(base, "performance", confusion=[[150, 25], [40, 35]]), "performance.class_recall_floor")
    assert f.severity == "low" and f.measured["ci_high"] > 0.5
    # Specificity too: 60 of 175 negatives found.
    (f,) = fired(tweak(base, "performance", confusion=[[60, 115], [10, 65]]), "performance.class_recall_floor")
    assert f.subject == base.performance.negative_class


def test_optimism(base: AuditResult) -> None:
    auc = base.performance.roc_auc
    assert base.tuning.metric == "roc_auc"
    assert fired(tweak(base, "tuning", best_value=auc + 0.01), "performance.optimism") == []
    (f,) = fired(tweak(base, "tuning", best_value=auc + 0.25), "performance.optimism")
    assert f.severity == "medium" and f.measured["gap"] == pytest.approx(0.25)
    assert 0.01 < f.measured["held_out_se"] < 0.1  # Hanley-McNeil on 250 rows
    (f,) = fired(tweak(base, "tuning", best_value=auc + 0.06), "performance.optimism")
    assert f.severity == "low"  # the gap exceeds 0.05 by less than the held-out noise


def test_calibration_error_hand_computed(base: AuditResult) -> None:
    bins = {"calibration_pred": [0.1, 0.5, 0.9], "calibration_count": [100, 100, 50]}
    calibrated = tweak(base, "performance", calibration_true=[0.1, 0.5, 0.9], **bins)
    assert fired(calibrated, "performance.calibration_error") == []
    (f,) = fired(tweak(base, "performance", calibration_true=[0.3, 0.5, 0.6], **bins), "performance.calibration_error")
    assert f.measured["ece"] == pytest.approx((100 * 0.2 + 50 * 0.3) / 250)
    floor = sum(n / 250 * np.sqrt(2 * p * (1 - p) / (np.pi * n)) for p, n in zip([0.1, 0.5, 0.9], [100, 100, 50]))
    assert f.measured["ece_if_calibrated"] == pytest.approx(floor)
    assert f.severity == "medium"


def test_calibration_slope(base: AuditResult) -> None:
    for slope in (None, 1.0, 1.15):
        assert fired(tweak(base, "performance", calibration_slope=slope, calibration_slope_se=0.1), "performance.calibration_slope") == []
    (f,) = fired(tweak(base, "performance", calibration_slope=0.5, calibration_slope_se=0.05), "performance.calibration_slope")
    assert f.severity == "medium" and "too extreme" in f.sentence
    (f,) = fired(tweak(base, "performance", calibration_slope=0.7, calibration_slope_se=0.1), "performance.calibration_slope")
    assert f.severity == "low"


def test_calibration_fit_recovers_a_known_slope() -> None:
    """Labels drawn from sigmoid(0.4 + 2·logit(p)): the fit must find slope 2, intercept 0.4."""
    rng = np.random.default_rng(11)
    p = rng.uniform(0.02, 0.98, 40_000)
    logit = np.log(p / (1 - p))
    y = (rng.uniform(size=p.size) < 1 / (1 + np.exp(-(0.4 + 2 * logit)))).astype(int)
    slope, se, intercept = calibration_fit(y, p)
    assert abs(slope - 2) < 3 * se and 0 < se < 0.05
    assert intercept == pytest.approx(0.4, abs=0.05)
    assert calibration_fit(np.zeros(10), np.full(10, 0.3)) is None  # one class: no fit
    assert calibration_fit(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9])) is None  # separated
