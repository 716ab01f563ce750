"""Held-out performance of a regression model, as plain numbers with their uncertainty.

The point estimates are scikit-learn's (``mean_squared_error`` → square root,
``mean_absolute_error``, ``r2_score``, ``mean_poisson_deviance``, ``mean_gamma_deviance``,
``mean_tweedie_deviance``); ``tests/test_evaluate_regression.py`` checks them equal. Each gets
a 95% percentile-bootstrap interval over the rows (:mod:`auditlens.bootstrap`).

The residual is **actual − predicted** throughout: a positive mean residual means the model
predicts too low on average.

A deviance is reported only where it is defined: Poisson and Tweedie (power
:data:`TWEEDIE_POWER`, a compound Poisson–gamma for claim amounts with exact zeros) need
targets ≥ 0 and predictions > 0, gamma needs both > 0; elsewhere it is None.

Example:
    >>> p = evaluate_regression([3.0, 1.0, 2.0, 5.0], [2.5, 1.0, 2.0, 6.0], n_boot=0)
    >>> p.mae, p.mean_residual, p.largest_errors
    (0.375, -0.125, (3, 0, 1, 2))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import xlogy
from sklearn.metrics import (
    mean_absolute_error,
    mean_gamma_deviance,
    mean_poisson_deviance,
    mean_squared_error,
    mean_tweedie_deviance,
    r2_score,
)

from auditlens.bootstrap import finite, percentile_interval, resample_weights, weighted_sum
from auditlens.errors import DataError
from auditlens.results import RegressionPerformanceSummary

__all__ = [
    "RESIDUAL",
    "TWEEDIE_POWER",
    "RegressionPerformance",
    "evaluate_regression",
    "from_regression",
]

RESIDUAL = "actual − predicted"
# Tweedie power of the reported deviance: 1.5 lies between Poisson (1) and gamma (2), the usual
# default for insurance claim amounts (many exact zeros, a skewed positive part).
TWEEDIE_POWER = 1.5

Interval = tuple[float | None, float | None]


@dataclass(frozen=True, slots=True)
class RegressionPerformance:
    """Held-out metrics of a regressor; intervals are 95% percentile bootstrap, None if undefined."""

    n: int
    rmse: float
    rmse_ci: Interval
    mae: float
    mae_ci: Interval
    r2: float | None  # None with fewer than 2 rows or constant targets (undefined)
    r2_ci: Interval
    mean_residual: float  # mean of actual − predicted
    mean_residual_ci: Interval
    poisson_deviance: float | None
    poisson_deviance_ci: Interval
    gamma_deviance: float | None
    gamma_deviance_ci: Interval
    tweedie_deviance: float | None
    tweedie_deviance_ci: Interval
    tweedie_power: float
    # A seeded sample of the rows for the predicted-vs-actual and residual-vs-predicted charts.
    sample_positions: tuple[int, ...]
    sample_actual: tuple[float, ...]
    sample_predicted: tuple[float, ...]
    # Histogram of every row's residual: counts on [edges[i], edges[i+1]), the last bin closed.
    residual_edges: tuple[float, ...]
    residual_counts: tuple[int, ...]
    # Positions (into the arrays given) of the largest |residual|, largest first.
    largest_errors: tuple[int, ...]
    largest_actual: tuple[float, ...]
    largest_predicted: tuple[float, ...]
    n_boot: int
    seed: int


def _vector(values: object, name: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(field=name, expected="numbers", got="values that are not numeric") from None
    if arr.ndim != 1 or arr.size == 0:
        raise DataError(field=name, expected="a non-empty 1-D array", got=f"shape {arr.shape}")
    bad = int((~np.isfinite(arr)).sum())
    if bad:
        raise DataError(
            field=name, expected="finite numbers", got=f"{bad} missing or infinite values"
        )
    return arr


def _deviances(y: np.ndarray, pred: np.ndarray) -> dict[str, tuple[float, np.ndarray] | None]:
    """Each defined deviance: (scikit-learn's mean, the per-row unit deviances for the bootstrap)."""
    out: dict[str, tuple[float, np.ndarray] | None] = dict.fromkeys(("poisson", "gamma", "tweedie"))
    if not np.all(pred > 0) or not np.all(y >= 0):
        return out
    p = TWEEDIE_POWER
    out["poisson"] = (float(mean_poisson_deviance(y, pred)), 2 * (xlogy(y, y / pred) - y + pred))
    tweedie = 2 * (
        y ** (2 - p) / ((1 - p) * (2 - p))
        - y * pred ** (1 - p) / (1 - p)
        + pred ** (2 - p) / (2 - p)
    )
    out["tweedie"] = (float(mean_tweedie_deviance(y, pred, power=p)), tweedie)
    if np.all(y > 0):
        out["gamma"] = (float(mean_gamma_deviance(y, pred)), 2 * (np.log(pred / y) + y / pred - 1))
    return out


def _bootstrap(
    y: np.ndarray, pred: np.ndarray, unit: dict[str, np.ndarray], n_boot: int, seed: int
) -> dict[str, Interval]:
    """Percentile intervals of every metric over ``n_boot`` seeded row resamples."""
    r = y - pred
    names = ["rmse", "mae", "r2", "mean_residual", *unit]
    # per-row terms whose weighted means are the metrics: r², |r|, r, y, unit deviances
    terms = np.column_stack([r**2, np.abs(r), r, y, *unit.values()])
    draws = np.full((n_boot, len(names)), np.nan)
    n = len(y)
    for b, w in enumerate(resample_weights(n, n_boot, seed)):
        mse, mae, bias, mean_y, *deviances = weighted_sum(w, terms) / n
        ss_tot = weighted_sum(w, (y - mean_y) ** 2)  # exactly 0 when the resample's y is constant
        r2 = 1 - mse * n / ss_tot if ss_tot > 0 else np.nan
        draws[b] = [np.sqrt(mse), mae, r2, bias, *deviances]
    return {m: percentile_interval(draws[:, i]) for i, m in enumerate(names)}


def _chart_sample(n: int, points: int, seed: int) -> np.ndarray:
    """Sorted positions of at most ``points`` rows, drawn without replacement.

    The generator is seeded with ``[seed, 1]``, a stream apart from the bootstrap's ``seed``, so
    the sample does not change with ``n_boot``.
    """
    if n <= points:
        return np.arange(n)
    return np.sort(np.random.default_rng([seed, 1]).choice(n, size=points, replace=False))


def evaluate_regression(
    y_true: object,
    y_pred: object,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    largest: int = 10,
    points: int = 400,
    bins: int = 20,
) -> RegressionPerformance:
    """Score predictions against held-out targets: RMSE, MAE, R², bias and deviances, with intervals.

    Args:
        y_true: the actual targets (1-D, finite).
        y_pred: the model's predictions, aligned with ``y_true``.
        n_boot: bootstrap resamples of the rows (0: no intervals).
        seed: seeds the bootstrap and the chart sample.
        largest: how many of the largest errors to list.
        points: at most this many rows are kept for the charts.
        bins: equal-width bins of the residual histogram.

    Raises:
        DataError: the arrays are empty, differ in length or hold non-finite values.
    """
    y, pred = _vector(y_true, "y_true"), _vector(y_pred, "y_pred")
    if len(y) != len(pred):
        raise DataError(
            field="y_pred", expected=f"{len(y)} predictions (one per target)", got=f"{len(pred)}"
        )
    n = len(y)
    r = y - pred
    dev = _deviances(y, pred)
    unit = {k: v[1] for k, v in dev.items() if v is not None}
    ci = _bootstrap(y, pred, unit, int(n_boot), int(seed)) if n_boot > 0 else {}
    none: Interval = (None, None)
    sample = _chart_sample(n, int(points), int(seed))
    counts, edges = np.histogram(r, bins=int(bins))
    worst = np.argsort(-np.abs(r), kind="stable")[: int(largest)]
    r2 = finite(r2_score(y, pred)) if n >= 2 and np.ptp(y) > 0 else None

    def deviance(name: str) -> float | None:
        value = dev[name]
        return None if value is None else value[0]

    return RegressionPerformance(
        n=n,
        rmse=float(np.sqrt(mean_squared_error(y, pred))),
        rmse_ci=ci.get("rmse", none),
        mae=float(mean_absolute_error(y, pred)),
        mae_ci=ci.get("mae", none),
        r2=r2,
        r2_ci=ci.get("r2", none) if r2 is not None else none,
        mean_residual=float(np.mean(r)),
        mean_residual_ci=ci.get("mean_residual", none),
        poisson_deviance=deviance("poisson"),
        poisson_deviance_ci=ci.get("poisson", none),
        gamma_deviance=deviance("gamma"),
        gamma_deviance_ci=ci.get("gamma", none),
        tweedie_deviance=deviance("tweedie"),
        tweedie_deviance_ci=ci.get("tweedie", none),
        tweedie_power=TWEEDIE_POWER,
        sample_positions=tuple(int(i) for i in sample),
        sample_actual=tuple(float(v) for v in y[sample]),
        sample_predicted=tuple(float(v) for v in pred[sample]),
        residual_edges=tuple(float(e) for e in edges),
        residual_counts=tuple(int(c) for c in counts),
        largest_errors=tuple(int(i) for i in worst),
        largest_actual=tuple(float(v) for v in y[worst]),
        largest_predicted=tuple(float(v) for v in pred[worst]),
        n_boot=int(n_boot),
        seed=int(seed),
    )


def from_regression(p: RegressionPerformance, split: str) -> RegressionPerformanceSummary:
    """The results.json form of ``p``, measured on ``split`` ("test" or "file")."""
    fields = {name: getattr(p, name) for name in RegressionPerformance.__slots__}  # type: ignore[attr-defined]
    fields = {k: list(v) if isinstance(v, tuple) else v for k, v in fields.items()}
    ci_method = (
        f"95% percentile bootstrap, {p.n_boot} resamples of the rows, seed {p.seed}"
        if p.n_boot
        else ""
    )
    return RegressionPerformanceSummary(
        split=split, residual_definition=RESIDUAL, ci_method=ci_method, **fields
    )
