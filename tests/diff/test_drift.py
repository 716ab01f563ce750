"""Column histograms and the population stability index: hand-computed cases and calibration."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from auditlens.drift import FINE_BINS, MAX_CATEGORIES, column_histogram, psi
from auditlens.results import ColumnHistogram


def test_numeric_histogram_is_percentiles_and_counts_every_value() -> None:
    values = pd.Series(np.arange(1000, dtype=float))
    h = column_histogram(values)
    assert h.kind == "bins"
    assert len(h.edges) == FINE_BINS + 1
    assert h.edges[0] == 0.0 and h.edges[-1] == 999.0
    assert h.counts == [10] * 100  # [e_i, e_i+1), the last bin closed
    assert h.missing == 0


def test_few_distinct_values_get_one_bin_each_and_missing_is_counted_apart() -> None:
    h = column_histogram(pd.Series([1, 2, 2, 3, 3, 3, None]))
    assert h.edges == [1.0, 1.5, 2.5, 3.0]
    assert h.counts == [1, 2, 3]
    assert h.missing == 1


def test_constant_and_empty_numeric_columns() -> None:
    assert column_histogram(pd.Series([4.0, 4.0])).counts == [2]
    empty = column_histogram(pd.Series([np.nan, np.nan]))
    assert (empty.counts, empty.missing) == ([], 2)
    both_missing = psi(empty, empty)  # one bin: the missing values
    assert both_missing is not None and (both_missing.bins, both_missing.value) == (1, 0.0)


def test_categories_most_frequent_first_rest_as_other() -> None:
    labels = [f"c{i:02d}" for i in range(MAX_CATEGORIES + 5) for _ in range(i + 1)]
    h = column_histogram(pd.Series(labels))
    assert h.kind == "values"
    assert h.values[0] == f"c{MAX_CATEGORIES + 4:02d}"
    assert h.values[-1] == "(other)"
    assert sum(h.counts) == len(labels)
    assert h.counts[-1] == sum(range(1, 6))  # the five least frequent: 1 + 2 + 3 + 4 + 5 rows


def test_identical_histograms_have_zero_psi() -> None:
    h = column_histogram(pd.Series(np.random.default_rng(0).normal(size=500)))
    index = psi(h, h)
    assert index is not None
    assert index.value == 0.0 and index.exact and not index.beyond_noise and index.band == "stable"


def test_two_bin_psi_by_hand() -> None:
    old = ColumnHistogram(kind="values", values=["a", "b"], counts=[50, 50], missing=0)
    new = ColumnHistogram(kind="values", values=["a", "b"], counts=[25, 75], missing=0)
    # Shares after adding half a count to each bin: 50.5/101, 25.5/101, 75.5/101.
    p, q = (0.5, 0.5), (25.5 / 101, 75.5 / 101)
    expected = sum((a - b) * math.log(a / b) for a, b in zip(p, q, strict=True))
    index = psi(old, new)
    assert index is not None
    assert index.value == pytest.approx(expected, rel=1e-12)
    assert index.value == pytest.approx(0.2687, abs=1e-4)
    # χ²(1) 95% quantile 3.841 × (1/100 + 1/100).
    assert index.noise95 == pytest.approx(3.841459 * 0.02, rel=1e-6)
    assert index.beyond_noise and index.band == "major"


def test_categories_are_matched_by_label_and_missing_is_a_bin() -> None:
    old = ColumnHistogram(kind="values", values=["a", "b"], counts=[10, 10], missing=0)
    new = ColumnHistogram(kind="values", values=["b", "a", "c"], counts=[10, 10, 0], missing=5)
    index = psi(old, new)
    assert index is not None
    assert index.bins == 4  # a, b, c and missing
    p = np.array([10.5, 10.5, 0.5, 0.5]) / 22
    q = np.array([10.5, 10.5, 0.5, 5.5]) / 27
    assert index.value == pytest.approx(float(np.sum((p - q) * np.log(p / q))), rel=1e-12)


def test_kinds_that_differ_give_no_psi() -> None:
    numeric = column_histogram(pd.Series([1.0, 2.0]))
    text = column_histogram(pd.Series(["x", "y"]))
    assert psi(numeric, text) is None


def test_rebinning_onto_other_edges_is_marked_and_close_for_the_same_distribution() -> None:
    rng = np.random.default_rng(1)
    old = column_histogram(pd.Series(rng.uniform(0, 1, 5000)))
    new = column_histogram(pd.Series(rng.uniform(0, 1, 5000)))
    assert old.edges != new.edges
    index = psi(old, new)
    assert index is not None and not index.exact
    assert index.value < index.noise95


def test_a_half_sd_shift_is_found_at_its_population_value() -> None:
    """N(0,1) against N(0.5,1): the PSI on the true deciles, computed from the normal CDF."""
    from scipy.stats import norm

    z = norm.ppf(np.linspace(0, 1, 11))
    q = np.diff(norm.cdf(z - 0.5))
    population = float(np.sum((0.1 - q) * np.log(0.1 / q)))
    assert 0.2 < population < 0.25  # below Jeffreys' divergence 0.5² = 0.25, as binning must be
    # One pair's PSI has a standard deviation of about 0.022 here: check the mean of 20 pairs
    # (standard error ~0.005) against the population value plus the small-sample bias 9·(2/4000).
    values = []
    for seed in range(20):
        rng = np.random.default_rng(seed)
        old = column_histogram(pd.Series(rng.normal(0.0, 1.0, 4000)))
        new = column_histogram(pd.Series(rng.normal(0.5, 1.0, 4000)))
        index = psi(old, new)
        assert index is not None and not index.exact and index.beyond_noise
        values.append(index.value)
    assert float(np.mean(values)) == pytest.approx(population + 9 * 2 / 4000, abs=0.015)


def test_same_discrete_values_are_compared_exactly() -> None:
    rng = np.random.default_rng(4)
    old = column_histogram(pd.Series(rng.integers(0, 40, 800)))
    new = column_histogram(pd.Series(rng.integers(0, 40, 800)))
    index = psi(old, new)
    assert index is not None and index.exact and index.bins <= 10


def test_noise_level_is_exceeded_about_one_time_in_twenty() -> None:
    """Calibration: two samples of one distribution exceed noise95 in ~5% of comparisons."""
    rng = np.random.default_rng(3)
    exceed = 0
    runs = 400
    for _ in range(runs):
        old = column_histogram(pd.Series(rng.normal(size=600)))
        new = column_histogram(pd.Series(rng.normal(size=600)))
        index = psi(old, new)
        assert index is not None
        exceed += index.beyond_noise
    assert 0.01 <= exceed / runs <= 0.10
