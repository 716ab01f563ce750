"""Parts of the comparison checked by hand: intervals from stored counts, findings, disparities."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from auditlens.diff.compare import _findings
from auditlens.diff.performance import _disparities
from auditlens.diff.stats import auc_se, wilson


def finding(fid: str, subject: str = "", severity: str = "high") -> SimpleNamespace:
    return SimpleNamespace(id=fid, subject=subject, severity=severity, sentence=f"{fid} {subject}".strip())


def test_findings_new_resolved_unchanged_by_id_and_subject() -> None:
    old = SimpleNamespace(findings=[finding("groups.four_fifths", "sex"), finding("data.missing")], check_settings={"x": {}})
    new = SimpleNamespace(findings=[finding("groups.four_fifths", "sex"), finding("groups.four_fifths", "age")],
                          check_settings={"x": {}})
    diff = _findings(old, new)  # type: ignore[arg-type]
    assert diff is not None
    assert [f.id for f in diff.new] == ["groups.four_fifths (age)"]
    assert [f.id for f in diff.resolved] == ["data.missing"]
    assert [f.id for f in diff.unchanged] == ["groups.four_fifths (sex)"]


def test_findings_are_silent_unless_both_audits_ran_the_checks() -> None:
    checked = SimpleNamespace(findings=[finding("data.missing")], check_settings={})
    unchecked = SimpleNamespace(findings=[], check_settings={})
    assert _findings(checked, unchecked) is None  # type: ignore[arg-type]
    assert _findings(SimpleNamespace(), checked) is None  # type: ignore[arg-type]  # results before findings existed
    clean = SimpleNamespace(findings=[], check_settings={"data.missing": {"threshold": 0.0}})
    resolved = _findings(checked, clean)  # type: ignore[arg-type]
    assert resolved is not None and [f.id for f in resolved.resolved] == ["data.missing"]


def test_wilson_matches_the_textbook_case() -> None:
    # 30 of 100: (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n) = [0.2189, 0.3958] by hand.
    p = wilson(30, 100)
    assert (round(p.low, 4), round(p.high, 4)) == (0.2189, 0.3958)
    zero = wilson(0, 20)
    assert zero.low == 0.0 and 0.15 < zero.high < 0.17  # not a zero-width interval at 0 of 20


def test_hanley_mcneil_standard_error_matches_simulation() -> None:
    """The closed-form AUC standard error against the spread of AUC over 400 simulated samples."""
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    positives, negatives = 60, 140
    aucs = []
    for _ in range(400):
        scores = np.concatenate([rng.normal(1.0, 1.0, positives), rng.normal(0.0, 1.0, negatives)])
        labels = np.concatenate([np.ones(positives), np.zeros(negatives)])
        aucs.append(roc_auc_score(labels, scores))
    observed = float(np.std(aucs))
    predicted = auc_se(float(np.mean(aucs)), positives, negatives)
    assert predicted == pytest.approx(observed, rel=0.15)


def test_disparity_crossing_uses_the_side_of_concern() -> None:
    def attr(ratio: float, dpd: float, ci: list[float]) -> SimpleNamespace:
        return SimpleNamespace(attribute="sex", demographic_parity_ratio=ratio, demographic_parity_difference=dpd,
                               demographic_parity_difference_ci=ci, equalized_odds_difference=None)

    out = {d.measure: d for d in _disparities(attr(0.9, 0.05, [0.0, 0.1]), attr(0.7, 0.2, [0.15, 0.25]))}  # type: ignore[arg-type]
    assert out["demographic parity ratio"].crossed == "worse"
    assert out["demographic parity ratio"].interval_past is None  # the audit has no interval for the ratio
    assert out["demographic parity difference"].crossed == "worse"
    assert out["demographic parity difference"].interval_past is True  # [0.15, 0.25] is all above 0.1
    assert out["equalized odds difference"].crossed is None
    back = {d.measure: d for d in _disparities(attr(0.7, 0.2, [0.05, 0.3]), attr(0.85, 0.2, [0.05, 0.3]))}  # type: ignore[arg-type]
    assert back["demographic parity ratio"].crossed == "better"
    assert back["demographic parity difference"].crossed is None
