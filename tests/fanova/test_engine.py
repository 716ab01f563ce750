"""Exactness of the vectorised decomposition: by hand, and against brute force on grids."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from numpy.lib.recfunctions import rename_fields
from sklearn.ensemble import (
    GradientBoostingRegressor,
    HistGradientBoostingRegressor,
    RandomForestRegressor,
)
from sklearn.model_selection import KFold
from sklearn.tree import DecisionTreeRegressor

from auditlens.fanova import decompose, tree_components
from auditlens.fanova._engine import NodeArrays, hist_trees, leaves_of, snap_thresholds


def _brute_force(
    trees: list[Any], d: int, predict: Callable[[np.ndarray], np.ndarray] | None = None
) -> dict[object, Any]:
    """ANOVA of the mean of ``trees`` by evaluating it on every cell of the product grid.

    Independent of the engine: it only calls scikit-learn's ``predict`` at cell midpoints
    and averages with cell widths. ``trees`` give the grid (``feature``/``threshold``
    arrays); ``predict`` (e.g. a boosted model's prediction) replaces the trees' own.
    """
    edges = []
    for j in range(d):
        thr = np.concatenate([np.asarray(t.threshold)[np.asarray(t.feature) == j] for t in trees])
        edges.append(np.unique(np.concatenate([[0.0, 1.0], thr])))
    mids = [(e[:-1] + e[1:]) / 2 for e in edges]
    widths = [np.diff(e) for e in edges]
    points = np.array(list(itertools.product(*mids)))
    shape = [m.size for m in mids]
    if predict is not None:
        per_tree = predict(points).reshape([1, *shape])
    else:
        points32 = points.astype(np.float32)
        per_tree = np.stack([t.predict(points32)[:, 0].reshape(shape) for t in trees])
    w_all = widths[0]
    for w in widths[1:]:
        w_all = np.multiply.outer(w_all, w)

    def marg(arr: np.ndarray, keep: tuple[int, ...]) -> np.ndarray:
        """Average ``arr`` (axes = features) over every feature not in ``keep``."""
        out = arr * w_all
        drop = tuple(a for a in range(d) if a not in keep)
        out = out.sum(axis=drop)
        for a in keep:  # undo the kept axes' widths
            shape = [1] * len(keep)
            shape[keep.index(a)] = -1
            out = out / widths[a].reshape(shape)
        return out

    f = per_tree.mean(axis=0)
    mu = float(np.sum(f * w_all))
    res: dict[object, Any] = {
        "mean": mu,
        "total": float(np.sum(w_all * (f - mu) ** 2)),
        "edges": edges,
    }
    comp: dict[tuple[int, ...], np.ndarray] = {}
    for j in range(d):
        comp[(j,)] = marg(f, (j,)) - mu
        res[j] = float(np.sum(widths[j] * comp[(j,)] ** 2))
        res[("curve", j)] = marg(f, (j,))
        res[("tree_curves", j)] = np.stack([marg(p, (j,)) for p in per_tree])
    for j, k in itertools.combinations(range(d), 2):
        pure = marg(f, (j, k)) - mu - comp[(j,)][:, None] - comp[(k,)][None, :]
        comp[(j, k)] = pure
        res[(j, k)] = float(np.sum(np.outer(widths[j], widths[k]) * pure**2))
    if d == 3:
        pure3 = f - mu
        for key, c in comp.items():
            shape = [1, 1, 1]
            for a in key:
                shape[a] = c.shape[key.index(a)]
            pure3 = pure3 - c.reshape(shape)
        res[(0, 1, 2)] = float(np.sum(w_all * pure3**2))
    return res


def test_hand_computed_depth2_tree() -> None:
    # Root splits x0 at 0.5; left child x1 at 0.5 (values 0 | 2); right child x1 at 0.25
    # (values 10 | 14); x2 never varies. Dyadic values keep every threshold exact.
    X = np.array([[0.25, 0.25, 0.5], [0.25, 0.75, 0.5], [0.75, 0.125, 0.5], [0.75, 0.375, 0.5]])
    y = np.array([0.0, 2.0, 10.0, 14.0])
    tree = DecisionTreeRegressor(max_depth=2, random_state=0).fit(X, y)
    internal = tree.tree_.feature >= 0
    assert tree.tree_.feature[internal].tolist() == [0, 1, 1]
    assert tree.tree_.threshold[internal].tolist() == [0.5, 0.5, 0.25]

    # Leaves: [0,.5]x[0,.5] -> 0, [0,.5]x(.5,1] -> 2, (.5,1]x[0,.25] -> 10, (.5,1]x(.25,1] -> 14.
    mean = 0.25 * 0 + 0.25 * 2 + 0.125 * 10 + 0.375 * 14  # = 7
    total = 0.25 * 0**2 + 0.25 * 2**2 + 0.125 * 10**2 + 0.375 * 14**2 - mean**2  # = 38
    # f0 = 1 on x0 <= .5 and 13 above; f1 = 5 | 7 | 8 on [0,.25] | (.25,.5] | (.5,1].
    v0 = 0.5 * (1 - mean) ** 2 + 0.5 * (13 - mean) ** 2  # = 36
    v1 = 0.25 * (5 - mean) ** 2 + 0.25 * (7 - mean) ** 2 + 0.5 * (8 - mean) ** 2  # = 1.5
    v01 = total - v0 - v1  # = 0.5: with two active features the rest is their interaction

    parts = tree_components(tree)
    assert parts.mean == pytest.approx(7.0, abs=1e-12)
    assert parts.mean == pytest.approx(mean, abs=1e-12)
    assert parts.total_variance == pytest.approx(total, abs=1e-12)
    np.testing.assert_allclose(parts.main, [v0, v1, 0.0], rtol=0, atol=1e-12)
    assert parts.pairwise[0, 1] == pytest.approx(v01, abs=1e-12)
    assert parts.pairwise[1, 0] == parts.pairwise[0, 1]
    np.testing.assert_allclose(parts.pairwise[2], 0.0, atol=1e-12)
    assert parts.higher_order == pytest.approx(0.0, abs=1e-12)
    assert (v0, v1, v01) == (36.0, 1.5, 0.5)
    # Same from the raw ``tree_`` with an explicit feature count.
    assert tree_components(tree.tree_, 3) == parts


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tree_components_match_brute_force_on_product_grid(seed: int) -> None:
    rng = np.random.default_rng(seed)
    X = rng.random((80, 3))
    y = X[:, 0] + 2 * X[:, 1] * X[:, 2] + np.sin(6 * X[:, 0]) * X[:, 2] + 0.1 * rng.normal(size=80)
    tree = DecisionTreeRegressor(max_leaf_nodes=16, random_state=seed).fit(X, y)
    parts = tree_components(tree)
    ref = _brute_force([tree.tree_], 3)

    scale = ref["total"]
    assert parts.mean == pytest.approx(ref["mean"], abs=1e-12)
    assert parts.total_variance == pytest.approx(scale, rel=1e-12)
    for j in range(3):
        assert parts.main[j] == pytest.approx(ref[j], abs=1e-12 * scale)
    for j, k in itertools.combinations(range(3), 2):
        assert parts.pairwise[j, k] == pytest.approx(ref[(j, k)], abs=1e-12 * scale)
    # The third-order component, computed independently, is what is left over.
    assert parts.higher_order == pytest.approx(ref[(0, 1, 2)], abs=1e-12 * scale)
    fractions = (
        parts.main.sum() + np.triu(parts.pairwise, 1).sum() + parts.higher_order
    ) / parts.total_variance
    assert fractions == pytest.approx(1.0, abs=1e-12)


def test_snapping_keeps_every_trial_routed_and_bounds_the_grid() -> None:
    rng = np.random.default_rng(3)
    X = rng.random((120, 3))
    y = np.sin(6 * X[:, 0]) + X[:, 1] + rng.normal(scale=0.1, size=120)
    forest = RandomForestRegressor(16, random_state=0).fit(X, y)
    trees = [e.tree_ for e in forest.estimators_]
    snapped = snap_thresholds(trees, X)
    X32 = X.astype(np.float32)
    for before, after in zip(trees, snapped, strict=True):
        np.testing.assert_array_equal(before.apply(X32), after.apply(X32))
        np.testing.assert_array_equal(before.predict(X32), after.predict(X32))
    raw = leaves_of(trees, 3)
    snap = leaves_of(snapped, 3)
    for j in range(3):
        distinct = np.unique(snap.split_threshold[snap.split_feature == j])
        assert distinct.size <= np.unique(X[:, j]).size - 1
        # sklearn's own thresholds are spread over many more points than there are trials.
        assert np.unique(raw.split_threshold[raw.split_feature == j]).size > distinct.size


@pytest.mark.parametrize("bootstrap", [True, False])
def test_forest_mean_matches_brute_force_on_union_grid(bootstrap: bool) -> None:
    rng = np.random.default_rng(4)
    X = rng.random((60, 3))
    y = X[:, 0] + 2 * X[:, 1] * X[:, 2] + np.sin(6 * X[:, 0]) * X[:, 2]
    settings: dict[str, Any] = {
        "n_trees": 4,
        "max_depth": 3,
        "max_features": 0.67,
        "bootstrap": bootstrap,
        "seed": 7,
    }
    forest = RandomForestRegressor(
        n_estimators=4, max_depth=3, max_features=0.67, bootstrap=bootstrap, random_state=7
    ).fit(X, y)
    snapped = snap_thresholds([e.tree_ for e in forest.estimators_], X)
    ref = _brute_force(snapped, 3)
    mids = {f"x{j}": (ref["edges"][j][:-1] + ref["edges"][j][1:]) / 2 for j in range(3)}
    res = decompose(X, y, names=["x0", "x1", "x2"], marginal_grids=mids, **settings)

    scale = ref["total"]
    assert res.mean_prediction == pytest.approx(ref["mean"], abs=1e-12)
    # Main effects and pairs are exact; the total adds a quasi-Monte-Carlo remainder.
    assert res.total_variance == pytest.approx(scale, rel=2e-3)
    for j in range(3):
        e = res.importance(f"x{j}")
        assert e.importance * res.total_variance == pytest.approx(ref[j], abs=1e-12 * scale)
        np.testing.assert_allclose(
            res.marginals[f"x{j}"].mean, ref[("curve", j)], rtol=0, atol=1e-12
        )
        np.testing.assert_allclose(
            res.marginals[f"x{j}"].std, ref[("tree_curves", j)].std(axis=0), rtol=0, atol=1e-12
        )
    for j, k in itertools.combinations(range(3), 2):
        e = res.importance(f"x{j}", f"x{k}")
        assert e.importance * res.total_variance == pytest.approx(ref[(j, k)], abs=1e-12 * scale)


def test_per_tree_estimator_averages_single_tree_fractions() -> None:
    rng = np.random.default_rng(5)
    X = rng.random((150, 4))
    y = X[:, 0] * X[:, 1] + X[:, 2] + 0.05 * rng.normal(size=150)
    res = decompose(X, y, names=list("abcd"), estimator="per_tree", n_trees=8, seed=3)
    forest = RandomForestRegressor(8, max_features=1.0, random_state=3).fit(X, y)
    parts = [tree_components(e) for e in forest.estimators_]
    frac_main = np.array([p.main / p.total_variance for p in parts])
    frac_pair = np.array([p.pairwise / p.total_variance for p in parts])
    for j, name in enumerate("abcd"):
        e = res.importance(name)
        assert e.importance == pytest.approx(frac_main[:, j].mean(), abs=1e-12)
        assert e.std == pytest.approx(frac_main[:, j].std(), abs=1e-12)
    for j, k in itertools.combinations(range(4), 2):
        e = res.importance("abcd"[j], "abcd"[k])
        assert e.importance == pytest.approx(np.clip(frac_pair[:, j, k], 0, None).mean(), abs=1e-12)
    assert res.total_variance == pytest.approx(
        np.mean([p.total_variance for p in parts]), rel=1e-12
    )


def test_jackknife_std_matches_leave_one_tree_out_recomputation() -> None:
    rng = np.random.default_rng(6)
    X = rng.random((80, 3))
    y = X[:, 0] + 2 * X[:, 1] * X[:, 2] + np.sin(6 * X[:, 0]) * X[:, 2]
    n_trees = 6
    res = decompose(
        X, y, names=["x0", "x1", "x2"], n_trees=n_trees, max_depth=4, max_features=0.67, seed=1
    )
    forest = RandomForestRegressor(n_trees, max_depth=4, max_features=0.67, random_state=1).fit(
        X, y
    )
    snapped = snap_thresholds([e.tree_ for e in forest.estimators_], X)
    drops = [_brute_force(snapped[:i] + snapped[i + 1 :], 3) for i in range(n_trees)]
    keys: list[tuple[str, ...]] = [
        ("x0",),
        ("x1",),
        ("x2",),
        ("x0", "x1"),
        ("x0", "x2"),
        ("x1", "x2"),
    ]
    for key in keys:
        idx = int(key[0][1]) if len(key) == 1 else (int(key[0][1]), int(key[1][1]))
        theta = np.array([d[idx] / d["total"] for d in drops])
        se = np.sqrt((n_trees - 1) / n_trees * np.sum((theta - theta.mean()) ** 2))
        # Exact up to the quasi-Monte-Carlo part of the total variance.
        assert res.importance(*key).std == pytest.approx(se, rel=5e-3, abs=1e-5)


# --------------------------------------------------------------------- gradient boosting

BOOST = {"n_stages": 12, "learning_rate": 0.3, "max_depth": 3, "subsample": 0.5, "seed": 2}


def _boosting_data(noise: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    X = rng.random((60, 3))
    y = X[:, 0] + 2 * X[:, 1] * X[:, 2] + np.sin(6 * X[:, 0]) * X[:, 2]
    return X, y + noise * rng.normal(size=60)


def _boosted(X: np.ndarray, y: np.ndarray, n_stages: int, leaf: int) -> tuple[Any, list[Any]]:
    """The model decompose fits on these trials, and its first stages as snapped, scaled trees."""
    model = GradientBoostingRegressor(
        n_estimators=BOOST["n_stages"],
        learning_rate=BOOST["learning_rate"],
        max_depth=BOOST["max_depth"],
        subsample=BOOST["subsample"],
        min_samples_leaf=leaf,
        random_state=BOOST["seed"],
    ).fit(X, y)
    trees = [e.tree_ for e in model.estimators_[:n_stages, 0]]
    init = float(model.init_.predict(X[:1])[0])
    return model, snap_thresholds(trees, X, scale=n_stages * BOOST["learning_rate"], offset=init)


def _jackknife_se(refs: list[dict]) -> np.ndarray:
    """Delete-a-group jackknife std of the 3 mains and 3 pairs over brute-force fold refits."""
    theta = np.array([
        [ref[j] / ref["total"] for j in range(3)]
        + [ref[p] / ref["total"] for p in itertools.combinations(range(3), 2)]
        for ref in refs
    ])
    k = len(refs)
    return np.sqrt((k - 1) / k * np.sum((theta - theta.mean(axis=0)) ** 2, axis=0))


def _assert_matches_brute_force(res, ref) -> None:
    """Mean, mains, pairs and marginals of three parameters equal the brute-force decomposition."""
    scale = ref["total"]
    assert res.mean_prediction == pytest.approx(ref["mean"], abs=1e-10)
    assert res.total_variance == pytest.approx(scale, rel=2e-3)  # quasi-Monte-Carlo rest
    for j in range(3):
        e = res.importance(f"x{j}")
        assert e.importance * res.total_variance == pytest.approx(ref[j], abs=1e-10 * scale)
        np.testing.assert_allclose(
            res.marginals[f"x{j}"].mean, ref[("curve", j)], rtol=0, atol=1e-10
        )
    for j, k in itertools.combinations(range(3), 2):
        e = res.importance(f"x{j}", f"x{k}")
        assert e.importance * res.total_variance == pytest.approx(ref[(j, k)], abs=1e-10 * scale)


def test_boosted_model_matches_brute_force_on_union_grid() -> None:
    X, y = _boosting_data()
    names = ["x0", "x1", "x2"]
    first = decompose(X, y, names=names, **BOOST)
    m, leaf = first.settings["n_stages_used"], first.settings["min_samples_leaf"]
    model, snapped = _boosted(X, y, m, leaf)
    # The mean of the rescaled, snapped trees is the boosted model on every trial.
    X32 = X.astype(np.float32)
    mean_of_trees = np.mean([t.predict(X32)[:, 0] for t in snapped], axis=0)
    staged = list(model.staged_predict(X))[m - 1]
    np.testing.assert_allclose(mean_of_trees, staged, rtol=0, atol=1e-9)

    ref = _brute_force(snapped, 3)
    mids = {f"x{j}": (ref["edges"][j][:-1] + ref["edges"][j][1:]) / 2 for j in range(3)}
    res = decompose(X, y, names=names, marginal_grids=mids, **BOOST)
    _assert_matches_brute_force(res, ref)


def test_boosting_stage_count_fit_and_std_come_from_the_fold_refits() -> None:
    X, y = _boosting_data(noise=1.0)  # noisy enough that fewer stages predict better
    names = ["x0", "x1", "x2"]
    n_folds = 4
    res = decompose(X, y, names=names, n_folds=n_folds, **BOOST)
    leaf = res.settings["min_samples_leaf"]
    folds = list(KFold(n_folds, shuffle=True, random_state=BOOST["seed"]).split(X))
    sse = np.zeros(BOOST["n_stages"])
    refits = []
    for train, held_out in folds:
        model, _ = _boosted(X[train], y[train], 1, leaf)
        refits.append((model, train))
        for i, pred in enumerate(model.staged_predict(X[held_out])):
            sse[i] += np.sum((y[held_out] - pred) ** 2)
    m = int(np.argmin(sse)) + 1
    assert res.settings["n_stages_used"] == m < BOOST["n_stages"]
    assert res.fit_r2 == pytest.approx(1 - sse[m - 1] / np.sum((y - y.mean()) ** 2), abs=1e-12)

    se = _jackknife_se([_brute_force(_boosted(X[train], y[train], m, leaf)[1], 3) for _, train in refits])
    keys: list[tuple[str, ...]] = [
        ("x0",),
        ("x1",),
        ("x2",),
        ("x0", "x1"),
        ("x0", "x2"),
        ("x1", "x2"),
    ]
    for key, expected in zip(keys, se, strict=True):
        # Exact but for the refits' quasi-Monte-Carlo totals (4,096 points).
        assert res.importance(*key).std == pytest.approx(expected, rel=2e-2, abs=1e-4)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"surrogate": "random_forest", "n_trees": 12},
        {"surrogate": "random_forest", "n_trees": 12, "estimator": "per_tree"},
        {"n_stages": 30},
    ],
)
def test_memory_bounded_paths_give_the_same_numbers(monkeypatch, kwargs) -> None:  # type: ignore[no-untyped-def]
    """Leaf boxes built in groups of trees and per-tree pair grids in chunks change nothing."""
    from auditlens.fanova import _engine

    rng = np.random.default_rng(4)
    X = rng.random((300, 4))
    y = np.sin(6 * X[:, 0]) * X[:, 1] + X[:, 2]
    whole = decompose(X, y, names=list("abcd"), **kwargs)
    monkeypatch.setattr(_engine, "_NODE_CELLS", 50)
    monkeypatch.setattr(_engine, "_PAIR_CELLS", 64)
    assert decompose(X, y, names=list("abcd"), **kwargs) == whole


# ------------------------------------- histogram gradient boosting (the default surrogate)

HIST = {"n_stages": 12, "learning_rate": 0.3, "max_depth": 3, "seed": 2}


def _hist(X: np.ndarray, y: np.ndarray, leaf: int, n_stages: int = HIST["n_stages"]) -> Any:
    """The model decompose fits on these trials by default (HistGradientBoostingRegressor)."""
    return HistGradientBoostingRegressor(
        max_iter=n_stages,
        learning_rate=HIST["learning_rate"],
        max_depth=HIST["max_depth"],
        max_leaf_nodes=None,
        min_samples_leaf=leaf,
        l2_regularization=0.0,
        max_bins=63,
        early_stopping=False,
        random_state=HIST["seed"],
    ).fit(X, y)


def _staged(model: Any, m: int) -> Callable[[np.ndarray], np.ndarray]:
    """The model's own prediction with its first ``m`` stages (scikit-learn's code)."""
    return lambda X: list(model.staged_predict(X))[m - 1]


def _walk(tree: NodeArrays, X: np.ndarray) -> np.ndarray:
    """Route every row down one converted tree, one row at a time (no engine code)."""
    out = np.empty(len(X))
    for i, row in enumerate(X):
        node = 0
        while tree.feature[node] >= 0:
            go_left = row[tree.feature[node]] <= tree.threshold[node]
            node = tree.children_left[node] if go_left else tree.children_right[node]
        out[i] = tree.value[node, 0, 0]
    return out


def test_hist_tree_layout_is_pinned() -> None:
    """hist_trees reads HistGradientBoostingRegressor's private node arrays: the fields it
    needs exist, the converted trees give the model's prediction, and a changed layout
    is a clear error, never wrong numbers."""
    X, y = _boosting_data()
    model = _hist(X, y, leaf=5)
    nodes = model._predictors[0][0].nodes
    assert {"value", "feature_idx", "num_threshold", "left", "right", "is_leaf"} <= set(
        nodes.dtype.names
    )
    points = np.vstack([X, np.random.default_rng(1).random((200, 3))])
    for m in (1, 5, HIST["n_stages"]):
        trees = hist_trees(model, m, scale=float(m))
        assert len(trees) == m
        mean_of_trees = np.mean([_walk(t, points) for t in trees], axis=0)
        np.testing.assert_allclose(mean_of_trees, _staged(model, m)(points), rtol=0, atol=1e-12)
    broken = copy.copy(model)
    broken._predictors = None
    with pytest.raises(RuntimeError, match="private tree layout"):
        hist_trees(broken, 1)
    renamed = copy.copy(model)
    arr = rename_fields(nodes.copy(), {"num_threshold": "threshold"})  # a new dtype
    renamed._predictors = [[copy.copy(model._predictors[0][0])]]
    renamed._predictors[0][0].nodes = arr
    with pytest.raises(RuntimeError, match="lack the fields num_threshold"):
        hist_trees(renamed, 1)


def test_hist_boosted_model_matches_brute_force_on_union_grid() -> None:
    """The default surrogate: every component equals brute force on the product grid of
    the model's own thresholds, evaluated with the model's own predict."""
    X, y = _boosting_data()
    names = ["x0", "x1", "x2"]
    first = decompose(X, y, names=names, **HIST)
    assert first.settings["model"] == "sklearn.ensemble.HistGradientBoostingRegressor"
    assert first.settings["subsample"] == 1.0 and first.settings["max_bins"] == 63
    m, leaf = first.settings["n_stages_used"], first.settings["min_samples_leaf"]
    model = _hist(X, y, leaf)
    raw = [p[0].nodes[: len(p[0].nodes)] for p in model._predictors[:m]]
    grid = [
        NodeArrays(
            feature=np.where(n["is_leaf"] == 1, -2, n["feature_idx"]),
            threshold=n["num_threshold"],
            children_left=n["left"],
            children_right=n["right"],
            value=n["value"].reshape(-1, 1, 1),
        )
        for n in raw
    ]
    ref = _brute_force(grid, 3, predict=_staged(model, m))
    mids = {f"x{j}": (ref["edges"][j][:-1] + ref["edges"][j][1:]) / 2 for j in range(3)}
    res = decompose(X, y, names=names, marginal_grids=mids, **HIST)
    _assert_matches_brute_force(res, ref)


def test_hist_stage_count_fit_and_std_come_from_the_fold_refits() -> None:
    X, y = _boosting_data(noise=1.0)
    names = ["x0", "x1", "x2"]
    n_folds = 4
    res = decompose(X, y, names=names, n_folds=n_folds, **HIST)
    leaf = res.settings["min_samples_leaf"]
    folds = list(KFold(n_folds, shuffle=True, random_state=HIST["seed"]).split(X))
    sse = np.zeros(HIST["n_stages"])
    models = []
    for train, held_out in folds:
        model = _hist(X[train], y[train], leaf)
        models.append(model)
        for i, pred in enumerate(model.staged_predict(X[held_out])):
            sse[i] += np.sum((y[held_out] - pred) ** 2)
    m = int(np.argmin(sse)) + 1
    assert res.settings["n_stages_used"] == m < HIST["n_stages"]
    assert res.fit_r2 == pytest.approx(1 - sse[m - 1] / np.sum((y - y.mean()) ** 2), abs=1e-12)
    se = _jackknife_se([_brute_force(hist_trees(model, m), 3, predict=_staged(model, m)) for model in models])
    keys = [("x0",), ("x1",), ("x2",), ("x0", "x1"), ("x0", "x2"), ("x1", "x2")]
    for key, expected in zip(keys, se, strict=True):
        # Exact but for the refits' quasi-Monte-Carlo totals (4,096 points).
        assert res.importance(*key).std == pytest.approx(expected, rel=2e-2, abs=1e-4)


@pytest.mark.parametrize(("shape", "axis"), [((300, 400), 0), ((5, 300, 200), 1), ((40, 30), 0)])
def test_row_by_row_prefix_sums_are_numpys_bit_for_bit(shape: tuple[int, ...], axis: int) -> None:
    """The pair grids' prefix sums add whole rows in order: the same numbers as np.cumsum."""
    from auditlens.fanova._engine import _cumsum_inplace

    a = np.random.default_rng(3).normal(size=(shape[0] + 1, *shape[1:]))
    expected, got = a.copy(), a.copy()
    np.cumsum(expected[:-1], axis=axis, out=expected[:-1])  # a view, as pair_forest uses
    _cumsum_inplace(got[:-1], axis)
    assert np.array_equal(expected, got)
