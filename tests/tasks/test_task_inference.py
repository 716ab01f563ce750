"""The task is read from the evidence (target values, a fitted model) or stated; contradictions are refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from task_helpers import diabetes, wine

from auditlens.errors import AuditError, DataError, ModelError, SpecError
from auditlens.task import MAX_CLASSES, resolve_task, task_of_model, task_of_target


@pytest.mark.parametrize(
    ("values", "task"),
    [
        (["good", "bad", "good"], "binary"),
        ([0, 1, 1, 0], "binary"),
        ([True, False], "binary"),
        (["a", "b", "c", "a"], "multiclass"),
        ([1, 2, 3, 2, 1], "multiclass"),  # a few integer codes are classes
        ([0.5, 1.25, 3.0], "regression"),  # fractions are amounts
        (list(range(MAX_CLASSES + 1)), "regression"),  # many integers are counts
        (list(range(MAX_CLASSES)), "multiclass"),
    ],
)
def test_task_of_target(values: list, task: str) -> None:
    assert task_of_target(pd.Series(values, name="y")) == task


def test_task_of_fitted_models() -> None:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression, Ridge

    d, w = diabetes(), wine()
    X, y = d.drop(columns="progression"), d["progression"]
    assert task_of_model(Ridge().fit(X, y)) == "regression"
    assert task_of_model(LogisticRegression(max_iter=50).fit(X, y > 140)) == "binary"
    Xw, yw = w.drop(columns="cultivar"), w["cultivar"]
    assert task_of_model(RandomForestClassifier(n_estimators=3, random_state=0).fit(Xw, yw)) == "multiclass"


def test_statement_contradicting_the_model_names_both() -> None:
    from sklearn.linear_model import Ridge

    d = diabetes()
    model = Ridge().fit(d.drop(columns="progression"), d["progression"])
    with pytest.raises(ModelError) as err:
        resolve_task("multiclass", d["progression"], model)
    assert err.value.field == "model.task"
    assert "multiclass" in str(err.value) and "Ridge" in str(err.value) and "regression" in str(err.value)


@pytest.mark.parametrize(
    ("stated", "values", "error", "field"),
    [
        ("regression", ["a", "b", "c"], DataError, "data.target"),  # a non-numeric regression target
        ("binary", ["a", "b", "c"], SpecError, "model.task"),
        ("multiclass", ["a", "b", "a"], SpecError, "model.task"),
    ],
)
def test_statement_contradicting_the_target(stated: str, values: list, error: type, field: str) -> None:
    with pytest.raises(error) as err:
        resolve_task(stated, pd.Series(values, name="y"))
    assert isinstance(err.value, AuditError) and err.value.field == field


def test_classifier_decides_for_a_numeric_looking_target() -> None:
    """A classifier fitted on integer codes with many values is still a classifier."""
    from sklearn.tree import DecisionTreeClassifier

    y = pd.Series(np.arange(60) % 30, name="code")
    model = DecisionTreeClassifier(random_state=0).fit(pd.DataFrame({"x": np.arange(60)}), y)
    assert resolve_task(None, y, model) == "multiclass"


@pytest.mark.parametrize("sample", ["diabetes", "wine", "german-credit"])
def test_sample_specs_parse(sample: str) -> None:
    from task_helpers import SAMPLES

    from auditlens.spec import load_spec

    spec = load_spec(SAMPLES / sample / "audit.toml")
    assert spec.model.task in (None, "regression", "multiclass")


def test_stated_task_refuses_a_metric_of_another_task_at_parse_time(tmp_path) -> None:
    from task_helpers import copy_sample

    from auditlens.spec import load_spec

    spec = copy_sample("diabetes", tmp_path, metric='"roc_auc"')
    with pytest.raises(SpecError) as err:
        load_spec(spec)
    assert err.value.field == "tuning.metric" and "regression" in str(err.value) and "'roc_auc'" in str(err.value)
