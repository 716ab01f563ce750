"""Transformed columns map back to the original column they came from."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from auditlens.explain import explain_model
from auditlens.explain._columns import source_columns


def _oracle(ct, names):
    """Map from sklearn's verbose output names '<transformer>__<column>[_<category>]'."""
    out = []
    for full in ct.get_feature_names_out():
        _, rest = str(full).split("__", 1)
        hits = [i for i, c in enumerate(names) if rest == c or rest.startswith(c + "_")]
        out.append(max(hits, key=lambda i: len(names[i])))
    return out


def _ohe(**kw):
    return OneHotEncoder(handle_unknown="ignore", sparse_output=False, **kw)


CASES = {
    "scaler+onehot": lambda num, cat: ColumnTransformer(
        [("num", StandardScaler(), num), ("cat", _ohe(), cat)]
    ),
    "remainder passthrough": lambda num, cat: ColumnTransformer(
        [("cat", _ohe(), cat)], remainder="passthrough"
    ),
    "remainder drop": lambda num, cat: ColumnTransformer(
        [("num", StandardScaler(), num[:3]), ("cat", _ohe(), cat[:4])], remainder="drop"
    ),
    "drop first + infrequent": lambda num, cat: ColumnTransformer(
        [("cat", _ohe(drop="first", min_frequency=30), cat), ("num", "passthrough", num)]
    ),
    "imputer pipeline + selector + int columns": lambda num, cat: ColumnTransformer(
        [
            ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"), _ohe()),
             make_column_selector(dtype_exclude="number")),
            ("num", StandardScaler(), [1, 4]),  # positions of two numeric columns
            ("gone", "drop", [7]),
        ],
        remainder=StandardScaler(),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_source_columns_match_sklearn_names(case, credit, columns):
    X, y = credit
    numeric, categorical = columns
    ct = CASES[case](numeric, categorical).fit(X, y)
    n_out = ct.transform(X.iloc[:2]).shape[1]
    mapping = source_columns(ct, list(X.columns), n_out)
    assert mapping.tolist() == _oracle(ct, list(X.columns))


def test_dropped_columns_get_zero_effect(credit, columns):
    X, y = credit
    numeric, categorical = columns
    ct = CASES["remainder drop"](numeric, categorical)
    pipe = Pipeline([("preprocess", ct), ("model", LogisticRegression(max_iter=500))]).fit(X, y)
    fx = explain_model(pipe, X, X.iloc[:20], positive_class="bad")
    used = set(numeric[:3]) | set(categorical[:4])
    assert fx.feature_names == tuple(X.columns)
    for j, name in enumerate(fx.feature_names):
        assert (np.all(fx.values[:, j] == 0)) == (name not in used)
    assert fx.additivity_gap < 1e-10


def test_passthrough_remainder_with_trees(credit, columns):
    X, y = credit
    numeric, categorical = columns
    ct = CASES["remainder passthrough"](numeric, categorical)
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0)
    pipe = Pipeline([("preprocess", ct), ("model", model)]).fit(X, y)
    fx = explain_model(pipe, X, X.iloc[:30], positive_class="good", max_background=30)
    assert fx.explainer == "tree" and fx.additivity_gap < 1e-6
    assert fx.feature_names == tuple(X.columns)
