"""fANOVA on a scikit-learn tree ensemble: the entry point and the exact tree components.

:func:`decompose` checks its arguments, encodes inactive values, drops constant parameters,
resolves the surrogate's settings, and hands a :class:`~auditlens.fanova._surrogate.Problem`
to one surrogate (:mod:`auditlens.fanova._forest` or :mod:`auditlens.fanova._boosting`),
whose :class:`~auditlens.fanova._surrogate.Decomposition` becomes the public
:class:`~auditlens.fanova._types.FanovaResult`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from auditlens.errors import TrialsError
from auditlens.fanova._boosting import BOOSTING_DEFAULTS, HIST_MODEL, BoostingSurrogate
from auditlens.fanova._engine import leaves_of
from auditlens.fanova._forest import FOREST_DEFAULTS, ForestSurrogate
from auditlens.fanova._parts import DEFAULT_GRID_POINTS, Parts, pairs_of, sobol_points
from auditlens.fanova._surrogate import Decomposition, Problem, Surrogate
from auditlens.fanova._types import Effect, FanovaResult, Marginal, TreeComponents
from auditlens.fanova._validate import (
    Estimator,
    check_int,
    check_options,
    reserve_inactive,
    resolve_surrogate,
    validate_cutoff,
    validate_grids,
    validate_trials,
)
from auditlens.fanova._validate import Surrogate as SurrogateKind

if TYPE_CHECKING:
    from sklearn.tree import DecisionTreeRegressor
    from sklearn.tree._tree import Tree

__all__ = ["decompose", "reserve_inactive", "tree_components"]

# Sobol points for the total variance: the forest's jackknife needs every tree's
# predictions on them; for boosting 2**14 points are within 3e-4 of 2**16 (README).
_VARIANCE_POINTS = {"random_forest": 2**16, "gradient_boosting": 2**14}


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
    parts = Parts.compute(leaves_of([raw], d), pairs=True)
    pairwise = np.zeros((d, d))
    for p, (j, k) in enumerate(pairs_of(d)):
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
    **options: Any,
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
    fitted on all trials with the chosen stages. It costs ``n_folds + 1`` fits. From 200
    trials on, the main effects (and from 450 trials the pairs) the model missed (boosting
    stopped by cross-validation fits weak parameters and interactions only in part) are added
    back from the refits' out-of-fold residuals, binned by each parameter (pairs: on a grid of
    bins), where they beat the residuals' noise, shrunk toward zero
    (``settings["residual_correction"]`` is the share of variance this added; the total
    includes the pairs' part whether or not ``pairs`` are computed). With
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
    plan = make_plan(X, y, names=names, options=SurrogateOptions.of(options, "decompose"))
    return plan.result(plan.surrogate.decompose(plan.problem))


@dataclass(frozen=True, slots=True)
class SurrogateOptions:
    """The settings :func:`decompose` takes as keywords (see its docstring for each), in one place."""

    surrogate: SurrogateKind | None = None
    estimator: Estimator = "forest_mean"
    n_trees: int | None = None
    max_features: float | None = None
    min_samples_leaf: int | None = None
    max_depth: int | None = None
    bootstrap: bool | None = None
    n_stages: int | None = None
    learning_rate: float | None = None
    subsample: float | None = None
    n_folds: int | None = None
    pairs: bool = True
    marginal_grids: Mapping[str, np.ndarray] | None = None
    seed: int = 0
    n_jobs: int = 1
    n_variance_points: int | None = None
    cutoff: tuple[float, float] | None = None
    inactive: Literal["error", "reserve"] = "error"

    @classmethod
    def of(cls, options: Mapping[str, Any], caller: str) -> SurrogateOptions:
        """The options from keywords; a keyword that is none of them is a TypeError naming it."""
        unknown = sorted(set(options) - set(cls.__dataclass_fields__))
        if unknown:
            raise TypeError(f"{caller}() got an unexpected keyword argument {unknown[0]!r}")
        return cls(**options)


@dataclass(frozen=True, slots=True)
class Plan:
    """Checked trials, the surrogate chosen for them, and everything the result reports."""

    problem: Problem
    surrogate: Surrogate
    excluded: tuple[str, ...]  # constant parameters, left out
    settings: dict[str, object]  # what the result's ``settings`` start with
    user_grids: dict[str, np.ndarray]  # marginal grids as the caller gave them
    estimator: str

    def result(self, found: Decomposition) -> FanovaResult:
        """The public result of one decomposition of :attr:`problem`."""
        kept = self.problem.names
        curves = {
            name: Marginal(grid=self.user_grids[name].copy(), mean=c.mean, std=c.std)
            if name in self.user_grids
            else c
            for name, c in found.curves.items()
        }
        mains = tuple(Effect((kept[j],), imp, sd) for j, (imp, sd) in enumerate(found.mains))
        pair_list = tuple(
            Effect((kept[j], kept[k]), imp, sd)
            for (j, k), (imp, sd) in zip(
                pairs_of(len(kept)) if self.problem.pairs else [], found.pairs, strict=True
            )
        )
        return FanovaResult(
            names=kept,
            excluded=self.excluded,
            main_effects=_sorted(mains),
            pairwise=_sorted(pair_list),
            marginals=curves,
            total_variance=float(found.total),
            mean_prediction=found.mean,
            oob_r2=found.oob_r2,
            n_samples=int(self.problem.y.size),
            estimator=self.estimator,
            uncertainty_method=found.uncertainty,
            settings={**self.settings, **found.settings},
            fit_r2=found.fit_r2,
            fit_r2_method=found.fit_r2_method,
        )


def make_plan(
    X: np.ndarray,
    y: np.ndarray,
    *,
    names: Sequence[str],
    options: SurrogateOptions,
) -> Plan:
    """Check :func:`decompose`'s arguments (same meaning) and choose the surrogate."""
    o = options
    n_variance_points = o.n_variance_points
    if o.inactive not in ("error", "reserve"):
        raise ValueError(f"'inactive' must be 'error' or 'reserve'. Got {o.inactive!r} instead.")
    widths = None
    if o.inactive == "reserve":
        arr = np.asarray(X)
        if arr.ndim == 2 and np.issubdtype(arr.dtype, np.floating):
            X, widths = reserve_inactive(arr)
    X, y, names_t = validate_trials(X, y, names)
    given = {
        "n_trees": o.n_trees,
        "bootstrap": o.bootstrap,
        "n_stages": o.n_stages,
        "learning_rate": o.learning_rate,
        "subsample": o.subsample,
        "n_folds": o.n_folds,
    }
    kind = resolve_surrogate(o.surrogate, o.estimator, given)
    chosen_options = _options(
        kind, given, y.size, max_features=o.max_features, min_samples_leaf=o.min_samples_leaf,
        max_depth=o.max_depth,
    )
    check_int("seed", o.seed, 0)
    check_int("n_jobs", o.n_jobs, -1 << 30)
    if n_variance_points is None:
        n_variance_points = _VARIANCE_POINTS[kind]
    check_int("n_variance_points", n_variance_points, 2)
    if n_variance_points & (n_variance_points - 1):
        raise ValueError(
            f"'n_variance_points' must be a power of 2. Got {n_variance_points} instead."
        )
    grids = validate_grids(o.marginal_grids, names_t)
    user_grids = dict(grids)
    if widths is not None:  # marginals over the active values, in their own coordinates
        for j, name in enumerate(names_t):
            if widths[j] > 0:
                g = grids.get(name, np.linspace(0.0, 1.0, DEFAULT_GRID_POINTS))
                user_grids[name] = g
                grids[name] = widths[j] + (1.0 - widths[j]) * g
    bounds = validate_cutoff(o.cutoff)
    varies = _varying(X, y, names_t)
    kept = tuple(n for n, v in zip(names_t, varies, strict=True) if v)
    settings = _settings(kind, chosen_options, o.estimator, seed=o.seed, pairs=o.pairs)
    _describe_encoding(settings, kind, names_t, widths, bounds)
    if o.estimator == "forest_mean":
        settings["n_variance_points"] = int(n_variance_points)
        settings["thresholds"] = (
            "the model's bin thresholds (at most max_bins - 1 per parameter)"
            if settings["model"] == HIST_MODEL
            else "moved to the midpoint of the trials' gap they fall in"
        )
    points = (
        sobol_points(len(kept), n_variance_points, o.seed) if o.estimator == "forest_mean" else None
    )
    chosen: Surrogate = (
        BoostingSurrogate(n_variance_points=n_variance_points)
        if kind == "gradient_boosting"
        else ForestSurrogate(estimator=o.estimator, n_variance_points=n_variance_points)
    )
    problem = Problem(
        X=X[:, varies], y=y, names=kept, pairs=o.pairs, grids=grids, points=points,
        options=dict(settings), bounds=bounds, n_jobs=o.n_jobs,
    )
    excluded = tuple(n for n, v in zip(names_t, varies, strict=True) if not v)
    return Plan(problem, chosen, excluded, settings, user_grids, o.estimator)


def _options(
    kind: str,
    given: Mapping[str, object],
    n: int,
    *,
    max_features: float | None,
    min_samples_leaf: int | None,
    max_depth: int | None,
) -> dict[str, Any]:
    """The surrogate's settings: its defaults, overridden by what the caller gave."""
    defaults = FOREST_DEFAULTS if kind == "random_forest" else BOOSTING_DEFAULTS
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
            int(BOOSTING_DEFAULTS["min_samples_leaf"]), max(1, n // 50)
        )
    check_options(options)
    return options


def _varying(X: np.ndarray, y: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """Which parameters vary; refuses trials with none, or with a constant objective."""
    varies = np.ptp(X, axis=0) > 0
    if not varies.any():
        raise TrialsError(
            f"fANOVA needs at least 1 parameter that varies across trials; all {len(names)} are "
            f"constant: {', '.join(names)}"
        )
    if np.ptp(y) == 0:
        raise TrialsError(
            f"the objective is the same ({float(y[0])!r}) in all {y.size} trials; "
            "there is no variance to decompose"
        )
    return varies


def _settings(
    kind: str, options: Mapping[str, Any], estimator: str, *, seed: int, pairs: bool
) -> dict[str, object]:
    """Every setting of the surrogate, named as the model it fits names them."""
    defaults = FOREST_DEFAULTS if kind == "random_forest" else BOOSTING_DEFAULTS
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
    return settings


def _describe_encoding(
    settings: dict[str, object],
    kind: str,
    names: tuple[str, ...],
    widths: np.ndarray | None,
    bounds: tuple[float, float] | None,
) -> None:
    """Record how inactive values and a cutoff were handled (in ``settings``, in place)."""
    if widths is not None and np.any(widths > 0):
        settings["inactive"] = {
            name: float(w) for name, w in zip(names, widths, strict=True) if w > 0
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


def _model_name(kind: str, options: Mapping[str, Any]) -> str:
    if kind == "random_forest":
        return "sklearn.ensemble.RandomForestRegressor"
    if options["subsample"] < 1.0:
        return "sklearn.ensemble.GradientBoostingRegressor"
    return HIST_MODEL


def _sorted(effects: tuple[Effect, ...]) -> tuple[Effect, ...]:
    return tuple(sorted(effects, key=lambda e: -e.importance))
