"""Exact functional-ANOVA variances of regression trees and of their mean, vectorised.

A fitted regression tree on the unit cube is ``f(x) = sum_l v_l 1[x in B_l]`` over its leaf
boxes ``B_l = prod_d [lo_ld, hi_ld]``. Everything here follows from that form:

* mean ``mu = sum_l v_l |B_l|`` and variance ``sum_l |B_l| (v_l - mu)^2``;
* the marginal of feature ``j`` (other features averaged out) is
  ``f_j(x_j) = sum_l v_l prod_{d != j} len_ld 1[x_j in [lo_lj, hi_lj]]``, a step function on
  the cells between split thresholds. Each leaf adds a constant on a contiguous run of cells,
  so all leaves go into one *difference array* (``np.bincount``) and one ``cumsum`` gives the
  marginal on every cell: no tree walks;
* the marginal of a pair is the same in 2-D (four corners per leaf, two ``cumsum``);
* a component's variance is the cell-width-weighted sum of squares of the centred marginal,
  minus the variances of its sub-components.

The cells of feature ``j`` are bounded by the *edges* ``0 < t_1 < ... < t_m < 1`` (the split
thresholds); cell ``i`` is ``(e_i, e_{i+1}]`` because scikit-learn sends ``x <= threshold``
left. For one forest, the union of all trees' thresholds gives a shared grid on which every
tree's marginal (and therefore the forest mean's) is exact.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sklearn.tree._tree import Tree

__all__ = [
    "Axis",
    "Leaves",
    "NodeArrays",
    "axis_of",
    "hist_trees",
    "leaves_of",
    "main_marginals",
    "marginal_variance",
    "pair_forest",
    "pair_marginal",
    "pair_tree_variances",
    "snap_thresholds",
]


_PAIR_CELLS = 1 << 22  # cells of per-tree pair grids held at once (32 MiB of float64)
_NODE_CELLS = 1 << 21  # node-box cells (nodes x D) built at once by leaves_of


@dataclass(frozen=True, slots=True)
class Leaves:
    """The leaf boxes of one or more trees, concatenated."""

    lo: np.ndarray  # (L, D) lower box corner
    hi: np.ndarray  # (L, D) upper box corner
    value: np.ndarray  # (L,) leaf prediction
    tree: np.ndarray  # (L,) index of the tree the leaf belongs to
    n_trees: int
    split_feature: np.ndarray  # (S,) feature of every internal node
    split_threshold: np.ndarray  # (S,) its threshold, clipped to [0, 1]
    split_tree: np.ndarray  # (S,) its tree

    @property
    def n_features(self) -> int:
        return int(self.lo.shape[1])

    @property
    def lengths(self) -> np.ndarray:
        return self.hi - self.lo

    @property
    def volume(self) -> np.ndarray:
        return np.prod(self.lengths, axis=1)

    def excluding(self) -> np.ndarray:
        """``(L, D)``: product of each leaf's side lengths over all features but one."""
        lengths = self.lengths
        prefix = np.ones_like(lengths)
        np.cumprod(lengths[:, :-1], axis=1, out=prefix[:, 1:])
        suffix = np.ones_like(lengths)
        # suffix[:, d] = prod(lengths[:, d + 1:]), built right to left.
        np.cumprod(lengths[:, :0:-1], axis=1, out=suffix[:, -2::-1])
        prefix *= suffix
        return prefix

    def tree_moments(self) -> tuple[np.ndarray, np.ndarray]:
        """Exact mean and variance of every tree under the uniform measure."""
        vol = self.volume
        mean = np.bincount(self.tree, vol * self.value, minlength=self.n_trees)
        centred = self.value - mean[self.tree]
        var = np.bincount(self.tree, vol * centred * centred, minlength=self.n_trees)
        return mean, var

    def centred(self, tree_mean: np.ndarray) -> Leaves:
        """The same boxes with each tree's mean subtracted from its leaf values.

        Every component of a centred tree has mean zero, so variances are plain weighted
        sums of squares (no cancellation against a large mean).
        """
        return replace(self, value=self.value - tree_mean[self.tree])


@dataclass(frozen=True, slots=True)
class NodeArrays:
    """One regression tree as plain arrays, laid out as scikit-learn's ``Tree`` (what
    :func:`leaves_of` reads): ``x[feature] <= threshold`` goes to ``children_left``; leaves
    have a negative ``feature`` and children ``-1``; ``value`` is ``(nodes, 1, 1)``."""

    feature: np.ndarray
    threshold: np.ndarray
    children_left: np.ndarray
    children_right: np.ndarray
    value: np.ndarray

    @property
    def node_count(self) -> int:
        return int(self.feature.size)


# Fields of a HistGradientBoostingRegressor predictor's node array that hist_trees reads.
_HIST_FIELDS = ("value", "feature_idx", "num_threshold", "left", "right", "is_leaf")


def hist_trees(model: object, n_stages: int, *, scale: float = 1.0) -> list[NodeArrays]:
    """The first ``n_stages`` trees of a fitted ``HistGradientBoostingRegressor``.

    Its prediction is ``baseline + sum of the trees' leaf values`` (the learning rate is
    already in the leaf values), a numerical split sends ``x <= num_threshold`` left, as
    scikit-learn's trees do; leaf values become ``scale * value + baseline`` (with
    ``scale = n_stages`` the *mean* of the returned trees is the model's prediction).

    The trees live in the private ``model._predictors[i][0].nodes`` (a structured array,
    unchanged since scikit-learn 0.24); its layout is checked here so that a change shows
    up as a clear error rather than as wrong numbers. Categorical splits and missing values
    are not used by the engine (it passes neither) and are refused.

    Raises:
        RuntimeError: The model's private tree layout is not the one this engine reads.
    """
    predictors = getattr(model, "_predictors", None)
    baseline = np.asarray(getattr(model, "_baseline_prediction", np.nan), dtype=np.float64)
    if (
        not isinstance(predictors, list)
        or len(predictors) < n_stages
        or baseline.size != 1
        or any(len(stage) != 1 for stage in predictors[:n_stages])
    ):
        raise RuntimeError(
            "HistGradientBoostingRegressor's private tree layout (_predictors, "
            "_baseline_prediction) is not the one auditlens.fanova reads (written for "
            "scikit-learn 1.4-1.9); use surrogate='random_forest' with this scikit-learn"
        )
    offset = float(baseline.ravel()[0])
    out = []
    for stage in predictors[:n_stages]:
        nodes = getattr(stage[0], "nodes", None)
        names = getattr(getattr(nodes, "dtype", None), "names", None) or ()
        if not set(_HIST_FIELDS) <= set(names):
            raise RuntimeError(
                "HistGradientBoostingRegressor's tree nodes lack the fields "
                f"{', '.join(f for f in _HIST_FIELDS if f not in names)} that auditlens.fanova "
                "reads (written for scikit-learn 1.4-1.9); use surrogate='random_forest'"
            )
        assert nodes is not None
        if "is_categorical" in names and np.any(nodes["is_categorical"]):
            raise RuntimeError("categorical splits are not supported by the fANOVA engine")
        leaf = nodes["is_leaf"].astype(bool)
        out.append(
            NodeArrays(
                feature=np.where(leaf, -2, nodes["feature_idx"]).astype(np.intp),
                threshold=np.where(leaf, -2.0, nodes["num_threshold"]).astype(np.float64),
                children_left=np.where(leaf, -1, nodes["left"]).astype(np.intp),
                children_right=np.where(leaf, -1, nodes["right"]).astype(np.intp),
                value=(nodes["value"].astype(np.float64) * scale + offset).reshape(-1, 1, 1),
            )
        )
    return out


def leaves_of(trees: Sequence[Tree | NodeArrays], n_features: int) -> Leaves:
    """Compute every leaf's box of every tree at once from scikit-learn's ``tree_`` arrays.

    Nodes of all trees are concatenated and boxes are pushed from parents to children one
    depth level at a time, so the Python loop runs ``max_depth`` times, not once per node.
    Trees go through in groups of about ``_NODE_CELLS / n_features`` nodes, so that the
    boxes of internal nodes (``nodes x D`` floats, twice) never dominate memory.
    """
    counts = [t.node_count for t in trees]
    budget = max(1, _NODE_CELLS // max(n_features, 1))
    groups: list[list[int]] = [[]]
    held = 0
    for i, c in enumerate(counts):
        if groups[-1] and held + c > budget:
            groups.append([])
            held = 0
        groups[-1].append(i)
        held += c
    if len(groups) == 1:
        return _leaves_of(trees, n_features)
    # Fill preallocated leaf arrays group by group (no second copy from concatenating).
    n_leaves = [int(np.count_nonzero(np.asarray(t.feature) < 0)) for t in trees]
    total = sum(n_leaves)
    lo = np.empty((total, n_features))
    hi = np.empty((total, n_features))
    value = np.empty(total)
    tree = np.empty(total, dtype=np.intp)
    splits: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    at = 0
    for g in groups:
        part = _leaves_of([trees[i] for i in g], n_features)
        size = part.value.size
        lo[at : at + size] = part.lo
        hi[at : at + size] = part.hi
        value[at : at + size] = part.value
        tree[at : at + size] = part.tree + g[0]
        splits.append((part.split_feature, part.split_threshold, part.split_tree + g[0]))
        at += size
        del part
    return Leaves(
        lo=lo,
        hi=hi,
        value=value,
        tree=tree,
        n_trees=len(trees),
        split_feature=np.concatenate([f for f, _, _ in splits]),
        split_threshold=np.concatenate([t for _, t, _ in splits]),
        split_tree=np.concatenate([t for _, _, t in splits]),
    )


def _leaves_of(trees: Sequence[Tree | NodeArrays], n_features: int) -> Leaves:
    counts = np.array([t.node_count for t in trees], dtype=np.intp)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.intp)
    n_nodes = int(counts.sum())
    feature = np.concatenate([np.asarray(t.feature, dtype=np.intp) for t in trees])
    threshold = np.clip(np.concatenate([np.asarray(t.threshold) for t in trees]), 0.0, 1.0)
    left = np.concatenate(
        [
            np.asarray(t.children_left, dtype=np.intp) + o
            for t, o in zip(trees, offsets, strict=True)
        ]
    )
    right = np.concatenate(
        [
            np.asarray(t.children_right, dtype=np.intp) + o
            for t, o in zip(trees, offsets, strict=True)
        ]
    )
    value = np.concatenate([np.asarray(t.value)[:, 0, 0] for t in trees]).astype(np.float64)
    tree_of = np.repeat(np.arange(len(trees), dtype=np.intp), counts)

    if feature.size and int(feature.max()) >= n_features:
        raise ValueError(
            f"'n_features' must cover every feature the trees split on (> {int(feature.max())}). "
            f"Got {n_features} instead."
        )

    lo = np.zeros((n_nodes, n_features))
    hi = np.ones((n_nodes, n_features))
    frontier = offsets
    while frontier.size:
        node = frontier[feature[frontier] >= 0]
        if not node.size:
            break
        f, t = feature[node], threshold[node]
        lft, rgt = left[node], right[node]
        lo[lft] = lo[node]
        hi[lft] = hi[node]
        lo[rgt] = lo[node]
        hi[rgt] = hi[node]
        # Clamping keeps boxes nested even if float32 rounding put a threshold on the edge.
        hi[lft, f] = np.clip(t, lo[node, f], hi[node, f])
        lo[rgt, f] = np.clip(t, lo[node, f], hi[node, f])
        frontier = np.concatenate([lft, rgt])

    is_leaf = feature < 0
    is_split = ~is_leaf
    return Leaves(
        lo=lo[is_leaf],
        hi=hi[is_leaf],
        value=value[is_leaf],
        tree=tree_of[is_leaf],
        n_trees=len(trees),
        split_feature=feature[is_split],
        split_threshold=threshold[is_split],
        split_tree=tree_of[is_split],
    )


@dataclass(frozen=True, slots=True)
class Axis:
    """One feature's grids: the union grid of all trees, and each tree's own (padded) grid."""

    edges: np.ndarray  # (C+1,) union edges, 0 and 1 included
    widths: np.ndarray  # (C,) union cell widths
    start: np.ndarray  # (L,) first union cell of each leaf
    stop: np.ndarray  # (L,) one past its last union cell
    tree_widths: np.ndarray  # (T, K) each tree's own cell widths, zero-padded at the end
    tree_start: np.ndarray  # (L,) first cell of each leaf on its tree's own grid
    tree_stop: np.ndarray  # (L,) one past its last cell there

    @property
    def n_cells(self) -> int:
        return int(self.widths.size)

    def cell_of(self, x: np.ndarray) -> np.ndarray:
        """Union cell holding each point (cell ``i`` is ``(e_i, e_{i+1}]``, like ``x <= t``)."""
        return np.clip(np.searchsorted(self.edges, x, side="left") - 1, 0, self.n_cells - 1)


def axis_of(leaves: Leaves, j: int) -> Axis:
    """Build feature ``j``'s union grid and per-tree grids, and locate every leaf on both."""
    thresholds = leaves.split_threshold[leaves.split_feature == j]
    edges = np.unique(np.concatenate([[0.0, 1.0], thresholds]))
    start = np.searchsorted(edges, leaves.lo[:, j])
    stop = np.searchsorted(edges, leaves.hi[:, j])

    # Which union edges each tree has; a running count turns a union edge into its rank
    # among that tree's own edges, so per-tree grids need no per-tree searchsorted.
    n_trees = leaves.n_trees
    has = np.zeros((n_trees, edges.size), dtype=bool)
    has[:, 0] = has[:, -1] = True
    has[leaves.split_tree[leaves.split_feature == j], np.searchsorted(edges, thresholds)] = True
    rank = np.cumsum(has, axis=1) - 1
    n_edges = int(rank[:, -1].max()) + 1
    tree_edges = np.ones((n_trees, n_edges))
    t_idx, u_idx = np.nonzero(has)
    tree_edges[t_idx, rank[t_idx, u_idx]] = edges[u_idx]
    # int32 cell indices: four per leaf and feature are most of the engine's memory.
    return Axis(
        edges=edges,
        widths=np.diff(edges),
        start=start.astype(np.int32),
        stop=stop.astype(np.int32),
        tree_widths=np.diff(tree_edges, axis=1),
        tree_start=rank[leaves.tree, start].astype(np.int32),
        tree_stop=rank[leaves.tree, stop].astype(np.int32),
    )


def main_marginals(leaves: Leaves, axis: Axis, coef: np.ndarray) -> np.ndarray:
    """``(T, C)``: every tree's marginal of one feature on the union grid.

    ``coef`` is ``value * prod_{d != j} len_d`` per leaf.
    """
    stride = axis.n_cells + 1
    size = leaves.n_trees * stride
    base = leaves.tree.astype(np.intp) * stride
    diff = np.bincount(base + axis.start, coef, minlength=size)
    diff -= np.bincount(base + axis.stop, coef, minlength=size)
    return np.cumsum(diff.reshape(leaves.n_trees, stride), axis=1)[:, :-1]


def _cumsum_inplace(a: np.ndarray, axis: int) -> None:
    """``np.cumsum(a, axis=axis, out=a)`` for an axis that is not the last one.

    NumPy accumulates along an outer axis element by element; adding whole slices one
    after the other does the same additions in the same order (the same numbers) about 6
    times faster on large grids, where it was most of the forest's pair time. Small grids
    keep ``np.cumsum`` (the Python loop would cost more).
    """
    if a.shape[axis] < 64 or a.size < (1 << 16):
        np.cumsum(a, axis=axis, out=a)
        return
    v = np.moveaxis(a, axis, 0)
    for i in range(1, v.shape[0]):
        np.add(v[i], v[i - 1], out=v[i])


def _corners(
    row_start: np.ndarray,
    row_stop: np.ndarray,
    col_start: np.ndarray,
    col_stop: np.ndarray,
    offset: np.ndarray | int,
    n_cols: int,
    coef: np.ndarray,
    size: int,
) -> np.ndarray:
    """2-D difference array: +coef at the two 'start-start/stop-stop' corners, - at the others."""
    row_start, row_stop = row_start.astype(np.intp), row_stop.astype(np.intp)
    col_start, col_stop = col_start.astype(np.intp), col_stop.astype(np.intp)
    idx = np.concatenate(
        [
            (offset + row_start) * n_cols + col_start,
            (offset + row_stop) * n_cols + col_stop,
            (offset + row_stop) * n_cols + col_start,
            (offset + row_start) * n_cols + col_stop,
        ]
    )
    weights = np.concatenate([coef, coef, -coef, -coef])
    return np.bincount(idx, weights, minlength=size)


def pair_tree_variances(leaves: Leaves, ax_j: Axis, ax_k: Axis, coef: np.ndarray) -> np.ndarray:
    """``(T,)``: variance of every tree's 2-D marginal of (j, k), on each tree's own grid.

    ``coef`` is ``value * prod_{d not in (j, k)} len_d`` per leaf, with each tree's leaf
    values centred on its mean. Padded cells have zero width, so one array serves all trees.
    """
    wj, wk = ax_j.tree_widths, ax_k.tree_widths
    rows, cols = wj.shape[1] + 1, wk.shape[1] + 1
    n_trees = leaves.n_trees
    # Trees go through in chunks so that the grids stay below ~_PAIR_CELLS cells (fully
    # grown trees on thousands of trials have hundreds of cells per axis).
    chunk = max(1, min(n_trees, _PAIR_CELLS // (rows * cols)))
    if chunk == n_trees:
        groups = [np.arange(leaves.tree.size)]
    else:
        order = np.argsort(leaves.tree, kind="stable")
        bounds = np.searchsorted(leaves.tree[order], np.arange(0, n_trees + chunk, chunk))
        groups = [order[a:b] for a, b in itertools.pairwise(bounds)]
    out = np.zeros(n_trees)
    for first, rows_of in zip(range(0, n_trees, chunk), groups, strict=True):
        count = min(chunk, n_trees - first)
        diff = _corners(
            ax_j.tree_start[rows_of],
            ax_j.tree_stop[rows_of],
            ax_k.tree_start[rows_of],
            ax_k.tree_stop[rows_of],
            (leaves.tree[rows_of] - first) * rows,
            cols,
            coef[rows_of],
            count * rows * cols,
        )
        grid = diff.reshape(count, rows, cols)
        _cumsum_inplace(grid, axis=1)
        np.cumsum(grid, axis=2, out=grid)
        marginal = grid[:, :-1, :-1]
        out[first : first + count] = np.einsum(
            "ti,tij,tj->t",
            wj[first : first + count],
            marginal * marginal,
            wk[first : first + count],
        )
    return out


def pair_marginal(leaves: Leaves, ax_j: Axis, ax_k: Axis, coef: np.ndarray) -> np.ndarray:
    """The forest mean's 2-D marginal of (j, k) on the union grid, ``(C_j, C_k)`` (a view
    into a ``(C_j + 1, C_k + 1)`` buffer that :func:`pair_forest` reuses in place)."""
    rows, cols = ax_j.n_cells + 1, ax_k.n_cells + 1
    grid = _corners(
        ax_j.start, ax_j.stop, ax_k.start, ax_k.stop, 0, cols, coef / leaves.n_trees, rows * cols
    ).reshape(rows, cols)
    _cumsum_inplace(grid, axis=0)
    np.cumsum(grid, axis=1, out=grid)
    return grid[:-1, :-1]


def marginal_variance(marginal: np.ndarray, ax_j: Axis, ax_k: Axis) -> float:
    """``sum w_j w_k F^2`` of a 2-D marginal on the union grid, row block by row block (no
    temporary as large as the grid, which can hold up to N^2 cells)."""
    wj, wk = ax_j.widths, ax_k.widths
    variance = 0.0
    for start in range(0, marginal.shape[0], 256):
        block = marginal[start : start + 256]
        variance += float(np.einsum("ij,ij,j->i", block, block, wk) @ wj[start : start + 256])
    return variance


def pair_forest(
    leaves: Leaves,
    ax_j: Axis,
    ax_k: Axis,
    coef: np.ndarray,
    *,
    dots: bool = True,
) -> tuple[float, np.ndarray | None]:
    """The forest mean's 2-D marginal of (j, k) on the union grid (leaf values centred).

    Returns the variance of that marginal and, per tree, its inner product with the tree
    ``<F_jk, f_t>`` (what a delete-one jackknife needs; ``None`` if ``dots`` is false), from
    an integral image of the cell-weighted marginal: each leaf's integral is four look-ups.
    """
    marginal = pair_marginal(leaves, ax_j, ax_k, coef)
    wj, wk = ax_j.widths, ax_k.widths
    # One grid of (cells + 1)^2 floats is the whole memory (up to N^2 for two parameters
    # that every tree splits on): the variance, then the grid is reused in place.
    variance = marginal_variance(marginal, ax_j, ax_k)
    if not dots:
        return variance, None
    # In place: marginal -> cell-weighted marginal -> its 2-D running sum C, with
    # C[i, j] = sum of weighted[:i + 1, :j + 1]; the sum over cells [a, b) x [c, d) is then
    # S(b, d) - S(a, d) - S(b, c) + S(a, c) with S(r, c) = C[r - 1, c - 1] (0 on the border).
    marginal *= wj[:, None]
    marginal *= wk[None, :]
    _cumsum_inplace(marginal, axis=0)
    np.cumsum(marginal, axis=1, out=marginal)

    def running(r: np.ndarray, c: np.ndarray) -> np.ndarray:
        inside = (r > 0) & (c > 0)
        return np.where(inside, marginal[r - 1, c - 1], 0.0)

    a, b, c, d = ax_j.start, ax_j.stop, ax_k.start, ax_k.stop
    rect = running(b, d) - running(a, d) - running(b, c) + running(a, c)
    return variance, np.bincount(leaves.tree, coef * rect, minlength=leaves.n_trees)


def snap_thresholds(
    trees: Sequence[Tree], X: np.ndarray, *, scale: float = 1.0, offset: float = 0.0
) -> list[Tree]:
    """Copies of ``trees`` with every threshold moved to the midpoint of the data gap it is in.

    Leaf values become ``scale * value + offset`` (so that the mean of the copies can be a
    boosted ensemble's prediction, ``init + learning_rate * sum``); the defaults keep them.

    scikit-learn puts a threshold halfway between the two neighbouring values *of the node's
    own samples*, so deep nodes and bootstrap samples scatter thresholds over every gap of
    the data and the union over a forest has many times more points than there are trials.
    Moving each threshold to the middle of the gap between the two neighbouring distinct
    values of *all* trials routes every trial exactly as before (same fit, same out-of-bag
    predictions) and leaves at most ``n - 1`` thresholds per feature for the whole forest.
    """
    values = np.asarray(X, dtype=np.float32).astype(np.float64)  # what the trees compared
    gaps = []
    for j in range(values.shape[1]):
        z = np.unique(values[:, j])
        mid = z[:-1] / 2.0 + z[1:] / 2.0
        gaps.append((z, np.where(mid >= z[1:], z[:-1], mid)))  # as sklearn: never the upper value
    out = []
    for tree in trees:
        cls, args, state = tree.__reduce__()
        nodes = state["nodes"].copy()
        for j, (z, mid) in enumerate(gaps):
            at = np.flatnonzero(nodes["feature"] == j)
            if at.size:
                gap = np.clip(
                    np.searchsorted(z, nodes["threshold"][at], side="right") - 1, 0, mid.size - 1
                )
                nodes["threshold"][at] = mid[gap]
        leaf_values = state["values"]
        if scale != 1.0 or offset != 0.0:
            leaf_values = leaf_values * scale + offset
        snapped = cls(*args)
        snapped.__setstate__({**state, "nodes": nodes, "values": leaf_values})
        out.append(snapped)
    return out
