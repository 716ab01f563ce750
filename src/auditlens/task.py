"""The kind of model an audit judges: a binary or multiclass classifier, or a regressor.

The task is read from the evidence (the target's values; a fitted model's ``classes_`` or
``is_regressor``) and may be stated in the spec (``[model] task``). Evidence and statement
must agree: a contradiction is bad input (exit 2) naming both, never a silent choice.

Example:
    >>> import pandas as pd
    >>> task_of_target(pd.Series(["good", "bad", "good"]))
    'binary'
    >>> task_of_target(pd.Series([1.5, 2.25, 3.0]))
    'regression'
    >>> task_of_target(pd.Series(["a", "b", "c"]))
    'multiclass'
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import is_classifier, is_regressor

from auditlens.errors import DataError, ModelError, SpecError
from auditlens.task_metrics import DEFAULT_METRIC, METRICS

Task = Literal["binary", "multiclass", "regression"]
TASKS: tuple[Task, ...] = ("binary", "multiclass", "regression")
__all__ = ["DEFAULT_METRIC", "MAX_CLASSES", "METRICS", "TASKS", "Task", "is_classification", "resolve_task",
           "task_of_model", "task_of_target"]

# An integer target with more distinct values than this is a count or an amount, not classes.
MAX_CLASSES = 20

def task_of_target(labels: pd.Series) -> Task:
    """What the target column's values say: two values → binary; a few labels → multiclass;
    numbers with fractions, or more than :data:`MAX_CLASSES` distinct integers → regression."""
    values = labels.dropna()
    distinct = values.nunique()
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if numeric:
        as_float = values.to_numpy(dtype=np.float64)
        fractional = bool(np.any(as_float != np.round(as_float)))
        if fractional or distinct > MAX_CLASSES:
            return "regression"
    return "binary" if distinct <= 2 else "multiclass"


def task_of_model(model: Any) -> Task | None:
    """What a fitted model says: a regressor, or a classifier with 2 or more classes (None: unknown)."""
    classes = getattr(model, "classes_", None)
    if classes is not None and not is_regressor(model):
        return "binary" if len(classes) == 2 else "multiclass"
    if is_regressor(model) or (not is_classifier(model) and hasattr(model, "predict") and not hasattr(model, "predict_proba")):
        return "regression"
    return None


def resolve_task(stated: Task | None, target: pd.Series, model: Any = None) -> Task:
    """The audit's task: the statement if given, checked against the model and the target.

    Raises:
        SpecError, ModelError, DataError: the statement, the model and the target disagree (each
            message names what said what).
    """
    from_model = task_of_model(model) if model is not None else None
    from_target = task_of_target(target)
    if stated is not None and from_model is not None and _kind(stated) != _kind(from_model):
        raise ModelError(
            field="model.task", expected=f"a model for {stated} (as stated)",
            got=f"a fitted {type(model).__name__}, a {from_model} model",
        )
    task = stated or from_model or from_target
    if task == "regression":
        if not pd.api.types.is_numeric_dtype(target) or pd.api.types.is_bool_dtype(target):
            sample = ", ".join(map(repr, target.dropna().unique()[:3].tolist()))
            raise DataError(
                field="data.target", expected=f"numbers for a regression model (column {target.name!r})",
                got=f"{target.dtype} values such as {sample}",
            )
        return task
    distinct = target.dropna().nunique()
    if from_model is not None and model is not None:  # a classifier: its classes decide, the data must fit them
        return "binary" if len(model.classes_) == 2 else "multiclass"
    if task == "binary" and distinct > 2:
        raise SpecError(
            field="model.task", expected=f"a target with two labels for a binary model (column {target.name!r})",
            got=f"{distinct} distinct values",
        )
    if task == "multiclass" and distinct < 3:
        raise SpecError(
            field="model.task", expected=f"a target with three or more labels for a multiclass model (column {target.name!r})",
            got=f"{distinct} distinct values",
        )
    return task


def is_classification(task: str) -> bool:
    return task in ("binary", "multiclass")


def _kind(task: str) -> str:
    return "classification" if is_classification(task) else "regression"
