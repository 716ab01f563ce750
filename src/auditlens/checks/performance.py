"""Checks on held-out performance: degenerate decisions, class floors, optimism, calibration."""

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
