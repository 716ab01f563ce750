"""The estimator registry: spec names to scikit-learn pipelines.

Each model is ``Pipeline([("preprocess", ColumnTransformer), ("model", estimator)])``:
numeric columns are standardised for linear models (trees do not need it), string columns
are one-hot encoded with unknown categories ignored. SHAP later maps the one-hot columns
back to their source column through the fitted ColumnTransformer.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from typing import Any

from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from auditlens.errors import SpecError
from auditlens.space import CategoricalParam, SearchSpace

# Classifiers (binary and multiclass alike) and regressors, by the spec's estimator name.
ESTIMATOR_CLASSES = {
    "logistic_regression": ("sklearn.linear_model", "LogisticRegression"),
    "random_forest": ("sklearn.ensemble", "RandomForestClassifier"),
    "hist_gradient_boosting": ("sklearn.ensemble", "HistGradientBoostingClassifier"),
}
REGRESSOR_CLASSES = {
    "ridge": ("sklearn.linear_model", "Ridge"),
    "elastic_net": ("sklearn.linear_model", "ElasticNet"),
    "random_forest": ("sklearn.ensemble", "RandomForestRegressor"),
    "hist_gradient_boosting": ("sklearn.ensemble", "HistGradientBoostingRegressor"),
}
# Linear models see standardised numeric columns (trees do not need it).
_SCALED = ("logistic_regression", "ridge", "elastic_net")

# Defaults that make a run reproducible and bounded; the spec's [model.params] override them.
_DEFAULTS: dict[str, dict[str, Any]] = {
    "logistic_regression": {"max_iter": 2000},
    "random_forest": {"n_jobs": 1},
    "hist_gradient_boosting": {"early_stopping": False},
    "ridge": {},
    "elastic_net": {"max_iter": 10000},
}


def estimator_class(kind: str, task: str = "binary") -> type:
    """The scikit-learn class of an estimator name for a task (SpecError if it has none)."""
    table = REGRESSOR_CLASSES if task == "regression" else ESTIMATOR_CLASSES
    if kind not in table:
        raise SpecError(
            field="model.estimator", expected=f"one of {', '.join(table)} for a {task} model", got=repr(kind)
        )
    module, name = table[kind]
    return getattr(importlib.import_module(module), name)


def check_params(kind: str, names: Sequence[str], *, field: str, task: str = "binary") -> None:
    """Raise SpecError if a name is not a constructor argument of the estimator."""
    cls = estimator_class(kind, task)
    valid = sorted(cls().get_params())
    for name in names:
        if name not in valid:
            raise SpecError(
                f"{field}.{name}: not a parameter of {cls.__name__}; "
                f"parameters are {', '.join(valid)}"
            )


def check_values(kind: str, space: SearchSpace, fixed: Mapping[str, Any], task: str = "binary") -> None:
    """Raise SpecError if the estimator refuses a fixed value, a choice or a bound of the space.

    scikit-learn validates parameters only when ``fit`` runs, so a choice it refuses (e.g.
    ``max_bins = 100000``) would fail every trial that draws it, each with a traceback. Its
    own validation (``_validate_params``, scikit-learn >= 1.2) is run here on a clone per
    value before tuning; ranges are intervals, so their two ends are checked.
    """
    base = estimator_class(kind, task)(**{**_DEFAULTS[kind], **dict(fixed)})
    if not hasattr(base, "_validate_params"):  # older scikit-learn: fit will tell
        return
    candidates: list[tuple[str, str, Any]] = [("model.params", name, v) for name, v in fixed.items()]
    for p in space:
        values = p.choices if isinstance(p, CategoricalParam) else (p.low, p.high)
        candidates += [("tuning.space", p.name, v) for v in values]
    for field, name, value in candidates:
        try:
            clone(base).set_params(**{name: value})._validate_params()
        except (ValueError, TypeError) as exc:
            reason = " ".join(str(exc).split())
            raise SpecError(f"{field}.{name}: {value!r} is refused by {type(base).__name__}: {reason}") from None


def build_pipeline(
    kind: str,
    *,
    numeric: Sequence[str],
    categorical: Sequence[str],
    params: Mapping[str, Any],
    seed: int,
    task: str = "binary",
) -> Pipeline:
    """Return an unfitted preprocessing + estimator pipeline.

    Example:
        >>> p = build_pipeline("logistic_regression", numeric=["a"], categorical=["b"],
        ...                    params={"C": 0.5}, seed=0)
        >>> p.named_steps["model"].C
        0.5
    """
    numeric_step: Any = StandardScaler() if kind in _SCALED else "passthrough"
    preprocess = ColumnTransformer(
        [
            ("numeric", numeric_step, list(numeric)),
            ("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False), list(categorical)),
        ],
        remainder="drop",
        verbose_feature_names_out=True,
    )
    cls = estimator_class(kind, task)
    arguments = {**_DEFAULTS[kind], **dict(params)}
    if "random_state" in cls().get_params():
        arguments["random_state"] = seed
    return Pipeline([("preprocess", preprocess), ("model", cls(**arguments))])
