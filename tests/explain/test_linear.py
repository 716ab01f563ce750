"""Linear SHAP is exact: coef * (x - mean(background)), summed over one-hot columns."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from auditlens.explain import explain_model


@pytest.fixture(scope="module")
def logistic(make_pipeline):
    return make_pipeline(LogisticRegression(max_iter=2000))


def _expected_grouped(pipeline, X_bg, X_ex, feature_names):
    """The closed form, grouped with a map built from the encoder's categories."""
    pre, model = pipeline[0], pipeline[-1]
    bg_t, x_t = pre.transform(X_bg), pre.transform(X_ex)
    phi = model.coef_[0] * (x_t - bg_t.mean(axis=0))
    grouped = np.zeros((len(X_ex), len(feature_names)))
    for name, transformer, cols in pre.transformers_:
        block = pre.output_indices_[name]
        if name == "num":
            widths = [1] * len(cols)
        elif name == "cat":
            widths = [len(c) for c in transformer.categories_]
        else:
            continue
        start = block.start
        for col, width in zip(cols, widths, strict=True):
            j = feature_names.index(col)
            grouped[:, j] = phi[:, start : start + width].sum(axis=1)
            start += width
        assert start == block.stop
    return phi, grouped


def test_linear_values_equal_closed_form(logistic, credit):
    X, _ = credit
    X_bg, X_ex = X.iloc[:200], X.iloc[200:260]
    fx = explain_model(logistic, X_bg, X_ex, positive_class="good", max_background=200)

    assert (fx.explainer, fx.output_scale) == ("linear", "log-odds")
    assert fx.feature_names == tuple(X.columns)
    phi, grouped = _expected_grouped(logistic, X_bg, X_ex, list(X.columns))
    np.testing.assert_allclose(fx.values, grouped, rtol=0, atol=1e-10)
    # the one-hot columns of a source column sum to that column's value
    assert phi.shape[1] > fx.values.shape[1]
    np.testing.assert_allclose(fx.values.sum(1), phi.sum(1), rtol=0, atol=1e-10)
    # base value is the mean log-odds over the background
    model = logistic[-1]
    base = model.intercept_[0] + model.coef_[0] @ logistic[0].transform(X_bg).mean(axis=0)
    assert fx.base_value == pytest.approx(base, abs=1e-10)
    np.testing.assert_allclose(fx.model_output, logistic.decision_function(X_ex), atol=1e-12)
    assert fx.additivity_gap < 1e-10


def test_linear_positive_class_flips_sign(logistic, credit):
    X, _ = credit
    good = explain_model(logistic, X.iloc[:100], X.iloc[:30], positive_class="good")
    bad = explain_model(logistic, X.iloc[:100], X.iloc[:30], positive_class="bad")
    np.testing.assert_array_equal(bad.values, -good.values)
    assert bad.base_value == pytest.approx(-good.base_value, abs=1e-12)
    np.testing.assert_allclose(bad.model_output, -logistic.decision_function(X.iloc[:30]))
    assert bad.positive_class == "bad"


def test_linear_same_seed_same_arrays(logistic, credit):
    X, _ = credit
    a = explain_model(logistic, X, X.iloc[:50], positive_class="bad", seed=7)
    b = explain_model(logistic, X, X.iloc[:50], positive_class="bad", seed=7)
    assert a.background_rows == b.background_rows
    assert a.background_sha256 == b.background_sha256
    for field in ("values", "model_output", "mean_abs"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert a.base_value == b.base_value
