"""Held-out performance per group for regression and multiclass models, and the largest gaps.

The binary case lives in :mod:`auditlens.groups`; this module reuses its group labels
(:func:`~auditlens.groups.bin_attribute`, the :data:`~auditlens.groups.MISSING` group) and its
:class:`~auditlens.groups.GroupResult` (``positives`` is 0 here: these tasks have no positive
class). Point estimates come from fairlearn's ``MetricFrame``, so they match what a reviewer
gets with that library (``tests/test_groups_tasks.py`` checks it).

- Regression: per group MAE, RMSE, mean residual (actual − predicted: the group's bias) and
  mean prediction, each with fairlearn's percentile bootstrap 95% interval: ``n_boot`` seeds
  drawn from ``numpy.random.default_rng(seed)``, each resampling the rows with replacement
  (``DataFrame.sample``), percentiles per group ignoring resamples the group is absent from —
  the same resamples and percentiles as ``MetricFrame(..., n_boot, random_state=seed)``, computed
  with ``bincount`` per resample instead of a metric call per group.
- Multiclass: per group accuracy and, per class, the selection rate (share of the group
  predicted as that class), with Wilson score intervals (closed form; no bootstrap).

The largest gap of a metric is between the groups with its highest and lowest values. Its
interval is that of the difference between those two groups — bootstrap of the difference
(regression) or Newcombe's hybrid score interval (multiclass rates) — not a bootstrap of the
max-minus-min spread, which is biased away from the estimate over small groups.

Example:
    >>> import numpy as np, pandas as pd
    >>> g = pd.Series(list("aabb"), name="sex")
    >>> res = regression_group_metrics(np.array([1.0, 2, 3, 4]), np.array([1.5, 2, 2, 4]), g, n_boot=0)
    >>> [(r.group, r.metrics["mae"], r.metrics["mean_residual"]) for r in res.groups]
    [('a', 0.25, -0.25), ('b', 0.5, 0.5)]
    >>> gap = res.gaps[0]; gap.metric, gap.high_group, gap.low_group, gap.difference
    ('mae', 'b', 'a', 0.25)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from auditlens.bootstrap import finite
from auditlens.errors import DataError
from auditlens.groups import GroupResult
from auditlens.intervals import difference_interval, wilson

__all__ = [
    "MULTICLASS_GROUP_METRICS",
    "REGRESSION_GROUP_METRICS",
    "GroupGap",
    "TaskGroups",
    "multiclass_group_metrics",
    "multiclass_metric_labels",
    "regression_group_metrics",
]

# metric name -> label in the report, in display order.
REGRESSION_GROUP_METRICS: dict[str, str] = {
    "mae": "mean absolute error",
    "rmse": "root mean squared error",
    "mean_residual": "mean residual (actual − predicted)",
    "mean_prediction": "mean prediction",
}
# Multiclass: accuracy, then one "selection_rate:<class>" per class (see multiclass_metric_labels).
MULTICLASS_GROUP_METRICS: dict[str, str] = {
    "accuracy": "accuracy",
    "selection_rate": "selection rate",
}
REGRESSION_GAPS = ("mae", "mean_prediction")
BOOTSTRAP_GAP = "95% percentile bootstrap of the difference between the two groups"
NEWCOMBE_GAP = "Newcombe hybrid score 95% interval of the difference between the two groups"


@dataclass(frozen=True, slots=True)
class GroupGap:
    """The largest between-group gap of one metric: ``high_group`` minus ``low_group`` (>= 0)."""

    metric: str
    high_group: str
    low_group: str
    difference: float
    ci_low: float | None
    ci_high: float | None
    ci_method: str


@dataclass(frozen=True, slots=True)
class TaskGroups:
    """Per-group metrics and largest gaps of one protected attribute, for one task."""

    attribute: str
    kind: str  # "categorical" or "numeric" (from bin_attribute)
    edges: tuple[float, ...]
    task: str  # "regression" or "multiclass"
    groups: tuple[GroupResult, ...]
    gaps: tuple[GroupGap, ...]


def multiclass_metric_labels(classes: Sequence[object]) -> dict[str, str]:
    """Metric name -> report label for a multiclass model, in display order.

    Example:
        >>> multiclass_metric_labels(["low", "high"])["selection_rate:high"]
        'selection rate (high)'
    """
    labels = {"accuracy": MULTICLASS_GROUP_METRICS["accuracy"]}
    for c in classes:
        labels[f"selection_rate:{c}"] = f"{MULTICLASS_GROUP_METRICS['selection_rate']} ({c})"
    return labels


def _labels(groups: pd.Series, n: int) -> tuple[pd.Series, list[str]]:
    """Group label per row (str) and the groups present, in the labels' category order."""
    if len(groups) != n:
        raise DataError(
            field="groups", expected=f"{n} group labels (one per row)", got=f"{len(groups)}"
        )
    sf = pd.Series(np.asarray(groups.astype(str)), name=str(groups.name or "group"))
    order = (
        groups.cat.categories
        if isinstance(groups.dtype, pd.CategoricalDtype)
        else sorted(sf.unique())
    )
    return sf, [str(c) for c in order if (sf == str(c)).any()]


def _by_group(
    metrics: dict[str, object], y: np.ndarray, pred: np.ndarray, sf: pd.Series
) -> pd.DataFrame:
    from fairlearn.metrics import MetricFrame

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MetricFrame(metrics=metrics, y_true=y, y_pred=pred, sensitive_features=sf).by_group


def _regression_metrics() -> dict[str, object]:
    """The metrics as scikit-learn defines them (point estimates, through MetricFrame)."""
    from sklearn.metrics import mean_absolute_error, root_mean_squared_error

    return {
        "mae": mean_absolute_error,
        "rmse": root_mean_squared_error,
        "mean_residual": lambda y, p: float(np.mean(np.asarray(y) - np.asarray(p))),
        "mean_prediction": lambda y, p: float(np.mean(np.asarray(p))),
    }


def _regression_draws(
    y: np.ndarray, pred: np.ndarray, codes: np.ndarray, n_groups: int, n_boot: int, seed: int
) -> np.ndarray:
    """(resamples, groups, metrics) in REGRESSION_GROUP_METRICS order; NaN where a group is absent.

    fairlearn's resamples: seed b is the b-th uint32 of ``default_rng(seed)`` and the rows are
    ``DataFrame.sample(frac=1, replace=True, random_state=seed_b)``.
    """
    seeds = np.random.default_rng(seed).integers(
        0, np.iinfo(np.uint32).max, size=n_boot, dtype=np.uint32
    )
    positions = pd.Series(np.arange(len(y)))
    r = y - pred
    draws = np.full((n_boot, n_groups, len(REGRESSION_GROUP_METRICS)), np.nan)
    for b, s in enumerate(seeds):
        idx = positions.sample(frac=1, replace=True, random_state=int(s)).to_numpy()
        cb, rb = codes[idx], r[idx]
        count = np.bincount(cb, minlength=n_groups).astype(np.float64)
        sums = [
            np.bincount(cb, weights=v, minlength=n_groups)
            for v in (np.abs(rb), rb**2, rb, pred[idx])
        ]
        with np.errstate(divide="ignore", invalid="ignore"):
            mae, mse, bias, mean_pred = (v / count for v in sums)
            draws[b] = np.column_stack([mae, np.sqrt(mse), bias, mean_pred])
    return draws


def _quantiles(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # all-NaN: undefined in every resample
        return np.nanquantile(values, 0.025, axis=0), np.nanquantile(values, 0.975, axis=0)


def _extremes(by: pd.DataFrame, present: list[str], metric: str) -> tuple[int, int]:
    """Positions (in ``present``, >= 2 groups) of the groups with the highest and lowest value."""
    values = by.loc[present, metric].to_numpy(dtype=np.float64)
    hi, lo = int(np.argmax(values)), int(np.argmin(values))
    return (hi, lo) if hi != lo else (hi, (hi + 1) % len(values))  # all equal: any two groups


def _gap(
    by: pd.DataFrame, present: list[str], metric: str, interval: Callable | None, method: str
) -> GroupGap:
    """The gap of ``metric`` between its highest and lowest group; ``interval(hi, lo)`` or None."""
    hi, lo = _extremes(by, present, metric)
    low, high = interval(hi, lo) if interval is not None else (None, None)
    diff = float(by.loc[present[hi], metric] - by.loc[present[lo], metric])
    method = method if interval is not None else ""
    return GroupGap(metric, present[hi], present[lo], diff, finite(low), finite(high), method)


def _result(name: str, n: int, metrics: dict, ci: dict[str, tuple]) -> GroupResult:
    """One group (``positives`` 0: no positive class); ``ci``: metric -> (low, high)."""
    low = {m: finite(ci[m][0]) if m in ci else None for m in metrics}
    high = {m: finite(ci[m][1]) if m in ci else None for m in metrics}
    return GroupResult(group=name, n=n, positives=0, metrics=metrics, ci_low=low, ci_high=high)


def regression_group_metrics(
    y: object,
    pred: object,
    groups: pd.Series,
    *,
    n_boot: int = 200,
    seed: int = 0,
    kind: str = "categorical",
    edges: Sequence[float] = (),
) -> TaskGroups:
    """Per-group MAE, RMSE, mean residual and mean prediction with 95% bootstrap intervals.

    Args:
        y: actual targets; pred: the model's predictions (aligned).
        groups: group label per row (see :func:`~auditlens.groups.bin_attribute`); its name is
            the attribute.
        n_boot: bootstrap resamples (0: no intervals); seed: seeds them.
        kind, edges: recorded as given (from ``bin_attribute``).

    Returns:
        :class:`TaskGroups`: groups in label order (empty groups left out), and the largest gaps
        in MAE and in mean prediction.
    """
    yv, pv = np.asarray(y, dtype=np.float64), np.asarray(pred, dtype=np.float64)
    if len(yv) != len(pv):
        raise DataError(
            field="pred", expected=f"{len(yv)} predictions (one per target)", got=f"{len(pv)}"
        )
    for name, values in (("y", yv), ("pred", pv)):
        if not np.all(np.isfinite(values)):
            raise DataError(field=name, expected="finite numbers", got="missing or infinite values")
    sf, present = _labels(groups, len(yv))
    by = _by_group(_regression_metrics(), yv, pv, sf)
    names = list(REGRESSION_GROUP_METRICS)
    codes = pd.Categorical(sf, categories=present).codes
    draws = (
        _regression_draws(yv, pv, codes, len(present), int(n_boot), int(seed))
        if n_boot > 0
        else None
    )
    low, high = _quantiles(draws) if draws is not None else (None, None)
    results = []
    for g, name in enumerate(present):
        ci = {m: (low[g, j], high[g, j]) for j, m in enumerate(names)} if draws is not None else {}
        metrics = {m: finite(by.loc[name, m]) for m in names}
        results.append(_result(name, int((codes == g).sum()), metrics, ci))

    def difference(j: int) -> Callable | None:  # bootstrap of group hi minus group lo
        if draws is None:
            return None
        return lambda hi, lo: _quantiles(draws[:, hi, j] - draws[:, lo, j])

    gaps = [
        _gap(by, present, m, difference(names.index(m)), BOOTSTRAP_GAP)
        for m in (REGRESSION_GAPS if len(present) > 1 else ())
    ]
    return TaskGroups(
        sf.name, kind, tuple(float(e) for e in edges), "regression", tuple(results), tuple(gaps)
    )


def multiclass_group_metrics(
    y_codes: object,
    pred_codes: object,
    groups: pd.Series,
    classes: Sequence[object],
    *,
    n_boot: int = 200,
    seed: int = 0,
    kind: str = "categorical",
    edges: Sequence[float] = (),
) -> TaskGroups:
    """Per-group accuracy and per-class selection rates with Wilson 95% intervals, and the largest gaps.

    Args:
        y_codes: actual class codes 0..K−1; pred_codes: predicted codes (code k = ``classes[k]``).
        groups: group label per row (see :func:`~auditlens.groups.bin_attribute`).
        classes: the class labels, naming the ``selection_rate:<class>`` metrics.
        n_boot: 0 gives no intervals (as in :func:`auditlens.groups.group_metrics`); any other
            value gives the closed-form intervals. seed: unused (no resampling here); both are
            accepted so that every task's group function is called alike.
        kind, edges: recorded as given.

    Returns:
        :class:`TaskGroups` with the gap in accuracy and in each class's selection rate.
    """
    from fairlearn.metrics import selection_rate
    from sklearn.metrics import accuracy_score

    del seed  # closed-form intervals: nothing to seed
    y, pred = np.asarray(y_codes, dtype=np.int64), np.asarray(pred_codes, dtype=np.int64)
    if len(y) != len(pred):
        raise DataError(
            field="pred_codes",
            expected=f"{len(y)} predicted codes (one per row)",
            got=f"{len(pred)}",
        )
    for name, codes in (("y_codes", y), ("pred_codes", pred)):
        if len(codes) and (codes.min() < 0 or codes.max() >= len(classes)):
            raise DataError(field=name, expected=f"class codes 0..{len(classes) - 1}", got="others")
    sf, present = _labels(groups, len(y))
    metrics: dict[str, object] = {"accuracy": accuracy_score}
    hits = {"accuracy": pred == y}
    for k, c in enumerate(classes):
        metrics[f"selection_rate:{c}"] = partial(selection_rate, pos_label=k)
        hits[f"selection_rate:{c}"] = pred == k
    by = _by_group(metrics, y, pred, sf)
    masks = [(sf == g).to_numpy() for g in present]
    counts = {m: [(int(h[mask].sum()), int(mask.sum())) for mask in masks] for m, h in hits.items()}
    results = []
    for g, name in enumerate(present):
        ci = {m: wilson(*counts[m][g]) for m in metrics} if n_boot > 0 else {}
        values = {m: finite(by.loc[name, m]) for m in metrics}
        results.append(_result(name, int(masks[g].sum()), values, ci))

    def newcombe(m: str) -> Callable | None:  # the two groups' rates compared
        if n_boot <= 0:
            return None
        return lambda hi, lo: difference_interval(*counts[m][hi], *counts[m][lo])

    gaps = [
        _gap(by, present, m, newcombe(m), NEWCOMBE_GAP)
        for m in (metrics if len(present) > 1 else ())
    ]
    return TaskGroups(
        sf.name, kind, tuple(float(e) for e in edges), "multiclass", tuple(results), tuple(gaps)
    )
