"""SHAP interaction pairs of tree models: the planted interaction wins, one-hot columns grouped."""

from __future__ import annotations

from itertools import pairwise

from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from auditlens.explain import tree_interactions


def _pipe(model: object) -> Pipeline:
    pre = ColumnTransformer(
        [("cat", OneHotEncoder(sparse_output=False), ["colour"])], remainder="passthrough"
    )
    return Pipeline([("preprocess", pre), ("model", model)])


def test_planted_interaction_is_strongest_and_grouped(planted_interaction) -> None:
    X, y = planted_interaction()
    pipe = _pipe(HistGradientBoostingClassifier(max_iter=60, random_state=0)).fit(X, y)
    pairs = tree_interactions(pipe, X, positive_class=1, max_rows=80, top=3)
    assert pairs is not None and len(pairs) == 3
    assert {pairs[0][0], pairs[0][1]} == {"a", "colour"}
    assert all(p[2] >= q[2] for p, q in pairwise(pairs))
    again = tree_interactions(pipe, X, positive_class=1, max_rows=80, top=3)
    assert again == pairs


def test_not_a_tree_model_gives_none(planted_interaction) -> None:
    X, y = planted_interaction(200)
    pipe = _pipe(LogisticRegression()).fit(X, y)
    assert tree_interactions(pipe, X, positive_class=1) is None
