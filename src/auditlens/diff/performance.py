"""Held-out performance and groups of two audits: each metric with both intervals, and disparities.

Overall metrics are stored as point values with the confusion matrix and class counts, so their
95% intervals come from those counts (:mod:`auditlens.diff.stats`); a change is beyond noise
when it exceeds 1.96 combined standard errors of two independent estimates. When both audits
scored the same held-out rows the estimates are positively correlated and this test is
conservative (it calls fewer changes), which the report says. Group metrics carry the
audit's own intervals; a group metric changed beyond noise when its intervals no longer overlap.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from auditlens.diff._common import change
from auditlens.diff.result import DisparityChange, GroupMetricChange, MetricChange, PerformanceDiff
from auditlens.diff.stats import Z95, auc_se, normal_interval, wilson

if TYPE_CHECKING:
    from auditlens.results import AttributeGroupsSummary, AuditResult, GroupsSummary, PerformanceSummary

# (measure, threshold, side of concern). The four-fifths rule (US EEOC Uniform Guidelines,
# 29 CFR 1607.4(D)) for the selection-rate ratio; 0.1 for the differences is this project's choice.
DISPARITY_THRESHOLDS = (
    ("demographic_parity_ratio", 0.8, "below"),
    ("demographic_parity_difference", 0.1, "above"),
    ("equalized_odds_difference", 0.1, "above"),
)


def performance_diff(old: AuditResult, new: AuditResult) -> PerformanceDiff:
    o, n = _held_out(old), _held_out(new)
    # check_comparable has made sure both audit the same task.
    facts = [change("split", o.split, n.split), change("held-out rows", o.n, n.n)]
    if old.task == "binary":
        facts += [change("positives", o.positives, n.positives), change("decision threshold", o.threshold, n.threshold)]
    same_rows = (
        old.data.sha256 == new.data.sha256
        and (old.data.evaluation, old.data.split_seed, old.data.test_fraction)
        == (new.data.evaluation, new.data.split_seed, new.data.test_fraction)
    )
    old_metrics, new_metrics = _task_metrics(old), _task_metrics(new)
    metrics = []
    for name, (a, a_ci, method) in old_metrics.items():
        if name in new_metrics:  # an undefined metric (e.g. R² of constant targets) is left out
            b, b_ci, _ = new_metrics[name]
            metrics.append(_metric_change(name, a, a_ci, b, b_ci, method))
    disparities, group_changes, note = _groups(old.groups, new.groups)
    if old.task != "binary":
        disparities = []  # fairlearn's disparity measures are binary; the group metrics show the rest
    return PerformanceDiff(
        facts=facts, same_rows=same_rows, metrics=metrics,
        disparities=disparities, group_changes=group_changes, groups_note=note,
    )


Interval = tuple[float, float] | None


def _held_out(result: AuditResult) -> Any:
    """The performance section of the result's task."""
    return {"binary": result.performance, "regression": result.regression_performance,
            "multiclass": result.multiclass_performance}[result.task]


def _task_metrics(result: AuditResult) -> dict[str, tuple[float, Interval, str]]:
    """Each held-out metric of the result's task with its 95% interval."""
    if result.task == "binary":
        return _metrics(result.performance)
    stored = "the audit's own bootstrap interval"
    if result.task == "regression":
        p = result.regression_performance
        names = (("RMSE", "rmse"), ("MAE", "mae"), ("R²", "r2"), ("mean residual", "mean_residual"))
    else:
        p = result.multiclass_performance
        names = (("accuracy", "accuracy"), ("balanced accuracy", "balanced_accuracy"), ("log loss", "log_loss"),
                 ("macro ROC AUC (one-vs-rest)", "roc_auc_macro"), ("top-label ECE", "top_label_ece"))
    out = {}
    for label, field in names:
        value, ci = getattr(p, field), getattr(p, f"{field}_ci")
        if value is not None:
            both = ci[0] is not None and ci[1] is not None
            out[label] = (value, (float(ci[0]), float(ci[1])) if both else None, stored)
    return out


def _metrics(p: PerformanceSummary) -> dict[str, tuple[float, Interval, str]]:
    """Each held-out metric with its 95% interval (None when the stored counts cannot give one)."""
    (tn, fp), (fn, tp) = p.confusion
    positives, negatives = tp + fn, tn + fp
    tpr, tnr, acc = wilson(tp, positives), wilson(tn, negatives), wilson(tp + tn, positives + negatives)
    bal_se = 0.5 * math.hypot(_se(tpr.low, tpr.high), _se(tnr.low, tnr.high))
    return {
        "ROC AUC": (p.roc_auc, normal_interval(p.roc_auc, auc_se(p.roc_auc, positives, negatives)),
                    "Hanley–McNeil standard error"),
        "accuracy": (p.accuracy, (acc.low, acc.high), "Wilson interval"),
        "balanced accuracy": (p.balanced_accuracy, normal_interval(p.balanced_accuracy, bal_se),
                              "from the Wilson intervals of both class rates"),
        "true positive rate": (tpr.value, (tpr.low, tpr.high), "Wilson interval"),
        "true negative rate": (tnr.value, (tnr.low, tnr.high), "Wilson interval"),
        "Brier score": (p.brier, None, "no interval: needs per-row scores, which the audit does not store"),
        "log loss": (p.log_loss, None, "no interval: needs per-row scores, which the audit does not store"),
    }


def _metric_change(name: str, a: float, a_ci: Interval, b: float, b_ci: Interval, method: str) -> MetricChange:
    beyond = None
    if a_ci is not None and b_ci is not None:
        beyond = abs(b - a) > Z95 * math.hypot(_se(*a_ci), _se(*b_ci))
    return MetricChange(
        metric=name, old=a, old_low=a_ci[0] if a_ci else None, old_high=a_ci[1] if a_ci else None,
        new=b, new_low=b_ci[0] if b_ci else None, new_high=b_ci[1] if b_ci else None,
        beyond_noise=beyond, method=method,
    )


def _se(low: float, high: float) -> float:
    """The standard error a 95% interval implies (its half-width over 1.96)."""
    return (high - low) / (2 * Z95)


def _groups(
    old: GroupsSummary | None, new: GroupsSummary | None
) -> tuple[list[DisparityChange], list[GroupMetricChange], str]:
    if old is None or new is None:
        which = " and ".join(w for w, g in (("OLD", old), ("NEW", new)) if g is None)
        return [], [], f"Groups were not measured in {which}: nothing to compare."
    old_attrs = {a.attribute: a for a in old.attributes}
    new_attrs = {a.attribute: a for a in new.attributes}
    disparities: list[DisparityChange] = []
    changes: list[GroupMetricChange] = []
    for name in old_attrs:
        if name in new_attrs:
            disparities += _disparities(old_attrs[name], new_attrs[name])
            changes += _group_changes(old_attrs[name], new_attrs[name])
    only = sorted(set(old_attrs) ^ set(new_attrs))
    note = f"Attributes in one audit only (not compared): {', '.join(only)}." if only else ""
    return disparities, changes, note


def _disparities(old: AttributeGroupsSummary, new: AttributeGroupsSummary) -> list[DisparityChange]:
    out = []
    for measure, threshold, side in DISPARITY_THRESHOLDS:
        a, b = getattr(old, measure), getattr(new, measure)
        crossed = None
        if a is not None and b is not None:
            concern_a, concern_b = (_concern(v, threshold, side) for v in (a, b))
            crossed = None if concern_a == concern_b else ("worse" if concern_b else "better")
        ci_old, ci_new = (_interval(g, measure) for g in (old, new))
        past = None
        if crossed == "worse" and ci_new is not None:
            past = all(_concern(v, threshold, side) for v in ci_new)
        out.append(DisparityChange(
            attribute=old.attribute, measure=measure.replace("_", " "), old=a, new=b,
            threshold=threshold, direction=side, crossed=crossed,  # type: ignore[arg-type]
            old_low=ci_old[0] if ci_old else None, old_high=ci_old[1] if ci_old else None,
            new_low=ci_new[0] if ci_new else None, new_high=ci_new[1] if ci_new else None,
            interval_past=past,
        ))
    return out


def _interval(g: AttributeGroupsSummary, measure: str) -> tuple[float, float] | None:
    ci = g.demographic_parity_difference_ci if measure == "demographic_parity_difference" else []
    if len(ci) != 2 or ci[0] is None or ci[1] is None:
        return None
    return float(ci[0]), float(ci[1])


def _concern(value: float, threshold: float, side: str) -> bool:
    return value < threshold if side == "below" else value > threshold


def _group_changes(old: AttributeGroupsSummary, new: AttributeGroupsSummary) -> list[GroupMetricChange]:
    new_groups = {g.group: g for g in new.groups}
    out = []
    for a in old.groups:
        b = new_groups.get(a.group)
        if b is None:
            continue
        for metric in a.metrics:
            if metric not in b.metrics:
                continue
            lows = (a.ci_low.get(metric), b.ci_low.get(metric))
            highs = (a.ci_high.get(metric), b.ci_high.get(metric))
            overlap = None
            # A zero-width interval (e.g. a bootstrap over a handful of rows) is no usable interval.
            if None not in lows and None not in highs and all(h > lo for lo, h in zip(lows, highs)):  # type: ignore[operator]
                overlap = not (highs[0] < lows[1] or highs[1] < lows[0])  # type: ignore[operator]
            out.append(GroupMetricChange(
                attribute=old.attribute, group=a.group, metric=metric,
                old=a.metrics[metric], old_low=lows[0], old_high=highs[0],
                new=b.metrics[metric], new_low=lows[1], new_high=highs[1], overlap=overlap,
            ))
    return out
