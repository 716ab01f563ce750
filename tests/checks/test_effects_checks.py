"""Feature-effect checks: triggered on purpose-built evidence, silent on the sample's."""

from __future__ import annotations

from check_helpers import fired, tweak

from auditlens.results import AuditResult


def _with_share(base: AuditResult, feature: str, share: float) -> AuditResult:
    """Mean |SHAP| rescaled so that ``feature`` holds ``share`` of the total (intervals ±10%)."""
    fx = base.feature_effects
    i = fx.features.index(feature)
    rest = sum(v for j, v in enumerate(fx.mean_abs) if j != i)
    values = list(fx.mean_abs)
    values[i] = share / (1 - share) * rest
    return tweak(base, "feature_effects", mean_abs=values,
                 mean_abs_ci_low=[0.9 * v for v in values], mean_abs_ci_high=[1.1 * v for v in values])


def test_dominant_feature(base: AuditResult) -> None:
    assert fired(base, "effects.dominant_feature") == []
    feature = base.feature_effects.features[3]
    (f,) = fired(_with_share(base, feature, 0.7), "effects.dominant_feature")
    assert f.subject == feature and abs(f.measured["share"] - 0.7) < 1e-12


def test_near_perfect(base: AuditResult) -> None:
    assert fired(base, "effects.near_perfect") == []
    (f,) = fired(tweak(base, "performance", roc_auc=0.995), "effects.near_perfect")
    assert f.severity == "medium" and f.section == "performance"


def _about(result: AuditResult, name: str) -> list:
    return [f for f in fired(result, "effects.protected_input") if f.subject == name]


def test_protected_input(base: AuditResult) -> None:
    name = "personal_status_and_sex"
    assert name in base.data.protected_attributes and name in base.feature_effects.features
    assert _about(_with_share(base, name, 0.01), name) == []
    (f,) = _about(_with_share(base, name, 0.2), name)
    assert f.severity == "medium"
    # 5.2% with a lower bound of 4.7%: material by the point estimate only.
    (f,) = _about(_with_share(base, name, 0.052), name)
    assert f.severity == "low"
    # The same effect from an attribute not declared protected: not this check's business.
    undeclared = tweak(_with_share(base, name, 0.2), "data", protected_attributes=[])
    assert fired(undeclared, "effects.protected_input") == []


def test_additivity_gap(base: AuditResult) -> None:
    assert fired(base, "effects.additivity_gap") == []
    (f,) = fired(tweak(base, "feature_effects", additivity_gap=0.3), "effects.additivity_gap")
    assert f.measured["additivity_gap"] == 0.3
