"""Optuna's fANOVA tree code as an independent oracle for the per-tree decomposition.

``optuna.importance._fanova`` is private API: these tests pin the Optuna version's shape
(``_FanovaTree(tree_, search_spaces)``, ``_Fanova(n_trees, max_depth, min_samples_split,
min_samples_leaf, seed)``) and fail loudly, not skip, if it changes.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from optuna.importance._fanova._fanova import _Fanova
from optuna.importance._fanova._tree import _FanovaTree
from sklearn.ensemble import RandomForestRegressor

from auditlens.fanova import decompose, tree_components

D = 4


def _data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.random((n, D))
    y = np.sin(5 * X[:, 0]) + X[:, 1] * X[:, 2] + 0.2 * X[:, 3] + 0.05 * rng.normal(size=n)
    return X, y


def test_single_trees_agree_with_optuna_tree_walks() -> None:
    X, y = _data(120, 0)
    forest = RandomForestRegressor(6, max_features=1.0, random_state=0).fit(X, y)
    search_spaces = np.tile([0.0, 1.0], (D, 1))
    for est in forest.estimators_:
        oracle = _FanovaTree(est.tree_, search_spaces)
        ours = tree_components(est)
        scale = oracle.variance
        assert ours.total_variance == pytest.approx(scale, rel=1e-10)
        for j in range(D):
            assert ours.main[j] == pytest.approx(
                oracle.get_marginal_variance(np.array([j])), abs=1e-10 * scale
            )
    # Pairs: Optuna's 2-D marginal variance is both main effects plus the pure interaction.
    # Its pure-Python walks are slow, so check the pairs on two trees.
    for est in forest.estimators_[:2]:
        oracle = _FanovaTree(est.tree_, search_spaces)
        ours = tree_components(est)
        for j, k in itertools.combinations(range(D), 2):
            expected = oracle.get_marginal_variance(np.array([j, k]))
            got = ours.main[j] + ours.main[k] + ours.pairwise[j, k]
            assert got == pytest.approx(expected, abs=1e-10 * oracle.variance)


def test_per_tree_estimator_equals_optuna_fanova() -> None:
    X, y = _data(200, 1)
    n_trees, seed = 16, 5
    fully_grown: Any = None  # Optuna annotates max_depth as int; sklearn takes None
    oracle = _Fanova(
        n_trees=n_trees, max_depth=fully_grown, min_samples_split=2, min_samples_leaf=1, seed=seed
    )
    oracle.fit(X, y, np.tile([0.0, 1.0], (D, 1)), [np.array([j]) for j in range(D)])
    names = [f"p{j}" for j in range(D)]
    res = decompose(
        X, y, names=names, estimator="per_tree", n_trees=n_trees, seed=seed, pairs=False, n_jobs=2
    )

    # Same settings and seed, so the same forest, split for split.
    ours_forest = RandomForestRegressor(n_trees, max_features=1.0, random_state=seed).fit(X, y)
    for a, b in zip(oracle._forest.estimators_, ours_forest.estimators_, strict=True):
        np.testing.assert_array_equal(a.tree_.threshold, b.tree_.threshold)
    for j, name in enumerate(names):
        mean, std = oracle.get_importance(j)
        effect = res.importance(name)
        assert effect.importance == pytest.approx(mean, abs=1e-10)
        assert effect.std == pytest.approx(std, abs=1e-10)
