"""The estimator registry: spec names to scikit-learn pipelines.

Each model is ``Pipeline([("preprocess", ColumnTransformer), ("model", estimator)])``:
numeric columns are standardised for linear models (trees do not need it), string columns
are one-hot encoded with unknown categories ignored. SHAP later maps the one-hot columns
back to their source column through the fitted ColumnTransformer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from auditlens.errors import SpecError

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

ESTIMATOR_CLASSES = {
    "logistic_regression": ("sklearn.linear_model", "LogisticRegression"),
    "random_forest": ("sklearn.ensemble", "RandomForestClassifier"),
    "hist_gradient_boosting": ("sklearn.ensemble", "HistGradientBoostingClassifier"),
}

# Defaults that make a run reproducible and bounded; the spec's [model.params] override them.
_DEFAULTS: dict[str, dict[str, Any]] = {
    "logistic_regression": {"max_iter": 2000},
    "random_forest": {"n_jobs": 1},
    "hist_gradient_boosting": {"early_stopping": False},
}


def estimator_class(kind: str) -> type:
    import importlib

    module, name = ESTIMATOR_CLASSES[kind]
    return getattr(importlib.import_module(module), name)


def check_params(kind: str, names: Sequence[str], *, field: str) -> None:
    """Raise SpecError if a name is not a constructor argument of the estimator."""
    valid = sorted(estimator_class(kind)().get_params())
    for name in names:
        if name not in valid:
            raise SpecError(
                f"{field}.{name}: not a parameter of {estimator_class(kind).__name__}; "
                f"parameters are {', '.join(valid)}"
            )


def build_pipeline(
    kind: str,
    *,
    numeric: Sequence[str],
    categorical: Sequence[str],
    params: Mapping[str, Any],
    seed: int,
) -> Pipeline:
    """Return an unfitted preprocessing + estimator pipeline.

    Example:
        >>> p = build_pipeline("logistic_regression", numeric=["a"], categorical=["b"],
        ...                    params={"C": 0.5}, seed=0)
        >>> p.named_steps["model"].C
        0.5
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric_step: Any = StandardScaler() if kind == "logistic_regression" else "passthrough"
    preprocess = ColumnTransformer(
        [
            ("numeric", numeric_step, list(numeric)),
            ("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False), list(categorical)),
        ],
        remainder="drop",
        verbose_feature_names_out=True,
    )
    cls = estimator_class(kind)
    arguments = {**_DEFAULTS[kind], **dict(params)}
    if "random_state" in cls().get_params():
        arguments["random_state"] = seed
    return Pipeline([("preprocess", preprocess), ("model", cls(**arguments))])
