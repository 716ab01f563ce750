"""The random-forest surrogate (the paper's and Optuna's): forest mean or per-tree estimator.

``estimator="forest_mean"`` decomposes the forest's own prediction (the mean of its trees,
thresholds snapped to midpoints between the trials' values), with a delete-one jackknife over
trees; ``estimator="per_tree"`` averages each tree's fractions (Hutter et al. 2014).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.ensemble import RandomForestRegressor
from sklearn.tree._tree import Tree

from auditlens.fanova._engine import leaves_of, pair_forest, snap_thresholds
from auditlens.fanova._parts import (
    DEFAULT_GRID_POINTS,
    Parts,
    check_not_constant,
    mean_marginals,
    pair_coef,
    pairs_of,
    tree_predictions,
)
from auditlens.fanova._surrogate import Decomposition, Problem
from auditlens.fanova._types import Marginal

__all__ = ["FOREST_DEFAULTS", "ForestSurrogate"]

# Chosen by measurement (benchmarks/fanova_accuracy.py, README).
FOREST_DEFAULTS: dict[str, Any] = {
    "n_trees": 64,
    "max_features": 1.0,
    "min_samples_leaf": 1,
    "max_depth": None,
    "bootstrap": True,
}
_UNCERTAINTY = {
    "forest_mean": (
        "delete-one jackknife standard error over the {n} trees of the forest-mean fraction "
        "(variability due to the finite forest, not to the finite set of trials)"
    ),
    "per_tree": (
        "standard deviation over trees of the per-tree fractions (Hutter et al. 2014); "
        "trees with zero variance are skipped"
    ),
}
TOTAL_VARIANCE = {
    "forest_mean": (
        "exact sum of main-effect variances + mean square of the non-additive remainder over "
        "{m} scrambled Sobol points (seeded)"
    ),
    "per_tree": "exact per-tree variance, averaged over trees",
}
_FIT_R2 = "out-of-bag R² of the forest on the trials"


@dataclass(frozen=True, slots=True)
class ForestSurrogate:
    """A scikit-learn ``RandomForestRegressor`` decomposed with one of two estimators."""

    estimator: str = "forest_mean"
    n_variance_points: int = 2**16
    kind: str = "random_forest"

    def _parts(
        self, problem: Problem, *, check: bool = True
    ) -> tuple[RandomForestRegressor, list[Tree], Parts]:
        forest = _fit_forest(problem.X, problem.y, problem.options, problem.n_jobs)
        trees = [e.tree_ for e in forest.estimators_]
        if problem.bounds is not None:
            trees = _clip_leaves(trees, *problem.bounds)
        if self.estimator == "forest_mean":
            trees = snap_thresholds(trees, problem.X)
        parts = Parts.compute(leaves_of(trees, problem.d), pairs=problem.pairs)
        if check:
            check_not_constant(parts, problem.y.size, problem.options)
        return forest, trees, parts

    def _effects(
        self, problem: Problem, trees: list[Tree], parts: Parts
    ) -> tuple[list[tuple[float, float]], list[tuple[float, float]], float]:
        if self.estimator == "forest_mean":
            assert problem.points is not None
            return _forest_mean(parts, trees, problem.d, problem.points, problem.n_jobs)
        return _per_tree(parts)

    def decompose(self, problem: Problem) -> Decomposition:
        forest, trees, parts = self._parts(problem)
        mains, pair_effects, total = self._effects(problem, trees, parts)
        oob = _oob_r2(forest, problem.X, problem.y) if problem.options["bootstrap"] else math.nan
        uncertainty = _UNCERTAINTY[self.estimator].format(n=problem.options["n_trees"])
        total_method = TOTAL_VARIANCE[self.estimator].format(m=self.n_variance_points)
        return Decomposition(
            mains=mains,
            pairs=pair_effects,
            total=total,
            mean=float(parts.tree_mean.mean()),
            curves=_forest_curves(parts, problem.grids, problem.names),
            fit_r2=oob,
            oob_r2=oob,
            uncertainty=uncertainty + "; total variance: " + total_method,
            fit_r2_method=_FIT_R2,
            settings={},
        )

    def variances(self, problem: Problem) -> np.ndarray:
        _, trees, parts = self._parts(problem, check=False)
        size = problem.d + (problem.d * (problem.d - 1) // 2 if problem.pairs else 0)
        if not np.any(parts.tree_var > 0):  # a constant forest explains nothing
            return np.zeros(size)
        mains, pair_effects, total = self._effects(problem, trees, parts)
        return np.array([m for m, _ in (*mains, *pair_effects)]).reshape(size) * total


def _fit_forest(
    X: np.ndarray, y: np.ndarray, settings: Mapping[str, Any], n_jobs: int
) -> RandomForestRegressor:
    forest = RandomForestRegressor(
        n_estimators=settings["n_trees"],
        criterion=settings["criterion"],
        max_depth=settings["max_depth"],
        min_samples_split=settings["min_samples_split"],
        min_samples_leaf=settings["min_samples_leaf"],
        max_features=settings["max_features"],
        bootstrap=settings["bootstrap"],
        random_state=settings["seed"],
        n_jobs=n_jobs,
    )
    return forest.fit(X, y)


def _oob_r2(forest: RandomForestRegressor, X: np.ndarray, y: np.ndarray) -> float:
    """Out-of-bag R², over the trials that at least one tree left out (else NaN)."""
    n = y.size
    total = np.zeros(n)
    count = np.zeros(n)
    X32 = np.ascontiguousarray(X, dtype=np.float32)
    for est, sample in zip(forest.estimators_, forest.estimators_samples_, strict=True):
        out = np.ones(n, dtype=bool)
        out[sample] = False
        total[out] += est.predict(X32[out], check_input=False) if out.any() else 0.0
        count[out] += 1
    ok = count > 0
    if ok.sum() < 2:
        return math.nan
    yo = y[ok]
    ss_tot = float(np.sum((yo - yo.mean()) ** 2))
    if ss_tot == 0.0:
        return math.nan
    return 1.0 - float(np.sum((yo - total[ok] / count[ok]) ** 2)) / ss_tot


def _clip_leaves(trees: list[Tree], lower: float, upper: float) -> list[Tree]:
    """Copies of ``trees`` whose leaf values are clipped to ``[lower, upper]``."""
    out = []
    for tree in trees:
        cls, args, state = tree.__reduce__()
        clipped = cls(*args)
        clipped.__setstate__({**state, "values": np.clip(state["values"], lower, upper)})
        out.append(clipped)
    return out


def _per_tree(parts: Parts) -> tuple[list[tuple[float, float]], list[tuple[float, float]], float]:
    ok = parts.tree_var > 0
    var = parts.tree_var[ok]

    def stats(v: np.ndarray) -> list[tuple[float, float]]:
        frac = np.clip(v[ok], 0.0, None) / var[:, None]
        return [
            (float(m), float(s)) for m, s in zip(frac.mean(axis=0), frac.std(axis=0), strict=True)
        ]

    return stats(parts.tree_main), stats(parts.tree_pair), float(parts.tree_var.mean())


def _forest_mean(
    parts: Parts, trees: list[Tree], d: int, points: np.ndarray, n_jobs: int
) -> tuple[list[tuple[float, float]], list[tuple[float, float]], float]:
    """Decompose the forest's mean; uncertainty by a delete-one jackknife over trees.

    Every variance below is a quadratic form in the mean of the trees, so the value with
    tree ``i`` left out follows from the full-forest value, the tree's own value and one
    inner product::

        ||(T F - f_i) / (T - 1)||^2 = (T^2 ||F||^2 - 2 T <F, f_i> + ||f_i||^2) / (T - 1)^2
    """
    leaves = parts.leaves
    t = leaves.n_trees

    def drop(full: float | np.ndarray, dots: np.ndarray, own: np.ndarray) -> np.ndarray:
        return (t * t * full - 2 * t * dots + own) / (t - 1) ** 2

    # Main effects: exact on the union grid; with tree i left out by direct recomputation.
    forest_margs, v_main = mean_marginals(parts)
    weighted = [fm * ax.widths for fm, ax in zip(forest_margs, parts.axes, strict=True)]
    dots_main = np.column_stack(
        [m @ w for m, w in zip(parts.marginals, weighted, strict=True)]
    )  # <F_j, f_i>
    v_main_drop = drop(v_main[None, :], dots_main, parts.tree_main)

    # Total variance = sum of main effects (exact) + E[R^2] of the non-additive remainder R
    # (quasi-Monte Carlo). R is orthogonal to every function of one variable, so
    # <R, R_i> = <R, f_i>, and the per-tree ||R_i||^2 = var_i - sum_j V_j(f_i) is exact.
    n_points = points.shape[0]
    preds = tree_predictions(trees, points, n_jobs) - parts.tree_mean[:, None]  # (T, M)
    remainder = preds.mean(axis=0)
    for j, ax in enumerate(parts.axes):
        remainder -= forest_margs[j][ax.cell_of(points[:, j])]
    r2 = float(np.mean(remainder * remainder))
    r_own = np.clip(parts.tree_var - parts.tree_main.sum(axis=1), 0.0, None)
    r2_drop = drop(r2, preds @ remainder / n_points, r_own)
    total = float(v_main.sum() + r2)
    total_drop = v_main_drop.sum(axis=1) + r2_drop

    mains = [_jackknife(v_main[j], v_main_drop[:, j], total, total_drop) for j in range(d)]
    pair_effects = []
    if parts.tree_pair.shape[1]:
        for p, (j, k) in enumerate(pairs_of(d)):
            coef = pair_coef(leaves, parts.excl, j, k)
            full, dots = pair_forest(leaves, parts.axes[j], parts.axes[k], coef)
            assert dots is not None
            v = full - v_main[j] - v_main[k]
            # <P, f_i> with the pure interaction P = F_jk - F_j - F_k.
            dots = dots - dots_main[:, j] - dots_main[:, k]
            v_drop = drop(v, dots, np.clip(parts.tree_pair[:, p], 0.0, None))
            pair_effects.append(_jackknife(v, v_drop, total, total_drop))
    return mains, pair_effects, total


def _jackknife(
    v: float, v_drop: np.ndarray, total: float, total_drop: np.ndarray
) -> tuple[float, float]:
    frac_drop = np.clip(v_drop, 0.0, None) / total_drop
    t = frac_drop.size
    se = math.sqrt((t - 1) / t * float(np.sum((frac_drop - frac_drop.mean()) ** 2)))
    return max(float(v), 0.0) / total, se



def _forest_curves(
    parts: Parts, grids: Mapping[str, np.ndarray], kept: tuple[str, ...]
) -> dict[str, Marginal]:
    curves = {}
    for j, name in enumerate(kept):
        grid = grids.get(name, np.linspace(0.0, 1.0, DEFAULT_GRID_POINTS))
        per_tree = parts.marginals[j][:, parts.axes[j].cell_of(grid)] + parts.tree_mean[:, None]
        curves[name] = Marginal(
            grid=grid.copy(), mean=per_tree.mean(axis=0), std=per_tree.std(axis=0)
        )
    return curves
