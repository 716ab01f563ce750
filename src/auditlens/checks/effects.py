"""Checks on feature effects: leakage signs, protected inputs, SHAP's own accuracy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from auditlens.checks._core import PROJECT, Check, Context, Param, check, pct

if TYPE_CHECKING:
    from auditlens.results import AuditResult, Finding

CHECKS: list[Check] = []
SECTION = "feature-effects"


def _shares(result: AuditResult) -> dict[str, float]:
    fx = result.feature_effects
    total = sum(fx.mean_abs)
    return {f: v / total for f, v in zip(fx.features, fx.mean_abs)} if total > 0 else {}


@check(
    CHECKS, "effects.dominant_feature", "medium",
    "one feature carries most of the total mean |SHAP| (possible target leakage)",
    max_share=Param(0.5, 0.0, 1.0, PROJECT, "largest tolerated share of the total mean |SHAP| in one feature"),
)
def dominant_feature(result: AuditResult, ctx: Context) -> list[Finding]:
    shares = _shares(result)
    if not shares:
        return []
    feature = max(shares, key=lambda f: shares[f])
    if shares[feature] <= ctx["max_share"]:
        return []
    return [ctx.finding(
        f"{feature} carries {pct(shares[feature])} of the total mean |SHAP| of {len(shares)} features: the model "
        "leans on one input, which is often a sign of leakage (a column recorded after the outcome).",
        measured={"feature": feature, "share": shares[feature], "features": len(shares)},
        section=SECTION, subject=feature,
        recommendation=f"Confirm that {feature} is known at decision time and not derived from the target.",
    )]


@check(
    CHECKS, "effects.near_perfect", "medium",
    "held-out ROC AUC suspiciously close to perfect (possible leakage)",
    tasks=("binary",),
    max_auc=Param(0.99, 0.5, 1.0, PROJECT, "held-out ROC AUC at or above which the score is suspicious"),
)
def near_perfect(result: AuditResult, ctx: Context) -> list[Finding]:
    auc = result.performance.roc_auc
    if auc < ctx["max_auc"]:
        return []
    return [ctx.finding(
        f"Held-out ROC AUC is {auc:.4f}, at or above {ctx['max_auc']:g}: few real decision problems are this "
        "separable; a feature may encode the outcome, or held-out rows may repeat training rows.",
        measured={"roc_auc": auc}, section="performance",
        recommendation="Check the strongest features for leakage and the held-out rows for duplicates of training rows.",
    )]


@check(
    CHECKS, "effects.protected_input", "medium",
    "a protected attribute is used directly as a model input with a material effect",
    min_share=Param(0.05, 0.0, 1.0, PROJECT, "share of the total mean |SHAP| from which an effect is material"),
)
def protected_input(result: AuditResult, ctx: Context) -> list[Finding]:
    fx = result.feature_effects
    shares = _shares(result)
    total = sum(fx.mean_abs)
    found = []
    for name in result.data.protected_attributes:
        if name not in shares or shares[name] < ctx["min_share"]:
            continue
        i = fx.features.index(name)
        low = fx.mean_abs_ci_low[i] / total if len(fx.mean_abs_ci_low) == len(fx.features) else None
        clears = low is not None and low >= ctx["min_share"]
        interval = "" if low is None else f" (lower 95% bound {pct(low)})"
        found.append(ctx.finding(
            f"Protected attribute {name} is a model input and carries {pct(shares[name])} of the total mean "
            f"|SHAP|{interval}, at least {pct(ctx['min_share'])}: the model's decisions depend on it directly"
            + ("." if clears or low is None else "; the interval reaches below the threshold."),
            measured={"share": shares[name], "share_ci_low": low, "mean_abs_shap": fx.mean_abs[i]},
            section=SECTION, subject=name,
            severity=ctx.severity if clears or low is None else ctx.lower(),
            recommendation=f"Justify using {name} (legal basis, necessity) or retrain without it and compare "
            "performance and group metrics.",
        ))
    return found


@check(
    CHECKS, "effects.additivity_gap", "medium",
    "SHAP values do not add up to the model output within tolerance",
    max_gap=Param(0.01, 0.0, 1.0, "shap's own additivity check tolerance (TreeExplainer: atol 1e-2)",
                  "largest tolerated max |sum(SHAP) + base − model output|, on the output scale"),
)
def additivity_gap(result: AuditResult, ctx: Context) -> list[Finding]:
    fx = result.feature_effects
    if fx.additivity_gap <= ctx["max_gap"]:
        return []
    return [ctx.finding(
        f"The SHAP values miss the model output by up to {fx.additivity_gap:.3g} ({fx.output_scale}), more than "
        f"{ctx['max_gap']:g}: the explanations describe a slightly different model than the one audited.",
        measured={"additivity_gap": fx.additivity_gap, "explainer": fx.explainer}, section=SECTION,
        recommendation="Report the explainer and model versions; prefer an exact explainer for this model type.",
    )]
