"""Loading a model file: skops with an allowlist, pickle only when allowed, real files only."""

from __future__ import annotations

import os
import pickle
import zipfile
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from auditlens._files import sha256_file
from auditlens.errors import AuditError, DataError, ModelError
from auditlens.model_file import (
    check_columns,
    check_positive_class,
    is_allowed_type,
    load_model,
    model_classes,
    model_features,
)


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({
        "age": rng.integers(18, 80, 200),
        "amount": rng.normal(1000, 300, 200),
        "job": rng.choice(["a", "b", "c"], 200),
    })
    y = np.where(X["amount"] + 10 * X["age"] > 1400, "bad", "good")
    return X, y


@pytest.fixture(scope="module")
def forest(data) -> RandomForestClassifier:
    X, y = data
    return RandomForestClassifier(n_estimators=5, random_state=0).fit(X[["age", "amount"]], y)


@pytest.fixture(scope="module")
def pipe(data) -> Pipeline:
    X, y = data
    pre = ColumnTransformer([("num", StandardScaler(), ["age", "amount"]), ("cat", OneHotEncoder(), ["job"])])
    return Pipeline([("preprocess", pre), ("model", LogisticRegression())]).fit(X, y)


class Payload:
    """Unpickling this creates ``marker``: the proof a loader ran code from the file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


# --------------------------------------------------------------------------- skops


def test_skops_forest_loads_with_its_untrusted_tree_type(forest, tmp_path):
    path = tmp_path / "model.skops"
    sio.dump(forest, path)
    loaded = load_model(path)
    assert loaded.format == "skops" and loaded.path == path
    assert loaded.sha256 == sha256_file(path)
    # skops does not trust sklearn's tree storage by default; the allowlist does
    assert loaded.untrusted_types == ("sklearn.tree._tree.Tree",)
    assert loaded.trusted_by_user == () and loaded.warnings == ()
    X = pd.DataFrame({"age": [30, 60], "amount": [900.0, 1500.0]})
    np.testing.assert_array_equal(loaded.estimator.predict_proba(X), forest.predict_proba(X))


def test_skops_pipeline_and_hgb(pipe, data, tmp_path):
    X, y = data
    sio.dump(pipe, tmp_path / "pipe.skops")
    assert load_model(tmp_path / "pipe.skops").untrusted_types == ()
    hgb = HistGradientBoostingClassifier(max_iter=5).fit(X[["age", "amount"]], y)
    sio.dump(hgb, tmp_path / "hgb.skops")
    assert load_model(tmp_path / "hgb.skops").untrusted_types == (
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    )


def test_type_outside_the_allowlist_is_refused_then_trusted(forest, tmp_path):
    model = RandomForestClassifier(n_estimators=2, random_state=0).fit([[0.0], [1.0]], [0, 1])
    model.hook = os.system  # a function skops would resolve: never allowed automatically
    path = tmp_path / "evil.skops"
    sio.dump(model, path)
    name = f"{os.system.__module__}.system"
    with pytest.raises(ModelError) as err:
        load_model(path)
    assert str(err.value) == (
        f"model.path: evil.skops contains types not on the allowlist: {name}; review them "
        "and list the ones you trust in model.trusted_types to load it"
    )
    with pytest.raises(ModelError, match=r"in \[model\] trusted_types of a spec to load it$"):
        load_model(path, field="--model")
    loaded = load_model(path, trusted_types=[name])
    assert loaded.trusted_by_user == (name,)
    assert loaded.untrusted_types == tuple(sorted([name, "sklearn.tree._tree.Tree"]))


def test_allowlist_decisions():
    assert is_allowed_type("sklearn.tree._tree.Tree")
    assert is_allowed_type("sklearn.utils._bunch.Bunch")
    assert is_allowed_type("numpy.dtype")
    assert not is_allowed_type("builtins.eval")
    assert not is_allowed_type("sklearn.utils.validation.column_or_1d")  # function
    assert not is_allowed_type("sklearn.utils.fixes.partial")  # re-exported, not defined there
    assert not is_allowed_type("sklearn.utils._testing.assert_run_python_script_without_output")
    assert not is_allowed_type("xgboost.nonexistent.Booster")


def test_crafted_tree_indices_are_refused(forest, data, tmp_path):
    import copy

    crafted = copy.deepcopy(forest)
    tree = crafted.estimators_[0].tree_
    state = tree.__getstate__()
    nodes = state["nodes"].copy()
    nodes["left_child"][0] = 10**6  # sklearn would follow it out of bounds
    state["nodes"] = nodes
    tree.__setstate__(state)
    sio.dump(crafted, tmp_path / "crafted.skops")
    with pytest.raises(ModelError) as err:
        load_model(tmp_path / "crafted.skops")
    assert str(err.value) == (
        "model.path: crafted.skops holds a tree with child node indices out of range; "
        "the file is corrupt or crafted"
    )

    X, y = data
    hgb = HistGradientBoostingClassifier(max_iter=3).fit(X[["age", "amount"]], y)
    predictor = hgb._predictors[0][0]
    inner = np.flatnonzero(predictor.nodes["is_leaf"] == 0)[0]
    predictor.nodes["feature_idx"][inner] = 7  # only 2 columns
    sio.dump(hgb, tmp_path / "hgb.skops")
    with pytest.raises(ModelError, match="feature indices outside the 2 input columns"):
        load_model(tmp_path / "hgb.skops")


# --------------------------------------------------------------------------- pickle


@pytest.mark.parametrize("suffix", [".pkl", ".joblib"])
def test_pickle_payload_is_refused_and_never_runs(suffix, tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / f"model{suffix}"
    if suffix == ".pkl":
        path.write_bytes(pickle.dumps(Payload(marker)))
    else:
        joblib.dump(Payload(marker), path)
    assert not marker.exists()
    with pytest.raises(ModelError) as err:
        load_model(path)
    assert str(err.value) == (
        f"model.path: model{suffix} is a pickle file, which runs code when loaded; convert it "
        "to skops (skops.io.dump) or set model.allow_pickle = true if you trust its origin"
    )
    with pytest.raises(ModelError, match="or set --allow-pickle if you trust its origin$"):
        load_model(path, field="--model")
    assert not marker.exists()


def test_pickle_payload_renamed_skops_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "model.skops"
    path.write_bytes(pickle.dumps(Payload(marker)))
    with pytest.raises(ModelError) as err:
        load_model(path)
    assert str(err.value) == (
        "model.path: model.skops is not a skops file (a pickle); save the model with skops.io.dump"
    )
    assert not marker.exists()


def test_allowed_pickle_loads_with_a_warning(forest, tmp_path):
    joblib.dump(forest, tmp_path / "model.joblib")
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(forest))
    for name, fmt in [("model.joblib", "joblib"), ("model.pkl", "pickle")]:
        loaded = load_model(tmp_path / name, allow_pickle=True)
        assert loaded.format == fmt and loaded.untrusted_types == ()
        assert loaded.sha256 == sha256_file(tmp_path / name)
        assert loaded.warnings == (
            (f"{name} was loaded from a {fmt} file with allow_pickle, which runs any code the "
            "file contains; its origin was trusted, not checked."),
        )
    (tmp_path / "junk.pkl").write_bytes(b"\x80\x05not really")
    with pytest.raises(ModelError, match=r"^model.path: junk.pkl could not be unpickled \("):
        load_model(tmp_path / "junk.pkl", allow_pickle=True)


# --------------------------------------------------------------------------- bad files


def test_bad_files_give_one_line_errors(forest, tmp_path):
    sio.dump(forest, tmp_path / "good.skops")
    good = (tmp_path / "good.skops").read_bytes()
    (tmp_path / "empty.skops").write_bytes(b"")
    (tmp_path / "random.skops").write_bytes(np.random.default_rng(0).bytes(400))
    (tmp_path / "truncated.skops").write_bytes(good[: len(good) // 2])
    with zipfile.ZipFile(tmp_path / "noschema.skops", "w") as z:
        z.writestr("readme.txt", "no schema here")
    (tmp_path / "model.onnx").write_bytes(b"x")
    (tmp_path / "folder.skops").mkdir()
    cases = {
        "missing.skops": f"model.path: file not found: {tmp_path / 'missing.skops'}",
        "folder.skops": f"model.path: {tmp_path / 'folder.skops'} is not a file",
        "empty.skops": "model.path: empty.skops is empty (0 bytes); expected a saved model",
        "random.skops": "model.path: random.skops is not a skops file (not a zip archive); "
        "save the model with skops.io.dump",
        "truncated.skops": "model.path: truncated.skops is not a skops file (not a zip archive); "
        "save the model with skops.io.dump",
        "noschema.skops": "model.path: noschema.skops is not a readable skops file (KeyError); "
        "save the model again with skops.io.dump",
        "model.onnx": "model.path: model.onnx has an unsupported extension '.onnx'; expected "
        ".skops (skops.io.dump), or .pkl, .pickle, .joblib (pickle, only with allow_pickle)",
    }
    for name, message in cases.items():
        with pytest.raises(ModelError) as err:
            load_model(tmp_path / name)
        assert str(err.value) == message
        assert "\n" not in str(err.value)
        # no chained traceback: raised directly or "from None"
        assert err.value.__cause__ is None
        assert err.value.__context__ is None or err.value.__suppress_context__
    assert issubclass(ModelError, AuditError) and issubclass(ModelError, ValueError)


def test_not_a_usable_model(data, tmp_path):
    X, _ = data
    num = X[["age", "amount"]]
    one_class = LogisticRegression()
    one_class.classes_ = np.array(["a"])  # what a hand-edited or corrupted file could hold
    one_class.coef_, one_class.intercept_ = np.zeros((1, 2)), np.zeros(1)
    cases = {
        "scaler.skops": (StandardScaler().fit(num), ("model.path: scaler.skops holds a "
                         "sklearn.preprocessing._data.StandardScaler; expected a fitted "
                         "scikit-learn classifier (with predict_proba), regressor, or Pipeline of one")),
        "unfitted.skops": (LogisticRegression(), ("model.path: unfitted.skops holds an unfitted "
                           "LogisticRegression; fit it before saving")),
        "one.skops": (one_class, ("model.path: one.skops holds a LogisticRegression with 1 classes ('a'); "
                      "expected a classifier of two or more classes")),
    }
    for name, (model, message) in cases.items():
        sio.dump(model, tmp_path / name)
        with pytest.raises(ModelError) as err:
            load_model(tmp_path / name)
        assert str(err.value) == message


def test_regressors_and_multiclass_models_load(data, tmp_path):
    """Issue 14: a fitted regressor and a three-class classifier are models to audit, not errors."""
    X, _ = data
    num = X[["age", "amount"]]
    for name, model in {
        "regressor.skops": LinearRegression().fit(num, num["age"]),
        "three.skops": LogisticRegression().fit(num, X["job"]),
    }.items():
        sio.dump(model, tmp_path / name)
        assert type(load_model(tmp_path / name).estimator) is type(model)


# --------------------------------------------------------------------------- model vs data


def test_columns_and_classes(pipe, data):
    X, _ = data
    assert model_features(pipe) == ("age", "amount", "job")
    assert model_classes(pipe) == ("bad", "good")
    assert check_columns(pipe, ["job", "amount", "age"], data_name="credit.csv") == ("age", "amount", "job")
    assert check_columns(pipe, ["job", "amount", "age", "sex"], data_name="credit.csv", ignore=["sex"]) == (
        "age", "amount", "job")
    with pytest.raises(DataError) as err:
        check_columns(pipe, ["amount", "foo", "id"], data_name="credit.csv")
    assert str(err.value) == (
        "data: credit.csv does not match the model's features: missing age, job; unexpected foo, id"
    )
    with pytest.raises(DataError, match=r"features: missing job$"):
        check_columns(pipe, ["age", "amount"], data_name="credit.csv")

    bare = LogisticRegression().fit(X[["age", "amount"]].to_numpy(), X["job"] == "a")
    assert model_features(bare) is None
    assert check_columns(bare, ["p", "q"], data_name="x.csv") == ("p", "q")
    with pytest.raises(DataError) as err:
        check_columns(bare, ["p", "q", "r"], data_name="x.csv")
    assert str(err.value) == (
        "data: x.csv has 3 feature columns; the model was fitted without column names on 2 "
        "features, so the data must have exactly 2 feature columns in the model's order"
    )
    assert model_classes(bare) == (False, True)


def test_positive_class(pipe, data):
    assert check_positive_class(pipe, "bad") == "bad"
    with pytest.raises(DataError) as err:
        check_positive_class(pipe, "yes")
    assert str(err.value) == "data.positive_class: 'yes' is not among the model's classes 'bad', 'good'"
    X, _ = data
    ints = LogisticRegression().fit(X[["age"]], (X["job"] == "a").astype(int))
    assert check_positive_class(ints, "1") == 1 and type(check_positive_class(ints, "1")) is int
    with pytest.raises(DataError, match=r"^--positive-class: 2 is not among the model's classes 0, 1$"):
        check_positive_class(ints, 2, field="--positive-class")
