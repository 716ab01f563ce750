"""Checks of regressors and multiclass models (issue 14): each triggered on purpose-built evidence,
graded by its interval, and silent where the evidence does not support a finding. The evidence is
the sample run's result with its task and performance section replaced."""

from __future__ import annotations

from typing import Any

from check_helpers import fired

from auditlens.checks import evaluate
from auditlens.results import (
    AuditResult,
    ClassPerformanceSummary,
    GroupGapSummary,
    MulticlassPerformanceSummary,
    RegressionPerformanceSummary,
)


def regression(base: AuditResult, gaps: list[GroupGapSummary] | None = None, **perf: Any) -> AuditResult:
    fields = {"split": "test", "n": 200, "rmse": 25.0, "mae": 20.0, "r2": 0.5, "r2_ci": [0.4, 0.6],
              "mean_residual": 0.5, "mean_residual_ci": [-3.0, 4.0], **perf}
    groups = base.groups
    if gaps is not None and groups is not None:
        attributes = [groups.attributes[0].model_copy(update={"gaps": gaps})]
        groups = groups.model_copy(update={"attributes": attributes})
    return base.model_copy(update={"task": "regression", "performance": None, "groups": groups,
                                   "regression_performance": RegressionPerformanceSummary(**fields)})


def multiclass(base: AuditResult, per_class: list[dict[str, Any]] | None = None,
               gaps: list[GroupGapSummary] | None = None, **perf: Any) -> AuditResult:
    per_class = per_class or [
        {"label": c, "support": 20, "predicted": 20, "recall": 0.9, "recall_ci": [0.7, 0.97]} for c in "abc"
    ]
    fields = {"split": "test", "n": 60, "classes": ["a", "b", "c"], "class_counts": [20, 20, 20], "accuracy": 0.9,
              "balanced_accuracy": 0.9, "log_loss": 0.3, "confusion": [[18, 1, 1], [1, 18, 1], [1, 1, 18]],
              "per_class": [ClassPerformanceSummary(**c) for c in per_class], "top_label_ece": 0.04,
              "top_label_ece_ci": [0.02, 0.08], **perf}
    groups = base.groups
    if gaps is not None and groups is not None:
        attributes = [groups.attributes[0].model_copy(update={"gaps": gaps})]
        groups = groups.model_copy(update={"attributes": attributes})
    return base.model_copy(update={"task": "multiclass", "performance": None, "groups": groups,
                                   "multiclass_performance": MulticlassPerformanceSummary(**fields)})


def gap(metric: str, difference: float, low: float, high: float) -> GroupGapSummary:
    return GroupGapSummary(metric=metric, high_group="g1", low_group="g2", difference=difference, ci_low=low, ci_high=high)


def test_binary_checks_stay_out_of_other_tasks(base: AuditResult) -> None:
    for result in (regression(base), multiclass(base)):
        ids = {f.id for f in evaluate(result)}
        assert not ids & {"performance.degenerate_threshold", "performance.class_recall_floor", "performance.optimism",
                          "performance.calibration_error", "groups.four_fifths", "groups.equalized_odds",
                          "effects.near_perfect"}


def test_no_skill(base: AuditResult) -> None:
    assert fired(regression(base), "performance.no_skill") == []
    (f,) = fired(regression(base, r2=-0.05, r2_ci=[-0.2, -0.01]), "performance.no_skill")
    assert f.severity == "high" and f.measured["r2"] == -0.05
    (f,) = fired(regression(base, r2=-0.05, r2_ci=[-0.2, 0.1]), "performance.no_skill")
    assert f.severity == "medium"  # only the point estimate is at or below 0


def test_systematic_bias(base: AuditResult) -> None:
    assert fired(regression(base), "performance.systematic_bias") == []
    # Large but not distinguishable from 0: no finding.
    assert fired(regression(base, mean_residual=8.0, mean_residual_ci=[-1.0, 17.0]), "performance.systematic_bias") == []
    (f,) = fired(regression(base, mean_residual=8.0, mean_residual_ci=[3.0, 13.0]), "performance.systematic_bias")
    assert f.severity == "medium" and "below the actual values" in f.sentence
    (f,) = fired(regression(base, mean_residual=3.0, mean_residual_ci=[0.5, 5.5]), "performance.systematic_bias")
    assert f.severity == "low"  # away from 0, but only the point estimate passes 10% of the MAE


def test_error_gap(base: AuditResult) -> None:
    assert fired(regression(base, gaps=[gap("mae", 3.0, -2.0, 8.0)]), "groups.error_gap") == []
    (f,) = fired(regression(base, gaps=[gap("mae", 10.0, 6.0, 14.0)]), "groups.error_gap")
    assert f.severity == "medium" and f.measured["overall_mae"] == 20.0
    (f,) = fired(regression(base, gaps=[gap("mae", 10.0, 1.0, 19.0)]), "groups.error_gap")
    assert f.severity == "low"
    # A gap in mean prediction is not an error gap (groups may differ in outcome).
    assert fired(regression(base, gaps=[gap("mean_prediction", 50.0, 30.0, 70.0)]), "groups.error_gap") == []


def test_class_never_predicted_and_per_class_recall(base: AuditResult) -> None:
    assert fired(multiclass(base), "performance.class_never_predicted") == []
    assert fired(multiclass(base), "performance.per_class_recall") == []
    classes = [
        {"label": "a", "support": 20, "predicted": 38, "recall": 0.95, "recall_ci": [0.76, 0.99]},
        {"label": "b", "support": 20, "predicted": 0, "recall": 0.0, "recall_ci": [0.0, 0.16]},
        {"label": "c", "support": 20, "predicted": 22, "recall": 0.4, "recall_ci": [0.22, 0.61]},
    ]
    result = multiclass(base, per_class=classes)
    (never,) = fired(result, "performance.class_never_predicted")
    assert never.severity == "high" and never.subject == "b"
    recall = {f.subject: f.severity for f in fired(result, "performance.per_class_recall")}
    assert recall == {"b": "medium", "c": "low"}  # b's interval is wholly below 0.5, c's reaches above


def test_top_label_calibration(base: AuditResult) -> None:
    assert fired(multiclass(base), "performance.top_label_calibration") == []
    (f,) = fired(multiclass(base, top_label_ece=0.2, top_label_ece_ci=[0.15, 0.25]), "performance.top_label_calibration")
    assert f.severity == "medium"
    (f,) = fired(multiclass(base, top_label_ece=0.12, top_label_ece_ci=[0.05, 0.2]), "performance.top_label_calibration")
    assert f.severity == "low"


def test_class_rate_gap(base: AuditResult) -> None:
    assert fired(multiclass(base, gaps=[gap("accuracy", 0.05, -0.1, 0.2)]), "groups.class_rate_gap") == []
    (f,) = fired(multiclass(base, gaps=[gap("selection_rate:b", 0.3, 0.15, 0.45)]), "groups.class_rate_gap")
    assert f.severity == "medium" and "share predicted 'b'" in f.sentence
    (f,) = fired(multiclass(base, gaps=[gap("accuracy", 0.2, 0.02, 0.38)]), "groups.class_rate_gap")
    assert f.severity == "low"


def test_small_groups_of_a_regressor_count_rows_only(base: AuditResult) -> None:
    found = fired(regression(base), "groups.small_groups")
    assert found  # the sample has groups under 30 rows (e.g. foreign_worker 'no')
    assert all("positive" not in f.sentence for f in found)
