"""Plain result types of the fANOVA engine (numbers and numpy arrays only)."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

__all__ = ["Effect", "FanovaResult", "Marginal", "TreeComponents"]


def _same(a: Any, b: Any) -> bool:
    """Equality that treats arrays element-wise and NaN as equal to NaN."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.shape == b.shape
            and bool(np.array_equal(a, b, equal_nan=True))
        )
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _fields_equal(self: Any, other: Any) -> bool:
    if type(other) is not type(self):
        return NotImplemented
    return all(_same(getattr(self, f.name), getattr(other, f.name)) for f in fields(self))


@dataclass(frozen=True, slots=True)
class Effect:
    """The share of the surrogate's variance explained by one parameter or one pair.

    Attributes:
        params: One name (main effect) or two names in input order (pure pairwise
            interaction, i.e. without the two main effects).
        importance: Fraction of the total variance, in [0, 1].
        std: Its uncertainty; what it measures is stated in
            :attr:`FanovaResult.uncertainty_method`.
    """

    params: tuple[str, ...]
    importance: float
    std: float


@dataclass(frozen=True, slots=True, eq=False)
class Marginal:
    """A 1-D marginal curve: the predicted objective with every other parameter averaged out.

    Attributes:
        grid: Unit-cube positions where the curve is evaluated.
        mean: Marginal of the surrogate's prediction at each grid point.
        std: Its uncertainty: for a random forest the standard deviation over trees of the
            per-tree marginals (``ddof=0``); for gradient boosting the delete-a-group
            jackknife standard error over the refits (see
            :attr:`FanovaResult.uncertainty_method`).
    """

    grid: np.ndarray
    mean: np.ndarray
    std: np.ndarray

    __eq__ = _fields_equal


@dataclass(frozen=True, slots=True, eq=False)
class FanovaResult:
    """What :func:`auditlens.fanova.decompose` found.

    Attributes:
        names: Analysed parameters, in input order.
        excluded: Constant parameters (no spread in the trials) left out of the analysis.
        main_effects: One :class:`Effect` per analysed parameter, most important first.
        pairwise: Pure pairwise interactions, most important first (empty if not asked).
        marginals: 1-D marginal curve per analysed parameter.
        total_variance: Variance of the decomposed function under the uniform measure on
            the unit cube (the surrogate's prediction; for ``per_tree`` the mean over trees).
        mean_prediction: Mean of the surrogate's prediction over the unit cube.
        oob_r2: Out-of-bag R² of a random forest on the trials (NaN without bootstrap and
            for gradient boosting, which has no out-of-bag predictions).
        n_samples: Trials used.
        estimator: ``"forest_mean"`` or ``"per_tree"``.
        uncertainty_method: What :attr:`Effect.std` means.
        settings: Every setting of the surrogate and of the estimator, incl. seed;
            ``settings["surrogate"]`` names the surrogate.
        fit_r2: How well the surrogate predicts trials it was not fitted on, as described
            by :attr:`fit_r2_method` (out-of-bag R² for the forest, cross-validated R² for
            gradient boosting); NaN if not available.
        fit_r2_method: What :attr:`fit_r2` is.
    """

    names: tuple[str, ...]
    excluded: tuple[str, ...]
    main_effects: tuple[Effect, ...]
    pairwise: tuple[Effect, ...]
    marginals: dict[str, Marginal]
    total_variance: float
    mean_prediction: float
    oob_r2: float
    n_samples: int
    estimator: str
    uncertainty_method: str
    settings: dict[str, object]
    fit_r2: float = math.nan
    fit_r2_method: str = ""

    __eq__ = _fields_equal

    def importance(self, *params: str) -> Effect:
        """Return the :class:`Effect` of one parameter or one pair (either order).

        Raises:
            KeyError: If no effect with these parameters was computed.
        """
        wanted = frozenset(params)
        for effect in (*self.main_effects, *self.pairwise):
            if frozenset(effect.params) == wanted and len(effect.params) == len(params):
                return effect
        raise KeyError(f"no effect for {params!r}; analysed parameters: {', '.join(self.names)}")


@dataclass(frozen=True, slots=True, eq=False)
class TreeComponents:
    """Exact functional-ANOVA variances of one regression tree on the unit cube.

    Attributes:
        mean: Mean of the tree's prediction under the uniform measure.
        total_variance: Its variance.
        main: ``(D,)`` variance of each main effect.
        pairwise: ``(D, D)`` symmetric variance of each pure pairwise interaction
            (zero diagonal).
    """

    mean: float
    total_variance: float
    main: np.ndarray
    pairwise: np.ndarray

    __eq__ = _fields_equal

    @property
    def higher_order(self) -> float:
        """Variance left for interactions of three or more parameters."""
        return self.total_variance - float(self.main.sum()) - float(np.triu(self.pairwise, 1).sum())
