"""Permutation SHAP over the original columns for models without a fast exact explainer."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.calibration import CalibratedClassifierCV
from sklearn.svm import SVC

from auditlens.explain import DEFAULT_TOLERANCE, explain_model


@pytest.fixture(scope="module")
def mlp(make_pipeline):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return make_pipeline(MLPClassifier((8,), max_iter=200, random_state=0), rows=300)


def test_mlp_same_seed_same_values(mlp, credit):
    X, _ = credit
    kwargs = dict(positive_class="bad", max_background=20, max_evals=90)
    state = np.random.get_state()
    a = explain_model(mlp, X.iloc[:300], X.iloc[300:306], seed=5, **kwargs)
    after = np.random.get_state()
    b = explain_model(mlp, X.iloc[:300], X.iloc[300:306], seed=5, **kwargs)
    c = explain_model(mlp, X.iloc[:300], X.iloc[300:306], seed=6, **kwargs)
    print(f"permutation (MLP) additivity gap: {a.additivity_gap:.3g}")

    # shap seeds the global numpy RNG; explain_model puts it back
    assert all(np.array_equal(x, y) for x, y in zip(state[1:3], after[1:3], strict=True))
    assert (a.explainer, a.output_scale) == ("permutation", "probability")
    assert a.feature_names == tuple(X.columns)
    np.testing.assert_array_equal(a.values, b.values)
    assert a.base_value == b.base_value
    assert not np.array_equal(a.values, c.values)  # another seed: other background & orders
    np.testing.assert_allclose(a.model_output, mlp.predict_proba(X.iloc[300:306])[:, 0])
    assert a.additivity_gap < DEFAULT_TOLERANCE["permutation"]
    assert c.additivity_gap < DEFAULT_TOLERANCE["permutation"]


def test_calibrated_svc_values_for_the_requested_class(make_pipeline, credit):
    X, _ = credit
    # SVC(probability=True) is deprecated in sklearn 1.9; this is its replacement
    svc = make_pipeline(CalibratedClassifierCV(SVC(), ensemble=False), rows=200)
    kwargs = dict(max_background=15, max_evals=45, seed=1)
    bad = explain_model(svc, X.iloc[:200], X.iloc[200:204], positive_class="bad", **kwargs)
    good = explain_model(svc, X.iloc[:200], X.iloc[200:204], positive_class="good", **kwargs)
    print(f"permutation (SVC) additivity gap: {bad.additivity_gap:.3g}")
    np.testing.assert_allclose(bad.model_output, svc.predict_proba(X.iloc[200:204])[:, 0])
    # same seed, same orders: p(bad) = 1 - p(good) gives exactly opposite values
    np.testing.assert_allclose(bad.values, -good.values, atol=1e-12)
    assert bad.additivity_gap < 1e-9
