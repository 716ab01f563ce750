"""The one interface every surrogate kind implements, and the one result it returns.

:func:`auditlens.fanova.decompose` checks its arguments and builds a :class:`Problem`; a
surrogate (:class:`auditlens.fanova._forest.ForestSurrogate`,
:class:`auditlens.fanova._boosting.BoostingSurrogate`) fits itself to it and returns a
:class:`Decomposition` of plain numbers. The permutation null refits the same surrogate on
permuted objectives through :meth:`Surrogate.variances`, which skips the uncertainty.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np

from auditlens.fanova._types import Marginal

__all__ = ["Decomposition", "Problem", "Surrogate"]


@dataclass(frozen=True, slots=True)
class Problem:
    """Trials ready to decompose: parameters that vary, encoded in the unit cube."""

    X: np.ndarray  # (N, D) the parameters that vary, in [0, 1]
    y: np.ndarray  # (N,) objective
    names: tuple[str, ...]  # the D parameters
    pairs: bool  # compute every pure pairwise interaction
    grids: Mapping[str, np.ndarray]  # marginal-curve points (unit-cube coordinates)
    points: np.ndarray | None  # Sobol points for the total variance (None for per_tree)
    options: Mapping[str, Any]  # the surrogate's resolved settings, incl. "seed"
    bounds: tuple[float, float] | None  # cutoff: clip the objective to [lower, upper]
    n_jobs: int = 1

    @property
    def d(self) -> int:
        return int(self.X.shape[1])

    def with_objective(self, y: np.ndarray) -> Problem:
        """The same problem for another objective (a permutation of the trials' values)."""
        return replace(self, y=y)


@dataclass(frozen=True, slots=True)
class Decomposition:
    """What one surrogate found: fractions of variance with their standard errors."""

    mains: list[tuple[float, float]]  # (fraction, std) per parameter, input order
    pairs: list[tuple[float, float]]  # (fraction, std) per pair (j < k), empty without pairs
    total: float  # variance of the decomposed function on the unit cube
    mean: float  # its mean on the unit cube
    curves: dict[str, Marginal]
    fit_r2: float  # out-of-sample R² of the surrogate (NaN if unavailable)
    oob_r2: float  # out-of-bag R² (forest with bootstrap only, else NaN)
    uncertainty: str  # what std means, and how the total variance was computed
    fit_r2_method: str
    settings: dict[str, object]  # settings decided while fitting (appended to the result's)


class Surrogate(Protocol):
    """A tree-ensemble model of (configuration -> objective) whose variance is split exactly."""

    kind: str  # "random_forest" or "gradient_boosting"

    def decompose(self, problem: Problem) -> Decomposition:
        """Fit on the problem's trials; fractions, their uncertainty, marginal curves."""
        ...

    def variances(self, problem: Problem) -> np.ndarray:
        """Component variances only (clipped at 0), main effects then pairs (j < k): what
        the permutation null recomputes."""
        ...
