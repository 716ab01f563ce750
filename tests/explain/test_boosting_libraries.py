"""xgboost and lightgbm on real data: TreeSHAP, interactions and skops loading.

Both libraries are in the ``test`` extra (not runtime dependencies); the tests skip, and
say so in pytest's -ra summary, when one is not installed.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from auditlens.errors import ModelError
from auditlens.explain import explain_model, tree_interactions
from auditlens.model_file import is_allowed_type, load_model

# What skops 0.16 reports as untrusted for these pipelines (measured with lightgbm 4.7,
# xgboost 3.2): the library classes, plus for LightGBM the OrderedDict type that is the
# default_factory of its best_score_ defaultdict. All are on auditlens's allowlist.
UNTRUSTED = {
    "lightgbm": (
        "collections.OrderedDict",
        "lightgbm.basic.Booster",
        "lightgbm.sklearn.LGBMClassifier",
    ),
    "xgboost": ("xgboost.core.Booster", "xgboost.sklearn.XGBClassifier"),
}


def _pipeline(model: object, numeric: list[str], categorical: list[str]) -> Pipeline:
    pre = ColumnTransformer(
        [
            ("num", "passthrough", numeric),
            ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
        ]
    )
    return Pipeline([("preprocess", pre), ("model", model)])


@pytest.fixture(scope="module")
def lgbm(credit, columns) -> Pipeline:
    """LGBMClassifier on the string labels: classes_ == ["bad", "good"]."""
    lightgbm = pytest.importorskip("lightgbm")
    X, y = credit
    model = lightgbm.LGBMClassifier(
        n_estimators=30, num_leaves=15, random_state=0, n_jobs=1, verbose=-1
    )
    return _pipeline(model, *columns).fit(X, y)


@pytest.fixture(scope="module")
def xgb(credit, columns) -> Pipeline:
    """XGBClassifier (needs 0..k-1 labels) on bad = 1: classes_ == [0, 1]."""
    xgboost = pytest.importorskip("xgboost")
    X, y = credit
    model = xgboost.XGBClassifier(n_estimators=30, max_depth=4, random_state=0, n_jobs=1)
    return _pipeline(model, *columns).fit(X, (y == "bad").astype(int))


@pytest.fixture(params=["lightgbm", "xgboost"])
def fitted(request, lgbm, xgb) -> tuple[str, Pipeline]:
    return request.param, {"lightgbm": lgbm, "xgboost": xgb}[request.param]


def _log_odds(pipeline: Pipeline, X: pd.DataFrame, cls: object) -> np.ndarray:
    p = np.asarray(pipeline.predict_proba(X), dtype=np.float64)
    p = p[:, list(pipeline.classes_).index(cls)]
    return np.log(p) - np.log1p(-p)


# --------------------------------------------------------------------------- explain_model


def test_tree_explainer_adds_up_for_both_classes(fitted, credit):
    name, pipe = fitted
    X, _ = credit
    rows = X.iloc[:150]
    classes = list(pipe.classes_)
    fx0 = explain_model(pipe, X, rows, positive_class=classes[0], max_background=80)
    fx1 = explain_model(pipe, X, rows, positive_class=classes[1], max_background=80)
    print(f"{name} additivity gap: {fx0.additivity_gap:.3g} / {fx1.additivity_gap:.3g}")
    for fx, cls in ((fx0, classes[0]), (fx1, classes[1])):
        assert (fx.explainer, fx.output_scale) == ("tree", "log-odds")
        assert fx.positive_class == cls
        assert fx.additivity_gap <= 1e-6  # DEFAULT_TOLERANCE["tree"], not loosened
        # grouped back to the 20 original columns, one-hot columns summed
        assert fx.feature_names == tuple(X.columns)
        assert fx.values.shape == (150, 20)
        gap = np.abs(fx.values.sum(1) + fx.base_value - fx.model_output).max()
        assert gap == pytest.approx(fx.additivity_gap)
        # the output is the log-odds of the chosen class (xgboost's own is float32)
        atol = 1e-5 if name == "xgboost" else 1e-9
        np.testing.assert_allclose(fx.model_output, _log_odds(pipe, rows, cls), rtol=0, atol=atol)
    # the two classes are mirror images on the log-odds scale
    np.testing.assert_allclose(fx0.values, -fx1.values, rtol=0, atol=1e-12)
    assert fx0.base_value == pytest.approx(-fx1.base_value, abs=1e-12)
    # the categorical columns carry effect (their one-hot columns were grouped, not dropped)
    checking = X.columns.get_loc("status_of_existing_checking_account")
    assert np.abs(fx1.values[:, checking]).mean() > 0.05


def test_xgboost_float32_output_alone_would_miss_the_tolerance(xgb, credit):
    """Why _xgb_margin exists: xgboost's own float32 log-odds are ~1e-6 off the exact sum."""
    from auditlens.explain._shap import _xgb_margin

    X, _ = credit
    exact = _xgb_margin(xgb, X)
    assert exact is not None
    own = np.asarray(xgb.predict(X, output_margin=True), dtype=np.float64)
    from_proba = _log_odds(xgb, X, 1)
    print(
        f"xgboost float32 margin vs float64 leaf sum: {np.abs(own - exact).max():.3g}; "
        f"logit(float32 proba): {np.abs(from_proba - exact).max():.3g}"
    )
    assert np.abs(own - exact).max() < 1e-5  # same routing: only float32 rounding differs
    assert np.abs(from_proba - exact).max() < 1e-5


# --------------------------------------------------------------------------- interactions


def test_tree_interactions_on_credit(fitted, credit):
    name, pipe = fitted
    X, _ = credit
    classes = list(pipe.classes_)
    pairs = tree_interactions(pipe, X, positive_class=classes[1], max_rows=60, top=5)
    assert pairs is not None and len(pairs) == 5, name
    assert all(a in X.columns and b in X.columns and a != b and s > 0 for a, b, s in pairs)
    assert all(p[2] >= q[2] for p, q in pairwise(pairs))
    # strengths are magnitudes: the same pairs for either class
    other = tree_interactions(pipe, X, positive_class=classes[0], max_rows=60, top=5)
    assert other is not None and [p[:2] for p in other] == [p[:2] for p in pairs]
    np.testing.assert_allclose([p[2] for p in other], [p[2] for p in pairs], rtol=1e-12)


@pytest.mark.parametrize("library", ["lightgbm", "xgboost"])
def test_tree_interactions_find_a_planted_interaction(library, planted_interaction):
    mod = pytest.importorskip(library)
    X, y = planted_interaction()
    model = (
        mod.LGBMClassifier(n_estimators=40, num_leaves=8, random_state=0, n_jobs=1, verbose=-1)
        if library == "lightgbm"
        else mod.XGBClassifier(n_estimators=40, max_depth=3, random_state=0, n_jobs=1)
    )
    pipe = _pipeline(model, ["a", "b", "noise"], ["colour"]).fit(X, y)
    pairs = tree_interactions(pipe, X, positive_class=1, max_rows=80, top=3)
    assert pairs is not None and {pairs[0][0], pairs[0][1]} == {"a", "colour"}


# --------------------------------------------------------------------------- skops


def test_skops_file_loads_on_the_allowlist(fitted, credit, tmp_path):
    name, pipe = fitted
    X, _ = credit
    path = tmp_path / f"{name}.skops"
    sio.dump(pipe, path)
    reported = tuple(sorted(sio.get_untrusted_types(file=path)))
    print(f"{name}: skops untrusted types {reported}")
    assert reported == UNTRUSTED[name]
    assert all(is_allowed_type(t) for t in reported)

    loaded = load_model(path)  # no trusted_types
    assert loaded.format == "skops"
    assert loaded.untrusted_types == reported
    assert loaded.trusted_by_user == ()
    np.testing.assert_array_equal(loaded.estimator.predict_proba(X), pipe.predict_proba(X))
    # the loaded model explains like the original
    fx = explain_model(loaded.estimator, X, X.iloc[:30], positive_class=pipe.classes_[1], max_background=40)
    assert fx.explainer == "tree" and fx.additivity_gap <= 1e-6


def test_allowlist_is_only_classes_of_installed_libraries():
    pytest.importorskip("lightgbm")
    pytest.importorskip("xgboost")
    assert is_allowed_type("xgboost.sklearn.XGBClassifier")
    assert is_allowed_type("lightgbm.basic.Booster")
    assert is_allowed_type("collections.OrderedDict")
    assert not is_allowed_type("xgboost.core._deprecate_positional_args")  # a function
    assert not is_allowed_type("collections.namedtuple")  # a function that compiles code
    assert not is_allowed_type("lightgbm.basic.NoSuchClass")


def test_unknown_type_in_a_boosting_file_is_refused_in_one_line(lgbm, tmp_path):
    """Without the allowlist entry for OrderedDict, a LightGBM file would need the user."""
    import auditlens.model_file as mf

    path = tmp_path / "lgbm.skops"
    sio.dump(lgbm, path)
    allowed = mf._EXTRA_ALLOWED
    mf._EXTRA_ALLOWED = allowed - {"collections.OrderedDict"}
    try:
        with pytest.raises(ModelError) as info:
            load_model(path)
        loaded = load_model(path, trusted_types=["collections.OrderedDict"])
    finally:
        mf._EXTRA_ALLOWED = allowed
    assert "\n" not in str(info.value)
    assert "collections.OrderedDict" in str(info.value)
    assert loaded.trusted_by_user == ("collections.OrderedDict",)
