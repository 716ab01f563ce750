"""SHAP for regressors (the prediction, in the target's units) and multiclass models (per class)
adds up to the model's own output within 1e-6 on the stated scale."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from task_helpers import SAMPLES, diabetes, wine
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import ElasticNet, LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from auditlens.errors import DataError
from auditlens.explain import explain_model


def _regression_pipeline(model) -> tuple[Pipeline, pd.DataFrame]:
    frame = pd.read_csv(SAMPLES / "diabetes" / "diabetes.csv")
    X, y = frame.drop(columns="progression"), frame["progression"]
    numeric = [c for c in X.columns if c != "sex"]
    pre = ColumnTransformer([("num", StandardScaler(), numeric), ("cat", OneHotEncoder(sparse_output=False), ["sex"])])
    return Pipeline([("preprocess", pre), ("model", model)]).fit(X, y), X


@pytest.mark.parametrize(
    ("model", "explainer"),
    [
        (HistGradientBoostingRegressor(max_iter=60, random_state=0), "tree"),
        (RandomForestRegressor(n_estimators=30, random_state=0), "tree"),
        (Ridge(alpha=1.0), "linear"),
        (ElasticNet(alpha=0.1, max_iter=10000), "linear"),
        (KNeighborsRegressor(), "permutation"),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, str) else v,
)
def test_regression_adds_up_to_the_prediction(model, explainer: str) -> None:
    pipe, X = _regression_pipeline(model)
    # The permutation explainer calls the model max_evals times per row: fewer rows keep it short.
    rows = X.iloc[:80] if explainer != "permutation" else X.iloc[:3]
    fx = explain_model(pipe, X, rows, positive_class=None, seed=0, max_background=60 if explainer != "permutation" else 20)
    assert (fx.explainer, fx.output_scale, fx.positive_class) == (explainer, "raw", None)
    prediction = pipe.predict(rows)
    np.testing.assert_array_equal(fx.model_output, prediction)  # the stated scale is the prediction itself
    gap = np.abs(fx.values.sum(axis=1) + fx.base_value - prediction)
    # Relative to the prediction's magnitude (25-346 here): shap's TreeSHAP accumulates in float32.
    assert gap.max() <= 1e-6 * np.abs(prediction).max()
    assert fx.values.shape == (len(rows), X.shape[1])  # one-hot columns summed back into 'sex'


def test_regressor_refuses_a_positive_class() -> None:
    pipe, X = _regression_pipeline(Ridge())
    with pytest.raises(DataError, match="positive_class"):
        explain_model(pipe, X, X.head(3), positive_class="sex 1")


@pytest.mark.parametrize(
    ("model", "explainer", "scale"),
    [
        (HistGradientBoostingClassifier(max_iter=30, random_state=0), "tree", "margin"),
        (RandomForestClassifier(n_estimators=30, random_state=0), "tree", "probability"),
        (LogisticRegression(max_iter=5000), "linear", "margin"),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, str) else v,
)
def test_multiclass_adds_up_per_class(model, explainer: str, scale: str) -> None:
    frame = wine()
    X, y = frame.drop(columns="cultivar"), frame["cultivar"]
    pipe = Pipeline([("scale", StandardScaler()), ("model", model)]).fit(X, y)
    rows = X.iloc[::4]
    proba = pipe.predict_proba(rows)
    for k, label in enumerate(pipe.classes_):
        fx = explain_model(pipe, X, rows, positive_class=label, seed=0, max_background=50)
        assert (fx.explainer, fx.output_scale, fx.positive_class) == (explainer, scale, label)
        own = proba[:, k] if scale == "probability" else pipe.decision_function(rows)[:, k]
        np.testing.assert_allclose(fx.model_output, own, rtol=0, atol=1e-12)
        assert np.max(np.abs(fx.values.sum(axis=1) + fx.base_value - own)) <= 1e-6


def test_multiclass_probabilities_sum_across_classes() -> None:
    """Probability-scale SHAP of all classes sums to zero per feature (the probabilities sum to 1)."""
    frame = wine()
    X, y = frame.drop(columns="cultivar"), frame["cultivar"]
    model = RandomForestClassifier(n_estimators=30, random_state=0).fit(X, y)
    rows = X.iloc[:30]
    total = sum(explain_model(model, X, rows, positive_class=c, seed=0, max_background=50).values for c in model.classes_)
    assert np.max(np.abs(total)) <= 1e-6


def test_diabetes_sample_is_numeric_but_for_sex() -> None:
    assert diabetes().select_dtypes("number").shape[1] == 11
