"""Held-out regression metrics on real data (scikit-learn's diabetes set): equal to scikit-learn's,
bootstrap intervals equal to resampling the rows by hand, charts' data, degenerate cases."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import PoissonRegressor, Ridge
from sklearn.metrics import (
    mean_absolute_error,
    mean_gamma_deviance,
    mean_poisson_deviance,
    mean_squared_error,
    mean_tweedie_deviance,
    r2_score,
)
from sklearn.model_selection import train_test_split

from auditlens.errors import DataError
from auditlens.evaluate_regression import TWEEDIE_POWER, evaluate_regression, from_regression
from auditlens.results import RegressionPerformanceSummary

TOL = 1e-12


@pytest.fixture(scope="module")
def diabetes() -> tuple[np.ndarray, np.ndarray]:
    """Held-out disease progression (25..346) and a Poisson GLM's predictions (all > 0)."""
    X, y = load_diabetes(return_X_y=True, as_frame=True, scaled=False)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
    model = PoissonRegressor(alpha=1e-4, max_iter=3000).fit(
        (X_train - X_train.mean()) / X_train.std(), y_train
    )
    pred = model.predict((X_test - X_train.mean()) / X_train.std())
    return y_test.to_numpy(), pred


def test_metrics_equal_scikit_learn(diabetes: tuple[np.ndarray, np.ndarray]) -> None:
    y, pred = diabetes
    p = evaluate_regression(y, pred, n_boot=0)
    assert p.n == len(y) == 133
    assert p.rmse == pytest.approx(np.sqrt(mean_squared_error(y, pred)), abs=TOL, rel=TOL)
    assert p.mae == pytest.approx(mean_absolute_error(y, pred), abs=TOL, rel=TOL)
    assert p.r2 == pytest.approx(r2_score(y, pred), abs=TOL, rel=TOL)
    assert p.mean_residual == pytest.approx(np.mean(y - pred), abs=TOL, rel=TOL)
    assert 0.2 < p.r2 < 0.7  # the GLM explains part of the variance: the fixture is a real fit
    assert p.poisson_deviance == pytest.approx(mean_poisson_deviance(y, pred), rel=TOL)
    assert p.gamma_deviance == pytest.approx(mean_gamma_deviance(y, pred), rel=TOL)
    assert p.tweedie_deviance == pytest.approx(mean_tweedie_deviance(y, pred, power=1.5), rel=TOL)
    assert p.tweedie_power == TWEEDIE_POWER == 1.5


def _by_hand(
    y: np.ndarray, pred: np.ndarray, n_boot: int, seed: int
) -> dict[str, tuple[float, float]]:
    """The percentile bootstrap written out: resample rows, call scikit-learn, take percentiles."""
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {
        k: [] for k in ("rmse", "mae", "r2", "bias", "poisson", "gamma", "tweedie")
    }
    for _ in range(n_boot):
        idx = rng.integers(0, len(y), size=len(y))
        yb, pb = y[idx], pred[idx]
        draws["rmse"].append(np.sqrt(mean_squared_error(yb, pb)))
        draws["mae"].append(mean_absolute_error(yb, pb))
        draws["r2"].append(r2_score(yb, pb))
        draws["bias"].append(np.mean(yb - pb))
        draws["poisson"].append(mean_poisson_deviance(yb, pb))
        draws["gamma"].append(mean_gamma_deviance(yb, pb))
        draws["tweedie"].append(mean_tweedie_deviance(yb, pb, power=1.5))
    return {k: tuple(np.quantile(v, [0.025, 0.975])) for k, v in draws.items()}


def test_bootstrap_equals_resampling_by_hand(diabetes: tuple[np.ndarray, np.ndarray]) -> None:
    y, pred = diabetes
    p = evaluate_regression(y, pred, n_boot=60, seed=5)
    want = _by_hand(y, pred, 60, 5)
    got = {
        "rmse": p.rmse_ci,
        "mae": p.mae_ci,
        "r2": p.r2_ci,
        "bias": p.mean_residual_ci,
        "poisson": p.poisson_deviance_ci,
        "gamma": p.gamma_deviance_ci,
        "tweedie": p.tweedie_deviance_ci,
    }
    for name, interval in got.items():
        assert interval == pytest.approx(want[name], rel=1e-9, abs=1e-9), name


def test_intervals_contain_the_estimate_and_are_seeded(
    diabetes: tuple[np.ndarray, np.ndarray],
) -> None:
    y, pred = diabetes
    one = evaluate_regression(y, pred, n_boot=400, seed=1)
    assert one == evaluate_regression(y, pred, n_boot=400, seed=1)
    other = evaluate_regression(y, pred, n_boot=400, seed=2)
    assert other.rmse_ci != one.rmse_ci and other.rmse == one.rmse
    for name in (
        "rmse",
        "mae",
        "r2",
        "mean_residual",
        "poisson_deviance",
        "gamma_deviance",
        "tweedie_deviance",
    ):
        low, high = getattr(one, f"{name}_ci")
        assert low < getattr(one, name) < high, name
    # the chart sample does not depend on the bootstrap
    assert evaluate_regression(y, pred, n_boot=0, seed=1).sample_positions == one.sample_positions
    assert evaluate_regression(y, pred, n_boot=0).rmse_ci == (None, None)


def test_chart_data_histogram_and_largest_errors(diabetes: tuple[np.ndarray, np.ndarray]) -> None:
    y, pred = diabetes
    p = evaluate_regression(y, pred, n_boot=0, points=50, largest=5, bins=12, seed=3)
    pos = np.array(p.sample_positions)
    assert len(pos) == 50 == len(set(pos.tolist())) and np.all(np.diff(pos) > 0)
    assert p.sample_actual == tuple(y[pos]) and p.sample_predicted == tuple(pred[pos])
    assert (
        evaluate_regression(y, pred, n_boot=0, points=50, seed=4).sample_positions
        != p.sample_positions
    )
    assert evaluate_regression(y, pred, n_boot=0, points=500).sample_positions == tuple(
        range(len(y))
    )
    counts, edges = np.histogram(y - pred, bins=12)
    assert p.residual_counts == tuple(counts) and p.residual_edges == pytest.approx(edges, abs=0)
    assert sum(p.residual_counts) == len(y)
    residual = np.abs(y - pred)
    assert [residual[i] for i in p.largest_errors] == sorted(residual, reverse=True)[:5]
    assert p.largest_actual == tuple(y[list(p.largest_errors)])
    assert p.largest_predicted == tuple(pred[list(p.largest_errors)])


def test_hand_computed_case() -> None:
    p = evaluate_regression([3.0, 1.0, 2.0, 5.0], [2.5, 1.0, 2.0, 6.0], n_boot=0)
    # residuals (actual − predicted) 0.5, 0, 0, −1
    assert p.mae == 0.375 and p.mean_residual == -0.125
    assert p.rmse == pytest.approx(np.sqrt(1.25 / 4))
    assert p.r2 == pytest.approx(1 - 1.25 / 8.75)  # mean 2.75; SS_tot = 0.0625+3.0625+0.5625+5.0625
    assert p.largest_errors == (3, 0, 1, 2)  # ties keep row order


def test_deviances_only_where_defined(diabetes: tuple[np.ndarray, np.ndarray]) -> None:
    y, pred = diabetes
    centred = evaluate_regression(
        y - 150, pred - 150, n_boot=20
    )  # negative targets and predictions
    assert centred.poisson_deviance is centred.gamma_deviance is centred.tweedie_deviance is None
    assert centred.poisson_deviance_ci == (None, None)
    zeros = np.where(np.arange(len(y)) % 10 == 0, 0.0, y)  # counts with zeros: no gamma deviance
    z = evaluate_regression(zeros, pred, n_boot=20)
    assert z.gamma_deviance is None and z.gamma_deviance_ci == (None, None)
    assert z.poisson_deviance == pytest.approx(mean_poisson_deviance(zeros, pred), rel=TOL)
    assert z.tweedie_deviance == pytest.approx(
        mean_tweedie_deviance(zeros, pred, power=1.5), rel=TOL
    )


def test_degenerate_inputs_give_none_not_a_crash() -> None:
    one = evaluate_regression([2.0], [1.5], n_boot=50)
    assert (one.n, one.rmse, one.mae, one.mean_residual, one.r2) == (1, 0.5, 0.5, 0.5, None)
    assert one.rmse_ci == (0.5, 0.5) and one.r2_ci == (None, None)
    assert one.largest_errors == (0,) and sum(one.residual_counts) == 1
    flat = evaluate_regression([4.0, 4.0, 4.0], [3.0, 4.0, 5.0], n_boot=50)
    assert flat.r2 is None and flat.r2_ci == (None, None) and flat.rmse > 0


@pytest.mark.parametrize(
    ("y", "pred", "field"),
    [
        ([1.0, 2.0], [1.0], "y_pred"),
        ([1.0, np.nan], [1.0, 2.0], "y_true"),
        ([], [], "y_true"),
        (["a", "b"], [1.0, 2.0], "y_true"),
        ([1.0, 2.0], [1.0, np.inf], "y_pred"),
    ],
)
def test_bad_input_names_the_field(y: list, pred: list, field: str) -> None:
    with pytest.raises(DataError) as err:
        evaluate_regression(y, pred)
    assert err.value.field == field and "\n" not in str(err.value)


def test_summary_round_trips(diabetes: tuple[np.ndarray, np.ndarray]) -> None:
    y, pred = diabetes
    p = evaluate_regression(y, pred, n_boot=50, seed=2)
    s = from_regression(p, "test")
    assert s.split == "test" and s.rmse == p.rmse and s.rmse_ci == list(p.rmse_ci)
    assert (
        s.largest_errors == list(p.largest_errors) and s.residual_definition == "actual − predicted"
    )
    assert "50 resamples" in s.ci_method and "seed 2" in s.ci_method
    again = RegressionPerformanceSummary.model_validate(json.loads(s.model_dump_json()))
    assert again == s
    assert from_regression(evaluate_regression(y, pred, n_boot=0), "file").ci_method == ""


def test_a_ridge_model_on_the_raw_scale_too() -> None:
    """A linear model can predict below zero; its RMSE still equals scikit-learn's."""
    X, y = load_diabetes(return_X_y=True, scaled=False)
    pred = Ridge().fit(X[:300], y[:300]).predict(X[300:])
    p = evaluate_regression(y[300:], pred, n_boot=0)
    assert p.rmse == pytest.approx(np.sqrt(mean_squared_error(y[300:], pred)), rel=TOL)
    assert p.r2 == pytest.approx(r2_score(y[300:], pred), rel=TOL)


def test_bootstrap_intervals_keep_their_coverage() -> None:
    """200 simulated held-out sets of 100 rows with N(0, 1) errors, so MAE = sqrt(2/pi), RMSE = 1
    and bias = 0 are known. Measured coverage of the 95% percentile intervals: MAE 0.925, RMSE
    0.915, bias 0.95 (the percentile bootstrap runs a little short at 100 rows, as known; SE of a
    coverage over 200 sets is 0.015). The bound catches a broken interval, not that shortfall."""
    rng = np.random.default_rng(11)
    truth = {"mae": np.sqrt(2 / np.pi), "rmse": 1.0, "mean_residual": 0.0}
    covered = dict.fromkeys(truth, 0)
    for i in range(200):
        pred = 3 * rng.normal(size=100)
        p = evaluate_regression(pred + rng.normal(size=100), pred, n_boot=200, seed=i, points=0)
        for name, value in truth.items():
            low, high = getattr(p, f"{name}_ci")
            covered[name] += low <= value <= high
    assert all(0.88 <= c / 200 <= 0.99 for c in covered.values()), covered
