"""fANOVA on a scikit-learn tree ensemble (gradient boosting or a random forest)."""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from auditlens.errors import AnalysisError, TrialsError
from auditlens.fanova._engine import (
    Axis,
    Leaves,
    axis_of,
    hist_trees,
    leaves_of,
    main_marginals,
    pair_forest,
    pair_tree_variances,
    snap_thresholds,
)
from auditlens.fanova._types import Effect, FanovaResult, Marginal, TreeComponents

if TYPE_CHECKING:
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.tree import DecisionTreeRegressor
    from sklearn.tree._tree import Tree

__all__ = ["decompose", "reserve_inactive", "tree_components"]

Estimator = Literal["forest_mean", "per_tree"]
Surrogate = Literal["gradient_boosting", "random_forest"]
_ESTIMATORS = ("forest_mean", "per_tree")
_SURROGATES = ("gradient_boosting", "random_forest")
_DEFAULT_GRID_POINTS = 65

# Defaults per surrogate, chosen by measurement (benchmarks/fanova_accuracy.py, README).
_FOREST_DEFAULTS: dict[str, Any] = {
    "n_trees": 64,
    "max_features": 1.0,
    "min_samples_leaf": 1,
    "max_depth": None,
    "bootstrap": True,
}
_BOOSTING_DEFAULTS: dict[str, Any] = {
    "n_stages": 150,
    "learning_rate": 0.2,
    "max_depth": 5,
    "min_samples_leaf": 20,
    "max_features": 1.0,
    "subsample": 1.0,
    "n_folds": 5,
    "max_bins": 63,
}
# Sobol points for the total variance: the forest's jackknife needs every tree's
# predictions on them; for boosting 2**14 points are within 3e-4 of 2**16 (README).
_VARIANCE_POINTS = {"random_forest": 2**16, "gradient_boosting": 2**14}
_REFIT_VARIANCE_POINTS = 2**12  # the refits only feed the standard error
_FOREST_ONLY = ("n_trees", "bootstrap")
_BOOSTING_ONLY = ("n_stages", "learning_rate", "subsample", "n_folds")

_UNCERTAINTY = {
    "forest_mean": (
        "delete-one jackknife standard error over the {n} trees of the forest-mean fraction "
        "(variability due to the finite forest, not to the finite set of trials)"
    ),
    "per_tree": (
        "standard deviation over trees of the per-tree fractions (Hutter et al. 2014); "
        "trees with zero variance are skipped"
    ),
    "boosting": (
        "delete-a-group jackknife standard error over {k} refits of the boosted model, each "
        "leaving out one of {k} random groups of trials (variability due to the finite set "
        "of trials, not the surrogate's bias; costs {k} extra fits)"
    ),
}
_TOTAL_VARIANCE = {
    "forest_mean": (
        "exact sum of main-effect variances + mean square of the non-additive remainder over "
        "{m} scrambled Sobol points (seeded)"
    ),
    "per_tree": "exact per-tree variance, averaged over trees",
}
_FIT_R2 = {
    "random_forest": "out-of-bag R² of the forest on the trials",
    "gradient_boosting": (
        "{k}-fold cross-validated R² (each trial predicted by the refit that left it out, "
        "at the selected number of stages)"
    ),
}


def reserve_inactive(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Encode NaN (an inactive conditional parameter) as a reserved cell below the active range.

    For a column with NaN in a fraction ``w`` of the rows (``0 < w < 1``), inactive rows get
    ``w / 2`` and active values ``x`` in ``[0, 1]`` become ``w + (1 - w) x``. Columns without
    NaN are unchanged (``w = 0``); a column that is NaN everywhere becomes the constant 0.5
    (and is then excluded as constant).

    Returns:
        The encoded copy of ``X`` and ``w`` per column.

    Example:
        >>> import numpy as np
        >>> Xr, w = reserve_inactive(np.array([[0.0, 1.0], [np.nan, 0.5], [1.0, 0.0], [0.5, 0.2]]))
        >>> w.tolist(), Xr[:, 0].tolist()
        ([0.25, 0.0], [0.25, 0.125, 1.0, 0.625])
    """
    X = np.array(X, dtype=np.float64)
    missing = np.isnan(X)
    widths = missing.mean(axis=0) if X.shape[0] else np.zeros(X.shape[1])
    for j in np.flatnonzero(widths > 0):
        w = widths[j]
        if w >= 1.0:
            X[:, j] = 0.5
            widths[j] = 0.0
            continue
        col = X[:, j]
        X[:, j] = np.where(missing[:, j], w / 2.0, w + (1.0 - w) * col)
    return X, widths


def tree_components(
    tree: Tree | DecisionTreeRegressor, n_features: int | None = None
) -> TreeComponents:
    """Exact functional-ANOVA variances of one fitted regression tree on ``[0, 1]^D``.

    Args:
        tree: A fitted ``DecisionTreeRegressor`` or its ``tree_``; inputs must have been in
            the unit cube.
        n_features: ``D``; defaults to the number of features the tree was fitted on.

    Returns:
        The tree's mean, total variance, main-effect variances and pure pairwise
        interaction variances under the uniform measure.

    Example:
        >>> import numpy as np
        >>> from sklearn.tree import DecisionTreeRegressor
        >>> X = np.array([[0.25, 0.5], [0.75, 0.5]]); y = np.array([0.0, 2.0])
        >>> parts = tree_components(DecisionTreeRegressor().fit(X, y))
        >>> float(parts.total_variance), parts.main.tolist()
        (1.0, [1.0, 0.0])
    """
    raw: Any = getattr(tree, "tree_", tree)
    d = int(raw.n_features if n_features is None else n_features)
    parts = _Parts.compute(leaves_of([raw], d), pairs=True)
    pairwise = np.zeros((d, d))
    for p, (j, k) in enumerate(_pairs(d)):
        pairwise[j, k] = pairwise[k, j] = parts.tree_pair[0, p]
    return TreeComponents(
        mean=float(parts.tree_mean[0]),
        total_variance=float(parts.tree_var[0]),
        main=parts.tree_main[0].copy(),
        pairwise=pairwise,
    )


def decompose(
    X: np.ndarray,
    y: np.ndarray,
    *,
    names: Sequence[str],
    surrogate: Surrogate | None = None,
    estimator: Estimator = "forest_mean",
    n_trees: int | None = None,
    max_features: float | None = None,
    min_samples_leaf: int | None = None,
    max_depth: int | None = None,
    bootstrap: bool | None = None,
    n_stages: int | None = None,
    learning_rate: float | None = None,
    subsample: float | None = None,
    n_folds: int | None = None,
    pairs: bool = True,
    marginal_grids: Mapping[str, np.ndarray] | None = None,
    seed: int = 0,
    n_jobs: int = 1,
    n_variance_points: int | None = None,
    cutoff: tuple[float, float] | None = None,
    inactive: Literal["error", "reserve"] = "error",
) -> FanovaResult:
    """Split the variance of a tree-ensemble surrogate of ``y`` over the parameters in ``X``.

    A surrogate is fitted on the trials, and the functional ANOVA of Hutter, Hoos &
    Leyton-Brown (ICML 2014) is computed exactly on its trees under the uniform measure on
    ``[0, 1]^D``. Both surrogates predict a mean (or sum) of regression trees, and a
    component of a sum is the sum of the components, so one engine serves both.

    ``surrogate="gradient_boosting"`` (the default) fits scikit-learn's
    ``HistGradientBoostingRegressor`` (depth-5 trees, up to 150 stages of learning rate 0.2,
    at least 20 trials per leaf, thresholds on at most 63 bins per parameter). It is first
    refitted ``n_folds`` times, each time without one random group of trials: the refits'
    out-of-fold errors choose the number of stages (at most ``n_stages``) and give the
    cross-validated R² reported as ``fit_r2``, and their spread gives ``std``
    (delete-a-group jackknife, so it reflects the finite set of trials); then the model is
    fitted on all trials with the chosen stages. It costs ``n_folds + 1`` fits. With
    ``subsample < 1`` the stochastic ``GradientBoostingRegressor`` is fitted instead (each
    stage on a random part of the trials; the previous default was
    ``subsample=0.5, n_stages=200, learning_rate=0.15, min_samples_leaf=5``), about three
    times slower. On the Ishigami function with 1,500 trials (3 or 8 parameters) it
    recovers every Sobol index within
    0.03, where the random forest is off by up to 0.1 (benchmarks/README.md).

    ``surrogate="random_forest"`` fits a ``RandomForestRegressor`` (the paper's and Optuna's
    surrogate). With ``estimator="forest_mean"`` it decomposes the forest's mean prediction,
    with ``std`` a delete-one jackknife over trees; the paper's ``"per_tree"`` decomposes
    every (unmodified) tree and averages the fractions, as Optuna does; fully grown trees
    carry noise variance, so its fractions are biased low. ``surrogate=None`` picks the
    random forest when a forest-only argument is given (``n_trees``, ``bootstrap`` or
    ``estimator="per_tree"``), so calls written for the forest keep their numbers, and
    gradient boosting otherwise. The choice and every setting are in ``settings``.

    For the mean or sum of trees, each threshold is first moved to the middle of the gap
    between the two trials' values it falls between (every trial is routed as before, so
    the fit is unchanged); the union of all trees' thresholds then has fewer than ``n``
    points per parameter, and main effects and pairs are exact on it. The total variance is
    the exact sum of main effects plus a quasi-Monte-Carlo estimate of the rest (scrambled
    Sobol points, seeded).

    Args:
        X: ``(n, D)`` encoded configurations, every value in ``[0, 1]``, no NaN.
        y: ``(n,)`` finite objective values.
        names: ``D`` unique parameter names.
        surrogate: ``"gradient_boosting"``, ``"random_forest"`` or ``None`` (see above).
        estimator: ``"forest_mean"`` (decompose the surrogate's own prediction) or
            ``"per_tree"`` (random forest only).
        n_trees: Trees in the forest (>= 2; default 64). Random forest only.
        max_features: Fraction of the parameters considered at each split, in ``(0, 1]``
            (default 1.0).
        min_samples_leaf: Minimum trials per leaf (default 1 for the forest; for boosting 20,
            or ``max(1, n // 50)`` below 1,000 trials).
        max_depth: Maximum tree depth (default: fully grown for the forest, 5 for boosting).
        bootstrap: Bootstrap the trials for each tree (default True; needed for
            ``oob_r2``). Random forest only.
        n_stages: Most boosting stages (default 150). Gradient boosting only.
        learning_rate: Shrinkage of each stage, in ``(0, 1]`` (default 0.2). Gradient
            boosting only.
        subsample: Fraction of the trials each stage is fitted on, in ``(0, 1]`` (default
            1.0: every stage sees every trial, with ``HistGradientBoostingRegressor``;
            below 1 the stochastic ``GradientBoostingRegressor``). Gradient boosting only.
        n_folds: Refits for the stage count, ``fit_r2`` and ``std`` (>= 2, default 5; fewer
            if there are fewer trials). Gradient boosting only.
        pairs: Also compute every pairwise interaction.
        marginal_grids: Unit-cube points where each parameter's marginal curve is
            evaluated; default 65 evenly spaced points.
        seed: Seeds the surrogate, the folds and the quasi-Monte-Carlo points; same seed,
            same numbers.
        n_jobs: Parallel jobs for fitting and predicting; does not change the numbers.
        n_variance_points: Sobol points for the total variance (power of 2; default 2**16
            for the random forest, 2**14 for gradient boosting, whose fractions move by less
            than 3e-4 between the two); the boosting refits use the first
            ``min(n_variance_points, 4096)`` of them.
        cutoff: ``(lower, upper)`` in objective units (``-inf``/``inf`` for no bound):
            decompose the surrogate's prediction *clipped* to ``[lower, upper]``, so that
            only the variation inside the good region counts (fanova's ``cutoffs``: values
            outside are mapped to the nearest bound). For the random forest the fitted trees'
            leaf values are clipped, as the original package does with its forest; a boosted
            model's trees are corrections, not predictions, so for gradient boosting the
            trials' objective values are clipped before fitting (the model then predicts the
            clipped objective). ``fit_r2`` is then measured against the clipped values for
            boosting and the unclipped ones for the forest. Default: no cutoff.
        inactive: What a NaN in ``X`` means. ``"error"`` (default): NaN is refused.
            ``"reserve"``: NaN marks a *conditional parameter that is inactive* in that trial
            (e.g. ``momentum`` when ``optimizer="adam"``). Nothing is imputed: the column's
            unit interval is split into a reserved cell ``[0, w)`` for "inactive", with ``w``
            the fraction of trials in which it is inactive, and the active values squeezed
            linearly into ``[w, 1]`` (see :func:`reserve_inactive`), so the trees can split
            active from inactive, and the uniform measure weights the two states as the
            trials did. The parameter's importance is then the share of variance explained
            by its value *including* whether it is active at all; that part is shared with
            the parameter that switches it on (the tree may split on either), and the
            product measure also averages over combinations never tried (e.g. momentum set
            while adam is chosen), where the surrogate extrapolates. Read the importance of a
            conditional parameter together with its parent's, and its pair with the parent.
            ``settings["inactive"]`` lists each such parameter with ``w``; marginal curves
            are over active values only (their grids are in the original ``[0, 1]``
            coordinates).

    Returns:
        The :class:`FanovaResult`.

    Raises:
        ValueError: An argument has the wrong shape, type or range, or belongs to the other
            surrogate.
        TrialsError: The trials cannot be analysed (NaN, values outside ``[0, 1]``, fewer
            than 2 trials, no parameter that varies, constant objective).
        AnalysisError: The fitted surrogate is constant, so there is nothing to attribute.

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> X = rng.random((200, 3))
        >>> y = 3 * X[:, 0] + X[:, 1] * X[:, 2]
        >>> res = decompose(X, y, names=["a", "b", "c"], n_stages=50)
        >>> res.main_effects[0].params, res.settings["surrogate"]
        (('a',), 'gradient_boosting')
    """
    if inactive not in ("error", "reserve"):
        raise ValueError(f"'inactive' must be 'error' or 'reserve'. Got {inactive!r} instead.")
    widths = None
    if inactive == "reserve":
        arr = np.asarray(X)
        if arr.ndim == 2 and np.issubdtype(arr.dtype, np.floating):
            X, widths = reserve_inactive(arr)
    X, y, names_t = _validate(X, y, names)
    given = {
        "n_trees": n_trees,
        "bootstrap": bootstrap,
        "n_stages": n_stages,
        "learning_rate": learning_rate,
        "subsample": subsample,
        "n_folds": n_folds,
    }
    kind = _resolve_surrogate(surrogate, estimator, given)
    defaults = _FOREST_DEFAULTS if kind == "random_forest" else _BOOSTING_DEFAULTS
    options = {
        **defaults,
        **{k: v for k, v in given.items() if v is not None},
        "max_features": defaults["max_features"] if max_features is None else max_features,
        "min_samples_leaf": (
            defaults["min_samples_leaf"] if min_samples_leaf is None else min_samples_leaf
        ),
        "max_depth": defaults["max_depth"] if max_depth is None else max_depth,
    }
    options = {k: v.item() if isinstance(v, np.generic) else v for k, v in options.items()}
    if kind == "gradient_boosting" and min_samples_leaf is None:
        # 20 trials per leaf smooths the stages; a depth-5 tree has up to 32 leaves, so below
        # 1,000 trials 1/50 of them (measured at 200-1,500 trials: benchmarks/README.md).
        options["min_samples_leaf"] = min(
            int(_BOOSTING_DEFAULTS["min_samples_leaf"]), max(1, y.size // 50)
        )
    _check_options(options)
    _check_int("seed", seed, 0)
    _check_int("n_jobs", n_jobs, -1 << 30)
    if n_variance_points is None:
        n_variance_points = _VARIANCE_POINTS[kind]
    _check_int("n_variance_points", n_variance_points, 2)
    if n_variance_points & (n_variance_points - 1):
        raise ValueError(
            f"'n_variance_points' must be a power of 2. Got {n_variance_points} instead."
        )
    grids = _validate_grids(marginal_grids, names_t)
    user_grids = dict(grids)
    if widths is not None:  # marginals over the active values, in their own coordinates
        for j, name in enumerate(names_t):
            if widths[j] > 0:
                g = grids.get(name, np.linspace(0.0, 1.0, _DEFAULT_GRID_POINTS))
                user_grids[name] = g
                grids[name] = widths[j] + (1.0 - widths[j]) * g
    bounds = _validate_cutoff(cutoff)

    varies = np.ptp(X, axis=0) > 0
    kept = tuple(n for n, v in zip(names_t, varies, strict=True) if v)
    excluded = tuple(n for n, v in zip(names_t, varies, strict=True) if not v)
    if not kept:
        raise TrialsError(
            f"fANOVA needs at least 1 parameter that varies across trials; all {len(names_t)} are "
            f"constant: {', '.join(names_t)}"
        )
    if np.ptp(y) == 0:
        raise TrialsError(
            f"the objective is the same ({float(y[0])!r}) in all {y.size} trials; "
            "there is no variance to decompose"
        )
    Xk = X[:, varies]
    d = len(kept)

    settings: dict[str, object] = {
        "surrogate": kind,
        "model": _model_name(kind, options),
        "estimator": estimator,
        **{k: options[k] for k in defaults},
        "min_samples_split": 2,
        "criterion": "squared_error",
        "seed": int(seed),
        "pairs": bool(pairs),
    }
    if kind == "gradient_boosting":
        del settings["min_samples_split"], settings["criterion"]  # no such settings in HGB
        if options["subsample"] < 1.0:  # stochastic: the exact GradientBoostingRegressor
            del settings["max_bins"]
            settings["criterion"] = "friedman_mse"
    if widths is not None and np.any(widths > 0):
        settings["inactive"] = {
            name: float(w) for name, w in zip(names_t, widths, strict=True) if w > 0
        }
        settings["inactive_encoding"] = (
            "inactive trials in a reserved cell [0, w) (w = their fraction), active values "
            "scaled into [w, 1]"
        )
    if bounds is not None:
        settings["cutoff"] = bounds
        settings["cutoff_method"] = (
            "forest leaf values clipped to [lower, upper]"
            if kind == "random_forest"
            else "objective clipped to [lower, upper] before fitting"
        )
    if estimator == "forest_mean":
        settings["n_variance_points"] = int(n_variance_points)
        settings["thresholds"] = (
            "the model's bin thresholds (at most max_bins - 1 per parameter)"
            if settings["model"] == _HIST_MODEL
            else "moved to the midpoint of the trials' gap they fall in"
        )
    points = _sobol(d, n_variance_points, seed) if estimator == "forest_mean" else None

    if kind == "gradient_boosting":
        if bounds is not None:
            y = np.clip(y, *bounds)
            if np.ptp(y) == 0:
                raise TrialsError(
                    f"cutoff {bounds!r} leaves the same objective value ({float(y[0])!r}) in "
                    f"all {y.size} trials; there is no variance to decompose"
                )
        fit = _fit_boosting(Xk, y, settings, n_jobs)
        settings["n_folds"] = len(fit.folds)
        settings["n_stages_used"] = fit.n_stages
        assert points is not None
        full = _boosted_parts(fit.models[-1], fit.n_stages, Xk, d, pairs, points, n_jobs)
        _check_not_constant(full.parts, y.size, options)
        refit_points = points[: min(n_variance_points, _REFIT_VARIANCE_POINTS)]
        settings["n_variance_points_refits"] = int(refit_points.shape[0])
        refits = [
            _boosted_parts(m, fit.n_stages, Xk[train], d, pairs, refit_points, n_jobs)
            for m, (train, _) in zip(fit.models[:-1], fit.folds, strict=True)
        ]
        mains, pair_effects, total, curves = _boosting_effects(full, refits, grids, kept)
        parts = full.parts
        oob = math.nan
        fit_r2 = fit.cv_r2
        uncertainty = _UNCERTAINTY["boosting"].format(k=len(fit.folds))
        total_method = _TOTAL_VARIANCE["forest_mean"].format(m=n_variance_points)
    else:
        forest = _fit_forest(Xk, y, settings, n_jobs)
        trees = [e.tree_ for e in forest.estimators_]
        if bounds is not None:
            trees = _clip_leaves(trees, *bounds)
        if estimator == "forest_mean":
            trees = snap_thresholds(trees, Xk)
        parts = _Parts.compute(leaves_of(trees, d), pairs=pairs)
        _check_not_constant(parts, y.size, options)
        if estimator == "forest_mean":
            assert points is not None
            mains, pair_effects, total = _forest_mean(parts, trees, d, points, n_jobs)
        else:
            mains, pair_effects, total = _per_tree(parts)
        curves = _forest_curves(parts, grids, kept)
        oob = _oob_r2(forest, Xk, y) if options["bootstrap"] else math.nan
        fit_r2 = oob
        uncertainty = _UNCERTAINTY[estimator].format(n=options["n_trees"])
        total_method = _TOTAL_VARIANCE[estimator].format(m=n_variance_points)

    curves = {
        name: Marginal(grid=user_grids[name].copy(), mean=c.mean, std=c.std)
        if name in user_grids
        else c
        for name, c in curves.items()
    }
    main_effects = _sorted(tuple(Effect((kept[j],), imp, sd) for j, (imp, sd) in enumerate(mains)))
    pair_list = tuple(
        Effect((kept[j], kept[k]), imp, sd)
        for (j, k), (imp, sd) in zip(_pairs(d) if pairs else [], pair_effects, strict=True)
    )
    return FanovaResult(
        names=kept,
        excluded=excluded,
        main_effects=main_effects,
        pairwise=_sorted(pair_list),
        marginals=curves,
        total_variance=float(total),
        mean_prediction=float(parts.tree_mean.mean()),
        oob_r2=oob,
        n_samples=int(y.size),
        estimator=estimator,
        uncertainty_method=uncertainty + "; total variance: " + total_method,
        settings=settings,
        fit_r2=fit_r2,
        fit_r2_method=_FIT_R2[kind].format(k=settings.get("n_folds")),
    )


_HIST_MODEL = "sklearn.ensemble.HistGradientBoostingRegressor"


def _model_name(kind: str, options: Mapping[str, Any]) -> str:
    if kind == "random_forest":
        return "sklearn.ensemble.RandomForestRegressor"
    if options["subsample"] < 1.0:
        return "sklearn.ensemble.GradientBoostingRegressor"
    return _HIST_MODEL


def _resolve_surrogate(
    surrogate: object, estimator: object, given: Mapping[str, object]
) -> Surrogate:
    if estimator not in _ESTIMATORS:
        raise ValueError(
            f"'estimator' must be one of {', '.join(map(repr, _ESTIMATORS))}. "
            f"Got {estimator!r} instead."
        )
    if surrogate is not None and surrogate not in _SURROGATES:
        raise ValueError(
            f"'surrogate' must be one of {', '.join(map(repr, _SURROGATES))} or None. "
            f"Got {surrogate!r} instead."
        )
    forest_args = [k for k in _FOREST_ONLY if given[k] is not None]
    boosting_args = [k for k in _BOOSTING_ONLY if given[k] is not None]
    if surrogate is None:
        wants_forest = bool(forest_args) or estimator == "per_tree"
        surrogate = "random_forest" if wants_forest else "gradient_boosting"
    if surrogate == "random_forest" and boosting_args:
        raise ValueError(
            f"{', '.join(map(repr, boosting_args))} only apply to surrogate='gradient_boosting'; "
            f"got them with surrogate='random_forest'"
            + (f" (chosen because of {', '.join(map(repr, forest_args))})" if forest_args else "")
        )
    if surrogate == "gradient_boosting":
        if forest_args:
            raise ValueError(
                f"{', '.join(map(repr, forest_args))} only apply to surrogate='random_forest'; "
                "got them with surrogate='gradient_boosting'"
            )
        if estimator == "per_tree":
            raise ValueError(
                "estimator='per_tree' averages the trees of a random forest; use "
                "surrogate='random_forest' with it (got surrogate='gradient_boosting')"
            )
    return surrogate  # type: ignore[return-value]


def _check_options(options: Mapping[str, Any]) -> None:
    for name in ("n_trees", "n_stages"):
        if name in options:
            _check_int(name, options[name], 2 if name == "n_trees" else 1)
    if "n_folds" in options:
        _check_int("n_folds", options["n_folds"], 2)
    _check_int("min_samples_leaf", options["min_samples_leaf"], 1)
    if options["max_depth"] is not None:
        _check_int("max_depth", options["max_depth"], 1)
    for name in ("max_features", "learning_rate", "subsample"):
        if name not in options:
            continue
        value = options[name]
        if (
            not isinstance(value, (int, float, np.floating, np.integer))
            or isinstance(value, bool)
            or not 0.0 < value <= 1.0
        ):
            raise ValueError(f"'{name}' must be a float in (0, 1]. Got {value!r} instead.")
    if "bootstrap" in options and not isinstance(options["bootstrap"], (bool, np.bool_)):
        raise ValueError(f"'bootstrap' must be a bool. Got {options['bootstrap']!r} instead.")


def _check_not_constant(parts: _Parts, n: int, options: Mapping[str, Any]) -> None:
    if not np.any(parts.tree_var > 0):
        hint = ""
        if "subsample" in options:
            hint = (
                " (gradient boosting needs min_samples_leaf trials on each side of a split"
                + (
                    f" among the {options['subsample']:g} of the trials each stage is fitted on"
                    if options["subsample"] < 1.0
                    else ""
                )
                + "; surrogate='random_forest' can split very few trials)"
            )
        raise AnalysisError(
            "the surrogate is constant (no tree made a split), so fANOVA has nothing to "
            f"attribute; got {n} trials with min_samples_leaf={options['min_samples_leaf']}" + hint
        )


def _forest_curves(
    parts: _Parts, grids: Mapping[str, np.ndarray], kept: tuple[str, ...]
) -> dict[str, Marginal]:
    curves = {}
    for j, name in enumerate(kept):
        grid = grids.get(name, np.linspace(0.0, 1.0, _DEFAULT_GRID_POINTS))
        per_tree = parts.marginals[j][:, parts.axes[j].cell_of(grid)] + parts.tree_mean[:, None]
        curves[name] = Marginal(
            grid=grid.copy(), mean=per_tree.mean(axis=0), std=per_tree.std(axis=0)
        )
    return curves


# --------------------------------------------------------------------------- internals


@dataclass(frozen=True, slots=True)
class _Parts:
    """Every per-tree quantity both estimators draw on (leaf values centred per tree)."""

    leaves: Leaves  # centred
    axes: tuple[Axis, ...]
    excl: np.ndarray  # (L, D)
    tree_mean: np.ndarray  # (T,)
    tree_var: np.ndarray  # (T,)
    marginals: tuple[np.ndarray, ...]  # per feature (T, C_j) on the union grid, centred
    tree_main: np.ndarray  # (T, D) main-effect variances per tree
    tree_pair: np.ndarray  # (T, P) pure pair variances per tree

    @classmethod
    def compute(cls, leaves: Leaves, *, pairs: bool) -> _Parts:
        d = leaves.n_features
        mean, var = leaves.tree_moments()
        leaves = leaves.centred(mean)
        axes = tuple(axis_of(leaves, j) for j in range(d))
        excl = leaves.excluding()
        margs = tuple(main_marginals(leaves, axes[j], leaves.value * excl[:, j]) for j in range(d))
        tree_main = np.column_stack(
            [_weighted_ss(m, ax.widths) for m, ax in zip(margs, axes, strict=True)]
        )
        tree_pair = np.zeros((leaves.n_trees, 0))
        if pairs and d > 1:
            tree_pair = np.column_stack(
                [
                    pair_tree_variances(leaves, axes[j], axes[k], _pair_coef(leaves, excl, j, k))
                    - tree_main[:, j]
                    - tree_main[:, k]
                    for j, k in _pairs(d)
                ]
            )
        return cls(leaves, axes, excl, mean, var, margs, tree_main, tree_pair)


def _pairs(d: int) -> list[tuple[int, int]]:
    return [(j, k) for j in range(d) for k in range(j + 1, d)]


def _pair_coef(leaves: Leaves, excl: np.ndarray, j: int, k: int) -> np.ndarray:
    """``value * prod_{d not in (j, k)} len_d`` (zero for a zero-volume leaf)."""
    len_k = leaves.hi[:, k] - leaves.lo[:, k]
    out = np.zeros_like(len_k)
    np.divide(leaves.value * excl[:, j], len_k, out=out, where=len_k > 0)
    return out


def _weighted_ss(centred: np.ndarray, widths: np.ndarray) -> np.ndarray:
    return (centred * centred) @ widths


def _per_tree(parts: _Parts) -> tuple[list[tuple[float, float]], list[tuple[float, float]], float]:
    ok = parts.tree_var > 0
    var = parts.tree_var[ok]

    def stats(v: np.ndarray) -> list[tuple[float, float]]:
        frac = np.clip(v[ok], 0.0, None) / var[:, None]
        return [
            (float(m), float(s)) for m, s in zip(frac.mean(axis=0), frac.std(axis=0), strict=True)
        ]

    return stats(parts.tree_main), stats(parts.tree_pair), float(parts.tree_var.mean())


def _forest_mean(
    parts: _Parts, trees: list[Tree], d: int, points: np.ndarray, n_jobs: int
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
    forest_margs, v_main = _mean_marginals(parts)
    weighted = [fm * ax.widths for fm, ax in zip(forest_margs, parts.axes, strict=True)]
    dots_main = np.column_stack(
        [m @ w for m, w in zip(parts.marginals, weighted, strict=True)]
    )  # <F_j, f_i>
    v_main_drop = drop(v_main[None, :], dots_main, parts.tree_main)

    # Total variance = sum of main effects (exact) + E[R^2] of the non-additive remainder R
    # (quasi-Monte Carlo). R is orthogonal to every function of one variable, so
    # <R, R_i> = <R, f_i>, and the per-tree ||R_i||^2 = var_i - sum_j V_j(f_i) is exact.
    n_points = points.shape[0]
    preds = _tree_predictions(trees, points, n_jobs) - parts.tree_mean[:, None]  # (T, M)
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
        for p, (j, k) in enumerate(_pairs(d)):
            coef = _pair_coef(leaves, parts.excl, j, k)
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


def _sobol(d: int, n: int, seed: int) -> np.ndarray:
    from scipy.stats import qmc

    # A seed stream of its own, so the points do not depend on the forest's draws.
    sampler = qmc.Sobol(d, scramble=True, rng=np.random.default_rng([seed, 0x50B01]))
    return sampler.random_base2(int(n).bit_length() - 1)


def _tree_predictions(trees: list[Tree], X: np.ndarray, n_jobs: int) -> np.ndarray:
    X32 = np.ascontiguousarray(X, dtype=np.float32)  # what sklearn's trees compare against

    def one(tree: Tree) -> np.ndarray:
        return tree.predict(X32)[:, 0]

    if n_jobs == 1:
        rows = [one(tree) for tree in trees]
    else:
        from joblib import Parallel, delayed

        rows = Parallel(n_jobs=n_jobs, prefer="threads")(delayed(one)(tree) for tree in trees)
    return np.vstack(rows)


def _fit_forest(
    X: np.ndarray, y: np.ndarray, settings: Mapping[str, Any], n_jobs: int
) -> RandomForestRegressor:
    from sklearn.ensemble import RandomForestRegressor

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


@dataclass(frozen=True, slots=True)
class _BoostFit:
    """The boosted model on all trials, its refits without each group, and what CV chose."""

    # one refit per fold, then the model on all trials (HistGradientBoostingRegressor, or
    # GradientBoostingRegressor with subsample < 1)
    models: list[Any]
    folds: list[tuple[np.ndarray, np.ndarray]]  # (train, held-out) trial indices per refit
    n_stages: int  # stages kept (chosen by the refits' out-of-fold error)
    cv_r2: float


@dataclass(frozen=True, slots=True)
class _Boosted:
    """Exact variances of one boosted model's prediction (a sum of snapped trees)."""

    parts: _Parts
    main: np.ndarray  # (D,) main-effect variances
    pair: np.ndarray  # (P,) pure pair variances (empty without pairs)
    total: float


@functools.cache
def _openmp_controller() -> Any:
    import sklearn.ensemble  # noqa: F401 - loads scikit-learn's OpenMP runtime first
    from threadpoolctl import ThreadpoolController

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

    Every fit and prediction runs with one OpenMP thread, set in the thread that runs it
    (OpenMP's thread count is per calling thread): the numbers then do not depend on
    ``n_jobs`` (histogram sums would with more threads), and CPU time is not spent on
    oversubscribed OpenMP teams on a loaded machine.
    """
    from sklearn.model_selection import KFold

    n_folds = min(int(settings["n_folds"]), y.size)
    folds = list(KFold(n_folds, shuffle=True, random_state=settings["seed"]).split(X))
    exact = float(settings["subsample"]) < 1.0  # HistGradientBoosting cannot subsample

    n_stages = int(settings["n_stages"])

    def fit(rows: np.ndarray, stages: int) -> Any:
        with _one_openmp_thread():
            return make(stages).fit(X[rows], y[rows])

    def make(stages: int) -> Any:
        if exact:
            from sklearn.ensemble import GradientBoostingRegressor

            model = GradientBoostingRegressor(
                loss="squared_error",
                n_estimators=stages,
                learning_rate=settings["learning_rate"],
                subsample=settings["subsample"],
                max_depth=settings["max_depth"],
                min_samples_split=2,
                min_samples_leaf=settings["min_samples_leaf"],
                max_features=settings["max_features"],
                random_state=settings["seed"],
            )
        else:
            from sklearn.ensemble import HistGradientBoostingRegressor

            model = HistGradientBoostingRegressor(
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
            )
        return model

    if n_jobs == 1:
        models = [fit(train, n_stages) for train, _ in folds]
    else:
        from joblib import Parallel, delayed

        models = Parallel(n_jobs=n_jobs, prefer="threads")(
            delayed(fit)(train, n_stages) for train, _ in folds
        )
    with _one_openmp_thread():
        sse = np.zeros(n_stages)
        for model, (_, held_out) in zip(models, folds, strict=True):
            for i, pred in enumerate(model.staged_predict(X[held_out])):
                sse[i] += float(np.sum((y[held_out] - pred) ** 2))
        best = int(np.argmin(sse)) + 1
    # Stages are fitted one after the other, so the model on all trials needs only the
    # stages kept: its first ``best`` stages are the same as with ``n_stages``.
    models.append(fit(np.arange(y.size), best))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    return _BoostFit(models, folds, best, 1.0 - float(sse[best - 1]) / ss_tot)


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
) -> _Boosted:
    """Decompose the boosted model's prediction with its first ``n_stages`` stages.

    Each tree's leaf values are rescaled so that the mean of the trees is the model's
    prediction, and the forest-mean machinery applies unchanged.
    """
    from sklearn.ensemble import GradientBoostingRegressor

    if not isinstance(model, GradientBoostingRegressor):  # HistGradientBoostingRegressor
        trees = hist_trees(model, n_stages, scale=float(n_stages))
        parts = _Parts.compute(leaves_of(trees, d), pairs=False)
        forest_margs, v_main = _mean_marginals(parts)
        preds = _staged(model, n_stages, points)
    else:
        trees = [e.tree_ for e in model.estimators_[:n_stages, 0]]
        init = float(np.asarray(model.init_.predict(X[:1])).ravel()[0])
        trees = snap_thresholds(trees, X, scale=n_stages * model.learning_rate, offset=init)
        parts = _Parts.compute(leaves_of(trees, d), pairs=False)
        forest_margs, v_main = _mean_marginals(parts)
        preds = np.zeros(points.shape[0])
        for start in range(0, len(trees), 32):  # bounded memory: 32 trees at a time
            preds += _tree_predictions(trees[start : start + 32], points, n_jobs).sum(axis=0)
        preds /= len(trees)
    remainder = preds - parts.tree_mean.mean()
    for j, ax in enumerate(parts.axes):
        remainder -= forest_margs[j][ax.cell_of(points[:, j])]
    total = float(v_main.sum() + np.mean(remainder * remainder))
    v_pair = np.zeros(0)
    if pairs and d > 1:
        leaves = parts.leaves
        v_pair = np.array(
            [
                pair_forest(
                    leaves,
                    parts.axes[j],
                    parts.axes[k],
                    _pair_coef(leaves, parts.excl, j, k),
                    dots=False,
                )[0]
                - v_main[j]
                - v_main[k]
                for j, k in _pairs(d)
            ]
        )
    return _Boosted(parts, v_main, v_pair, total)


def _boosting_effects(
    full: _Boosted,
    refits: list[_Boosted],
    grids: Mapping[str, np.ndarray],
    kept: tuple[str, ...],
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
        return b.parts.marginals[j][:, cells].mean(axis=0) + b.parts.tree_mean.mean()

    curves = {}
    for j, name in enumerate(kept):
        grid = grids.get(name, np.linspace(0.0, 1.0, _DEFAULT_GRID_POINTS))
        refit_curves = np.array([curve(r, j, grid) for r in usable]).reshape(-1, grid.size)
        curves[name] = Marginal(
            grid=grid.copy(), mean=curve(full, j, grid), std=jackknife_se(refit_curves)
        )
    return effects[:d], effects[d:], full.total, curves


def _mean_marginals(parts: _Parts) -> tuple[list[np.ndarray], np.ndarray]:
    """The mean of the trees' centred marginals per feature, and their variances."""
    forest_margs = [m.mean(axis=0) for m in parts.marginals]
    v_main = np.array(
        [float((fm * fm) @ ax.widths) for fm, ax in zip(forest_margs, parts.axes, strict=True)]
    )
    return forest_margs, v_main


def _sorted(effects: tuple[Effect, ...]) -> tuple[Effect, ...]:
    return tuple(sorted(effects, key=lambda e: -e.importance))


def _check_int(name: str, value: object, minimum: int) -> None:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"'{name}' must be an int >= {minimum}. Got {value!r} instead.")


def _validate(
    X: Any, y: Any, names: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2:
        raise ValueError(
            f"'X' must be a 2-D array of shape (n_trials, n_params). Got shape {X.shape} instead."
        )
    if y.ndim != 1:
        raise ValueError(
            f"'y' must be a 1-D array of shape (n_trials,). Got shape {y.shape} instead."
        )
    if not np.issubdtype(X.dtype, np.number) or np.issubdtype(X.dtype, np.complexfloating):
        raise ValueError(f"'X' must hold real numbers. Got dtype {X.dtype} instead.")
    if not np.issubdtype(y.dtype, np.number) or np.issubdtype(y.dtype, np.complexfloating):
        raise ValueError(f"'y' must hold real numbers. Got dtype {y.dtype} instead.")
    if isinstance(names, str):
        raise ValueError(  # noqa: TRY004 - bad arguments are ValueErrors throughout auditlens
            f"'names' must be a sequence of parameter names. Got the string {names!r} instead."
        )
    names_t = tuple(names)
    if len(names_t) != X.shape[1]:
        raise ValueError(
            f"'names' must have one name per column of 'X' ({X.shape[1]}). "
            f"Got {len(names_t)} instead."
        )
    if not all(isinstance(n, str) for n in names_t):
        raise ValueError(f"'names' must all be strings. Got {names_t!r} instead.")
    dupes = sorted({n for n in names_t if names_t.count(n) > 1})
    if dupes:
        raise ValueError(f"'names' must be unique. Got duplicates: {', '.join(dupes)}.")
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"'y' must have one value per row of 'X' ({X.shape[0]}). Got {y.shape[0]} instead."
        )
    if X.shape[0] < 2:
        raise TrialsError(f"fANOVA needs at least 2 trials; got {X.shape[0]}")
    X = X.astype(np.float64)
    y = y.astype(np.float64)
    for j, name in enumerate(names_t):
        col = X[:, j]
        bad = np.flatnonzero(~np.isfinite(col))
        if bad.size:
            raise TrialsError(
                f"parameter '{name}' (column {j} of X) must be set in every trial; got "
                f"{float(col[bad[0]])} in {bad.size} trial(s), first at row {bad[0]}"
                + (
                    " (if NaN marks an inactive conditional parameter, pass inactive='reserve')"
                    if np.isnan(col[bad[0]])
                    else ""
                )
            )
        out = np.flatnonzero((col < 0.0) | (col > 1.0))
        if out.size:
            raise TrialsError(
                f"parameter '{name}' (column {j} of X) must be encoded into [0, 1]; got "
                f"{float(col[out[0]])!r} at row {out[0]} ({out.size} value(s) outside)"
            )
    bad = np.flatnonzero(~np.isfinite(y))
    if bad.size:
        raise TrialsError(
            f"the objective 'y' must be finite; got {float(y[bad[0]])} at row {bad[0]} "
            f"({bad.size} value(s))"
        )
    return X, y, names_t


def _validate_cutoff(cutoff: object) -> tuple[float, float] | None:
    if cutoff is None:
        return None
    try:
        lower, upper = (float(v) for v in cutoff)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise ValueError(
            f"'cutoff' must be a (lower, upper) pair of numbers. Got {cutoff!r} instead."
        ) from None
    if math.isnan(lower) or math.isnan(upper) or not lower < upper:
        raise ValueError(
            f"'cutoff' must be a (lower, upper) pair with lower < upper. Got {cutoff!r} instead."
        )
    return lower, upper


def _clip_leaves(trees: list[Tree], lower: float, upper: float) -> list[Tree]:
    """Copies of ``trees`` whose leaf values are clipped to ``[lower, upper]``."""
    out = []
    for tree in trees:
        cls, args, state = tree.__reduce__()
        clipped = cls(*args)
        clipped.__setstate__({**state, "values": np.clip(state["values"], lower, upper)})
        out.append(clipped)
    return out


def _validate_grids(
    grids: Mapping[str, np.ndarray] | None, names: tuple[str, ...]
) -> dict[str, np.ndarray]:
    if grids is None:
        return {}
    out = {}
    for name, grid in grids.items():
        if name not in names:
            raise ValueError(
                f"'marginal_grids' has a grid for unknown parameter {name!r}; "
                f"parameters: {', '.join(names)}."
            )
        arr = np.asarray(grid, dtype=np.float64)
        if arr.ndim != 1 or arr.size == 0 or not np.all((arr >= 0.0) & (arr <= 1.0)):
            raise ValueError(
                f"'marginal_grids[{name!r}]' must be a non-empty 1-D array of points in [0, 1]. "
                f"Got {np.array2string(arr, threshold=6)} instead."
            )
        out[name] = arr
    return out
