"""Small-group intervals: Wilson for rates keeps its coverage where a percentile bootstrap fails."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from auditlens.groups import _wilson_intervals, group_metrics
from auditlens.intervals import MIN_CLASS_FOR_AUC, auc_se, difference_interval, ratio_interval, wilson


def test_wilson_known_values() -> None:
    # By hand: z = 1.96, 0 of 10 -> upper z²/(n + z²) = 3.8415/13.8415; 5 of 10 -> 0.5 ± 0.2634.
    assert wilson(0, 10) == (0.0, pytest.approx(3.8415 / 13.8415, abs=1e-4))
    low, high = wilson(5, 10)
    assert low == pytest.approx(0.2366, abs=1e-4) and high == pytest.approx(0.7634, abs=1e-4)
    assert wilson(10, 10)[1] == 1.0 and np.isnan(wilson(0, 0)[0])


def test_auc_standard_error_hanley_mcneil() -> None:
    # By hand, AUC 0.8 with 50 of each class: Q1 = 0.8/1.2, Q2 = 1.28/1.8,
    # var = (0.16 + 49 (Q1 - 0.64) + 49 (Q2 - 0.64)) / 2500 = 0.0019804, SE = 0.04450.
    assert auc_se(0.8, 50, 50) == pytest.approx(0.04450, abs=1e-5)


def test_newcombe_difference_matches_the_published_examples() -> None:
    # Newcombe (Statistics in Medicine 1998), table II, method 10.
    assert difference_interval(56, 70, 48, 80) == pytest.approx((0.0524, 0.3339), abs=1e-4)
    assert difference_interval(9, 10, 3, 10) == pytest.approx((0.1705, 0.8090), abs=1e-4)


def test_katz_ratio_by_hand() -> None:
    # 8/80 over 27/87: se = sqrt(1/8 - 1/80 + 1/27 - 1/87), interval ratio * exp(±1.96 se).
    se = np.sqrt(1 / 8 - 1 / 80 + 1 / 27 - 1 / 87)
    ratio = (8 / 80) / (27 / 87)
    assert ratio_interval(8, 80, 27, 87) == pytest.approx((ratio * np.exp(-1.959964 * se), ratio * np.exp(1.959964 * se)))
    low, high = ratio_interval(0, 13, 7, 23)  # no selection in the small group: still an interval
    assert 0 < low < high and high > 0.8


@pytest.mark.parametrize(("n1", "n2"), [(13, 23), (40, 120)])
def test_katz_ratio_coverage_by_simulation(n1: int, n2: int) -> None:
    """Two groups with rates 0.1 and 0.3 (true ratio 1/3): the Katz interval covers it ≥ 90%."""
    rng = np.random.default_rng(n1 + n2)
    k1, k2 = rng.binomial(n1, 0.1, 2000), rng.binomial(n2, 0.3, 2000)
    hits = [lo <= 1 / 3 <= hi for lo, hi in (ratio_interval(int(a), n1, int(b), n2) for a, b in zip(k1, k2)) if np.isfinite(lo)]
    assert np.mean(hits) >= 0.90, np.mean(hits)


def _percentile_bootstrap(k: int, n: int, rng: np.random.Generator, n_boot: int = 200) -> tuple[float, float]:
    draws = rng.binomial(n, k / n, size=n_boot) / n  # resampling n rows with k successes
    return float(np.quantile(draws, 0.025)), float(np.quantile(draws, 0.975))


@pytest.mark.parametrize("n", [8, 13, 30])
@pytest.mark.parametrize("p", [0.05, 0.15, 0.3, 0.5])
def test_wilson_coverage_by_simulation(n: int, p: float) -> None:
    """2,000 simulated groups of n rows: the true rate lies in the Wilson interval ~95% of the time.

    The bound 0.90 allows for Wilson's known oscillation below 95% at small n (Brown, Cai &
    DasGupta 2001, fig. 4) plus ±1% simulation error; the percentile bootstrap on the same
    samples is far below it for rare events (0 successes gives [0, 0]).
    """
    rng = np.random.default_rng(1000 * n + int(100 * p))
    successes = rng.binomial(n, p, size=2000)
    wilson_hits = np.mean([lo <= p <= hi for lo, hi in (wilson(int(k), n) for k in successes)])
    assert wilson_hits >= 0.90, wilson_hits
    if n * p < 1:  # rare events: the bootstrap misses whenever no success was drawn
        boot_hits = np.mean([lo <= p <= hi for lo, hi in (_percentile_bootstrap(int(k), n, rng) for k in successes)])
        assert boot_hits < 0.75 < wilson_hits, (boot_hits, wilson_hits)


def test_group_rate_intervals_cover_by_simulation() -> None:
    """2,000 simulated groups of 13 rows (3 positives): every rate's interval, as group_metrics
    computes it (``_wilson_intervals``), covers its true value at least 90% of the time."""
    rng = np.random.default_rng(7)
    y = np.r_[np.ones(3, int), np.zeros(10, int)]
    truth = {"tpr": 0.6, "fpr": 0.1}
    hits = dict.fromkeys(truth, 0)
    runs = 2000
    for _ in range(runs):
        predicted = np.where(y == 1, rng.uniform(size=13) < truth["tpr"], rng.uniform(size=13) < truth["fpr"]).astype(int)
        got = _wilson_intervals(y, predicted)
        for m, v in truth.items():
            hits[m] += got[m][0] <= v <= got[m][1]
    assert all(h / runs >= 0.90 for h in hits.values()), hits


def test_auc_interval_withheld_for_too_few_of_a_class() -> None:
    rng = np.random.default_rng(3)
    y = np.r_[np.array([1, 1, 1] + [0] * 10), rng.integers(0, 2, 200)]
    p = np.r_[np.linspace(0.9, 0.6, 3), np.linspace(0.4, 0.1, 10), rng.uniform(size=200)]
    g = pd.Series(["tiny"] * 13 + ["big"] * 200, name="g")
    res = {r.group: r for r in group_metrics(y, p, g, n_boot=50, seed=0).groups}
    tiny, big = res["tiny"], res["big"]
    assert tiny.metrics["roc_auc"] == 1.0  # a perfect ranking of 3 positives ...
    assert tiny.ci_low["roc_auc"] is None and tiny.ci_high["roc_auc"] is None  # ... gets no interval
    assert "3 positive and 10 negative" in tiny.ci_notes["roc_auc"] and str(MIN_CLASS_FOR_AUC) in tiny.ci_notes["roc_auc"]
    assert big.ci_low["roc_auc"] is not None and "roc_auc" not in big.ci_notes
    lo, hi = tiny.ci_low["fpr"], tiny.ci_high["fpr"]
    assert (lo, round(hi, 4)) == (0.0, round(wilson(0, 10)[1], 4))  # 0 of 10, not [0, 0]


def test_wilson_intervals_of_a_group_by_hand() -> None:
    y = np.array([1, 1, 0, 0, 0])
    predicted = np.array([1, 0, 1, 0, 0])
    got = _wilson_intervals(y, predicted)
    assert got["tpr"] == wilson(1, 2) and got["fpr"] == wilson(1, 3)
    assert got["accuracy"] == wilson(3, 5) and got["selection_rate"] == wilson(2, 5)
