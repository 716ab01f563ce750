"""explain_model on any fitted classifier: bare estimators, other Pipelines, models loaded from skops."""

from __future__ import annotations

import numpy as np
import pytest
import skops.io as sio
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.feature_selection import VarianceThreshold
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC

from auditlens.errors import AnalysisError
from auditlens.explain import DEFAULT_TOLERANCE, explain_model, tree_interactions
from auditlens.model_file import load_model


def test_svc_pipeline_uses_permutation(credit, columns):
    X, y = credit
    numeric, _ = columns
    Xn = X[numeric]
    svc = make_pipeline(StandardScaler(), CalibratedClassifierCV(SVC(), ensemble=False)).fit(
        Xn.iloc[:200], y.iloc[:200]
    )
    fx = explain_model(svc, Xn.iloc[:200], Xn.iloc[200:205], positive_class="bad",
                       max_background=15, max_evals=2 * len(numeric) + 1, seed=1)
    assert (fx.explainer, fx.output_scale) == ("permutation", "probability")
    assert fx.feature_names == tuple(numeric)
    np.testing.assert_allclose(fx.model_output, svc.predict_proba(Xn.iloc[200:205])[:, 0])
    np.testing.assert_allclose(fx.values.sum(1) + fx.base_value, fx.model_output, atol=1e-9)
    assert fx.additivity_gap < DEFAULT_TOLERANCE["permutation"]


def test_bare_forest_on_numeric_data_uses_tree(credit, columns):
    X, y = credit
    numeric, _ = columns
    Xn = X[numeric]
    forest = RandomForestClassifier(n_estimators=20, random_state=0, n_jobs=1).fit(Xn, y)
    fx = explain_model(forest, Xn, Xn.iloc[:40], positive_class="good", max_background=50)
    assert (fx.explainer, fx.output_scale) == ("tree", "probability")
    assert fx.feature_names == tuple(numeric)
    np.testing.assert_allclose(fx.model_output, forest.predict_proba(Xn.iloc[:40])[:, 1])
    assert fx.additivity_gap < 1e-6
    pairs = tree_interactions(forest, Xn, positive_class="good", max_rows=10, top=2)
    assert pairs is not None and len(pairs) == 2


def test_bare_forest_fitted_on_an_array_is_refused(credit, columns):
    X, y = credit
    numeric, _ = columns
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(X[numeric].to_numpy(), y)
    with pytest.raises(AnalysisError, match=r"fitted on a pandas DataFrame .* Got RandomForestClassifier without column names"):
        explain_model(forest, X[numeric], X[numeric].iloc[:3], positive_class="bad")


def test_scaler_logistic_pipeline_is_linear_and_exact(credit, columns):
    """StandardScaler is per-column, so linear SHAP applies: phi_j = w_j (z_j - mean z_j)."""
    X, y = credit
    numeric, _ = columns
    Xn = X[numeric]
    pipe = Pipeline([("scale", StandardScaler()), ("model", LogisticRegression(max_iter=1000))]).fit(Xn, y)
    fx = explain_model(pipe, Xn, Xn.iloc[:25], positive_class="bad", max_background=80, seed=3)
    assert (fx.explainer, fx.output_scale) == ("linear", "log-odds")
    bg = Xn.iloc[list(fx.background_rows)]
    z, z_bg = pipe[0].transform(Xn.iloc[:25]), pipe[0].transform(bg)
    w = pipe[-1].coef_[0]  # log-odds of classes_[1] = "good"
    np.testing.assert_allclose(fx.values, -w * (z - z_bg.mean(0)), atol=1e-10)
    np.testing.assert_allclose(fx.model_output, -pipe.decision_function(Xn.iloc[:25]))
    assert fx.additivity_gap < 1e-6


def test_chain_with_column_transformer_and_selector_is_grouped(credit, columns):
    X, y = credit
    numeric, categorical = columns
    pre = ColumnTransformer([
        ("num", "passthrough", numeric),
        ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"),
                              OneHotEncoder(sparse_output=False, handle_unknown="ignore")), categorical),
    ])
    pipe = Pipeline([("pre", pre), ("select", VarianceThreshold(0.01)),
                     ("model", RandomForestClassifier(n_estimators=10, random_state=0))]).fit(X, y)
    fx = explain_model(pipe, X, X.iloc[:20], positive_class="bad", max_background=40)
    assert fx.explainer == "tree" and fx.feature_names == tuple(X.columns)
    assert fx.additivity_gap < 1e-6
    np.testing.assert_allclose(fx.model_output, pipe.predict_proba(X.iloc[:20])[:, 0])


def test_step_that_mixes_columns_falls_back_to_permutation(credit, columns):
    X, y = credit
    numeric, _ = columns
    Xn = X[numeric]
    pipe = make_pipeline(StandardScaler(), PCA(3), LogisticRegression()).fit(Xn.iloc[:300], y.iloc[:300])
    fx = explain_model(pipe, Xn.iloc[:300], Xn.iloc[300:303], positive_class="bad",
                       max_background=10, max_evals=2 * len(numeric) + 1)
    assert (fx.explainer, fx.output_scale) == ("permutation", "probability")
    assert fx.additivity_gap < DEFAULT_TOLERANCE["permutation"]
    assert tree_interactions(pipe, Xn, positive_class="bad") is None


def test_hgb_pipeline_from_skops_gives_identical_values(make_pipeline, credit, tmp_path):
    X, _ = credit
    hgb = make_pipeline(HistGradientBoostingClassifier(max_iter=30, random_state=0), rows=400)
    sio.dump(hgb, tmp_path / "hgb.skops")
    loaded = load_model(tmp_path / "hgb.skops")
    kwargs = {"positive_class": "bad", "max_background": 50, "seed": 2}
    a = explain_model(hgb, X.iloc[:400], X.iloc[400:440], **kwargs)
    b = explain_model(loaded.estimator, X.iloc[:400], X.iloc[400:440], **kwargs)
    assert (a.explainer, a.output_scale) == ("tree", "log-odds")
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.model_output, b.model_output)
    assert a.base_value == b.base_value and b.additivity_gap < 1e-6


@pytest.mark.long  # minutes of work: see pyproject.toml
def test_a_column_mixing_step_inside_a_column_transformer_falls_back_to_permutation() -> None:
    """Normalizer keeps its input names but mixes columns: grouping by name would be wrong."""
    import numpy as np
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import Normalizer
    from sklearn.tree import DecisionTreeClassifier

    from auditlens.explain import explain_model

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.uniform(0.1, 1, 400), "b": rng.uniform(0.1, 1, 400)})
    y = np.where(X.a / (X.a + X.b) > 0.5, "yes", "no")
    model = Pipeline([
        ("ct", ColumnTransformer([("n", Normalizer(norm="l1"), ["a", "b"])])),
        ("m", DecisionTreeClassifier(max_depth=1, random_state=0)),
    ]).fit(X, y)
    fx = explain_model(model, X, X.iloc[:100], positive_class="yes", seed=0)
    assert fx.explainer == "permutation"
    # Both inputs drive a / (a + b): each gets a real share (by name, "a" got exactly 0).
    assert min(fx.mean_abs) > 0.2 * max(fx.mean_abs)
