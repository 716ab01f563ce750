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


def _group(name: str, n: int, positives: int, selection: float, tpr: float = 0.5, fpr: float = 0.1) -> GroupMetrics:
    return GroupMetrics(group=name, n=n, positives=positives,
                        metrics={"selection_rate": selection, "tpr": tpr, "fpr": fpr}, ci_low={}, ci_high={})


def test_four_fifths_graded_by_the_katz_interval(base: AuditResult) -> None:
    # 10 of 100 against 25 of 100: ratio 0.4, Katz interval [0.21, 0.77] wholly below 0.8.
    large = [_group("a", 100, 30, 0.10), _group("b", 100, 30, 0.25)]
    (f,) = fired(_attribute(base, groups=large, demographic_parity_ratio=0.4), "groups.four_fifths")
    assert f.severity == "high" and (f.measured["lowest_group"], f.measured["highest_group"]) == ("a", "b")
    assert f.measured["ci_high"] < 0.8 and f.measured["ci_low"] > 0.2
    # The same rates in groups of 20: the interval reaches above 0.8, one grade lower.
    small = [_group("a", 20, 6, 0.10), _group("b", 20, 6, 0.25)]
    (f,) = fired(_attribute(base, groups=small, demographic_parity_ratio=0.4), "groups.four_fifths")
    assert f.severity == "medium" and f.measured["ci_high"] > 0.8
    # The rule's own reading of the other prediction: 0.75 / 0.90.
    assert abs(f.measured["other_prediction_ratio"] - 0.75 / 0.9) < 1e-12
    assert fired(_attribute(base, groups=large, demographic_parity_ratio=0.85), "groups.four_fifths") == []


def test_equalized_odds_graded_by_the_newcombe_interval(base: AuditResult) -> None:
    # True positive rates 0.2 and 0.6 of 50 positives each: gap 0.4, Newcombe lower bound above 0.1.
    big = [_group("a", 100, 50, 0.2, tpr=0.2), _group("b", 100, 50, 0.4, tpr=0.6)]
    (f,) = fired(_attribute(base, groups=big, equalized_odds_difference=0.4), "groups.equalized_odds")
    assert f.severity == "medium" and f.measured["rate"] == "tpr" and f.measured["ci_low"] > 0.1
    # The same rates with 5 positives each: only the point estimate is above the limit.
    few = [_group("a", 10, 5, 0.2, tpr=0.2), _group("b", 10, 5, 0.4, tpr=0.6)]
    (f,) = fired(_attribute(base, groups=few, equalized_odds_difference=0.4), "groups.equalized_odds")
    assert f.severity == "low" and f.measured["ci_low"] < 0.1
    assert fired(_attribute(base, groups=big, equalized_odds_difference=0.08), "groups.equalized_odds") == []


def test_small_groups(base: AuditResult) -> None:
    big = [_group("a", 100, 30, 0.1), _group("b", 80, 20, 0.2)]
    assert fired(_attribute(base, groups=big), "groups.small_groups") == []
    (f,) = fired(_attribute(base, groups=[*big, _group("c", 13, 3, 0.1)]), "groups.small_groups")
    assert f.measured["groups"] == "c" and f.severity == "low" and "neither a disparity nor its absence" in f.sentence
    # Large enough, but only 4 positives: no conclusion either.
    (f,) = fired(_attribute(base, groups=[*big, _group("d", 60, 4, 0.1)]), "groups.small_groups")
    assert f.measured["groups"] == "d"
