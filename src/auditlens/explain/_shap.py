"""explain_model: SHAP values of a fitted sklearn classifier or regressor, grouped back to original columns.

shap is imported on first use (:func:`_shap`) so ``import auditlens.explain`` stays light. Nothing
from shap leaves this module: results are plain arrays in :class:`FeatureEffects`.
"""

from __future__ import annotations

import hashlib
import json
import time
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.compose import ColumnTransformer
from sklearn.feature_selection import SelectorMixin
from sklearn.base import is_regressor
from sklearn.linear_model import (
    ElasticNet,
    ElasticNetCV,
    Lasso,
    LassoCV,
    LinearRegression,
    LogisticRegression,
    LogisticRegressionCV,
    Ridge,
    RidgeCV,
    SGDClassifier,
)
from sklearn.pipeline import Pipeline

from auditlens._imports import try_import
from auditlens.errors import AnalysisError, DataError
from auditlens.explain._columns import PER_COLUMN, _map_block, source_columns
from auditlens.explain._effects import FeatureEffects
from auditlens.explain._file_rows import FileChunk, FileRows, RowReader, file_chunks

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

with try_import() as _xgboost:  # optional: only for XGBClassifier models
    import xgboost

__all__ = ["DEFAULT_TOLERANCE", "explain_model"]

#: Default additivity tolerance per explainer. Tree and linear SHAP are exact algorithms;
#: shap's interventional TreeSHAP accumulates in float32, so gaps of ~1e-7 (log-odds) are
#: normal (measured 7e-8 to 1e-7 on german credit). Permutation SHAP adds up by
#: construction (every permutation telescopes from the background mean to f(x)); its gap
#: only measures float noise between shap's batched model calls and the pipeline's own
#: call (measured ~1e-16), and the looser 1e-5 leaves room for models whose output shifts
#: slightly with batch composition. The gap says nothing about the permutation sampling
#: error of individual values (raise ``max_evals`` to reduce it).
DEFAULT_TOLERANCE: Mapping[str, float] = MappingProxyType(
    {"tree": 1e-6, "linear": 1e-6, "permutation": 1e-5}
)

# sklearn forests average per-tree class fractions: shap's raw output is a probability.
# Rows per task when TreeSHAP runs across processes (n_jobs != 1): big enough that pickling
# the explainer once per task is negligible, small enough to balance two to eight cores.
_PARALLEL_CHUNK = 2000

_PROBABILITY_TREES = (
    "RandomForestClassifier",
    "ExtraTreesClassifier",
    "DecisionTreeClassifier",
    "ExtraTreeClassifier",
)
# Gradient boosting: shap's raw output is the margin (log-odds of classes_[1]).
_LOG_ODDS_TREES = (
    "GradientBoostingClassifier",
    "HistGradientBoostingClassifier",
    "XGBClassifier",
    "LGBMClassifier",
)
# Regression trees: shap's raw output is the prediction itself.
_REGRESSION_TREES = (
    "RandomForestRegressor",
    "ExtraTreesRegressor",
    "DecisionTreeRegressor",
    "ExtraTreeRegressor",
    "GradientBoostingRegressor",
    "HistGradientBoostingRegressor",
    "XGBRegressor",
    "LGBMRegressor",
)


# Least-squares family: the prediction is linear in the model's inputs (exact linear SHAP).
_LINEAR_REGRESSORS = (LinearRegression, Ridge, RidgeCV, Lasso, LassoCV, ElasticNet, ElasticNetCV)


# --------------------------------------------------------------------------- validation


class _Structure:
    """How a fitted classifier splits into a transform and a model SHAP can explain exactly.

    ``transform`` maps original columns to the model's input (None: the model takes the
    original columns, all numeric); ``source[j]`` is the original column of the model's
    input column ``j`` (None: identity). ``exact`` is False when no exact grouping exists,
    and ``why`` says why (the permutation explainer over the original columns is then used).
    """

    def __init__(self, model: Any, transform: Any, source: np.ndarray | None, exact: bool, why: str):
        self.model, self.transform, self.source, self.exact, self.why = model, transform, source, exact, why


def _split_pipeline(pipeline: Any) -> tuple[list[tuple[str, Any]], Any]:
    """(transformer steps, final classifier) of a Pipeline; ([], estimator) for an estimator."""
    if not isinstance(pipeline, Pipeline):
        return [], pipeline
    steps = [(n, s) for n, s in pipeline.steps if s is not None and not (isinstance(s, str) and s == "passthrough")]
    if not steps:
        raise AnalysisError("'pipeline' must end with a classifier. Got a Pipeline with no steps.")
    return steps[:-1], steps[-1][1]


def _chain_sources(head: list[tuple[str, Any]], n_original: int) -> np.ndarray:
    """For each column the chain of transformers outputs, its original column position.

    Raises AnalysisError when a step mixes columns or its outputs cannot be traced.
    """
    source = np.arange(n_original)
    flat: list[tuple[str, Any]] = []
    for name, step in head:  # nested Pipelines are flattened
        flat.extend(step.steps if isinstance(step, Pipeline) else [(name, step)])
    for name, step in flat:
        if step is None or (isinstance(step, str) and step == "passthrough"):
            continue
        n_in = int(getattr(step, "n_features_in_", -1))
        if n_in != len(source):
            raise AnalysisError(f"step {name!r} must take {len(source)} columns. Got {n_in}.")
        names_in = getattr(step, "feature_names_in_", None)
        inputs = [str(c) for c in names_in] if names_in is not None else [f"x{i}" for i in range(n_in)]
        if isinstance(step, ColumnTransformer):
            n_out = max((sl.stop for sl in step.output_indices_.values()), default=0)
            local = source_columns(step, inputs, n_out)
        elif type(step).__name__ in PER_COLUMN or isinstance(step, SelectorMixin):
            try:
                n_out = len(step.get_feature_names_out())
            except (AttributeError, ValueError, TypeError) as exc:
                raise AnalysisError(f"step {name!r} must name its output columns.") from exc
            local = np.asarray(_map_block(name, step, inputs, n_out), dtype=np.int64)
        else:
            raise AnalysisError(
                f"step {name!r} ({type(step).__name__}) may mix columns, so its outputs "
                "cannot be grouped back to original columns."
            )
        source = source[np.asarray(local, dtype=np.int64)]
    return source


def _structure(pipeline: Any, X: pd.DataFrame) -> _Structure:
    """Decide between the exact explainers (on the model's own inputs) and permutation."""
    head, model = _split_pipeline(pipeline)
    kind, _ = _choose(model)
    if kind == "permutation":
        return _Structure(model, None, None, False, "no exact explainer for this classifier")
    if not head:
        numeric = all(
            pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c]) for c in X.columns
        )
        if not numeric:
            return _Structure(model, None, None, False, "non-numeric columns reach the model")
        return _Structure(model, None, None, True, "")
    try:
        source = _chain_sources(head, X.shape[1])
    except AnalysisError as exc:
        return _Structure(model, None, None, False, str(exc))

    def transform(frame: pd.DataFrame) -> Any:
        for _, step in head:
            frame = step.transform(frame)
        return frame

    return _Structure(model, transform, source, True, "")


def _feature_names(pipeline: Any) -> list[str]:
    names = getattr(pipeline, "feature_names_in_", None)
    if names is None:
        raise AnalysisError(
            "'pipeline' must be a fitted sklearn Pipeline or classifier fitted on a pandas "
            f"DataFrame (feature_names_in_). Got {type(pipeline).__name__} without column names."
        )
    return [str(c) for c in names]


def _check_frame(X: Any, name: str, required: Sequence[str]) -> pd.DataFrame:
    if not isinstance(X, pd.DataFrame):
        raise DataError(f"'{name}' must be a pandas DataFrame. Got {type(X).__name__} instead.")
    missing = [c for c in required if c not in X.columns]
    if missing:
        raise DataError(
            f"'{name}' must have every column the pipeline was fitted on. Missing "
            f"{len(missing)} column(s): {missing}."
        )
    if len(X) == 0:
        raise DataError(f"'{name}' must have at least one row. Got 0 rows.")
    return X.loc[:, list(required)]


def _positive_index(pipeline: Any, model: Any, positive_class: object) -> tuple[int | None, object]:
    """Position of ``positive_class`` in ``classes_`` (predict_proba's column order).

    A regressor has one output: ``(None, None)``, and ``positive_class`` must be None.
    """
    if is_regressor(pipeline) or is_regressor(model):
        if positive_class is not None:
            raise DataError(f"'positive_class' must be None for a regressor. Got {positive_class!r} instead.")
        return None, None
    classes = list(getattr(pipeline, "classes_", getattr(model, "classes_", [])))
    if len(classes) < 2:
        raise DataError(
            f"'pipeline' must be a classifier of two or more classes or a regressor. Got classes {classes}."
        )
    for i, c in enumerate(classes):
        if c == positive_class:
            label = c.item() if isinstance(c, np.generic) else c
            return i, label
    raise DataError(
        f"'positive_class' must be one of the model's classes {[str(c) for c in classes]}. "
        f"Got {positive_class!r} instead."
    )


def _n_classes(pipeline: Any, model: Any) -> int:
    return len(getattr(pipeline, "classes_", getattr(model, "classes_", []))) or 1


# --------------------------------------------------------------------------- background


def _draw_background(
    X: pd.DataFrame, max_background: int, seed: int
) -> tuple[pd.DataFrame, tuple[int, ...], str]:
    if max_background < 1:
        raise DataError(f"'max_background' must be an int >= 1. Got {max_background} instead.")
    n = len(X)
    if n > max_background:
        rows = np.sort(np.random.default_rng(seed).choice(n, size=max_background, replace=False))
    else:
        rows = np.arange(n)
    bg = X.iloc[rows]
    csv = bg.to_csv(index=False, lineterminator="\n").encode("utf-8")
    return bg, tuple(int(i) for i in rows), hashlib.sha256(csv).hexdigest()


# --------------------------------------------------------------------------- model output


def _logit(p: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(p) - np.log1p(-p)


def _xgb_margin(pipeline: Any, X: pd.DataFrame) -> np.ndarray | None:
    """An XGBClassifier's margin summed in float64 over its own leaves; None if not one.

    xgboost adds its leaf values in float32 and returns float32 (margin and probability):
    on german credit with 30 trees its margin differs from the exact float64 sum of the
    leaves it routes each row to by up to 1.0e-6, and the logit of its float32 probability
    by up to 1.5e-6, while shap's values add up to that exact sum within 5e-8. So the leaf
    indices come from xgboost itself (``pred_leaf``, same iteration range as ``predict``),
    the leaf values from its saved model, and the sum is float64. It must agree with
    xgboost's own margin within float32 accumulation error, else None (the caller falls
    back to the model's own output, and the additivity check reports any real mismatch).
    """
    head, model = _split_pipeline(pipeline)
    if type(model).__name__ != "XGBClassifier" or not hasattr(model, "get_booster"):
        return None
    if not _xgboost.is_successful():  # an XGBClassifier without xgboost: use its own output
        return None
    try:
        booster = model.get_booster()
        learner = json.loads(booster.save_raw("json"))["learner"]
        gbm = learner["gradient_booster"]
        base = [float(v) for v in str(learner["learner_model_param"]["base_score"]).strip("[]").split(",")]
        objective = learner["objective"]["name"]
        if gbm["name"] != "gbtree" or len(base) != 1 or objective not in ("binary:logistic", "binary:logitraw"):
            return None
        b = float(np.float32(base[0]))
        offset = float(np.log(b) - np.log1p(-b)) if objective == "binary:logistic" else b
        M = X
        for _, step in head:
            M = step.transform(M)
        dm = xgboost.DMatrix(M, missing=model.missing, enable_categorical=model.enable_categorical)
        leaves = booster.predict(
            dm, pred_leaf=True, iteration_range=model._get_iteration_range(None)
        ).astype(np.int64).reshape(len(X), -1)
        trees = gbm["model"]["trees"]
        margin = np.full(len(X), offset)
        for t in range(leaves.shape[1]):  # leaves store their value in split_conditions
            leaf_values = np.asarray(trees[t]["split_conditions"], dtype=np.float32).astype(np.float64)
            margin += leaf_values[leaves[:, t]]
        own = np.asarray(pipeline.predict(X, output_margin=True), dtype=np.float64).ravel()
    except Exception:  # noqa: BLE001 - any surprise in xgboost's format: use its own output
        return None
    bound = 4 * (leaves.shape[1] + 1) * float(np.finfo(np.float32).eps) * (1 + float(np.max(np.abs(own))))
    return margin if float(np.max(np.abs(margin - own))) <= bound else None


def _model_output(pipeline: Any, X: pd.DataFrame, index: int | None, scale: str) -> np.ndarray:
    """The pipeline's own output for class ``classes_[index]`` on ``scale`` (a regressor: its prediction)."""
    if scale == "raw":
        return np.asarray(pipeline.predict(X), dtype=np.float64).ravel()
    if scale == "probability":
        return np.asarray(pipeline.predict_proba(X), dtype=np.float64)[:, index]
    exact = _xgb_margin(pipeline, X)  # xgboost's own output is float32 (see there)
    if exact is not None:
        margin = exact
    elif hasattr(pipeline, "decision_function"):
        margin = np.asarray(pipeline.decision_function(X), dtype=np.float64)
        if margin.ndim == 2 and margin.shape[1] > 1:  # multiclass: one softmax margin per class
            return margin[:, index]
        margin = margin.ravel()
    else:  # e.g. xgboost/lightgbm: log-odds recovered from probabilities
        margin = _logit(np.asarray(pipeline.predict_proba(X), dtype=np.float64)[:, 1])
    return margin if index == 1 else -margin


def _choose(model: Any, n_classes: int = 2) -> tuple[str, str]:
    """(explainer, output scale) for a model: exact SHAP where shap has it, else permutation."""
    kind = type(model).__name__
    if is_regressor(model):
        if kind == "HistGradientBoostingRegressor" and _hgb_has_categorical_splits(model):
            return "permutation", "raw"
        if kind in _REGRESSION_TREES:
            return "tree", "raw"
        if isinstance(model, _LINEAR_REGRESSORS) and np.ndim(getattr(model, "coef_", None)) == 1:
            return "linear", "raw"
        return "permutation", "raw"
    if n_classes > 2:
        chosen = _choose(model, 2)
        if chosen[1] == "log-odds" and not hasattr(model, "decision_function"):
            return "permutation", "probability"  # xgboost/lightgbm margins: not read here
        return chosen[0], "margin" if chosen[1] == "log-odds" else chosen[1]
    if kind in _PROBABILITY_TREES:
        return "tree", "probability"
    if kind == "HistGradientBoostingClassifier" and _hgb_has_categorical_splits(model):
        return "permutation", "probability"  # shap ignores HGB categorical bitsets
    if kind in _LOG_ODDS_TREES:
        return "tree", "log-odds"
    if isinstance(model, (LogisticRegression, LogisticRegressionCV)) or (
        isinstance(model, SGDClassifier) and model.loss == "log_loss"
    ):
        return "linear", "log-odds"
    if not hasattr(model, "predict_proba"):
        raise AnalysisError(f"the classifier must have predict_proba. Got {kind} without it.")
    return "permutation", "probability"


def _hgb_has_categorical_splits(model: Any) -> bool:
    return any(
        bool(np.any(p.nodes["is_categorical"]))
        for stage in getattr(model, "_predictors", [])
        for p in stage
        if "is_categorical" in p.nodes.dtype.names
    )


def _dense(A: Any) -> np.ndarray:
    if hasattr(A, "toarray"):
        A = A.toarray()
    return np.asarray(A, dtype=np.float64)


# --------------------------------------------------------------------------- tree


def _recode_for_trees(ensemble: Any) -> Any:
    """Rewrite ``ensemble``'s thresholds and return a function recoding X to match.

    shap's interventional TreeSHAP (C, ``tree_shap_indep``) holds thresholds as float32,
    while sklearn compares float64 thresholds. A value equal or close to a threshold then
    goes the other way: measured additivity gaps of 0.85 log-odds (HistGradientBoosting)
    and 0.01 (random forest) on german credit. Only the side of each threshold a value
    falls on matters to a tree, so a value with ``k`` of its feature's thresholds strictly
    below it becomes ``2k + 1`` and the ``i``-th threshold becomes ``2i + 2``: small
    integers, exact in float32, same routing. NaN stays NaN (missing-value branch).
    ``ensemble`` is the explainer's private copy of the model.
    """
    features = ensemble.features
    thresholds = ensemble.thresholds
    internal = ensemble.children_left >= 0
    types = getattr(ensemble, "threshold_types", None)
    if types is not None and np.any(types[internal] != 0):
        return lambda M: M  # categorical splits: no recoding
    # sklearn trees compare float32(x) with a float64 threshold
    as_float32 = np.dtype(getattr(ensemble, "input_dtype", np.float64)) == np.float32
    grids: dict[int, np.ndarray] = {}
    new_thresholds = thresholds.astype(np.float64, copy=True)
    for f in np.unique(features[internal]):
        where = internal & (features == f)
        grid = np.unique(thresholds[where])
        new_thresholds[where] = 2.0 * np.searchsorted(grid, thresholds[where]) + 2.0
        grids[int(f)] = grid
    ensemble.thresholds = new_thresholds

    def recode(M: np.ndarray) -> np.ndarray:
        V = M.astype(np.float32).astype(np.float64) if as_float32 else M.astype(np.float64)
        out = V.copy()
        for f, grid in grids.items():
            v = V[:, f]
            out[:, f] = np.where(np.isnan(v), np.nan, 2.0 * np.searchsorted(grid, v) + 1.0)
        return out

    return recode


def _in_chunks(compute: Any, X: np.ndarray, seconds: float = 2.0) -> np.ndarray:
    """``compute(X)`` a few rows at a time, so each C call stays short.

    shap's C TreeSHAP writes a progress bar to stderr once a call passes 10 s. Rows are
    explained independently, so chunking does not change any value; the clock only sizes
    the chunks.
    """
    parts, start, size = [], 0, 8
    while start < len(X):
        tic = time.perf_counter()
        parts.append(np.asarray(compute(X[start : start + size]), dtype=np.float64))
        took = time.perf_counter() - tic
        start += size
        size = max(1, int(size * seconds / max(took, 1e-3)))
    return np.concatenate(parts, axis=0)


def _tree_chunk(explainer: Any, rows: np.ndarray) -> np.ndarray:
    """One chunk of interventional TreeSHAP (runs in a worker process)."""
    return np.asarray(explainer.shap_values(rows, check_additivity=False), dtype=np.float64)


def _in_parallel(
    explainer: Any,
    X: np.ndarray,
    *,
    n_jobs: int,
    chunk_rows: int = 2000,
    progress: Any = None,
) -> np.ndarray:
    """``explainer.shap_values(X)`` in chunks of ``chunk_rows`` rows across ``n_jobs`` processes.

    Rows are explained independently, so the values equal one call on all rows. Chunks go to
    joblib's loky workers (the explainer is pickled once per worker task: a few MB for large
    ensembles) and come back in order; at most ``2 * n_jobs`` chunks are in flight, so memory
    stays bounded by the output plus a few chunks. ``progress(done_rows, total_rows)`` is
    called as chunks finish.
    """
    starts = list(range(0, len(X), chunk_rows))
    parts: list[np.ndarray] = []
    done = 0
    runner = Parallel(n_jobs=n_jobs, backend="loky", return_as="generator", pre_dispatch="2*n_jobs")
    for part in runner(delayed(_tree_chunk)(explainer, X[s : s + chunk_rows]) for s in starts):
        parts.append(part)
        done += len(part)
        if progress is not None:
            progress(done, len(X))
    return np.concatenate(parts, axis=0)


def _tree_chunk_timed(explainer: Any, rows: np.ndarray) -> np.ndarray:
    """One chunk on a cluster worker, itself in short C calls (see _in_chunks)."""
    return _in_chunks(lambda r: explainer.shap_values(r, check_additivity=False), rows)


def _cluster_chunk_rows(n_rows: int, client: Any) -> int:
    """About 4 chunks per worker (at most 20,000 rows each) balance the load."""
    from auditlens.cluster import n_workers

    return int(min(20_000, max(500, -(-n_rows // (4 * n_workers(client))))))


def _on_cluster(explainer: Any, X: np.ndarray, client: Any, progress: Any = None) -> np.ndarray:
    """``explainer.shap_values(X)`` on a Dask cluster: explainer sent once, rows in chunks.

    Rows are explained independently, so the values equal one call on all rows, bit for bit.
    """
    from auditlens.cluster import map_chunks

    size = _cluster_chunk_rows(len(X), client)
    chunks = [X[s : s + size] for s in range(0, len(X), size)]
    parts = map_chunks(client, _tree_chunk_timed, [explainer], chunks, progress=progress,
                       weight=len, total=len(X))
    return np.concatenate(parts, axis=0)


def _tree_chunk_read(explainer: Any, reader: RowReader, chunk: FileChunk) -> np.ndarray:
    """One chunk on a cluster worker that reads its rows from the data file itself."""
    return _tree_chunk_timed(explainer, reader(chunk))


def _on_cluster_reading(
    explainer: Any, X: np.ndarray, client: Any, source: tuple[FileRows, Sequence[str], Any], recode: Any,
    progress: Any = None,
) -> np.ndarray:
    """As :func:`_on_cluster`, but workers read their rows from the Parquet data file.

    Only row numbers and a digest travel per chunk; ``X`` (this process's model input of the
    same rows) gives the digests. Values are put back in the explained order.
    """
    from auditlens.cluster import map_chunks

    rows, columns, transform = source

    def prepare(frame: pd.DataFrame) -> np.ndarray:
        return recode(_dense(frame if transform is None else transform(frame)))

    as_text = tuple(c for c in rows.as_text if c in columns)  # only columns the model reads
    reader = RowReader(rows.path, tuple(columns), as_text, prepare)
    chunks, order = file_chunks(rows, X, _cluster_chunk_rows(len(X), client))
    parts = map_chunks(client, _tree_chunk_read, [explainer, reader], chunks, progress=progress,
                       weight=len, total=len(X))
    phi = np.concatenate(parts, axis=0)
    out = np.empty_like(phi)
    out[order] = phi
    return out


def _tree_values(
    model: Any,
    bg_t: np.ndarray,
    x_t: np.ndarray,
    index: int | None,
    *,
    n_jobs: int = 1,
    progress: Any = None,
    client: Any = None,
    source: tuple[FileRows, Sequence[str], Any] | None = None,
) -> tuple[np.ndarray, float]:
    shap = _shap()
    explainer = shap.TreeExplainer(
        model, data=bg_t, feature_perturbation="interventional", model_output="raw"
    )
    recode = _recode_for_trees(explainer.model)
    bg_c, x_c = recode(bg_t), recode(x_t)
    explainer.data, explainer.data_missing = bg_c, np.isnan(bg_c)
    if client is not None and source is not None:
        phi = _on_cluster_reading(explainer, x_c, client, source, recode, progress)
    elif client is not None:
        phi = _on_cluster(explainer, x_c, client, progress)
    elif n_jobs != 1 and len(x_c) > _PARALLEL_CHUNK:
        phi = _in_parallel(explainer, x_c, n_jobs=n_jobs, chunk_rows=_PARALLEL_CHUNK, progress=progress)
    else:
        phi = _in_chunks(lambda rows: explainer.shap_values(rows, check_additivity=False), x_c)
        if progress is not None:
            progress(len(x_c), len(x_c))
    # shap's forward pass on the recoded background must match the pipeline (checked later)
    shap_base = np.asarray(explainer.model.predict(bg_c), dtype=np.float64).reshape(len(bg_c), -1)
    if phi.ndim == 3:  # one output per class (probability trees, multiclass margins)
        return phi[:, :, index], float(shap_base[:, index].mean())
    sign = -1.0 if index == 0 else 1.0  # single margin = log-odds of classes_[1]; a regressor: None
    return sign * phi, float(sign * shap_base[:, 0].mean())


# --------------------------------------------------------------------------- linear


def _linear_values(model: Any, bg_t: np.ndarray, x_t: np.ndarray, index: int | None) -> np.ndarray:
    shap = _shap()
    coef = np.asarray(model.coef_)
    masker = shap.maskers.Independent(bg_t, max_samples=len(bg_t))
    if coef.ndim == 2 and coef.shape[0] > 1:  # multinomial: class index's own linear margin
        intercept = np.atleast_1d(np.asarray(model.intercept_, dtype=np.float64))
        explainer = shap.LinearExplainer((coef[index], float(intercept[index])), masker)
        return np.asarray(explainer.shap_values(x_t), dtype=np.float64)
    explainer = shap.LinearExplainer(model, masker)
    phi = np.asarray(explainer.shap_values(x_t), dtype=np.float64)
    return -phi if index == 0 else phi


# --------------------------------------------------------------------------- permutation


class _Codec:
    """Original columns <-> float matrix, so shap can mask whole original columns."""

    def __init__(self, frames: Sequence[pd.DataFrame]) -> None:
        both = pd.concat(frames, axis=0, ignore_index=True)
        self.columns = list(both.columns)
        self.dtypes = both.dtypes
        self.uniques: dict[str, np.ndarray] = {}
        for c in self.columns:
            col = both[c]
            if not (pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)):
                _, uniques = pd.factorize(col, use_na_sentinel=False)
                self.uniques[c] = np.asarray(uniques, dtype=object)

    def encode(self, X: pd.DataFrame) -> np.ndarray:
        out = np.empty((len(X), len(self.columns)), dtype=np.float64)
        for j, c in enumerate(self.columns):
            if c in self.uniques:
                codes = pd.Index(self.uniques[c]).get_indexer(X[c].to_numpy(dtype=object))
                out[:, j] = codes
            else:
                out[:, j] = X[c].to_numpy(dtype=np.float64, na_value=np.nan)
        return out

    def decode(self, A: np.ndarray) -> pd.DataFrame:
        data = {}
        for j, c in enumerate(self.columns):
            if c in self.uniques:
                values = self.uniques[c][A[:, j].astype(np.int64)]
                data[c] = pd.Series(values, dtype=object).astype(self.dtypes[c])
            else:
                data[c] = pd.Series(A[:, j]).astype(self.dtypes[c])
        return pd.DataFrame(data)


def _permutation_values(
    pipeline: Any,
    bg: pd.DataFrame,
    X: pd.DataFrame,
    index: int | None,
    *,
    seed: int,
    max_evals: int,
) -> np.ndarray:
    shap = _shap()
    codec = _Codec([bg, X])
    bg_a, x_a = codec.encode(bg), codec.encode(X)
    min_evals = 2 * len(codec.columns) + 1
    if max_evals < min_evals:
        raise DataError(
            f"'max_evals' must be >= 2 * n_features + 1 = {min_evals}. Got {max_evals} instead."
        )

    def f(A: np.ndarray) -> np.ndarray:
        if index is None:  # a regressor
            return np.asarray(pipeline.predict(codec.decode(A)), dtype=np.float64).ravel()
        return np.asarray(pipeline.predict_proba(codec.decode(A)), dtype=np.float64)[:, index]

    masker = shap.maskers.Independent(bg_a, max_samples=len(bg_a))
    # shap seeds the *global* numpy RNG in __init__ and shuffles with it: restore it after.
    state = np.random.get_state()
    try:
        explainer = shap.PermutationExplainer(f, masker, seed=seed)
        explanation = explainer(x_a, max_evals=max_evals, silent=True)
    finally:
        np.random.set_state(state)
    return np.asarray(explanation.values, dtype=np.float64)


def _shap() -> Any:
    """The shap module, imported on first use.

    shap is a dependency, but importing it takes seconds (numba, matplotlib), and
    ``import auditlens.explain`` must stay light (tests/explain/test_effects.py); this is the
    one place it is imported.
    """
    import shap

    return shap


# --------------------------------------------------------------------------- public


def explain_model(
    pipeline: Any,
    X_background: pd.DataFrame,
    X_explain: pd.DataFrame,
    *,
    positive_class: object,
    seed: int = 0,
    max_background: int = 100,
    tolerance: float | None = None,
    max_evals: int = 500,
    n_jobs: int = 1,
    progress: Any = None,
    client: Any = None,
    rows_from: FileRows | None = None,
) -> FeatureEffects:
    """Explain a fitted binary classifier pipeline with SHAP, per original column.

    The explainer follows the classifier: interventional TreeSHAP for sklearn forests and
    gradient boosting (plus xgboost/lightgbm), LinearExplainer (interventional) for logistic
    models, both exact; PermutationExplainer over the original columns, seeded, for
    everything else. Tree and linear SHAP run on the model's own input columns and the
    columns that came from one original column (one-hot) are summed, which keeps
    additivity. That needs a traceable structure: a bare classifier fitted on a DataFrame
    whose columns are all numeric, or a Pipeline whose steps before the classifier are
    ColumnTransformers and per-column transformers (scalers, imputers, encoders,
    discretizers, feature selectors). Anything else (a step that may mix columns, such as
    PCA or a FunctionTransformer; string columns reaching a bare classifier) falls back to
    the permutation explainer over the original columns, which is always valid. Values are for
    ``positive_class`` on ``FeatureEffects.output_scale``: log-odds for logistic and gradient
    boosting models, probability for random forests and the permutation explainer.

    Args:
        pipeline: a fitted binary classifier with ``predict_proba`` fitted on a DataFrame:
            a ``Pipeline`` (e.g. ``[("preprocess", ColumnTransformer), ("model", clf)]``)
            or a bare estimator.
        X_background: rows to integrate masked features over (original columns).
        X_explain: rows to explain (original columns).
        positive_class: label of the class to explain, one of ``pipeline.classes_``.
        seed: seeds the background draw and the permutation explainer.
        max_background: background rows; more are subsampled without replacement by
            ``numpy.random.default_rng(seed)``, and the chosen rows are recorded.
        tolerance: largest allowed additivity gap; ``None`` uses
            ``DEFAULT_TOLERANCE[explainer]`` (1e-6 tree/linear, 1e-5 permutation).
        max_evals: model evaluations per row for the permutation explainer
            (``>= 2 * n_features + 1``); ignored by the exact explainers.
        n_jobs: tree explainer only: processes for TreeSHAP (joblib; ``-1`` = all cores),
            in chunks of 2,000 rows; the values do not depend on it.
        progress: optional ``progress(done_rows, total_rows)`` callback (tree explainer).
        client: tree explainer only: a Dask ``distributed.Client``; TreeSHAP then runs on its
            workers in chunks (see :mod:`auditlens.cluster`); the values do not depend on it.
        rows_from: with ``client``: where the rows of ``X_explain`` are in a Parquet file;
            the workers then read them from it instead of receiving them (see
            :mod:`auditlens.explain._file_rows`). Same values.

    Returns:
        The :class:`FeatureEffects`.

    Raises:
        DataError: a frame is not a DataFrame, lacks a column the pipeline needs or is
            empty, or ``positive_class`` is not one of the model's classes.
        AnalysisError: the model was fitted without column names or has no
            ``predict_proba``, or the SHAP values do not add up to the model's output within
            ``tolerance``.

    Example:
        >>> import pandas as pd
        >>> from sklearn.compose import ColumnTransformer
        >>> from sklearn.linear_model import LogisticRegression
        >>> from sklearn.pipeline import Pipeline
        >>> from sklearn.preprocessing import OneHotEncoder, StandardScaler
        >>> X = pd.DataFrame({"age": [22, 35, 47, 51, 29, 63],
        ...                   "job": ["a", "b", "a", "c", "b", "c"]})
        >>> y = ["bad", "good", "good", "bad", "bad", "good"]
        >>> pre = ColumnTransformer([("num", StandardScaler(), ["age"]),
        ...                          ("cat", OneHotEncoder(sparse_output=False), ["job"])])
        >>> pipe = Pipeline([("preprocess", pre), ("model", LogisticRegression())]).fit(X, y)
        >>> fx = explain_model(pipe, X, X.head(2), positive_class="bad")
        >>> fx.explainer, fx.output_scale, fx.feature_names, fx.additivity_gap < 1e-6
        ('linear', 'log-odds', ('age', 'job'), True)
    """
    feature_names = _feature_names(pipeline)
    X_explain = _check_frame(X_explain, "X_explain", feature_names)
    X_background = _check_frame(X_background, "X_background", feature_names)
    _, model = _split_pipeline(pipeline)
    index, label = _positive_index(pipeline, model, positive_class)
    bg, rows, digest = _draw_background(X_background, int(max_background), int(seed))

    structure = _structure(pipeline, X_explain)
    fallback = "raw" if index is None else "probability"
    explainer, scale = _choose(model, _n_classes(pipeline, model)) if structure.exact else ("permutation", fallback)
    model_output = _model_output(pipeline, X_explain, index, scale)
    base_value = float(_model_output(pipeline, bg, index, scale).mean())

    if explainer == "permutation":
        values = _permutation_values(
            pipeline, bg, X_explain, index, seed=int(seed), max_evals=int(max_evals)
        )
    else:
        transform = structure.transform or (lambda X: X)
        bg_t, x_t = _dense(transform(bg)), _dense(transform(X_explain))
        if explainer == "tree":
            source = None if rows_from is None else (rows_from, list(X_explain.columns), structure.transform)
            phi, shap_base = _tree_values(
                model, bg_t, x_t, index, n_jobs=int(n_jobs), progress=progress, client=client, source=source
            )
            if not np.isclose(shap_base, base_value, rtol=0, atol=1e-6):
                raise AnalysisError(
                    f"shap's tree model must reproduce the pipeline's mean {scale} output "
                    f"{base_value:.9g} on the background. Got {shap_base:.9g}."
                )
        else:
            phi = _linear_values(model, bg_t, x_t, index)
        if structure.source is None:
            values = phi
        else:
            values = np.zeros((phi.shape[0], len(feature_names)))
            np.add.at(values.T, structure.source, phi.T)

    gap = float(np.max(np.abs(values.sum(axis=1) + base_value - model_output)))
    limit = DEFAULT_TOLERANCE[explainer] if tolerance is None else float(tolerance)
    if scale == "raw":  # a prediction in the target's units: float32 TreeSHAP errs relative to it
        limit *= max(1.0, float(np.max(np.abs(model_output), initial=0.0)))
    if not gap <= limit:
        raise AnalysisError(
            f"SHAP additivity gap must be <= {limit:g} ({explainer} explainer, {scale}). "
            f"Got {gap:.3g}."
        )
    return FeatureEffects(
        explainer=explainer,
        output_scale=scale,
        positive_class=label,
        background_size=len(bg),
        background_seed=int(seed),
        background_rows=rows,
        background_sha256=digest,
        feature_names=tuple(feature_names),
        values=values,
        base_value=base_value,
        model_output=model_output,
        additivity_gap=gap,
    )


# --------------------------------------------------------------------------- interactions


def tree_interactions(
    pipeline: Any,
    X_explain: pd.DataFrame,
    *,
    positive_class: object,
    max_rows: int = 100,
    top: int = 5,
) -> tuple[tuple[str, str, float], ...] | None:
    """The strongest SHAP interaction pairs of a tree model, per original column.

    shap computes interaction values only with path-dependent TreeSHAP (the trees' own
    cover as background, not the interventional background of :func:`explain_model`), at a
    cost of roughly rows × trees × leaves × depth²; so only the first ``max_rows`` rows of
    ``X_explain`` are used (a fixed choice, so the result is reproducible). One-hot columns
    are summed into their source column for both members of a pair. A pair's strength is the
    mean over rows of ``|Φ_ab| + |Φ_ba|`` (the interaction split in two halves by shap).

    Args:
        pipeline: a fitted classifier or Pipeline, as for :func:`explain_model`.
        X_explain: rows (original columns).
        positive_class: the class explained.
        max_rows: rows used (>= 1).
        top: pairs returned.

    Returns:
        ``((feature_a, feature_b, strength), ...)`` strongest first, on the model's raw
        output scale, or None if the model is not one TreeSHAP interaction values support
        or :func:`explain_model` would not use the tree explainer for it.
    """
    shap = _shap()
    feature_names = _feature_names(pipeline)
    X_explain = _check_frame(X_explain, "X_explain", feature_names)
    _, model = _split_pipeline(pipeline)
    index, _ = _positive_index(pipeline, model, positive_class)
    structure = _structure(pipeline, X_explain)
    if not structure.exact or _choose(model, _n_classes(pipeline, model))[0] != "tree":
        return None
    rows = X_explain.iloc[: max(1, int(max_rows))]
    transform = structure.transform or (lambda X: X)
    x_t = _dense(transform(rows))
    tree_explainer = shap.TreeExplainer(model, feature_perturbation="tree_path_dependent")
    phi = np.asarray(tree_explainer.shap_interaction_values(x_t), dtype=np.float64)
    if phi.ndim == 4:  # (rows, m, m, classes)
        phi = phi[..., index]
    elif isinstance(phi, np.ndarray) and phi.ndim == 3 and index == 0:
        phi = -phi
    k = len(feature_names)
    if structure.source is None:
        grouped = phi
    else:
        onehot = np.zeros((x_t.shape[1], k))
        onehot[np.arange(x_t.shape[1]), structure.source] = 1.0
        grouped = np.einsum("nij,ia,jb->nab", phi, onehot, onehot)
    strength = np.abs(grouped).mean(axis=0)
    # Only the top pairs become Python objects: k = 10,000 columns have 50 million pairs.
    upper_a, upper_b = np.triu_indices(k, 1)
    both = strength[upper_a, upper_b] + strength[upper_b, upper_a]
    order = np.argsort(-both, kind="stable")[: max(0, int(top))]
    return tuple((feature_names[upper_a[i]], feature_names[upper_b[i]], float(both[i])) for i in order)
