"""Bad inputs fail at the boundary with messages that name what is wrong."""

from __future__ import annotations

import pytest
from sklearn.linear_model import LogisticRegression

from auditlens.errors import AnalysisError, DataError
from auditlens.explain import explain_model


@pytest.fixture(scope="module")
def logistic(make_pipeline):
    return make_pipeline(LogisticRegression(max_iter=500), rows=300)


def test_missing_columns_are_named(logistic, credit):
    X, _ = credit
    short = X.drop(columns=["purpose", "age_in_years"])
    expected = r"'X_explain'.*Missing 2 column\(s\): \['purpose', 'age_in_years'\]"
    with pytest.raises(DataError, match=expected):
        explain_model(logistic, X, short, positive_class="bad")
    with pytest.raises(DataError, match=r"'X_background'.*\['purpose', 'age_in_years'\]"):
        explain_model(logistic, short, X, positive_class="bad")


def test_unknown_positive_class_lists_classes(logistic, credit):
    X, _ = credit
    expected = r"one of the model's classes \['bad', 'good'\]\. Got 'yes'"
    with pytest.raises(DataError, match=expected):
        explain_model(logistic, X, X.iloc[:5], positive_class="yes")


def test_other_bad_inputs(logistic, credit):
    X, _ = credit
    with pytest.raises(DataError, match="must be a pandas DataFrame"):
        explain_model(logistic, X, X.to_numpy(), positive_class="bad")
    with pytest.raises(DataError, match="at least one row"):
        explain_model(logistic, X, X.iloc[:0], positive_class="bad")
    with pytest.raises(DataError, match="'max_background' must be an int >= 1"):
        explain_model(logistic, X, X.iloc[:5], positive_class="bad", max_background=0)
    with pytest.raises(AnalysisError, match="must be a fitted sklearn Pipeline"):
        explain_model(logistic[-1], X, X.iloc[:5], positive_class="bad")


def test_errors_are_also_builtins():
    assert issubclass(DataError, ValueError) and issubclass(AnalysisError, RuntimeError)
