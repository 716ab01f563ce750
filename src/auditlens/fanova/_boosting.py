"""The gradient-boosting surrogate (the default): a boosted sum of trees, decomposed exactly.

scikit-learn's ``HistGradientBoostingRegressor`` (or, with ``subsample < 1``, the stochastic
``GradientBoostingRegressor``) is refitted once per fold to choose the number of stages and
measure the cross-validated R², then fitted on all trials. The refits' spread gives the
delete-a-group jackknife standard error. The main effects and pairs the model missed are added
back from its out-of-fold residuals (:mod:`auditlens.fanova._correction`), to the model on all
trials and to every refit alike.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from sklearn.ensemble import GradientBoostingRegressor, HistGradientBoostingRegressor
from sklearn.model_selection import KFold
from threadpoolctl import ThreadpoolController

from auditlens.errors import TrialsError
from auditlens.fanova._correction import MainCorrection, PairCorrection, correct_mains, correct_pairs, overlap
from auditlens.fanova._engine import hist_trees, leaves_of, marginal_variance, pair_forest, pair_marginal, snap_thresholds
from auditlens.fanova._forest import TOTAL_VARIANCE
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

__all__ = ["BOOSTING_DEFAULTS", "HIST_MODEL", "BoostingSurrogate"]

# Chosen by measurement (benchmarks/fanova_accuracy.py, README).
BOOSTING_DEFAULTS: dict[str, Any] = {
    "n_stages": 150,
    "learning_rate": 0.2,
    "max_depth": 5,
    "min_samples_leaf": 20,
    "max_features": 1.0,
    "subsample": 1.0,
    "n_folds": 5,
    "max_bins": 63,
}
HIST_MODEL = "sklearn.ensemble.HistGradientBoostingRegressor"
_REFIT_VARIANCE_POINTS = 2**12  # the refits only feed the standard error
_UNCERTAINTY = (
    "delete-a-group jackknife standard error over {k} refits of the boosted model, each "
    "leaving out one of {k} random groups of trials (variability due to the finite set "
    "of trials, not the surrogate's bias; costs {k} extra fits)"
)
_FIT_R2 = (
    "{k}-fold cross-validated R² (each trial predicted by the refit that left it out, "
    "at the selected number of stages)"
)


@dataclass(frozen=True, slots=True)
class BoostingSurrogate:
    """Gradient boosting, its stage count chosen by cross-validation."""

    n_variance_points: int = 2**14
    kind: str = "gradient_boosting"

    def _fit(self, problem: Problem) -> tuple[np.ndarray, _BoostFit]:
        y = problem.y
        if problem.bounds is not None:
            y = np.clip(y, *problem.bounds)
            if np.ptp(y) == 0:
                raise TrialsError(
                    f"cutoff {problem.bounds!r} leaves the same objective value ({float(y[0])!r}) "
                    f"in all {y.size} trials; there is no variance to decompose"
                )
        return y, _fit_boosting(problem.X, y, problem.options, problem.n_jobs)

    def _full(self, problem: Problem, fit: _BoostFit, pair_corrections: list[PairCorrection | None]) -> _Boosted:
        assert problem.points is not None
        return _boosted_parts(
            fit.models[-1], fit.n_stages, problem.X, problem.d, problem.pairs, problem.points,
            problem.n_jobs, pair_corrections,
        )

    def _corrected_full(
        self, problem: Problem
    ) -> tuple[np.ndarray, _BoostFit, list[MainCorrection | None], list[PairCorrection | None], _Boosted]:
        """Fit, the corrections from the out-of-fold residuals, and the corrected model on all trials."""
        y, fit = self._fit(problem)
        residual = y - fit.oof
        corrections = correct_mains(problem.X, residual)
        pair_corrections = correct_pairs(problem.X, residual, pairs_of(problem.d))
        full = self._full(problem, fit, pair_corrections).corrected(corrections)
        return y, fit, corrections, pair_corrections, full

    def decompose(self, problem: Problem) -> Decomposition:
        y, fit, corrections, pair_corrections, full = self._corrected_full(problem)
        check_not_constant(full.parts, y.size, problem.options)
        assert problem.points is not None
        refit_points = problem.points[: min(self.n_variance_points, _REFIT_VARIANCE_POINTS)]
        refits = [
            _boosted_parts(m, fit.n_stages, problem.X[train], problem.d, problem.pairs,
                           refit_points, problem.n_jobs, pair_corrections).corrected(corrections)
            for m, (train, _) in zip(fit.models[:-1], fit.folds, strict=True)
        ]
        mains, pair_effects, total, curves = _boosting_effects(
            full, refits, problem.grids, problem.names, corrections
        )
        k = len(fit.folds)
        total_method = TOTAL_VARIANCE["forest_mean"].format(m=self.n_variance_points)
        return Decomposition(
            mains=mains,
            pairs=pair_effects,
            total=total,
            mean=float(full.parts.tree_mean.mean()),
            curves=curves,
            fit_r2=fit.cv_r2,
            oob_r2=math.nan,
            uncertainty=_UNCERTAINTY.format(k=k) + "; total variance: " + total_method,
            fit_r2_method=_FIT_R2.format(k=k),
            settings={
                "n_folds": k,
                "n_stages_used": fit.n_stages,
                "n_variance_points_refits": int(refit_points.shape[0]),
                # share of the variance the out-of-fold residual correction added to main
                # effects and pairs (auditlens.fanova._correction; 0 below 200 trials)
                "residual_correction": round(full.added / full.total, 6),
            },
        )

    def variances(self, problem: Problem) -> np.ndarray:
        full = self._corrected_full(problem)[-1]
        return np.clip(np.concatenate([full.main, full.pair]), 0.0, None)


@dataclass(frozen=True, slots=True)
class _BoostFit:
    """The boosted model on all trials, its refits without each group, and what CV chose."""

    # one refit per fold, then the model on all trials (HistGradientBoostingRegressor, or
    # GradientBoostingRegressor with subsample < 1)
    models: list[Any]
    folds: list[tuple[np.ndarray, np.ndarray]]  # (train, held-out) trial indices per refit
    n_stages: int  # stages kept (chosen by the refits' out-of-fold error)
    cv_r2: float
    oof: np.ndarray  # each trial predicted by the refit that left it out, at n_stages


@dataclass(frozen=True, slots=True)
class _Boosted:
    """Exact variances of one boosted model's prediction (a sum of snapped trees)."""

    parts: Parts
    main: np.ndarray  # (D,) main-effect variances
    pair: np.ndarray  # (P,) pure pair variances (empty without pairs)
    total: float
    added: float = 0.0  # variance the out-of-fold residual corrections added (in ``total``)

    def corrected(self, corrections: list[MainCorrection | None]) -> _Boosted:
        """The model plus the main effects it missed (components are orthogonal, so the total
        changes by the main effects' changes)."""
        margs, _ = mean_marginals(self.parts)
        main = np.array([
            v if c is None else c.corrected_variance(ax.edges, m)
            for v, c, ax, m in zip(self.main, corrections, self.parts.axes, margs, strict=True)
        ])
        change = float(np.sum(main - self.main))
        return _Boosted(self.parts, main, self.pair, self.total + change, self.added + change)


@functools.cache
def _openmp_controller() -> Any:
    # scikit-learn's OpenMP runtime is loaded by the import of sklearn.ensemble above
    return ThreadpoolController()  # scanning the loaded libraries costs ~3 ms: once


def _one_openmp_thread() -> Any:
    """Context: one OpenMP thread in the calling thread (OpenMP's count is per thread)."""
    return _openmp_controller().limit(limits=1, user_api="openmp")


def _fit_boosting(
    X: np.ndarray, y: np.ndarray, settings: Mapping[str, Any], n_jobs: int
) -> _BoostFit:
    """Fit one refit per fold, pick the stage count by CV, then fit the model on all trials.

    Boosting is sequential, so the first ``m`` stages of a model are exactly the model fitted
    with ``m`` stages: the refits' staged predictions on their held-out trials give the
    out-of-fold error of every stage count at once, the best count truncates the refits, and
    the model on all trials is fitted with that many stages only.

    The refits grow in blocks of stages (40, 80, ... up to ``n_stages``; a warm start adds
    stages to a fitted model and gives the same trees as one fit, tested) and stop once the
    best count is ``_PATIENCE`` stages behind the last one fitted: early stopping with
    patience, so the count is the best of the stages grown (the best of all ``n_stages``
    unless the error dips again more than 30 stages later). A fit to noise then
    costs 40 stages per fold instead of 150, which is what makes the permutation null
    (:mod:`auditlens.fanova.chance`), 39 reruns of this procedure, affordable.

    Every fit and prediction runs with one OpenMP thread, set in the thread that runs it
    (OpenMP's thread count is per calling thread): the numbers then do not depend on
    ``n_jobs`` (histogram sums would with more threads), and CPU time is not spent on
    oversubscribed OpenMP teams on a loaded machine.
    """
    n_folds = min(int(settings["n_folds"]), y.size)
    folds = list(KFold(n_folds, shuffle=True, random_state=settings["seed"]).split(X))
    n_stages = int(settings["n_stages"])
    models = [_model(settings, 0, warm_start=True) for _ in folds]

    def grow(i: int, stages: int) -> Any:
        with _one_openmp_thread():
            return _with_stages(models[i], stages).fit(X[folds[i][0]], y[folds[i][0]])

    for fitted in _stage_blocks(n_stages):
        if n_jobs == 1:
            models = [grow(i, fitted) for i in range(len(folds))]
        else:
            models = Parallel(n_jobs=n_jobs, prefer="threads")(delayed(grow)(i, fitted) for i in range(len(folds)))
        with _one_openmp_thread():
            sse = np.zeros(fitted)
            for model, (_, held_out) in zip(models, folds, strict=True):
                for i, pred in enumerate(model.staged_predict(X[held_out])):
                    sse[i] += float(np.sum((y[held_out] - pred) ** 2))
        best = int(np.argmin(sse)) + 1
        if fitted - best >= _PATIENCE:
            break
    # Stages are fitted one after the other, so the model on all trials needs only the
    # stages kept: its first ``best`` stages are the same as with more.
    oof = np.empty_like(y, dtype=np.float64)
    for model, (_, held_out) in zip(models, folds, strict=True):
        oof[held_out] = _staged(model, best, X[held_out])
    with _one_openmp_thread():
        models.append(_model(settings, best).fit(X, y))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    return _BoostFit(models, folds, best, 1.0 - float(sse[best - 1]) / ss_tot, oof)


_FIRST_BLOCK = 40
_PATIENCE = 30  # stop growing once the best stage count is this far behind the last fitted


def _stage_blocks(n_stages: int) -> list[int]:
    """Cumulative stage counts the refits grow through: 40, 80, ..., then ``n_stages``."""
    blocks, m = [], _FIRST_BLOCK
    while m < n_stages:
        blocks.append(m)
        m *= 2
    return [*blocks, n_stages]


def _with_stages(model: Any, stages: int) -> Any:
    """``model`` set to ``stages`` stages (a warm start keeps the ones it has)."""
    key = "n_estimators" if isinstance(model, GradientBoostingRegressor) else "max_iter"
    return model.set_params(**{key: stages})


def _model(settings: Mapping[str, Any], stages: int, *, warm_start: bool = False) -> Any:
    """An unfitted boosted model with ``stages`` stages (stochastic if ``subsample < 1``,
    which HistGradientBoosting cannot do)."""
    if float(settings["subsample"]) < 1.0:
        return GradientBoostingRegressor(
            loss="squared_error",
            n_estimators=stages,
            learning_rate=settings["learning_rate"],
            subsample=settings["subsample"],
            max_depth=settings["max_depth"],
            min_samples_split=2,
            min_samples_leaf=settings["min_samples_leaf"],
            max_features=settings["max_features"],
            random_state=settings["seed"],
            warm_start=warm_start,
        )
    return HistGradientBoostingRegressor(
        loss="squared_error",
        learning_rate=settings["learning_rate"],
        max_iter=stages,
        max_leaf_nodes=None,
        max_depth=settings["max_depth"],
        min_samples_leaf=settings["min_samples_leaf"],
        l2_regularization=0.0,
        max_features=settings["max_features"],
        max_bins=settings["max_bins"],
        early_stopping=False,
        random_state=settings["seed"],
        warm_start=warm_start,
    )


def _staged(model: Any, n_stages: int, X: np.ndarray) -> np.ndarray:
    """The model's prediction on ``X`` with its first ``n_stages`` stages."""
    with _one_openmp_thread():
        for i, pred in enumerate(model.staged_predict(X)):
            if i == n_stages - 1:
                return np.asarray(pred, dtype=np.float64)
    raise AssertionError("unreachable: n_stages <= the model's stages")


def _boosted_parts(
    model: Any,
    n_stages: int,
    X: np.ndarray,
    d: int,
    pairs: bool,
    points: np.ndarray,
    n_jobs: int,
    pair_corrections: list[PairCorrection | None],
) -> _Boosted:
    """Decompose the boosted model's prediction with its first ``n_stages`` stages.

    Each tree's leaf values are rescaled so that the mean of the trees is the model's
    prediction, and the forest-mean machinery applies unchanged.
    """
    if not isinstance(model, GradientBoostingRegressor):  # HistGradientBoostingRegressor
        trees = hist_trees(model, n_stages, scale=float(n_stages))
        parts = Parts.compute(leaves_of(trees, d), pairs=False)
        forest_margs, v_main = mean_marginals(parts)
        preds = _staged(model, n_stages, points)
    else:
        trees = [e.tree_ for e in model.estimators_[:n_stages, 0]]
        init = float(np.asarray(model.init_.predict(X[:1])).ravel()[0])
        trees = snap_thresholds(trees, X, scale=n_stages * model.learning_rate, offset=init)
        parts = Parts.compute(leaves_of(trees, d), pairs=False)
        forest_margs, v_main = mean_marginals(parts)
        preds = np.zeros(points.shape[0])
        for start in range(0, len(trees), 32):  # bounded memory: 32 trees at a time
            preds += tree_predictions(trees[start : start + 32], points, n_jobs).sum(axis=0)
        preds /= len(trees)
    remainder = preds - parts.tree_mean.mean()
    for j, ax in enumerate(parts.axes):
        remainder -= forest_margs[j][ax.cell_of(points[:, j])]
    total = float(v_main.sum() + np.mean(remainder * remainder))
    # The pairs the model missed change the total by 2 Cov(f_hat, sum delta_jk) + sum Var(delta_jk)
    # (pure pairs are orthogonal to every other component), pairs computed or not.
    missed, excess = np.zeros(points.shape[0]), 0.0
    bins: dict[int, np.ndarray] = {}  # per parameter: its bins are the same in every pair
    for (j, k), fix in zip(pairs_of(d), pair_corrections, strict=True):
        if fix is not None:
            for m, cuts in zip((j, k), fix.cuts, strict=True):
                if m not in bins:
                    bins[m] = np.searchsorted(cuts, points[:, m], side="right")
            missed += fix.shrunk[bins[j], bins[k]]
            excess += fix.added_variance
    added = 2.0 * float(np.mean((preds - preds.mean()) * missed)) + excess
    v_pair = np.zeros(0)
    if pairs and d > 1:
        leaves = parts.leaves
        v_pair = np.zeros(len(pair_corrections))
        overlaps: dict[int, np.ndarray] = {}  # per parameter: its bins are the same in every pair
        for i, ((j, k), fix) in enumerate(zip(pairs_of(d), pair_corrections, strict=True)):
            ax_j, ax_k, coef = parts.axes[j], parts.axes[k], pair_coef(leaves, parts.excl, j, k)
            if fix is None:
                v_pair[i] = pair_forest(leaves, ax_j, ax_k, coef, dots=False)[0] - v_main[j] - v_main[k]
                continue
            for m, cuts in zip((j, k), fix.cuts, strict=True):
                if m not in overlaps:
                    overlaps[m] = overlap(parts.axes[m].edges, cuts)
            marginal = pair_marginal(leaves, ax_j, ax_k, coef)
            variance = marginal_variance(marginal, ax_j, ax_k)
            v_pair[i] = variance - v_main[j] - v_main[k] + fix.change((overlaps[j], overlaps[k]), marginal)
    return _Boosted(parts, v_main, v_pair, total + added, added)


def _boosting_effects(
    full: _Boosted,
    refits: list[_Boosted],
    grids: Mapping[str, np.ndarray],
    kept: tuple[str, ...],
    corrections: list[MainCorrection | None],
) -> tuple[list[tuple[float, float]], list[tuple[float, float]], float, dict[str, Marginal]]:
    """Point estimates from the model on all trials; delete-a-group jackknife over refits.

    With ``K`` refits ``theta_k`` (each without one group of trials), the standard error is
    ``sqrt((K - 1) / K * sum_k (theta_k - mean(theta))^2)``. Constant refits (possible with
    very few trials) are skipped; with fewer than 2 left the error is NaN.
    """
    usable = [r for r in refits if r.total > 0]

    def fractions(b: _Boosted) -> np.ndarray:
        return np.clip(np.concatenate([b.main, b.pair]), 0.0, None) / b.total

    def jackknife_se(values: np.ndarray) -> np.ndarray:
        k = values.shape[0]
        if k < 2:
            return np.full(values.shape[1:], math.nan)
        return np.sqrt((k - 1) / k * np.sum((values - values.mean(axis=0)) ** 2, axis=0))

    theta = fractions(full)
    se = jackknife_se(np.array([fractions(r) for r in usable]).reshape(len(usable), theta.size))
    d = full.main.size
    effects = [(float(t), float(s)) for t, s in zip(theta, se, strict=True)]

    def curve(b: _Boosted, j: int, grid: np.ndarray) -> np.ndarray:
        cells = b.parts.axes[j].cell_of(grid)
        missed = 0.0 if corrections[j] is None else corrections[j].at(grid)
        return b.parts.marginals[j][:, cells].mean(axis=0) + b.parts.tree_mean.mean() + missed

    curves = {}
    for j, name in enumerate(kept):
        grid = grids.get(name, np.linspace(0.0, 1.0, DEFAULT_GRID_POINTS))
        refit_curves = np.array([curve(r, j, grid) for r in usable]).reshape(-1, grid.size)
        curves[name] = Marginal(
            grid=grid.copy(), mean=curve(full, j, grid), std=jackknife_se(refit_curves)
        )
    return effects[:d], effects[d:], full.total, curves
