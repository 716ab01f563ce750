"""Checks of what :func:`auditlens.fanova.decompose` is given, before anything is fitted.

Messages name the argument, what was expected and what was received
(``'n_trees' must be an int >= 2. Got 0 instead.``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np

from auditlens.errors import TrialsError

__all__ = [
    "check_int",
    "check_options",
    "reserve_inactive",
    "resolve_surrogate",
    "validate_cutoff",
    "validate_grids",
    "validate_trials",
]

Estimator = Literal["forest_mean", "per_tree"]
Surrogate = Literal["gradient_boosting", "random_forest"]
ESTIMATORS = ("forest_mean", "per_tree")
SURROGATES = ("gradient_boosting", "random_forest")
FOREST_ONLY = ("n_trees", "bootstrap")
BOOSTING_ONLY = ("n_stages", "learning_rate", "subsample", "n_folds")


def reserve_inactive(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Encode NaN (an inactive conditional parameter) as a reserved cell below the active range.

    For a column with NaN in a fraction ``w`` of the rows (``0 < w < 1``), inactive rows get
    ``w / 2`` and active values ``x`` in ``[0, 1]`` become ``w + (1 - w) x``. Columns without
    NaN are unchanged (``w = 0``); a column that is NaN everywhere becomes the constant 0.5
    (and is then excluded as constant).

    Returns:
        The encoded copy of ``X`` and ``w`` per column.

    Example:
        >>> import numpy as np
        >>> Xr, w = reserve_inactive(np.array([[0.0, 1.0], [np.nan, 0.5], [1.0, 0.0], [0.5, 0.2]]))
        >>> w.tolist(), Xr[:, 0].tolist()
        ([0.25, 0.0], [0.25, 0.125, 1.0, 0.625])
    """
    X = np.array(X, dtype=np.float64)
    missing = np.isnan(X)
    widths = missing.mean(axis=0) if X.shape[0] else np.zeros(X.shape[1])
    for j in np.flatnonzero(widths > 0):
        w = widths[j]
        if w >= 1.0:
            X[:, j] = 0.5
            widths[j] = 0.0
            continue
        col = X[:, j]
        X[:, j] = np.where(missing[:, j], w / 2.0, w + (1.0 - w) * col)
    return X, widths


def check_int(name: str, value: object, minimum: int) -> None:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"'{name}' must be an int >= {minimum}. Got {value!r} instead.")


def validate_trials(
    X: Any, y: Any, names: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2:
        raise ValueError(
            f"'X' must be a 2-D array of shape (n_trials, n_params). Got shape {X.shape} instead."
        )
    if y.ndim != 1:
        raise ValueError(
            f"'y' must be a 1-D array of shape (n_trials,). Got shape {y.shape} instead."
        )
    if not np.issubdtype(X.dtype, np.number) or np.issubdtype(X.dtype, np.complexfloating):
        raise ValueError(f"'X' must hold real numbers. Got dtype {X.dtype} instead.")
    if not np.issubdtype(y.dtype, np.number) or np.issubdtype(y.dtype, np.complexfloating):
        raise ValueError(f"'y' must hold real numbers. Got dtype {y.dtype} instead.")
    if isinstance(names, str):
        raise ValueError(  # noqa: TRY004 - bad arguments are ValueErrors throughout auditlens
            f"'names' must be a sequence of parameter names. Got the string {names!r} instead."
        )
    names_t = tuple(names)
    if len(names_t) != X.shape[1]:
        raise ValueError(
            f"'names' must have one name per column of 'X' ({X.shape[1]}). "
            f"Got {len(names_t)} instead."
        )
    if not all(isinstance(n, str) for n in names_t):
        raise ValueError(f"'names' must all be strings. Got {names_t!r} instead.")
    dupes = sorted({n for n in names_t if names_t.count(n) > 1})
    if dupes:
        raise ValueError(f"'names' must be unique. Got duplicates: {', '.join(dupes)}.")
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"'y' must have one value per row of 'X' ({X.shape[0]}). Got {y.shape[0]} instead."
        )
    if X.shape[0] < 2:
        raise TrialsError(f"fANOVA needs at least 2 trials; got {X.shape[0]}")
    X = X.astype(np.float64)
    y = y.astype(np.float64)
    for j, name in enumerate(names_t):
        col = X[:, j]
        bad = np.flatnonzero(~np.isfinite(col))
        if bad.size:
            raise TrialsError(
                f"parameter '{name}' (column {j} of X) must be set in every trial; got "
                f"{float(col[bad[0]])} in {bad.size} trial(s), first at row {bad[0]}"
                + (
                    " (if NaN marks an inactive conditional parameter, pass inactive='reserve')"
                    if np.isnan(col[bad[0]])
                    else ""
                )
            )
        out = np.flatnonzero((col < 0.0) | (col > 1.0))
        if out.size:
            raise TrialsError(
                f"parameter '{name}' (column {j} of X) must be encoded into [0, 1]; got "
                f"{float(col[out[0]])!r} at row {out[0]} ({out.size} value(s) outside)"
            )
    bad = np.flatnonzero(~np.isfinite(y))
    if bad.size:
        raise TrialsError(
            f"the objective 'y' must be finite; got {float(y[bad[0]])} at row {bad[0]} "
            f"({bad.size} value(s))"
        )
    return X, y, names_t


def validate_cutoff(cutoff: object) -> tuple[float, float] | None:
    if cutoff is None:
        return None
    try:
        lower, upper = (float(v) for v in cutoff)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise ValueError(
            f"'cutoff' must be a (lower, upper) pair of numbers. Got {cutoff!r} instead."
        ) from None
    if math.isnan(lower) or math.isnan(upper) or not lower < upper:
        raise ValueError(
            f"'cutoff' must be a (lower, upper) pair with lower < upper. Got {cutoff!r} instead."
        )
    return lower, upper


def validate_grids(
    grids: Mapping[str, np.ndarray] | None, names: tuple[str, ...]
) -> dict[str, np.ndarray]:
    if grids is None:
        return {}
    out = {}
    for name, grid in grids.items():
        if name not in names:
            raise ValueError(
                f"'marginal_grids' has a grid for unknown parameter {name!r}; "
                f"parameters: {', '.join(names)}."
            )
        arr = np.asarray(grid, dtype=np.float64)
        if arr.ndim != 1 or arr.size == 0 or not np.all((arr >= 0.0) & (arr <= 1.0)):
            raise ValueError(
                f"'marginal_grids[{name!r}]' must be a non-empty 1-D array of points in [0, 1]. "
                f"Got {np.array2string(arr, threshold=6)} instead."
            )
        out[name] = arr
    return out


def resolve_surrogate(
    surrogate: object, estimator: object, given: Mapping[str, object]
) -> Surrogate:
    if estimator not in ESTIMATORS:
        raise ValueError(
            f"'estimator' must be one of {', '.join(map(repr, ESTIMATORS))}. "
            f"Got {estimator!r} instead."
        )
    if surrogate is not None and surrogate not in SURROGATES:
        raise ValueError(
            f"'surrogate' must be one of {', '.join(map(repr, SURROGATES))} or None. "
            f"Got {surrogate!r} instead."
        )
    forest_args = [k for k in FOREST_ONLY if given[k] is not None]
    boosting_args = [k for k in BOOSTING_ONLY if given[k] is not None]
    if surrogate is None:
        wants_forest = bool(forest_args) or estimator == "per_tree"
        surrogate = "random_forest" if wants_forest else "gradient_boosting"
    if surrogate == "random_forest" and boosting_args:
        raise ValueError(
            f"{', '.join(map(repr, boosting_args))} only apply to surrogate='gradient_boosting'; "
            f"got them with surrogate='random_forest'"
            + (f" (chosen because of {', '.join(map(repr, forest_args))})" if forest_args else "")
        )
    if surrogate == "gradient_boosting":
        if forest_args:
            raise ValueError(
                f"{', '.join(map(repr, forest_args))} only apply to surrogate='random_forest'; "
                "got them with surrogate='gradient_boosting'"
            )
        if estimator == "per_tree":
            raise ValueError(
                "estimator='per_tree' averages the trees of a random forest; use "
                "surrogate='random_forest' with it (got surrogate='gradient_boosting')"
            )
    return surrogate  # type: ignore[return-value]


def check_options(options: Mapping[str, Any]) -> None:
    for name in ("n_trees", "n_stages"):
        if name in options:
            check_int(name, options[name], 2 if name == "n_trees" else 1)
    if "n_folds" in options:
        check_int("n_folds", options["n_folds"], 2)
    check_int("min_samples_leaf", options["min_samples_leaf"], 1)
    if options["max_depth"] is not None:
        check_int("max_depth", options["max_depth"], 1)
    for name in ("max_features", "learning_rate", "subsample"):
        if name not in options:
            continue
        value = options[name]
        if (
            not isinstance(value, (int, float, np.floating, np.integer))
            or isinstance(value, bool)
            or not 0.0 < value <= 1.0
        ):
            raise ValueError(f"'{name}' must be a float in (0, 1]. Got {value!r} instead.")
    if "bootstrap" in options and not isinstance(options["bootstrap"], (bool, np.bool_)):
        raise ValueError(f"'bootstrap' must be a bool. Got {options['bootstrap']!r} instead.")
