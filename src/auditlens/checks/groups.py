"""Checks on held-out behaviour per group of a protected attribute."""

from __future__ import annotations

from typing import TYPE_CHECKING

from auditlens.checks._core import PROJECT, Check, Context, Param, check

if TYPE_CHECKING:
    from auditlens.results import AttributeGroupsSummary, AuditResult, Finding

CHECKS: list[Check] = []
SECTION = "groups"


def _attributes(result: AuditResult) -> list[AttributeGroupsSummary]:
    return list(result.groups.attributes) if result.groups is not None else []


def _interval(ci: list[float | None]) -> tuple[float | None, float | None]:
    return (ci[0], ci[1]) if len(ci) == 2 else (None, None)


def _fmt(ci: tuple[float | None, float | None]) -> str:
    return "" if None in ci else f" (95% interval [{ci[0]:.3f}, {ci[1]:.3f}])"


@check(
    CHECKS, "groups.four_fifths", "high",
    "selection-rate ratio between groups below the four-fifths rule",
    min_ratio=Param(0.8, 0.0, 1.0, "the four-fifths rule, 29 CFR 1607.4(D) (Uniform Guidelines on "
                    "Employee Selection Procedures, 1978)", "smallest tolerated ratio of the lowest to the highest "
                    "group's rate of positive predictions"),
)
def four_fifths(result: AuditResult, ctx: Context) -> list[Finding]:
    found = []
    positive = result.performance.positive_class
    for a in _attributes(result):
        ratio = a.demographic_parity_ratio
        if ratio is None or ratio >= ctx["min_ratio"]:
            continue
        ci = _interval(a.demographic_parity_ratio_ci)
        clears = ci[1] is not None and ci[1] < ctx["min_ratio"]
        rates = {g.group: g.metrics.get("selection_rate") for g in a.groups}
        known = {g: r for g, r in rates.items() if r is not None}
        low_g, high_g = min(known, key=known.__getitem__), max(known, key=known.__getitem__)
        sizes = {g.group: g.n for g in a.groups}
        # The rule compares favourable outcomes; when the positive class is the adverse one, the
        # ratio of the other prediction's rates is the rule's own reading: measured beside it.
        others = [1 - r for r in known.values()]
        other_ratio = min(others) / max(others) if others and max(others) > 0 else None
        found.append(ctx.finding(
            f"{a.attribute}: '{positive}' is predicted for {known[low_g]:.1%} of '{low_g}' (n={sizes[low_g]}) "
            f"and {known[high_g]:.1%} of '{high_g}' (n={sizes[high_g]}); the ratio {ratio:.3f}{_fmt(ci)} is below "
            f"the four-fifths rule's {ctx['min_ratio']:g}"
            + (": the whole interval is below it." if clears else "; only the point estimate is below it "
               "(the interval reaches the threshold or was not computed).")
            + ("" if other_ratio is None else f" The ratio of the rates of the other prediction is {other_ratio:.3f}."),
            measured={"ratio": ratio, "ci_low": ci[0], "ci_high": ci[1], "lowest_group": low_g,
                      "highest_group": high_g, "other_prediction_ratio": other_ratio},
            section=SECTION, subject=a.attribute, severity=ctx.severity if clears else ctx.lower(),
            recommendation=f"Review why rates differ across {a.attribute}: a legitimate factor, a proxy, or "
            "a sample too small to tell (see groups.small_groups); document the decision.",
        ))
    return found


@check(
    CHECKS, "groups.equalized_odds", "medium",
    "equalized-odds difference (largest between-group gap in true or false positive rate) above a limit",
    max_difference=Param(0.1, 0.0, 1.0, PROJECT + " (no regulatory convention exists)",
                         "largest tolerated equalized-odds difference"),
)
def equalized_odds(result: AuditResult, ctx: Context) -> list[Finding]:
    found = []
    for a in _attributes(result):
        eod = a.equalized_odds_difference
        if eod is None or eod <= ctx["max_difference"]:
            continue
        ci = _interval(a.equalized_odds_difference_ci)
        clears = ci[0] is not None and ci[0] > ctx["max_difference"]
        found.append(ctx.finding(
            f"{a.attribute}: equalized-odds difference {eod:.3f}{_fmt(ci)} is above {ctx['max_difference']:g}: "
            "error rates differ between its groups"
            + ("; the whole interval is above the limit." if clears else "; only the point estimate is above it."),
            measured={"equalized_odds_difference": eod, "ci_low": ci[0], "ci_high": ci[1]},
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
        small = [
            g for g in a.groups
            if g.n < ctx["min_rows"] or min(g.positives, g.n - g.positives) < ctx["min_per_class"]
        ]
        if not small:
            continue
        listed = "; ".join(f"'{g.group}' (n={g.n}, {g.positives} positive)" for g in small)
        found.append(ctx.finding(
            f"{a.attribute}: {len(small)} group{'s' if len(small) != 1 else ''} too small for a conclusion "
            f"(fewer than {ctx['min_rows']:g} rows or {ctx['min_per_class']:g} of a class): {listed}. Their metrics "
            "show neither a disparity nor its absence.",
            measured={"groups": ", ".join(g.group for g in small), "smallest_n": min(g.n for g in small)},
            section=SECTION, subject=a.attribute,
            recommendation="Collect more held-out rows for these groups, or merge groups where that is meaningful, "
            "before concluding anything about them.",
        ))
    return found
