"""Map the columns a fitted ColumnTransformer outputs back to the columns it was given."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.feature_selection import SelectorMixin
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from auditlens.errors import AnalysisError

__all__ = ["PER_COLUMN", "column_wise", "source_columns"]

# Transformers that transform each column on its own (outputs named after their input), so
# SHAP values of their outputs can be summed back into the input. A transformer that mixes
# columns (Normalizer, PCA, PolynomialFeatures, a FunctionTransformer) cannot be grouped
# back, whatever its output names say: the permutation explainer is used instead.
PER_COLUMN = (
    "StandardScaler", "MinMaxScaler", "MaxAbsScaler", "RobustScaler", "QuantileTransformer",
    "PowerTransformer", "SimpleImputer", "OneHotEncoder", "OrdinalEncoder", "KBinsDiscretizer",
    "SplineTransformer", "TargetEncoder", "Binarizer",
)


def column_wise(transformer: Any) -> bool:
    """True when every output of ``transformer`` depends on one input column only."""
    if isinstance(transformer, str):
        return transformer in ("passthrough", "drop")
    if isinstance(transformer, Pipeline):
        return all(column_wise(step) for _, step in transformer.steps if step is not None)
    if isinstance(transformer, ColumnTransformer):
        return all(column_wise(t) for _, t, _ in transformer.transformers_)
    if type(transformer).__name__ == "FunctionTransformer" and getattr(transformer, "func", 0) is None:
        return True  # a fitted ColumnTransformer's "passthrough": the identity
    return type(transformer).__name__ in PER_COLUMN or isinstance(transformer, SelectorMixin)


def _resolve(columns: Any, names: Sequence[str]) -> list[int]:
    """Positions in ``names`` of a ColumnTransformer column selection (already resolved)."""
    n = len(names)
    if isinstance(columns, slice):
        start, stop = columns.start, columns.stop
        if isinstance(start, str) or isinstance(stop, str):
            # label slices include their end, like pandas .loc
            lo = 0 if start is None else list(names).index(start)
            hi = n if stop is None else list(names).index(stop) + 1
            return list(range(lo, hi))[:: columns.step or 1]
        return list(range(n))[columns]
    if isinstance(columns, (str, int, np.integer)):
        columns = [columns]
    cols = list(columns)
    if not cols:
        return []
    if all(isinstance(c, (bool, np.bool_)) for c in cols):
        return [i for i, keep in enumerate(cols) if keep]
    if all(isinstance(c, str) for c in cols):
        return [list(names).index(c) for c in cols]
    return [int(c) % n for c in cols]


def _one_to_one(transformer: Any, inputs: list[str]) -> bool:
    if transformer == "passthrough":
        return True
    try:
        out = [str(s) for s in transformer.get_feature_names_out()]
    except (AttributeError, ValueError, TypeError):
        return False
    return out == inputs


def _one_hot(transformer: Any) -> Any | None:
    """The OneHotEncoder at the end of ``transformer`` if everything before it keeps columns."""
    if isinstance(transformer, OneHotEncoder):
        return transformer
    if isinstance(transformer, Pipeline) and isinstance(transformer[-1], OneHotEncoder):
        head = transformer[:-1]
        inputs = [str(s) for s in getattr(transformer, "feature_names_in_", [])]
        if len(head) == 0 or _one_to_one(head, inputs):
            return transformer[-1]
    return None


def _map_block(name: str, transformer: Any, inputs: list[str], n_out: int) -> list[int]:
    """For each of a transformer's ``n_out`` outputs, its position in ``inputs``."""
    if not column_wise(transformer):
        # e.g. Normalizer or FunctionTransformer keep their input names but mix columns:
        # grouping by name would credit one column with another's effect.
        raise AnalysisError(
            f"transformer {name!r} ({type(transformer).__name__}) may mix columns, so its outputs "
            "cannot be grouped back to original columns."
        )
    if _one_to_one(transformer, inputs) and n_out == len(inputs):
        return list(range(n_out))
    encoder = _one_hot(transformer)
    # private but present since sklearn 1.1, and exact with drop= and infrequent categories
    counts = getattr(encoder, "_n_features_outs", None)
    if counts is not None and sum(counts) == n_out and len(counts) == len(inputs):
        return [i for i, k in enumerate(counts) for _ in range(int(k))]
    # Fallback: OneHotEncoder-style names "<input>_<category>"; the longest input name wins.
    try:
        outs = [str(s) for s in transformer.get_feature_names_out()]
    except (AttributeError, ValueError, TypeError) as exc:
        raise AnalysisError(
            f"transformer {name!r} must map each output to one input column "
            f"(one-to-one or one-hot). Got {type(transformer).__name__} without feature names."
        ) from exc
    by_length = sorted(range(len(inputs)), key=lambda i: -len(inputs[i]))
    mapping = []
    for out in outs:
        hits = (i for i in by_length if out == inputs[i] or out.startswith(inputs[i] + "_"))
        hit = next(hits, None)
        if hit is None:
            raise AnalysisError(
                f"transformer {name!r} output {out!r} must come from one of its input columns "
                f"{inputs}. Got no match (SHAP values cannot be grouped back)."
            )
        mapping.append(hit)
    return mapping


def source_columns(preprocess: Any, feature_names: Sequence[str], n_transformed: int) -> np.ndarray:
    """For each transformed column, the position of its original column in ``feature_names``.

    Args:
        preprocess: a fitted ``ColumnTransformer``.
        feature_names: the original columns it was fitted on, in order.
        n_transformed: the number of columns ``preprocess.transform`` returns.

    Returns:
        An int array of length ``n_transformed``.

    Raises:
        AnalysisError: a transformer mixes input columns or the widths do not add up.

    Example:
        >>> import pandas as pd
        >>> from sklearn.compose import ColumnTransformer
        >>> from sklearn.preprocessing import OneHotEncoder
        >>> X = pd.DataFrame({"a": [1.0, 2.0], "c": ["x", "y"]})
        >>> ct = ColumnTransformer([("cat", OneHotEncoder(), ["c"])], remainder="passthrough")
        >>> source_columns(ct.fit(X), ["a", "c"], 3).tolist()
        [1, 1, 0]
    """
    names = [str(n) for n in feature_names]
    mapping = np.full(n_transformed, -1, dtype=np.int64)
    slices = getattr(preprocess, "output_indices_", {})
    for name, transformer, columns in preprocess.transformers_:
        block = slices.get(name, slice(0, 0))
        n_out = block.stop - block.start
        if transformer == "drop" or n_out == 0:
            continue
        positions = _resolve(columns, names)
        inputs = [names[i] for i in positions]
        local = _map_block(name, transformer, inputs, n_out)
        if len(local) != n_out:
            raise AnalysisError(
                f"transformer {name!r} must output {n_out} columns. Got {len(local)} names."
            )
        mapping[block] = [positions[j] for j in local]
    if (mapping < 0).any():
        raise AnalysisError(
            f"every transformed column must come from an input column. Got "
            f"{int((mapping < 0).sum())} of {n_transformed} unmapped."
        )
    return mapping
