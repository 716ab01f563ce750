"""TreeSHAP (interventional) on real forests and boosting models fitted on german credit."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)

from auditlens.errors import AnalysisError
from auditlens.explain import explain_model


@pytest.fixture(scope="module")
def hgb(make_pipeline):
    return make_pipeline(HistGradientBoostingClassifier(max_iter=60, random_state=0))


@pytest.fixture(scope="module")
def forest(make_pipeline):
    return make_pipeline(RandomForestClassifier(n_estimators=40, random_state=0, n_jobs=1))


def _log_odds(pipeline, X, cls):
    p = pipeline.predict_proba(X)[:, list(pipeline.classes_).index(cls)]
    return np.log(p) - np.log1p(-p)


def test_hgb_adds_up_on_log_odds(hgb, credit):
    X, _ = credit
    fx = explain_model(hgb, X, X.iloc[:120], positive_class="bad", max_background=60)
    print(f"HGB additivity gap: {fx.additivity_gap:.3g}")
    assert (fx.explainer, fx.output_scale) == ("tree", "log-odds")
    assert fx.feature_names == tuple(X.columns) and len(fx.feature_names) == 20
    assert fx.values.shape == (120, 20)
    assert fx.additivity_gap < 1e-6
    # the output is the log-odds of "bad", recomputed here from predict_proba
    np.testing.assert_allclose(fx.model_output, _log_odds(hgb, X.iloc[:120], "bad"), atol=1e-9)
    gap = np.abs(fx.values.sum(1) + fx.base_value - fx.model_output).max()
    assert gap == pytest.approx(fx.additivity_gap)


def test_forest_adds_up_on_probability(forest, credit):
    X, _ = credit
    fx = explain_model(forest, X, X.iloc[:40], positive_class="bad", max_background=50)
    print(f"RandomForest additivity gap: {fx.additivity_gap:.3g}")
    assert (fx.explainer, fx.output_scale) == ("tree", "probability")
    assert fx.feature_names == tuple(X.columns)
    assert fx.additivity_gap < 1e-6
    np.testing.assert_array_equal(fx.model_output, forest.predict_proba(X.iloc[:40])[:, 0])
    bg = X.iloc[list(fx.background_rows)]
    assert fx.base_value == pytest.approx(forest.predict_proba(bg)[:, 0].mean(), abs=1e-12)


@pytest.mark.parametrize("name", ["hgb", "forest"])
def test_positive_class_flips_sign(name, request, credit):
    pipeline = request.getfixturevalue(name)
    X, _ = credit
    bad = explain_model(pipeline, X, X.iloc[:30], positive_class="bad", max_background=40)
    good = explain_model(pipeline, X, X.iloc[:30], positive_class="good", max_background=40)
    # p(bad) = 1 - p(good) and log-odds(bad) = -log-odds(good): SHAP values flip sign
    np.testing.assert_allclose(bad.values, -good.values, atol=1e-6)
    if bad.output_scale == "probability":
        np.testing.assert_allclose(bad.model_output, 1 - good.model_output, atol=1e-12)
    else:
        np.testing.assert_allclose(bad.model_output, -good.model_output, atol=1e-12)
    assert bad.additivity_gap < 1e-6 and good.additivity_gap < 1e-6


def test_gradient_boosting_classifier(make_pipeline, credit):
    X, _ = credit
    pipeline = make_pipeline(GradientBoostingClassifier(n_estimators=30, random_state=0))
    fx = explain_model(pipeline, X, X.iloc[:50], positive_class="bad", max_background=50)
    assert (fx.explainer, fx.output_scale) == ("tree", "log-odds")
    assert fx.additivity_gap < 1e-6
    np.testing.assert_allclose(fx.model_output, -pipeline.decision_function(X.iloc[:50]))


def test_unscaled_numeric_columns(make_pipeline, credit):
    """Raw integer features (passthrough) and float32 tree thresholds still add up."""
    X, _ = credit
    pipeline = make_pipeline(RandomForestClassifier(n_estimators=20, random_state=1), scale=False)
    fx = explain_model(pipeline, X, X.iloc[:40], positive_class="good", max_background=40)
    assert fx.additivity_gap < 1e-6


def test_same_seed_same_arrays(hgb, credit):
    X, _ = credit
    a = explain_model(hgb, X, X.iloc[:40], positive_class="bad", seed=3, max_background=50)
    b = explain_model(hgb, X, X.iloc[:40], positive_class="bad", seed=3, max_background=50)
    c = explain_model(hgb, X, X.iloc[:40], positive_class="bad", seed=4, max_background=50)
    for field in ("values", "model_output", "mean_abs"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert (a.base_value, a.background_sha256) == (b.base_value, b.background_sha256)
    assert a.background_rows != c.background_rows
    assert a.background_sha256 != c.background_sha256


def test_background_is_recorded(hgb, credit):
    X, _ = credit
    fx = explain_model(hgb, X, X.iloc[:5], positive_class="bad", seed=11, max_background=30)
    rows = fx.background_rows
    assert (fx.background_size, fx.background_seed, len(rows)) == (30, 11, 30)
    assert list(rows) == sorted(set(rows)) and max(rows) < len(X)
    expected = np.sort(np.random.default_rng(11).choice(len(X), size=30, replace=False))
    assert list(rows) == expected.tolist()
    csv = X.iloc[list(rows)].to_csv(index=False, lineterminator="\n").encode()
    assert fx.background_sha256 == hashlib.sha256(csv).hexdigest()
    # a smaller background frame is used whole
    small = explain_model(hgb, X.iloc[:10], X.iloc[:5], positive_class="bad", max_background=30)
    assert small.background_rows == tuple(range(10))


def test_gap_over_tolerance_raises(hgb, credit):
    X, _ = credit
    with pytest.raises(AnalysisError, match=r"gap must be <= 0 \(tree explainer, log-odds\)"):
        explain_model(hgb, X, X.iloc[:20], positive_class="bad", tolerance=0.0)


def test_hgb_with_categorical_splits_falls_back_to_permutation(make_pipeline, credit, columns):
    """shap ignores HGB categorical bitsets, so those models go to the permutation explainer."""
    X, _ = credit
    numeric, _ = columns
    pipeline = make_pipeline(HistGradientBoostingClassifier(max_iter=10, random_state=0))
    n_out = pipeline[0].transform(X.iloc[:1]).shape[1]
    mask = [i >= len(numeric) for i in range(n_out)]  # the one-hot block
    model = HistGradientBoostingClassifier(max_iter=10, categorical_features=mask, random_state=0)
    pipeline = make_pipeline(model)
    fx = explain_model(
        pipeline, X, X.iloc[:3], positive_class="bad", max_background=10, max_evals=45
    )
    assert (fx.explainer, fx.output_scale) == ("permutation", "probability")
    assert fx.additivity_gap < 1e-9


def test_parallel_chunks_give_identical_values() -> None:
    """n_jobs=2 splits TreeSHAP into 2,000-row chunks across processes: same values, progress."""
    import numpy as np
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.datasets import make_classification
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline

    from auditlens.explain import explain_model

    X, y = make_classification(4500, 6, random_state=0)
    cols = [f"x{i}" for i in range(6)]
    frame = pd.DataFrame(X, columns=cols)
    pre = ColumnTransformer([("num", "passthrough", cols)])
    pipe = Pipeline([("preprocess", pre), ("model", HistGradientBoostingClassifier(max_iter=10, random_state=0))])
    pipe.fit(frame, y)
    one = explain_model(pipe, frame, frame, positive_class=1, max_background=20)
    seen: list[tuple[int, int]] = []
    two = explain_model(pipe, frame, frame, positive_class=1, max_background=20, n_jobs=2,
                        progress=lambda done, total: seen.append((done, total)))
    assert np.array_equal(one.values, two.values) and two.additivity_gap < 1e-6
    assert seen == [(2000, 4500), (4000, 4500), (4500, 4500)]
