"""Per-group metrics for regression (diabetes: sex, age bands) and multiclass (wine: alcohol bands):
point estimates and bootstrap intervals equal fairlearn's MetricFrame, gaps, degenerate groups."""

from __future__ import annotations

import dataclasses
from functools import partial

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import MetricFrame, selection_rate
from sklearn.datasets import load_diabetes, load_wine
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import Ridge
from sklearn.metrics import accuracy_score, mean_absolute_error, root_mean_squared_error
from sklearn.model_selection import train_test_split

from auditlens.errors import DataError
from auditlens.groups import MISSING, bin_attribute
from auditlens.groups_tasks import (
    REGRESSION_GROUP_METRICS,
    multiclass_group_metrics,
    multiclass_metric_labels,
    regression_group_metrics,
)
from auditlens.intervals import difference_interval, wilson
from auditlens.results import GroupGapSummary

TOL = 1e-12


@pytest.fixture(scope="module")
def diabetes() -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    X, y = load_diabetes(return_X_y=True, as_frame=True, scaled=False)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.4, random_state=1)
    pred = Ridge(alpha=1.0).fit(X_train, y_train).predict(X_test)
    return y_test.to_numpy(), pred, X_test.reset_index(drop=True)


@pytest.fixture(scope="module")
def wine() -> tuple[np.ndarray, np.ndarray, pd.DataFrame, list[str]]:
    data = load_wine(as_frame=True)
    X = data.frame.drop(columns="target")
    X_train, X_test, y_train, y_test = train_test_split(
        X, data.target, test_size=0.5, random_state=0, stratify=data.target
    )
    model = RandomForestClassifier(n_estimators=20, max_depth=2, random_state=0).fit(
        X_train[["hue", "ash"]], y_train
    )
    pred = model.predict(X_test[["hue", "ash"]])
    return (
        y_test.to_numpy(),
        pred,
        X_test.reset_index(drop=True),
        [str(c) for c in data.target_names],
    )


def _regression_frame(y: np.ndarray, pred: np.ndarray, sf: pd.Series, **boot: int) -> MetricFrame:
    metrics = {
        "mae": mean_absolute_error,
        "rmse": root_mean_squared_error,
        "mean_residual": lambda a, b: np.mean(a - b),
        "mean_prediction": lambda a, b: np.mean(b),
    }
    return MetricFrame(metrics=metrics, y_true=y, y_pred=pred, sensitive_features=sf, **boot)


@pytest.mark.parametrize("column", ["sex", "age"])
def test_regression_equals_metricframe(diabetes: tuple, column: str) -> None:
    y, pred, X = diabetes
    labels, kind, edges = bin_attribute(X[column])
    res = regression_group_metrics(y, pred, labels, n_boot=25, seed=7, kind=kind, edges=edges)
    sf = labels.astype(str)
    frame = _regression_frame(y, pred, sf, n_boot=25, ci_quantiles=[0.025, 0.975], random_state=7)
    low, high = frame.by_group_ci
    assert [r.group for r in res.groups] == list(labels.cat.categories)
    assert res.kind == kind and res.task == "regression" and res.attribute == column
    assert len(res.groups) == (2 if column == "sex" else 4)
    for r in res.groups:
        assert r.n == int((sf == r.group).sum()) and r.positives == 0
        for m in REGRESSION_GROUP_METRICS:
            assert r.metrics[m] == pytest.approx(
                frame.by_group.loc[r.group, m], abs=TOL, rel=TOL
            ), m
            assert r.ci_low[m] == pytest.approx(low.loc[r.group, m], abs=TOL, rel=TOL), m
            assert r.ci_high[m] == pytest.approx(high.loc[r.group, m], abs=TOL, rel=TOL), m
            assert r.ci_low[m] <= r.metrics[m] <= r.ci_high[m], m


def test_regression_gaps(diabetes: tuple) -> None:
    y, pred, X = diabetes
    labels, kind, edges = bin_attribute(X["age"])
    res = regression_group_metrics(y, pred, labels, n_boot=300, seed=1, kind=kind, edges=edges)
    assert res == regression_group_metrics(
        y, pred, labels, n_boot=300, seed=1, kind=kind, edges=edges
    )
    assert [g.metric for g in res.gaps] == ["mae", "mean_prediction"]
    for gap in res.gaps:
        values = {r.group: r.metrics[gap.metric] for r in res.groups}
        assert values[gap.high_group] == max(values.values()) and values[gap.low_group] == min(
            values.values()
        )
        assert gap.difference == pytest.approx(max(values.values()) - min(values.values()), abs=TOL)
        assert gap.ci_low < gap.difference < gap.ci_high and "bootstrap" in gap.ci_method
    # measured: the oldest band is predicted 22.8 higher than the youngest, interval [-0.9, 43.3]
    assert (res.gaps[1].high_group, res.gaps[1].low_group) == (">= 58", "< 37")
    # a bias planted in one band (+40 on its predictions) is found, with an interval clear of 0
    planted = pred + 40.0 * (labels == "37 to < 49").to_numpy()
    found = regression_group_metrics(y, planted, labels, n_boot=300, seed=1).gaps[1]
    assert found.high_group == "37 to < 49" and found.ci_low > 0
    other = regression_group_metrics(y, pred, labels, n_boot=300, seed=2)
    assert (
        other.gaps[0].ci_low != res.gaps[0].ci_low
        and other.gaps[0].difference == res.gaps[0].difference
    )


def test_regression_by_hand_and_without_intervals() -> None:
    g = pd.Series(list("aabbb"), name="g")
    res = regression_group_metrics([1.0, 2, 3, 4, 5], [2.0, 2, 3, 2, 5], g, n_boot=0)
    a, b = res.groups
    assert a.metrics == {
        "mae": 0.5,
        "rmse": pytest.approx(np.sqrt(0.5)),
        "mean_residual": -0.5,
        "mean_prediction": 2.0,
    }
    assert b.metrics["mae"] == pytest.approx(2 / 3) and b.metrics["mean_residual"] == pytest.approx(
        2 / 3
    )
    assert a.ci_low == dict.fromkeys(REGRESSION_GROUP_METRICS) and res.gaps[0].ci_method == ""
    assert res.gaps[1].high_group == "b" and res.gaps[1].difference == pytest.approx(10 / 3 - 2)


def test_missing_values_form_their_own_group_and_one_group_has_no_gap(diabetes: tuple) -> None:
    y, pred, X = diabetes
    sex = X["sex"].astype(float).where(np.arange(len(X)) % 7 != 0)
    labels, _, _ = bin_attribute(sex)
    res = regression_group_metrics(y, pred, labels, n_boot=20)
    assert [r.group for r in res.groups][-1] == MISSING
    assert sum(r.n for r in res.groups) == len(y)
    single = regression_group_metrics(y, pred, pd.Series(["all"] * len(y), name="all"), n_boot=20)
    assert len(single.groups) == 1 and single.gaps == ()
    with pytest.raises(DataError) as err:
        regression_group_metrics(y, pred[:-1], labels)
    assert err.value.field == "pred"
    with pytest.raises(DataError) as err:
        regression_group_metrics(np.where(y > 300, np.nan, y), pred, labels)
    assert err.value.field == "y" and "\n" not in str(err.value)


def test_multiclass_equals_metricframe_with_wilson_intervals(wine: tuple) -> None:
    y, pred, X, classes = wine
    labels, kind, edges = bin_attribute(X["alcohol"])
    res = multiclass_group_metrics(
        y, pred, labels, classes, n_boot=200, seed=0, kind=kind, edges=edges
    )
    sf = labels.astype(str)
    metrics = {"accuracy": accuracy_score}
    metrics |= {
        f"selection_rate:{c}": partial(selection_rate, pos_label=k) for k, c in enumerate(classes)
    }
    by = MetricFrame(metrics=metrics, y_true=y, y_pred=pred, sensitive_features=sf).by_group
    assert list(res.groups[0].metrics) == list(multiclass_metric_labels(classes)) == list(metrics)
    assert res.kind == "numeric" and len(res.edges) == 3 and res.task == "multiclass"
    for r in res.groups:
        mask = (sf == r.group).to_numpy()
        for m in metrics:
            assert r.metrics[m] == pytest.approx(by.loc[r.group, m], abs=TOL), m
        for k, c in enumerate(classes):
            m = f"selection_rate:{c}"
            assert (r.ci_low[m], r.ci_high[m]) == wilson(
                int((pred[mask] == k).sum()), int(mask.sum())
            )
        assert (r.ci_low["accuracy"], r.ci_high["accuracy"]) == wilson(
            int((pred[mask] == y[mask]).sum()), int(mask.sum())
        )
    assert len(res.gaps) == 1 + len(classes)
    for gap in res.gaps:
        values = {r.group: r.metrics[gap.metric] for r in res.groups}
        assert gap.difference == pytest.approx(max(values.values()) - min(values.values()), abs=TOL)
        hi, lo = (sf == gap.high_group).to_numpy(), (sf == gap.low_group).to_numpy()
        hits = (
            pred == y
            if gap.metric == "accuracy"
            else pred == classes.index(gap.metric.split(":")[1])
        )
        want = difference_interval(
            int(hits[hi].sum()), int(hi.sum()), int(hits[lo].sum()), int(lo.sum())
        )
        assert (gap.ci_low, gap.ci_high) == pytest.approx(
            want, abs=TOL
        ) and "Newcombe" in gap.ci_method
        assert gap.ci_low <= gap.difference <= gap.ci_high
    # alcohol separates the cultivars: the share predicted class_0 differs between bands, clearly
    class_0 = next(g for g in res.gaps if g.metric == "selection_rate:class_0")
    assert class_0.ci_low > 0


def test_multiclass_degenerate(wine: tuple) -> None:
    y, pred, _, classes = wine
    g = pd.Series(["x"] * 3 + ["y"] * (len(y) - 3), name="g")
    never = np.where(pred == 2, 1, pred)  # class_2 is never predicted
    res = multiclass_group_metrics(y, never, g, classes, n_boot=0)
    assert all(r.metrics["selection_rate:class_2"] == 0.0 for r in res.groups)
    assert res.groups[0].ci_low["accuracy"] is None and res.gaps[0].ci_low is None
    tie = next(gap for gap in res.gaps if gap.metric == "selection_rate:class_2")
    assert (
        tie.difference == 0.0 and tie.high_group != tie.low_group
    )  # all equal: two distinct groups
    one_row = multiclass_group_metrics(y[:1], pred[:1], g[:1], classes, n_boot=10)
    assert one_row.groups[0].n == 1 and one_row.gaps == ()
    with pytest.raises(DataError) as err:
        multiclass_group_metrics(y, pred + 1, g, classes)  # code 3 with 3 classes
    assert err.value.field == "pred_codes"


def test_gap_summary_round_trips(diabetes: tuple) -> None:
    y, pred, X = diabetes
    labels, _, _ = bin_attribute(X["sex"])
    gap = regression_group_metrics(y, pred, labels, n_boot=20).gaps[0]
    summary = GroupGapSummary(**dataclasses.asdict(gap))
    assert GroupGapSummary.model_validate_json(summary.model_dump_json()) == summary
    assert (summary.metric, summary.difference, summary.ci_low) == (
        "mae",
        gap.difference,
        gap.ci_low,
    )
