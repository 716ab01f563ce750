"""SHAP interaction pairs of tree models: the planted interaction wins, one-hot columns grouped."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from auditlens.explain import tree_interactions


def _data(n: int = 600) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({
        "a": rng.normal(size=n),
        "b": rng.normal(size=n),
        "noise": rng.normal(size=n),
        "colour": rng.choice(["red", "green", "blue"], n),
    })
    # label: an a × colour interaction plus a weak main effect of b
    sign = np.where(X["colour"] == "red", 1.0, -1.0)
    y = (2.0 * X["a"] * sign + 0.3 * X["b"] + 0.3 * rng.normal(size=n) > 0).astype(int).to_numpy()
    return X, y


def _pipe(model: object) -> Pipeline:
    pre = ColumnTransformer(
        [("cat", OneHotEncoder(sparse_output=False), ["colour"])], remainder="passthrough"
    )
    return Pipeline([("preprocess", pre), ("model", model)])


def test_planted_interaction_is_strongest_and_grouped() -> None:
    X, y = _data()
    pipe = _pipe(HistGradientBoostingClassifier(max_iter=60, random_state=0)).fit(X, y)
    pairs = tree_interactions(pipe, X, positive_class=1, max_rows=80, top=3)
    assert pairs is not None and len(pairs) == 3
    assert {pairs[0][0], pairs[0][1]} == {"a", "colour"}
    assert all(p[2] >= q[2] for p, q in pairwise(pairs))
    again = tree_interactions(pipe, X, positive_class=1, max_rows=80, top=3)
    assert again == pairs


def test_not_a_tree_model_gives_none() -> None:
    X, y = _data(200)
    pipe = _pipe(LogisticRegression()).fit(X, y)
    assert tree_interactions(pipe, X, positive_class=1) is None
