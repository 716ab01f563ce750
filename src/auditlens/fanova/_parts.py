"""What every surrogate's decomposition draws on: per-tree quantities of a set of trees.

A surrogate (forest or boosting) reduces to a set of regression trees whose *mean* is the
function decomposed; :class:`Parts` holds each tree's centred marginals and variances on the
union grid of their thresholds (computed by :mod:`auditlens.fanova._engine`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from joblib import Parallel, delayed
from scipy.stats import qmc

from auditlens.errors import AnalysisError
from auditlens.fanova._engine import (
    Axis,
    Leaves,
    axis_of,
    main_marginals,
    pair_tree_variances,
)

if TYPE_CHECKING:
    from sklearn.tree._tree import Tree

__all__ = [
    "DEFAULT_GRID_POINTS",
    "Parts",
    "check_not_constant",
    "mean_marginals",
    "pair_coef",
    "pairs_of",
    "sobol_points",
    "tree_predictions",
]

DEFAULT_GRID_POINTS = 65


@dataclass(frozen=True, slots=True)
class Parts:
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
    def compute(cls, leaves: Leaves, *, pairs: bool) -> Parts:
        d = leaves.n_features
        mean, var = leaves.tree_moments()
        leaves = leaves.centred(mean)
        axes = tuple(axis_of(leaves, j) for j in range(d))
        excl = leaves.excluding()
        margs = tuple(main_marginals(leaves, axes[j], leaves.value * excl[:, j]) for j in range(d))
        tree_main = np.column_stack(
            [weighted_ss(m, ax.widths) for m, ax in zip(margs, axes, strict=True)]
        )
        tree_pair = np.zeros((leaves.n_trees, 0))
        if pairs and d > 1:
            tree_pair = np.column_stack(
                [
                    pair_tree_variances(leaves, axes[j], axes[k], pair_coef(leaves, excl, j, k))
                    - tree_main[:, j]
                    - tree_main[:, k]
                    for j, k in pairs_of(d)
                ]
            )
        return cls(leaves, axes, excl, mean, var, margs, tree_main, tree_pair)


def pairs_of(d: int) -> list[tuple[int, int]]:
    return [(j, k) for j in range(d) for k in range(j + 1, d)]


def pair_coef(leaves: Leaves, excl: np.ndarray, j: int, k: int) -> np.ndarray:
    """``value * prod_{d not in (j, k)} len_d`` (zero for a zero-volume leaf)."""
    len_k = leaves.hi[:, k] - leaves.lo[:, k]
    out = np.zeros_like(len_k)
    np.divide(leaves.value * excl[:, j], len_k, out=out, where=len_k > 0)
    return out


def weighted_ss(centred: np.ndarray, widths: np.ndarray) -> np.ndarray:
    return (centred * centred) @ widths


def mean_marginals(parts: Parts) -> tuple[list[np.ndarray], np.ndarray]:
    """The mean of the trees' centred marginals per feature, and their variances."""
    forest_margs = [m.mean(axis=0) for m in parts.marginals]
    v_main = np.array(
        [float((fm * fm) @ ax.widths) for fm, ax in zip(forest_margs, parts.axes, strict=True)]
    )
    return forest_margs, v_main


def sobol_points(d: int, n: int, seed: int) -> np.ndarray:
    # A seed stream of its own, so the points do not depend on the forest's draws.
    sampler = qmc.Sobol(d, scramble=True, rng=np.random.default_rng([seed, 0x50B01]))
    return sampler.random_base2(int(n).bit_length() - 1)


def tree_predictions(trees: list[Tree], X: np.ndarray, n_jobs: int) -> np.ndarray:
    X32 = np.ascontiguousarray(X, dtype=np.float32)  # what sklearn's trees compare against

    def one(tree: Tree) -> np.ndarray:
        return tree.predict(X32)[:, 0]

    if n_jobs == 1:
        rows = [one(tree) for tree in trees]
    else:
        rows = Parallel(n_jobs=n_jobs, prefer="threads")(delayed(one)(tree) for tree in trees)
    return np.vstack(rows)


def check_not_constant(parts: Parts, n: int, options: Mapping[str, Any]) -> None:
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
