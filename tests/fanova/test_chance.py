"""The permutation null: a planted parameter is flagged, pure noise flags nothing (max-T)."""

from __future__ import annotations

import numpy as np
import pytest

from auditlens.fanova.chance import _max_t, decompose_against_chance


def test_planted_parameter_is_flagged_and_only_it() -> None:
    rng = np.random.default_rng(11)
    X = rng.random((150, 8))
    y = 2.0 * X[:, 3] + rng.normal(scale=0.5, size=150)
    names = [f"p{j}" for j in range(8)]
    result, null = decompose_against_chance(X, y, names=names, seed=3)
    assert null is not None and null.n_permutations == 39
    assert null.of("p3").distinguishable and null.of("p3").p_value == 1 / 40
    assert result.importance("p3").importance > null.of("p3").level > null.of("p3").null_p95
    assert [e.params for e in null.effects if e.distinguishable] == [("p3",)]


@pytest.mark.long  # 40 fits with the residual correction of every pair (about a minute)
def test_planted_parameters_are_flagged_and_only_they_with_the_residual_correction() -> None:
    # From 200 trials the surrogate's missed main effects (pairs from 450) are added back from
    # its out-of-fold residuals (auditlens.fanova._correction), on the observed and on every
    # permuted objective. A product with two real factors (and a weak third), 20% noise.
    rng = np.random.default_rng(13)
    X = rng.random((600, 8))
    a = np.array([0, 1, 9, 99, 99, 99, 99, 99.0])
    f = np.prod((np.abs(4 * X - 2) + a) / (1 + a), axis=1)
    y = f + 0.2 * f.std() * rng.normal(size=600)
    result, null = decompose_against_chance(X, y, names=[f"p{j}" for j in range(8)], seed=4)
    assert result.settings["residual_correction"] > 0
    assert null is not None
    flagged = {e.params for e in null.effects if e.distinguishable}
    real = {("p0",), ("p1",), ("p2",), ("p0", "p1"), ("p0", "p2"), ("p1", "p2")}
    assert {("p0",), ("p1",)} <= flagged <= real


def test_forest_null_flags_the_planted_parameter() -> None:
    rng = np.random.default_rng(12)
    X = rng.random((120, 6))
    y = np.sin(6 * X[:, 0]) + rng.normal(scale=0.3, size=120)
    _, null = decompose_against_chance(
        X, y, names=list("abcdef"), surrogate="random_forest", n_trees=16,
        n_variance_points=2**10, n_permutations=20,
    )
    assert null is not None and null.of("a").distinguishable


@pytest.mark.long  # minutes of work: see pyproject.toml
def test_pure_noise_flags_nothing_in_at_least_95_percent_of_repetitions() -> None:
    # 60 seeded repetitions, 100 trials, 6 to 20 parameters with all their pairs (nominal
    # family-wise rate 1/40; the null reruns the whole procedure, so the rate is exact). The
    # null that reused the observed stage count had 2 of 100 with a flag.
    flagged = 0
    for rep in range(60):
        rng = np.random.default_rng([rep, 77])
        d = 6 + rep % 15
        X = rng.random((100, d))
        _, null = decompose_against_chance(
            X, rng.normal(size=100), names=[f"x{j}" for j in range(d)], seed=rep
        )
        assert null is not None
        flagged += null.any_distinguishable
    assert flagged <= 3  # 57 of 60 = 95% without a flag


def test_max_t_counts_permutation_maxima() -> None:
    observed = np.array([5.0, 1.0, 0.2])
    null = np.array([[1.5, 0.1, 0.1], [0.5, 2.0, 0.3], [0.4, 0.2, 0.1]] * 13)  # K = 39
    p, level = _max_t(observed, null, 0.05)
    # maxima: 1.5, 2.0, 0.4 (13 each); 5.0 beats all, 1.0 beats only the 13 at 0.4
    assert p.tolist() == [1 / 40, 27 / 40, 40 / 40] and level == 2.0
    assert _max_t(observed, null[:19], 0.05)[1] == np.inf  # K = 19 can never reach p < 0.05


def test_permutations_are_checked() -> None:
    X = np.random.default_rng(0).random((30, 2))
    with pytest.raises(ValueError, match="'n_permutations' must be an int >= 0. Got -1"):
        decompose_against_chance(X, X[:, 0], names=["a", "b"], n_permutations=-1)
    result, null = decompose_against_chance(X, X[:, 0], names=["a", "b"], n_permutations=0)
    assert null is None and result.main_effects[0].params == ("a",)
