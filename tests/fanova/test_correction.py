"""The out-of-fold residual correction of main effects and pairs, against hand-computed cases.

The whole method is checked on product functions with analytic indices in
tests/fanova/test_product_form.py (long); these check its parts.
"""

from __future__ import annotations

import numpy as np
import pytest

from auditlens.fanova._correction import MainCorrection, PairCorrection, correct_mains, correct_pairs, overlap


def test_recovers_a_missing_step_and_its_variance() -> None:
    rng = np.random.default_rng(0)
    X = rng.random((4000, 2))
    missing = np.where(X[:, 0] < 0.5, -1.0, 1.0)  # variance 1 under the uniform measure
    residual = missing + 0.5 * rng.standard_normal(4000)
    first, second = correct_mains(X, residual)
    assert first is not None and second is not None
    grid = np.array([0.1, 0.3, 0.7, 0.9])
    assert np.allclose(first.at(grid), [-1, -1, 1, 1], atol=0.1)
    assert first.shrink > 0.95
    no_marginal = (np.array([0.0, 1.0]), np.zeros(1))
    assert first.corrected_variance(*no_marginal) == pytest.approx(1.0, abs=0.05)
    assert second.corrected_variance(*no_marginal) < 0.01  # x2 misses nothing


def test_adds_to_the_surrogates_marginal_exactly() -> None:
    # marginal m = -0.5 on [0, 0.5), +0.5 on [0.5, 1]; correction +0.3 on [0, 0.25) and -0.1
    # on the rest (centred: 0.25 * 0.3 = 0.75 * 0.1): Var(m + d) by hand.
    correction = MainCorrection(np.array([0.25]), np.array([0.3, -0.1]), noise=0.0, tests=1)
    edges, marginal = np.array([0.0, 0.5, 1.0]), np.array([-0.5, 0.5])
    cells = np.array([0.25, 0.25, 0.5])  # [0, .25), [.25, .5), [.5, 1]
    values = np.array([-0.5 + 0.3, -0.5 - 0.1, 0.5 - 0.1])
    mean = cells @ values
    assert correction.corrected_variance(edges, marginal) == pytest.approx(cells @ (values - mean) ** 2)


def test_spread_minus_noise_is_unbiased_on_pure_noise() -> None:
    excess = []
    for seed in range(300):
        rng = np.random.default_rng(seed)
        (c,) = correct_mains(rng.random((500, 1)), rng.standard_normal(500))
        assert c is not None
        excess.append(c.spread - c.noise)
    excess = np.array(excess)
    assert abs(excess.mean()) < 3 * excess.std() / np.sqrt(excess.size)


def test_shrinks_noise_to_nearly_nothing() -> None:
    rng = np.random.default_rng(1)
    corrections = correct_mains(rng.random((1000, 5)), rng.standard_normal(1000))
    assert np.median([c.shrink for c in corrections if c is not None]) < 0.2


def test_bins_are_the_cells_of_a_categorical_or_integer() -> None:
    # choices at the centres of three cells, as auditlens.space encodes them
    x = np.random.default_rng(2).choice([1 / 6, 1 / 2, 5 / 6], size=600)
    (c,) = correct_mains(x[:, None], np.zeros(600))
    assert c is not None
    assert np.allclose(c.boundaries, [1 / 3, 2 / 3])
    assert np.allclose(c.widths, [1 / 3, 1 / 3, 1 / 3])


def test_needs_200_trials() -> None:
    rng = np.random.default_rng(3)
    assert correct_mains(rng.random((199, 3)), rng.standard_normal(199)) == [None] * 3
    assert all(correct_mains(rng.random((200, 3)), rng.standard_normal(200)))


def _unit(c: PairCorrection) -> tuple[np.ndarray, np.ndarray]:
    """Overlaps with one cell: a surrogate without this pair (F = 0)."""
    return overlap(np.array([0.0, 1.0]), c.cuts[0]), overlap(np.array([0.0, 1.0]), c.cuts[1])


def test_recovers_a_missing_pure_pair() -> None:
    rng = np.random.default_rng(4)
    # each column a shuffle of (i + 0.5) / N, so that the bins' middle cut is 0.5 and the step
    # is in the bins' resolution (a cut at 0.507 would mix the signs of one bin: 0.95)
    X = np.column_stack([rng.permutation((np.arange(2000) + 0.5) / 2000) for _ in range(3)])
    sign = np.where(X[:, :2] < 0.5, -1.0, 1.0)
    residual = sign[:, 0] * sign[:, 1] + 0.3 * X[:, 0] + 0.5 * rng.standard_normal(2000)  # pure pair: variance 1
    first, second, third = correct_pairs(X, residual, [(0, 1), (0, 2), (1, 2)])
    assert first is not None and second is not None and third is not None
    assert first.change(_unit(first), np.zeros((1, 1))) == pytest.approx(1.0, abs=0.05)
    # the main effect of x1 in the residual is not a pair: it is centred away
    assert abs(second.change(_unit(second), np.zeros((1, 1)))) < 0.01 and abs(third.change(_unit(third), np.zeros((1, 1)))) < 0.01


def test_pair_change_adds_the_cross_term_by_hand() -> None:
    # delta = +d on the diagonal cells of a 2 x 2 grid of halves, -d off it (pure); the
    # surrogate's F = f on the same diagonal, -f off it: Var(F + delta) - Var(F) = 2 f d + d^2.
    f, d = 0.7, 0.2
    cuts = (np.array([0.5]), np.array([0.5]))
    pure = np.array([[d, -d], [-d, d]])
    halves = np.array([0.0, 0.5, 1.0])
    overlaps = (overlap(halves, cuts[0]), overlap(halves, cuts[1]))
    change = PairCorrection(cuts, pure, noise=0.0, tests=1).change(overlaps, np.array([[f, -f], [-f, f]]))
    assert change == pytest.approx(2 * f * d + d * d)


def test_pure_noise_passes_the_gate_about_once_per_family() -> None:
    # The gate lets a component through when its spread beats noise with probability 1/tests:
    # on pure noise about one pair in a family of any size.
    passed = []
    for seed in range(20):
        rng = np.random.default_rng(seed)
        X, residual = rng.random((1000, 8)), rng.standard_normal(1000)
        fixes = correct_pairs(X, residual, [(j, k) for j in range(8) for k in range(j + 1, 8)])
        passed.append(sum(f is not None and f.shrink > 0 for f in fixes))
    assert np.mean(passed) < 2.0 and max(passed) <= 4


def test_a_pair_the_sampler_moved_together_is_left_as_fitted() -> None:
    rng = np.random.default_rng(5)
    x = rng.random(1000)
    X = np.column_stack([x, np.clip(x + 0.01 * rng.standard_normal(1000), 0, 1)])
    assert correct_pairs(X, rng.standard_normal(1000), [(0, 1)]) == [None]


def test_main_effects_do_not_depend_on_whether_pairs_are_computed() -> None:
    from auditlens.fanova import decompose

    rng = np.random.default_rng(6)
    X = rng.random((500, 4))  # pairs are corrected from 450 trials (3 x 3 bins)
    y = np.prod((np.abs(4 * X - 2) + np.array([0, 0, 3, 9])) / (1 + np.array([0, 0, 3, 9])), axis=1)
    names = ["a", "b", "c", "d"]
    with_pairs, without = decompose(X, y, names=names), decompose(X, y, names=names, pairs=False)
    assert with_pairs.settings["residual_correction"] > 0
    assert with_pairs.total_variance == without.total_variance
    assert [e.importance for e in with_pairs.main_effects] == [e.importance for e in without.main_effects]
