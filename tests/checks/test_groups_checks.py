"""Group checks: the four-fifths rule and equalized odds graded by their intervals; small groups."""

from __future__ import annotations

from typing import Any

from check_helpers import fired

from auditlens.results import AuditResult, GroupMetrics


def _attribute(base: AuditResult, **fields: Any) -> AuditResult:
    """The sample with only its first attribute, changed by ``fields``."""
    assert base.groups is not None
    first = base.groups.attributes[0].model_copy(update=fields)
    return base.model_copy(update={"groups": base.groups.model_copy(update={"attributes": [first]})})


def _group(name: str, n: int, positives: int, selection: float) -> GroupMetrics:
    return GroupMetrics(group=name, n=n, positives=positives, metrics={"selection_rate": selection}, ci_low={}, ci_high={})


def test_four_fifths_graded_by_the_interval(base: AuditResult) -> None:
    groups = [_group("a", 100, 30, 0.10), _group("b", 100, 30, 0.25)]
    (f,) = fired(_attribute(base, groups=groups, demographic_parity_ratio=0.4,
                            demographic_parity_ratio_ci=[0.2, 0.7]), "groups.four_fifths")
    assert f.severity == "high" and f.measured["lowest_group"] == "a" and f.measured["highest_group"] == "b"
    assert "29 CFR 1607.4(D)" in next(iter(__import__("auditlens.checks").checks.CATALOGUE["groups.four_fifths"].params.values())).source
    # The point estimate is below 0.8, the interval reaches above: one grade lower.
    (f,) = fired(_attribute(base, groups=groups, demographic_parity_ratio=0.4,
                            demographic_parity_ratio_ci=[0.2, 0.95]), "groups.four_fifths")
    assert f.severity == "medium"
    # The rule's own reading of the other prediction: 0.75 / 0.90.
    assert abs(f.measured["other_prediction_ratio"] - 0.75 / 0.9) < 1e-12
    assert fired(_attribute(base, groups=groups, demographic_parity_ratio=0.85,
                            demographic_parity_ratio_ci=[0.7, 0.95]), "groups.four_fifths") == []


def test_equalized_odds_graded_by_the_interval(base: AuditResult) -> None:
    (f,) = fired(_attribute(base, equalized_odds_difference=0.3, equalized_odds_difference_ci=[0.15, 0.45]),
                 "groups.equalized_odds")
    assert f.severity == "medium"
    (f,) = fired(_attribute(base, equalized_odds_difference=0.3, equalized_odds_difference_ci=[0.05, 0.45]),
                 "groups.equalized_odds")
    assert f.severity == "low"
    assert fired(_attribute(base, equalized_odds_difference=0.08, equalized_odds_difference_ci=[0.0, 0.2]),
                 "groups.equalized_odds") == []


def test_small_groups(base: AuditResult) -> None:
    big = [_group("a", 100, 30, 0.1), _group("b", 80, 20, 0.2)]
    assert fired(_attribute(base, groups=big), "groups.small_groups") == []
    (f,) = fired(_attribute(base, groups=[*big, _group("c", 13, 3, 0.1)]), "groups.small_groups")
    assert f.measured["groups"] == "c" and f.severity == "low" and "neither a disparity nor its absence" in f.sentence
    # Large enough, but only 4 positives: no conclusion either.
    (f,) = fired(_attribute(base, groups=[*big, _group("d", 60, 4, 0.1)]), "groups.small_groups")
    assert f.measured["groups"] == "d"
