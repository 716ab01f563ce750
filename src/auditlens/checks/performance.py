"""Checks on held-out performance: degenerate decisions, class floors, optimism, calibration;
for regressors no skill and systematic bias, for multiclass models unpredicted classes,
per-class recall and top-label calibration."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from auditlens.checks._core import PROJECT, Check, Context, Param, check
from auditlens.intervals import Z95, auc_se, wilson

if TYPE_CHECKING:
    from auditlens.results import AuditResult, Finding

CHECKS: list[Check] = []
SECTION = "performance"


@check(
    CHECKS, "performance.degenerate_threshold", "high",
    "the positive class is predicted for (almost) none or all of the held-out rows at the decision threshold",
    tasks=("binary",),
    min_share=Param(0.01, 0.0, 0.5, PROJECT + ": fewer than 1 row in 100 on one side of the threshold",
                    "smallest share of held-out rows predicted positive, and negative"),
)
def degenerate_threshold(result: AuditResult, ctx: Context) -> list[Finding]:
    perf = result.performance
    (tn, fp), (fn, tp) = perf.confusion
    n = tn + fp + fn + tp
    predicted = fp + tp
    share = predicted / n if n else 0.0
    side = min(share, 1 - share)
    if n == 0 or (side >= ctx["min_share"] and 0 < predicted < n):
        return []
    missed = perf.positive_class if predicted <= n / 2 else perf.negative_class
    return [ctx.finding(
        f"At the decision threshold {perf.threshold:g} the model predicts '{perf.positive_class}' for "
        f"{predicted:,} of {n:,} held-out rows ({share:.1%}): almost every '{missed}' row is classified "
        "wrongly, so accuracy and the confusion matrix describe a constant predictor.",
        measured={"predicted_positive": predicted, "rows": n, "share_predicted_positive": share,
                  "balanced_accuracy": perf.balanced_accuracy, "threshold": perf.threshold},
        section=SECTION,
        recommendation="Choose the decision threshold from the costs of each error (the ROC curve shows "
        "the trade-off), or recalibrate the model, before it makes decisions.",
    )]


@check(
    CHECKS, "performance.class_recall_floor", "medium",
    "recall of either class (sensitivity or specificity) below a floor at the decision threshold",
    tasks=("binary",),
    floor=Param(0.5, 0.0, 1.0, PROJECT + ": below 0.5 a class is missed more often than found",
                "smallest recall of each class"),
)
def class_recall_floor(result: AuditResult, ctx: Context) -> list[Finding]:
    perf = result.performance
    (tn, fp), (fn, tp) = perf.confusion
    found = []
    for label, name, hits, total in (
        (perf.positive_class, "sensitivity", tp, tp + fn),
        (perf.negative_class, "specificity", tn, tn + fp),
    ):
        if total == 0 or hits / total >= ctx["floor"]:
            continue
        low, high = wilson(hits, total)
        clears = high < ctx["floor"]
        found.append(ctx.finding(
            f"Recall of '{label}' ({name}) is {hits / total:.3f} (95% Wilson interval [{low:.3f}, {high:.3f}], "
            f"{hits:,} of {total:,} rows) at threshold {perf.threshold:g}, below the floor {ctx['floor']:g}"
            + (": the whole interval is below it." if clears else "; only the point estimate is below it."),
            measured={"recall": hits / total, "ci_low": low, "ci_high": high, "found": hits, "rows": total},
            section=SECTION, subject=str(label),
            severity=ctx.severity if clears else ctx.lower(),
            recommendation="Move the decision threshold or reweight the classes if missing this class is costly; "
            "state the accepted miss rate in compliance.metrics_rationale.",
        ))
    return found


# Tuning metric -> (held-out value, its standard error or None); the same metric, greater is better.
def _held_out(result: AuditResult) -> tuple[float, float | None] | None:
    perf = result.performance
    (tn, fp), (fn, tp) = perf.confusion
    pos, neg = tp + fn, tn + fp
    metric = result.tuning.metric
    if metric == "roc_auc":
        return perf.roc_auc, auc_se(perf.roc_auc, pos, neg)
    if metric == "accuracy":
        return perf.accuracy, math.sqrt(perf.accuracy * (1 - perf.accuracy) / max(perf.n, 1))
    if metric == "balanced_accuracy" and pos and neg:
        tpr, tnr = tp / pos, tn / neg
        return perf.balanced_accuracy, 0.5 * math.sqrt(tpr * (1 - tpr) / pos + tnr * (1 - tnr) / neg)
    if metric == "neg_log_loss":
        return -perf.log_loss, None
    if metric == "neg_brier_score":
        return -perf.brier, None
    return None


@check(
    CHECKS, "performance.optimism", "medium",
    "held-out score well below the tuning run's best (cross-validated) score: the optimism of picking the best of N trials",
    tasks=("binary",),
    max_gap=Param(0.05, 0.0, 1.0, PROJECT + " (in the tuning metric's units)",
                  "largest tolerated drop from the best tuning score to the held-out score"),
)
def optimism(result: AuditResult, ctx: Context) -> list[Finding]:
    tuning = result.tuning
    held = _held_out(result)
    if held is None or tuning.direction != "maximize":
        return []  # the held-out metrics do not include the tuning metric
    value, se = held
    gap = tuning.best_value - value
    if gap <= ctx["max_gap"]:
        return []
    clears = se is not None and gap - Z95 * se > ctx["max_gap"]
    noise = "" if se is None else f" (held-out standard error {se:.3f})"
    return [ctx.finding(
        f"Held-out {tuning.metric} is {value:.3f}{noise}, {gap:.3f} below the best tuning score "
        f"{tuning.best_value:.3f} (trial {tuning.best_number} of {tuning.n_trials}), more than {ctx['max_gap']:g}"
        + ("; the gap exceeds the threshold by more than the held-out noise." if clears
           else "; within the held-out noise of the threshold."),
        measured={"best_tuning_score": tuning.best_value, "held_out_score": value, "gap": gap, "held_out_se": se},
        section=SECTION, severity=ctx.severity if clears else ctx.lower(),
        recommendation="Expect the held-out score, not the best trial's, in use; with many trials, "
        "estimate the tuning score with nested cross-validation.",
    )]


def expected_calibration_error(result: AuditResult) -> tuple[float, float]:
    """Binned ECE from the report's calibration bins, and its expected value for a calibrated model.

    ECE = sum over bins of (rows in bin / rows) * |mean predicted - observed rate| (Naeini,
    Cooper & Hauskrecht, AAAI 2015; 10 equal-width bins as in the report's chart). Even a
    perfectly calibrated model shows an ECE of about sum (n_b/n) sqrt(2 p_b (1 - p_b) / (pi n_b))
    from sampling noise alone; that is the second number.
    """
    perf = result.performance
    n = sum(perf.calibration_count)
    if n == 0:
        return 0.0, 0.0
    ece = floor = 0.0
    for pred, true, count in zip(perf.calibration_pred, perf.calibration_true, perf.calibration_count):
        ece += count / n * abs(pred - true)
        floor += count / n * math.sqrt(2 * pred * (1 - pred) / (math.pi * count))
    return ece, floor


@check(
    CHECKS, "performance.calibration_error", "medium",
    "expected calibration error of the held-out probabilities above a limit (matters where probabilities are shown)",
    tasks=("binary",),
    max_ece=Param(0.05, 0.0, 1.0, PROJECT + "; ECE as defined by Naeini et al. (AAAI 2015), 10 equal-width bins",
                  "largest tolerated expected calibration error"),
)
def calibration_error(result: AuditResult, ctx: Context) -> list[Finding]:
    ece, floor = expected_calibration_error(result)
    if ece <= ctx["max_ece"]:
        return []
    clears = ece - floor > ctx["max_ece"]
    return [ctx.finding(
        f"Expected calibration error of the held-out probabilities is {ece:.3f}, above {ctx['max_ece']:g}; "
        f"a perfectly calibrated model would show about {floor:.3f} on these bins from noise alone"
        + (", so the excess is more than noise." if clears else ", so the excess may be noise."),
        measured={"ece": ece, "ece_if_calibrated": floor, "rows": sum(result.performance.calibration_count)},
        section=SECTION, severity=ctx.severity if clears else ctx.lower(),
        recommendation="Recalibrate (Platt scaling or isotonic regression on held-out data) before "
        "showing probabilities to users, or show ranks or bands instead.",
    )]


@check(
    CHECKS, "performance.calibration_slope", "medium",
    "calibration slope of the held-out probabilities outside a range around 1 (over- or under-confident)",
    tasks=("binary",),
    low=Param(0.8, 0.0, 1.0, PROJECT + "; slope 1 is ideal, below 1 predictions are too extreme "
              "(Van Calster et al., BMC Medicine 2019)", "smallest tolerated slope"),
    high=Param(1.2, 1.0, 10.0, PROJECT, "largest tolerated slope"),
)
def calibration_slope(result: AuditResult, ctx: Context) -> list[Finding]:
    perf = result.performance
    slope, se = perf.calibration_slope, perf.calibration_slope_se
    if slope is None or ctx["low"] <= slope <= ctx["high"]:
        return []  # not measured (results before 1.1) or within range
    ci = (slope - Z95 * se, slope + Z95 * se) if se is not None else (math.nan, math.nan)
    clears = se is not None and (ci[1] < ctx["low"] or ci[0] > ctx["high"])
    kind = "too extreme (over-confident)" if slope < ctx["low"] else "too moderate (under-confident)"
    return [ctx.finding(
        f"Calibration slope of the held-out probabilities is {slope:.2f} (95% CI [{ci[0]:.2f}, {ci[1]:.2f}]), "
        f"outside [{ctx['low']:g}, {ctx['high']:g}]: the predicted probabilities are {kind}"
        + ("." if clears else "; the interval reaches into the range, so this may be noise."),
        measured={"slope": slope, "ci_low": ci[0], "ci_high": ci[1], "intercept": perf.calibration_intercept},
        section=SECTION, severity=ctx.severity if clears else ctx.lower(),
        recommendation="Recalibrate on held-out data (logistic recalibration fixes the slope), or regularise "
        "the model more strongly.",
    )]


@check(
    CHECKS, "performance.no_skill", "high",
    "a regressor's held-out R² not above a floor: no better than predicting the mean",
    tasks=("regression",),
    min_r2=Param(0.0, -1.0, 1.0, "R² = 0 is the score of predicting the held-out mean for every row",
                 "smallest acceptable held-out R²"),
)
def no_skill(result: AuditResult, ctx: Context) -> list[Finding]:
    perf = result.regression_performance
    if perf.r2 is None:
        return []
    low, high = perf.r2_ci
    if high is not None and high > ctx["min_r2"] and perf.r2 > ctx["min_r2"]:
        return []
    clears = high is not None and high <= ctx["min_r2"]
    interval = "" if low is None else f" (95% interval [{low:.3f}, {high:.3f}])"
    return [ctx.finding(
        f"Held-out R² is {perf.r2:.3f}{interval}, not above {ctx['min_r2']:g}: the model predicts the outcome no "
        "better than its mean" + (" (the whole interval)." if clears else " (the point estimate; the interval reaches above)."),
        measured={"r2": perf.r2, "ci_low": low, "ci_high": high, "rmse": perf.rmse}, section=SECTION,
        severity=ctx.severity if clears else ctx.lower(),
        recommendation="Do not use the predictions for decisions; revisit the inputs, the model family or the target.",
    )]


@check(
    CHECKS, "performance.systematic_bias", "medium",
    "a regressor's held-out predictions are too high or too low on average (mean residual away from 0)",
    tasks=("regression",),
    max_share=Param(0.1, 0.0, 10.0, PROJECT + ": a tenth of the mean absolute error",
                    "largest |mean residual| as a share of the MAE"),
)
def systematic_bias(result: AuditResult, ctx: Context) -> list[Finding]:
    perf = result.regression_performance
    low, high = perf.mean_residual_ci
    limit = ctx["max_share"] * perf.mae
    if abs(perf.mean_residual) <= limit or low is None:
        return []
    excludes_zero = low > 0 or high < 0
    if not excludes_zero:
        return []  # the bias is not distinguishable from noise: no finding
    clears = low > limit or high < -limit
    direction = "below" if perf.mean_residual > 0 else "above"
    return [ctx.finding(
        f"Predictions are on average {abs(perf.mean_residual):.3g} {direction} the actual values (mean residual "
        f"{perf.mean_residual:.3g}, 95% interval [{low:.3g}, {high:.3g}]), more than {ctx['max_share']:.0%} of the "
        f"MAE {perf.mae:.3g}" + ("." if clears else "; only the point estimate is beyond that share."),
        measured={"mean_residual": perf.mean_residual, "ci_low": low, "ci_high": high, "mae": perf.mae},
        section=SECTION, severity=ctx.severity if clears else ctx.lower(),
        recommendation="Check whether the held-out period or population differs from the training data; "
        "recalibrate the level of the predictions before use.",
    )]


@check(
    CHECKS, "performance.class_never_predicted", "high",
    "a class of a multiclass model present in the held-out rows is (almost) never predicted",
    tasks=("multiclass",),
    min_share=Param(0.1, 0.0, 1.0, PROJECT + ": a class predicted for under a tenth of its own rows' count",
                    "smallest ratio of rows predicted as a class to rows of that class"),
)
def class_never_predicted(result: AuditResult, ctx: Context) -> list[Finding]:
    perf = result.multiclass_performance
    found = []
    for c in perf.per_class:
        if c.support == 0 or c.predicted / c.support >= ctx["min_share"]:
            continue
        found.append(ctx.finding(
            f"Class '{c.label}' has {c.support} held-out rows but is predicted for {c.predicted}: the model "
            "(almost) never assigns it.",
            measured={"class": c.label, "support": c.support, "predicted": c.predicted}, section=SECTION,
            subject=c.label,
            recommendation="Check the class balance of the training data and the decision rule (argmax) before "
            "the model's classes are used.",
        ))
    return found


@check(
    CHECKS, "performance.per_class_recall", "medium",
    "recall of a class of a multiclass model below a floor",
    tasks=("multiclass",),
    floor=Param(0.5, 0.0, 1.0, PROJECT + ": below 0.5 a class is missed more often than found",
                "smallest recall of each class"),
)
def per_class_recall(result: AuditResult, ctx: Context) -> list[Finding]:
    found = []
    for c in result.multiclass_performance.per_class:
        if c.recall is None or c.recall >= ctx["floor"]:
            continue
        low, high = c.recall_ci
        clears = high is not None and high < ctx["floor"]
        found.append(ctx.finding(
            f"Recall of class '{c.label}' is {c.recall:.3f} (95% Wilson interval [{low:.3f}, {high:.3f}], "
            f"{c.support} rows), below {ctx['floor']:g}" + ("." if clears else "; the interval reaches above it."),
            measured={"class": c.label, "recall": c.recall, "ci_low": low, "ci_high": high, "support": c.support},
            section=SECTION, subject=c.label, severity=ctx.severity if clears else ctx.lower(),
            recommendation="Look at the confusion matrix for the classes this one is taken for.",
        ))
    return found


@check(
    CHECKS, "performance.top_label_calibration", "medium",
    "a multiclass model's top-label expected calibration error above a limit (matters where probabilities are shown)",
    tasks=("multiclass",),
    max_ece=Param(0.1, 0.0, 1.0, PROJECT, "largest top-label expected calibration error"),
)
def top_label_calibration(result: AuditResult, ctx: Context) -> list[Finding]:
    perf = result.multiclass_performance
    if perf.top_label_ece is None or perf.top_label_ece <= ctx["max_ece"]:
        return []
    low, high = perf.top_label_ece_ci
    clears = low is not None and low > ctx["max_ece"]
    interval = "" if low is None else f" (95% interval [{low:.3f}, {high:.3f}])"
    return [ctx.finding(
        f"Top-label expected calibration error is {perf.top_label_ece:.3f}{interval}, above {ctx['max_ece']:g}: "
        "the stated confidence of the predicted class is off" + ("." if clears else "; the interval reaches below the limit."),
        measured={"top_label_ece": perf.top_label_ece, "ci_low": low, "ci_high": high}, section=SECTION,
        severity=ctx.severity if clears else ctx.lower(),
        recommendation="Recalibrate (e.g. temperature scaling on held-out data) before probabilities are shown.",
    )]
