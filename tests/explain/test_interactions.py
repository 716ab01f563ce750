"""strongest_interaction picks the column that explains a dependence plot's spread."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from auditlens.errors import DataError
from auditlens.explain import FeatureEffects, explain_model, strongest_interaction


def _effects(X: pd.DataFrame, values: np.ndarray) -> FeatureEffects:
    return FeatureEffects(
        explainer="tree", output_scale="log-odds", positive_class=1, background_size=1,
        background_seed=0, background_rows=(0,), background_sha256="0" * 64,
        feature_names=tuple(X.columns), values=values, base_value=0.0,
        model_output=values.sum(1), additivity_gap=0.0,
    )


@pytest.fixture()
def planted() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 400
    return pd.DataFrame({
        "age": rng.uniform(20, 70, n),
        "amount": rng.lognormal(8, 1, n),
        "housing": rng.choice(["own", "rent", "free"], n),
        "noise": rng.normal(size=n),
        "many": rng.choice([f"c{i}" for i in range(40)], n),  # many levels, no signal
    })


def test_numeric_interaction_is_found(planted):
    X = planted
    values = np.zeros((len(X), 5))
    values[:, 0] = 0.02 * (X["age"] - 45) * np.sign(X["noise"])  # age's slope flips with noise
    assert strongest_interaction(_effects(X, values), X, "age") == "noise"


def test_categorical_interaction_is_found(planted):
    X = planted
    rng = np.random.default_rng(1)
    values = np.zeros((len(X), 5))
    values[:, 1] = np.log(X["amount"]) * (X["housing"] == "rent") + rng.normal(0, 0.1, len(X))
    assert strongest_interaction(_effects(X, values), X, "amount") == "housing"


def test_on_real_shap_values(make_pipeline, credit):
    X, _ = credit
    pipeline = make_pipeline(HistGradientBoostingClassifier(max_iter=30, random_state=0))
    rows = X.iloc[:150]
    fx = explain_model(pipeline, X, rows, positive_class="bad", max_background=40)
    top = fx.ranking()[0]
    partner = strongest_interaction(fx, rows, top)
    assert partner in fx.feature_names and partner != top
    # the row index of X_explain does not matter, only the order
    shuffled_index = rows.set_index(rows.index[::-1])
    assert strongest_interaction(fx, shuffled_index, top) == partner


def test_bad_inputs(planted):
    X = planted
    fx = _effects(X, np.zeros((len(X), 5)))
    with pytest.raises(DataError, match="'feature' must be one of"):
        strongest_interaction(fx, X, "salary")
    with pytest.raises(DataError, match="'X_explain' must have the 400 explained rows"):
        strongest_interaction(fx, X.iloc[:10], "age")
    with pytest.raises(DataError, match=r"Missing \['noise'\]"):
        strongest_interaction(fx, X.drop(columns=["noise"]), "age")
