"""Checks on held-out behaviour per group of a protected attribute."""

from __future__ import annotations

from typing import TYPE_CHECKING

from auditlens.checks._core import PROJECT, Check, Context, Param, check
from auditlens.intervals import difference_interval, ratio_interval

if TYPE_CHECKING:
    from auditlens.results import AttributeGroupsSummary, AuditResult, Finding, GroupMetrics

CHECKS: list[Check] = []
SECTION = "groups"


def _attributes(result: AuditResult) -> list[AttributeGroupsSummary]:
    return list(result.groups.attributes) if result.groups is not None else []


def _count(rate: float | None, of: int) -> int | None:
    """The count behind a stored rate (rate × rows, exact up to float rounding)."""
    return None if rate is None else round(rate * of)


def _extremes(a: AttributeGroupsSummary, metric: str, of: str) -> tuple[GroupMetrics, GroupMetrics] | None:
    """The groups with the lowest and the highest ``metric``, among groups where it is defined."""
    def base(g: GroupMetrics) -> int:
        return {"n": g.n, "positives": g.positives, "negatives": g.n - g.positives}[of]

    known = [g for g in a.groups if g.metrics.get(metric) is not None and base(g) > 0]
    if len(known) < 2:
        return None
    return (min(known, key=lambda g: g.metrics[metric]), max(known, key=lambda g: g.metrics[metric]))


@check(
    CHECKS, "groups.four_fifths", "high",
    "selection-rate ratio between groups below the four-fifths rule",
    tasks=("binary",),
    min_ratio=Param(0.8, 0.0, 1.0, "the four-fifths rule, 29 CFR 1607.4(D) (Uniform Guidelines on "
                    "Employee Selection Procedures, 1978)", "smallest tolerated ratio of the lowest to the highest "
                    "group's rate of positive predictions"),
)
def four_fifths(result: AuditResult, ctx: Context) -> list[Finding]:
    found = []
    positive = result.performance.positive_class
    for a in _attributes(result):
        pair = _extremes(a, "selection_rate", "n")
        ratio = a.demographic_parity_ratio
        if pair is None or ratio is None or ratio >= ctx["min_ratio"]:
            continue
        low, high = pair
        r_low, r_high = low.metrics["selection_rate"], high.metrics["selection_rate"]
        # Katz interval of the two extreme groups' ratio: small groups give wide intervals.
        ci = ratio_interval(_count(r_low, low.n), low.n, _count(r_high, high.n), high.n)
        clears = ci[1] < ctx["min_ratio"]
        # The rule compares favourable outcomes; when the positive class is the adverse one, the
        # ratio of the other prediction's rates is the rule's own reading: measured beside it.
        others = [1 - g.metrics["selection_rate"] for g in a.groups if g.metrics.get("selection_rate") is not None]
        other_ratio = min(others) / max(others) if max(others) > 0 else None
        found.append(ctx.finding(
            f"{a.attribute}: '{positive}' is predicted for {r_low:.1%} of '{low.group}' (n={low.n}) and "
            f"{r_high:.1%} of '{high.group}' (n={high.n}); the ratio {ratio:.3f} (95% Katz interval "
            f"[{ci[0]:.3f}, {ci[1]:.3f}]) is below the four-fifths rule's {ctx['min_ratio']:g}"
            + (": the whole interval is below it." if clears else "; only the point estimate is below it.")
            + ("" if other_ratio is None else f" The ratio of the rates of the other prediction is {other_ratio:.3f}."),
            measured={"ratio": ratio, "ci_low": ci[0], "ci_high": ci[1], "lowest_group": low.group,
                      "highest_group": high.group, "other_prediction_ratio": other_ratio},
            section=SECTION, subject=a.attribute, severity=ctx.severity if clears else ctx.lower(),
            recommendation=f"Review why rates differ across {a.attribute}: a legitimate factor, a proxy, or "
            "a sample too small to tell (see groups.small_groups); document the decision.",
        ))
    return found


def _largest_gap(a: AttributeGroupsSummary) -> tuple[str, GroupMetrics, GroupMetrics, float] | None:
    """The rate (tpr or fpr) and the two groups behind the equalized-odds difference."""
    gaps = []
    for metric, of in (("tpr", "positives"), ("fpr", "negatives")):
        pair = _extremes(a, metric, of)
        if pair is not None:
            gaps.append((metric, *pair, pair[1].metrics[metric] - pair[0].metrics[metric]))
    return max(gaps, key=lambda t: t[3]) if gaps else None


@check(
    CHECKS, "groups.equalized_odds", "medium",
    "equalized-odds difference (largest between-group gap in true or false positive rate) above a limit",
    tasks=("binary",),
    max_difference=Param(0.1, 0.0, 1.0, PROJECT + " (no regulatory convention exists)",
                         "largest tolerated equalized-odds difference"),
)
def equalized_odds(result: AuditResult, ctx: Context) -> list[Finding]:
    found = []
    for a in _attributes(result):
        eod, gap = a.equalized_odds_difference, _largest_gap(a)
        if eod is None or gap is None or eod <= ctx["max_difference"]:
            continue
        metric, low, high, _ = gap
        size = (lambda g: g.positives) if metric == "tpr" else (lambda g: g.n - g.positives)
        # Newcombe interval of the two groups' difference in that rate.
        ci = difference_interval(_count(high.metrics[metric], size(high)), size(high),
                                 _count(low.metrics[metric], size(low)), size(low))
        clears = ci[0] > ctx["max_difference"]
        name = {"tpr": "true positive rate", "fpr": "false positive rate"}[metric]
        found.append(ctx.finding(
            f"{a.attribute}: equalized-odds difference {eod:.3f} is above {ctx['max_difference']:g}: the {name} is "
            f"{high.metrics[metric]:.3f} for '{high.group}' and {low.metrics[metric]:.3f} for '{low.group}' (95% Newcombe "
            f"interval of the gap [{ci[0]:.3f}, {ci[1]:.3f}])"
            + ("; the whole interval is above the limit." if clears else "; only the point estimate is above it."),
            measured={"equalized_odds_difference": eod, "rate": metric, "ci_low": ci[0], "ci_high": ci[1],
                      "lower_group": low.group, "higher_group": high.group},
            section=SECTION, subject=a.attribute, severity=ctx.severity if clears else ctx.lower(),
            recommendation=f"Compare true and false positive rates across {a.attribute} in the Groups "
            "section; consider group-aware thresholds only with legal review.",
        ))
    return found


@check(
    CHECKS, "groups.small_groups", "low",
    "groups too small for a conclusion about their metrics (not evidence of fairness)",
    min_rows=Param(30, 1, 1_000_000, PROJECT, "smallest group size from which its metrics are read"),
    min_per_class=Param(5, 1, 1_000_000, "the n·p ≥ 5 rule for a normal approximation to a proportion",
                        "smallest number of each class in a group"),
)
def small_groups(result: AuditResult, ctx: Context) -> list[Finding]:
    found = []
    for a in _attributes(result):
        binary = result.task == "binary"  # the other tasks have no positive class to count
        small = [
            g for g in a.groups
            if g.n < ctx["min_rows"] or (binary and min(g.positives, g.n - g.positives) < ctx["min_per_class"])
        ]
        if not small:
            continue
        listed = "; ".join(f"'{g.group}' (n={g.n}" + (f", {g.positives} positive)" if binary else ")") for g in small)
        rule = f"fewer than {ctx['min_rows']:g} rows" + (f" or {ctx['min_per_class']:g} of a class" if binary else "")
        found.append(ctx.finding(
            f"{a.attribute}: {len(small)} group{'s' if len(small) != 1 else ''} too small for a conclusion "
            f"({rule}): {listed}. Their metrics "
            "show neither a disparity nor its absence.",
            measured={"groups": ", ".join(g.group for g in small), "smallest_n": min(g.n for g in small)},
            section=SECTION, subject=a.attribute,
            recommendation="Collect more held-out rows for these groups, or merge groups where that is meaningful, "
            "before concluding anything about them.",
        ))
    return found


def _task_gaps(result: AuditResult, metrics: tuple[str, ...]) -> list[tuple[str, object]]:
    """(attribute, gap) for each largest between-group gap of ``metrics`` (regression, multiclass)."""
    return [(a.attribute, g) for a in _attributes(result) for g in a.gaps
            if g.metric in metrics or any(g.metric.startswith(m + ":") for m in metrics)]


@check(
    CHECKS, "groups.error_gap", "medium",
    "a regressor's mean absolute error differs between groups by more than a share of its overall error",
    tasks=("regression",),
    max_share=Param(0.25, 0.0, 10.0, PROJECT + ": a quarter of the overall mean absolute error",
                    "largest gap in MAE between groups, as a share of the overall MAE"),
)
def error_gap(result: AuditResult, ctx: Context) -> list[Finding]:
    perf = result.regression_performance
    found = []
    for attribute, gap in _task_gaps(result, ("mae",)):
        limit = ctx["max_share"] * perf.mae
        if gap.difference <= limit:
            continue
        clears = gap.ci_low is not None and gap.ci_low > limit
        what = "mean absolute error"
        interval = "" if gap.ci_low is None else f" (95% interval of the gap [{gap.ci_low:.3g}, {gap.ci_high:.3g}])"
        found.append(ctx.finding(
            f"{attribute}: the {what} of '{gap.high_group}' is {gap.difference:.3g} above that of '{gap.low_group}'"
            f"{interval}, more than {ctx['max_share']:.0%} of the overall MAE {perf.mae:.3g}"
            + ("; the whole interval is above the limit." if clears else "; only the point estimate is above it."),
            measured={"metric": gap.metric, "difference": gap.difference, "ci_low": gap.ci_low, "ci_high": gap.ci_high,
                      "higher_group": gap.high_group, "lower_group": gap.low_group, "overall_mae": perf.mae},
            section=SECTION, subject=f"{attribute}: {gap.metric}", severity=ctx.severity if clears else ctx.lower(),
            recommendation=f"Compare errors and mean residuals across {attribute} in the Groups section; a model "
            "that errs more, or in one direction, for a group needs a documented reason or a fix.",
        ))
    return found


@check(
    CHECKS, "groups.class_rate_gap", "medium",
    "a multiclass model's accuracy or a class's selection rate differs between groups above a limit",
    tasks=("multiclass",),
    max_gap=Param(0.1, 0.0, 1.0, PROJECT + ": 10 percentage points",
                  "largest gap in accuracy or in a class's selection rate between groups"),
)
def class_rate_gap(result: AuditResult, ctx: Context) -> list[Finding]:
    found = []
    for attribute, gap in _task_gaps(result, ("accuracy", "selection_rate")):
        if gap.difference <= ctx["max_gap"]:
            continue
        clears = gap.ci_low is not None and gap.ci_low > ctx["max_gap"]
        what = "accuracy" if gap.metric == "accuracy" else f"share predicted '{gap.metric.split(':', 1)[1]}'"
        interval = "" if gap.ci_low is None else f" (95% Newcombe interval [{gap.ci_low:.3f}, {gap.ci_high:.3f}])"
        found.append(ctx.finding(
            f"{attribute}: {what} is {gap.difference:.1%} higher for '{gap.high_group}' than for '{gap.low_group}'"
            f"{interval}, above {ctx['max_gap']:.0%}"
            + ("; the whole interval is above the limit." if clears else "; only the point estimate is above it."),
            measured={"metric": gap.metric, "difference": gap.difference, "ci_low": gap.ci_low, "ci_high": gap.ci_high,
                      "higher_group": gap.high_group, "lower_group": gap.low_group},
            section=SECTION, subject=f"{attribute}: {gap.metric}", severity=ctx.severity if clears else ctx.lower(),
            recommendation=f"Compare accuracy and per-class selection rates across {attribute} in the Groups section "
            "before the model's classes drive decisions about people.",
        ))
    return found
