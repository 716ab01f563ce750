"""fANOVA hyperparameter importance (Hutter, Hoos & Leyton-Brown, ICML 2014).

A tree ensemble (gradient boosting by default, or the paper's random forest) is fitted on
(encoded configuration -> objective) and the variance of its prediction under the uniform
measure on the unit cube is split exactly into main effects and pairwise interactions,
computed from every leaf's box at once (no tree walks).

Example:
    >>> import numpy as np
    >>> from auditlens.fanova import decompose
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((200, 2))
    >>> res = decompose(X, 5 * X[:, 0] + X[:, 1], names=["lr", "depth"], n_trees=16)
    >>> [e.params[0] for e in res.main_effects]
    ['lr', 'depth']
"""

from __future__ import annotations

from auditlens.fanova._decompose import decompose, reserve_inactive, tree_components
from auditlens.fanova._types import Effect, FanovaResult, Marginal, TreeComponents

__all__ = [
    "Effect",
    "FanovaResult",
    "Marginal",
    "TreeComponents",
    "decompose",
    "reserve_inactive",
    "tree_components",
]
