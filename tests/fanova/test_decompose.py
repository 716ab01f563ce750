"""decompose(): Ishigami accuracy, the result's contract, determinism and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from auditlens import fanova
from auditlens.errors import AnalysisError, TrialsError
from auditlens.fanova import Effect, FanovaResult, Marginal, decompose


@pytest.fixture(scope="module")
def with_noise_column(ishigami_data):  # type: ignore[no-untyped-def]
    """Ishigami plus one irrelevant uniform parameter and one constant parameter."""
    X, y, _ = ishigami_data(1500, d=4, seed=11)
    X = np.column_stack([X, np.full(len(X), 0.25)])
    names = ["x1", "x2", "x3", "noise", "fixed"]
    return X, y, names, decompose(X, y, names=names, seed=11)


def test_public_api_is_pinned() -> None:
    assert fanova.__all__ == [
        "Effect",
        "FanovaResult",
        "Marginal",
        "TreeComponents",
        "decompose",
        "reserve_inactive",
        "tree_components",
    ]


def test_parameter_without_effect_gets_almost_nothing(with_noise_column) -> None:  # type: ignore[no-untyped-def]
    *_, res = with_noise_column
    assert res.importance("noise").importance < 0.02
    for other in ("x1", "x2", "x3"):
        assert res.importance("noise", other).importance < 0.02


def test_constant_parameter_is_excluded_and_reported(with_noise_column) -> None:  # type: ignore[no-untyped-def]
    *_, res = with_noise_column
    assert res.excluded == ("fixed",)
    assert res.names == ("x1", "x2", "x3", "noise")
    assert "fixed" not in res.marginals
    assert all("fixed" not in e.params for e in (*res.main_effects, *res.pairwise))


def test_result_contract(with_noise_column) -> None:  # type: ignore[no-untyped-def]
    *_, res = with_noise_column
    assert isinstance(res, FanovaResult)
    assert res.settings["surrogate"] == "gradient_boosting"  # the default
    assert res.estimator == "forest_mean"
    assert "delete-a-group jackknife" in res.uncertainty_method
    assert "5 refits" in res.uncertainty_method
    assert res.n_samples == 1500
    assert [e.params for e in res.main_effects][:2] == [("x2",), ("x1",)]
    imps = [e.importance for e in res.main_effects]
    assert imps == sorted(imps, reverse=True)
    assert len(res.pairwise) == 6
    assert all(isinstance(e, Effect) and len(e.params) == 2 for e in res.pairwise)
    assert res.pairwise[0].params == ("x1", "x3")
    pair_imps = [e.importance for e in res.pairwise]
    assert pair_imps == sorted(pair_imps, reverse=True)
    assert all(0 <= e.importance <= 1 and e.std >= 0 for e in (*res.main_effects, *res.pairwise))
    # Exact components plus the three-way rest: mains and pairs cannot exceed the total.
    assert 0.9 < sum(imps) + sum(pair_imps) <= 1.0 + 1e-9
    assert 0.95 < res.fit_r2 < 1.0
    assert res.fit_r2_method.startswith("5-fold cross-validated R²")
    assert math.isnan(res.oob_r2)  # boosting has no out-of-bag predictions
    assert res.total_variance > 0 and math.isfinite(res.mean_prediction)
    assert res.settings["seed"] == 11 and res.settings["n_stages"] == 150
    assert 1 <= res.settings["n_stages_used"] <= 150
    assert res.settings["model"] == "sklearn.ensemble.HistGradientBoostingRegressor"
    assert (res.settings["learning_rate"], res.settings["subsample"]) == (0.2, 1.0)
    assert res.settings["max_bins"] == 63 and res.settings["n_variance_points"] == 2**14
    assert res.settings["n_folds"] == 5 and res.settings["min_samples_leaf"] == 20
    assert set(res.settings) >= {
        "learning_rate",
        "subsample",
        "max_features",
        "max_depth",
        "n_variance_points",
        "n_variance_points_refits",
    }
    assert not set(res.settings) & {"n_trees", "bootstrap"}
    curve = res.marginals["x2"]
    assert isinstance(curve, Marginal)
    np.testing.assert_array_equal(curve.grid, np.linspace(0, 1, 65))
    assert curve.mean.shape == curve.std.shape == (65,)
    # 7 sin^2(x2) peaks at u = 0.25 and 0.75 and is lowest at u = 0.5.
    assert curve.mean[16] > curve.mean[32] + 4 and curve.mean[48] > curve.mean[32] + 4
    assert np.all(curve.std >= 0)
    # The mean of a marginal over a fine grid is the mean prediction.
    assert res.marginals["noise"].mean.mean() == pytest.approx(res.mean_prediction, abs=0.05)


def test_per_tree_options_and_custom_grid(ishigami_data) -> None:  # type: ignore[no-untyped-def]
    X, y, names = ishigami_data(300, seed=2)
    grid = np.array([0.0, 0.1, 0.5, 1.0])
    res = decompose(
        X,
        y,
        names=names,
        estimator="per_tree",
        pairs=False,
        bootstrap=False,
        max_features=0.67,
        n_trees=8,
        marginal_grids={"x1": grid},
    )
    assert res.estimator == "per_tree" and "over trees" in res.uncertainty_method
    assert res.settings["surrogate"] == "random_forest"  # per_tree implies the forest
    assert res.pairwise == ()
    assert math.isnan(res.oob_r2) and math.isnan(res.fit_r2)
    np.testing.assert_array_equal(res.marginals["x1"].grid, grid)
    assert res.marginals["x2"].grid.size == 65
    assert res.settings["bootstrap"] is False and res.settings["max_features"] == 0.67


def test_forest_is_chosen_by_forest_arguments_and_reports_oob_fit(ishigami_data) -> None:  # type: ignore[no-untyped-def]
    X, y, names = ishigami_data(300, seed=4)
    by_args = decompose(X, y, names=names, n_trees=8, pairs=False)
    explicit = decompose(X, y, names=names, surrogate="random_forest", n_trees=8, pairs=False)
    assert by_args == explicit
    assert by_args.settings["surrogate"] == "random_forest"
    assert by_args.settings["n_trees"] == 8 and by_args.settings["bootstrap"] is True
    assert by_args.settings["n_variance_points"] == 2**16  # boosting's default is 2**14
    assert by_args.settings["model"] == "sklearn.ensemble.RandomForestRegressor"
    assert by_args.fit_r2 == by_args.oob_r2 and 0.5 < by_args.oob_r2 < 1.0
    assert by_args.fit_r2_method.startswith("out-of-bag R²")
    assert "delete-one jackknife" in by_args.uncertainty_method


def test_boosting_settings_are_used_and_recorded(ishigami_data) -> None:  # type: ignore[no-untyped-def]
    X, y, names = ishigami_data(200, seed=5)
    res = decompose(
        X,
        y,
        names=names,
        n_stages=30,
        learning_rate=0.3,
        subsample=1.0,
        n_folds=3,
        max_depth=3,
        pairs=False,
    )
    assert res.settings["surrogate"] == "gradient_boosting"
    assert (res.settings["n_stages"], res.settings["learning_rate"]) == (30, 0.3)
    assert (res.settings["subsample"], res.settings["n_folds"], res.settings["max_depth"]) == (
        1.0,
        3,
        3,
    )
    assert res.settings["min_samples_leaf"] == 4  # 200 // 50: fewer than 20 below 1,000 trials
    assert "3 refits" in res.uncertainty_method and res.fit_r2_method.startswith("3-fold")
    assert all(e.std > 0 for e in res.main_effects)


def test_boosting_with_few_trials_lowers_the_leaf_size_and_explains_failure() -> None:
    rng = np.random.default_rng(0)
    X = rng.random((30, 2))
    res = decompose(X, 4 * X[:, 0] + X[:, 1], names=["a", "b"], n_stages=20, pairs=False)
    assert res.settings["min_samples_leaf"] == 1
    assert res.main_effects[0].params == ("a",)
    # Six trials cannot be split into two leaves of at least four: a constant surrogate.
    with pytest.raises(
        AnalysisError,
        match=r"min_samples_leaf trials on each side .* surrogate='random_forest' can split very few",
    ):
        decompose(X[:6], np.arange(6.0), names=["a", "b"], min_samples_leaf=4)
    # The exact stochastic GradientBoostingRegressor (subsample < 1) says so too.
    with pytest.raises(AnalysisError, match=r"among the 0.5 of the trials each stage is fitted on"):
        decompose(X[:3], np.array([1.0, 2.0, 3.0]), names=["a", "b"], subsample=0.5)


def test_same_seed_same_numbers_different_seed_different(ishigami_data) -> None:  # type: ignore[no-untyped-def]
    X, y, names = ishigami_data(400, seed=3)
    kw = {"names": names, "n_trees": 16, "n_variance_points": 2**12}
    first = decompose(X, y, seed=42, **kw)
    again = decompose(X, y, seed=42, **kw)
    parallel = decompose(X, y, seed=42, n_jobs=2, **kw)
    assert first == again
    assert first == parallel  # n_jobs changes the speed, not the numbers
    assert first != decompose(X, y, seed=43, **kw)
    boost = {"names": names, "n_stages": 20, "n_variance_points": 2**12}
    first = decompose(X, y, seed=42, **boost)
    assert first == decompose(X, y, seed=42, **boost)
    assert first == decompose(X, y, seed=42, n_jobs=2, **boost)
    assert first != decompose(X, y, seed=43, **boost)


def test_one_parameter_and_two_trials_are_enough() -> None:
    res = decompose(
        np.array([[0.2, 0.5], [0.8, 0.5]]), np.array([1.0, 3.0]), names=["a", "b"], bootstrap=False
    )
    assert res.names == ("a",) and res.excluded == ("b",)
    assert res.main_effects[0].importance == pytest.approx(1.0)
    assert res.pairwise == ()


X_OK = np.array([[0.1, 0.2], [0.5, 0.9], [0.7, 0.4]])
Y_OK = np.array([1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    ("X", "y", "kwargs", "error", "match"),
    [
        (
            np.array([[0.1, np.nan], [0.5, 0.9]]),
            [1.0, 2.0],
            {},
            TrialsError,
            r"'b' \(column 1 of X\).*nan in 1 trial",
        ),
        (X_OK, Y_OK[:2], {}, ValueError, r"'y' must have one value per row of 'X' \(3\)\. Got 2"),
        (X_OK, Y_OK, {"names": ["a"]}, ValueError, r"one name per column of 'X' \(2\)\. Got 1"),
        (X_OK, Y_OK, {"names": ["a", "a"]}, ValueError, r"unique.*a"),
        (X_OK[:, 0], Y_OK, {}, ValueError, r"2-D array.*Got shape \(3,\)"),
        (
            X_OK * 2,
            Y_OK,
            {},
            TrialsError,
            r"'a' \(column 0 of X\) must be encoded into \[0, 1\]; got 1\.4 at row 2",
        ),
        (X_OK, [1.0, np.inf, 2.0], {}, TrialsError, r"'y' must be finite; got inf at row 1"),
        (X_OK[:1], Y_OK[:1], {}, TrialsError, r"^fANOVA needs at least 2 trials; got 1$"),
        (np.full((3, 2), 0.5), Y_OK, {}, TrialsError, r"at least 1 parameter that varies.*a, b"),
        (X_OK, np.ones(3), {}, TrialsError, r"objective is the same"),
        (X_OK, Y_OK, {"estimator": "mean"}, ValueError, r"'estimator' must be one of .*Got 'mean'"),
        (X_OK, Y_OK, {"surrogate": "xgb"}, ValueError, r"'surrogate' must be one of .*Got 'xgb'"),
        (
            X_OK,
            Y_OK,
            {"surrogate": "gradient_boosting", "n_trees": 8},
            ValueError,
            r"'n_trees' only apply to surrogate='random_forest'",
        ),
        (
            X_OK,
            Y_OK,
            {"n_trees": 8, "learning_rate": 0.1},
            ValueError,
            r"'learning_rate' only apply to .*gradient_boosting.*chosen because of 'n_trees'",
        ),
        (
            X_OK,
            Y_OK,
            {"surrogate": "gradient_boosting", "estimator": "per_tree"},
            ValueError,
            r"estimator='per_tree' averages the trees of a random forest",
        ),
        (X_OK, Y_OK, {"learning_rate": 0.0}, ValueError, r"'learning_rate' must be a float"),
        (X_OK, Y_OK, {"subsample": 1.5}, ValueError, r"'subsample' must be a float in \(0, 1\]"),
        (X_OK, Y_OK, {"n_folds": 1}, ValueError, r"'n_folds' must be an int >= 2\. Got 1"),
        (X_OK, Y_OK, {"n_stages": 0}, ValueError, r"'n_stages' must be an int >= 1\. Got 0"),
        (X_OK, Y_OK, {"bootstrap": "yes"}, ValueError, r"'bootstrap' must be a bool"),
        (
            X_OK,
            Y_OK,
            {"n_trees": 1},
            ValueError,
            r"'n_trees' must be an int >= 2\. Got 1 instead\.",
        ),
        (
            X_OK,
            Y_OK,
            {"max_features": 0.0},
            ValueError,
            r"'max_features' must be a float in \(0, 1\]",
        ),
        (X_OK, Y_OK, {"n_variance_points": 1000}, ValueError, r"power of 2\. Got 1000"),
        (X_OK, Y_OK, {"marginal_grids": {"c": [0.5]}}, ValueError, r"unknown parameter 'c'"),
        (
            X_OK,
            Y_OK,
            {"marginal_grids": {"a": [1.5]}},
            ValueError,
            r"marginal_grids\['a'\]'.*\[0, 1\]",
        ),
    ],
)
def test_bad_input_names_what_was_expected_and_received(X, y, kwargs, error, match) -> None:  # type: ignore[no-untyped-def]
    kwargs = {"names": ["a", "b"], **kwargs}
    with pytest.raises(error, match=match):
        decompose(X, y, **kwargs)


@pytest.mark.parametrize("surrogate", ["gradient_boosting", "random_forest"])
def test_constant_surrogate_is_an_analysis_error(surrogate: str) -> None:
    with pytest.raises(AnalysisError, match="no tree made a split"):
        decompose(X_OK, Y_OK, names=["a", "b"], surrogate=surrogate, min_samples_leaf=3)
