"""Pick the feature to colour a SHAP dependence plot by."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from auditlens.errors import DataError

if TYPE_CHECKING:
    from auditlens.explain._effects import FeatureEffects

__all__ = ["strongest_interaction"]

# A numeric column with at most this many distinct values is treated as categorical.
_FEW_VALUES = 10
# Numeric target feature: its SHAP values are detrended within this many quantile bins.
_BINS = 10


def _groups(x: pd.Series) -> np.ndarray | None:
    """Group codes when ``x`` is categorical or has few values, else None."""
    numeric = pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x)
    if numeric and x.nunique(dropna=False) > _FEW_VALUES:
        return None
    codes, _ = pd.factorize(x, use_na_sentinel=False)
    return codes


def _group_means(y: np.ndarray, codes: np.ndarray) -> np.ndarray:
    sums = np.bincount(codes, weights=y)
    counts = np.bincount(codes)
    return (sums / np.maximum(counts, 1))[codes]


def _residual(shap_f: np.ndarray, x: pd.Series) -> np.ndarray:
    """SHAP values of the feature minus their trend along the feature's own values."""
    codes = _groups(x)
    if codes is None:
        ranks = x.rank(method="first", na_option="bottom").to_numpy() - 1
        codes = np.minimum((ranks * _BINS // len(x)).astype(np.int64), _BINS - 1)
    return shap_f - _group_means(shap_f, codes)


def _explained(residual: np.ndarray, x: pd.Series) -> float:
    """Adjusted share of the residual's variance that ``x`` explains.

    Linear fit (squared correlation) for a numeric column, group means (eta squared) for a
    categorical one; adjusted for the number of groups so many-level columns do not win by
    chance: ``1 - (1 - R2) (n - 1) / (n - k)``.
    """
    n = len(residual)
    total = float(np.sum((residual - residual.mean()) ** 2))
    if n < 3 or total <= 0:
        return 0.0
    codes = _groups(x)
    if codes is None:
        v = x.to_numpy(dtype=np.float64, na_value=np.nan)
        v = np.where(np.isnan(v), np.nanmean(v), v)
        if np.ptp(v) == 0:
            return 0.0
        r = np.corrcoef(v, residual)[0, 1]
        r2, k = float(r * r), 2
    else:
        k = int(codes.max()) + 1
        if k < 2 or k >= n:
            return 0.0
        fitted = _group_means(residual, codes)
        r2 = float(np.sum((fitted - residual.mean()) ** 2)) / total
    return 1.0 - (1.0 - r2) * (n - 1) / (n - k)


def strongest_interaction(effects: FeatureEffects, X_explain: pd.DataFrame, feature: str) -> str:
    """The feature that best explains the vertical spread in ``feature``'s dependence plot.

    A cheap stand-in for SHAP interaction values, in the spirit of shap's
    ``approximate_interactions``: first remove the trend of ``feature``'s SHAP values
    along its own values (group means for a categorical or few-valued column, 10 quantile
    bins otherwise); what is left is the spread a colour can explain. Each other feature
    scores the adjusted share of that residual variance it explains (squared correlation
    if numeric, correlation ratio if categorical). The highest score wins; ties go to the
    earlier column.

    Args:
        effects: the :class:`FeatureEffects` for ``X_explain``.
        X_explain: the explained rows, in the same order, with the original columns.
        feature: one of ``effects.feature_names``.

    Returns:
        The name of another feature.

    Raises:
        DataError: ``feature`` or a column is missing, the row counts differ, or there is
            no other feature.

    Example:
        >>> import numpy as np, pandas as pd
        >>> from auditlens.explain import FeatureEffects
        >>> X = pd.DataFrame({"a": np.arange(40.0), "b": [0, 1] * 20, "c": np.ones(40)})
        >>> values = np.c_[X["a"] * X["b"], np.zeros(40), np.zeros(40)]
        >>> fx = FeatureEffects(
        ...     explainer="tree", output_scale="probability", positive_class=1,
        ...     background_size=1, background_seed=0, background_rows=(0,),
        ...     background_sha256="0" * 64, feature_names=("a", "b", "c"), values=values,
        ...     base_value=0.0, model_output=values.sum(1), additivity_gap=0.0)
        >>> strongest_interaction(fx, X, "a")
        'b'
    """
    names = list(effects.feature_names)
    if feature not in names:
        raise DataError(f"'feature' must be one of {names}. Got {feature!r} instead.")
    if len(names) < 2:
        raise DataError(f"'effects' must have at least 2 features. Got {names}.")
    missing = [c for c in names if c not in X_explain.columns]
    if missing:
        raise DataError(f"'X_explain' must have the explained columns. Missing {missing}.")
    if len(X_explain) != effects.values.shape[0]:
        raise DataError(
            f"'X_explain' must have the {effects.values.shape[0]} explained rows. "
            f"Got {len(X_explain)}."
        )
    X = X_explain.reset_index(drop=True)
    j = names.index(feature)
    residual = _residual(effects.values[:, j], X[feature])
    scores = [
        (-np.inf if name == feature else _explained(residual, X[name])) for name in names
    ]
    return names[int(np.argmax(scores))]
