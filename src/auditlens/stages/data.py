"""Data stage: what the audited data holds, and the model's held-out performance on it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from auditlens.dataset import SHARED_ROWS_METHOD, shared_rows
from auditlens.drift import column_histogram
from auditlens.evaluate import evaluate
from auditlens.evaluate_multiclass import evaluate_multiclass, from_multiclass
from auditlens.evaluate_regression import evaluate_regression, from_regression
from auditlens.results import ColumnSummary, DataSummary, PerformanceSummary
from auditlens.stages._values import finite_or_none

if TYPE_CHECKING:
    from auditlens.spec import DataSection
    from auditlens.stages.context import AuditContext


def data_summary(ctx: AuditContext, settings: DataSection) -> DataSummary:
    """The file, its classes, the split and one line per column."""
    dataset = ctx.dataset
    frame = dataset.frame
    # A regressor's target has no classes to count.
    counts = frame[dataset.target].astype(str).value_counts() if dataset.task != "regression" else {}
    return DataSummary(
        file_name=dataset.path.name,
        sha256=dataset.sha256,
        rows=len(frame),
        columns=len(frame.columns),
        target=dataset.target,
        positive_class="" if dataset.positive_class is None else str(dataset.positive_class),
        class_counts={str(k): int(v) for k, v in sorted(counts.items())},
        train_rows=0 if ctx.existing else len(dataset.X_train),
        test_rows=len(dataset.X_test),
        test_fraction=None if ctx.existing else settings.test_fraction,
        split_seed=None if ctx.existing else settings.split_seed,
        evaluation="file" if ctx.existing else "split",
        protected_attributes=list(settings.protected_attributes),
        column_summaries=[column_summary(frame[name]) for name in dataset.features],
        # An existing model's training rows are not given: overlap cannot be measured.
        shared_rows=None if ctx.existing else shared_rows(dataset),
        shared_rows_method="" if ctx.existing else SHARED_ROWS_METHOD,
    )


def column_summary(column: pd.Series) -> ColumnSummary:
    """Kind, missing and distinct counts, and the numbers the report summarises one column by:
    min, median and max of a numeric column, the most frequent value of another (and its count)."""
    common = {
        "name": str(column.name), "missing": int(column.isna().sum()), "distinct": int(column.nunique()),
        "histogram": column_histogram(column),  # what population stability needs (auditlens diff)
    }
    # From the file's dtype: a column the model does not use is not in dataset.numeric.
    if pd.api.types.is_numeric_dtype(column):
        low, median, high = (finite_or_none(q) for q in column.quantile([0.0, 0.5, 1.0]).tolist())
        return ColumnSummary(**common, kind="numeric", min=low, median=median, max=high)
    counts = column.astype(str).value_counts()
    return ColumnSummary(
        **common, kind="categorical", most_frequent=str(counts.index[0]), most_frequent_count=int(counts.iloc[0])
    )


def task_performance(ctx: AuditContext, *, n_boot: int, seed: int) -> dict[str, Any]:
    """The AuditResult field holding the held-out performance of the context's task."""
    split = "held-out file" if ctx.existing else "test"
    if ctx.task == "regression":
        p = evaluate_regression(np.asarray(ctx.dataset.y_test, dtype=np.float64), ctx.test_output, n_boot=n_boot, seed=seed)
        return {"regression_performance": from_regression(p, split)}
    if ctx.task == "multiclass":
        p = evaluate_multiclass(ctx.dataset.y_test, ctx.test_output, list(ctx.dataset.classes), n_boot=n_boot, seed=seed)
        return {"multiclass_performance": from_multiclass(p, split)}
    return {"performance": performance_summary(ctx)}


def performance_summary(ctx: AuditContext) -> PerformanceSummary:
    """Held-out metrics, ROC and calibration curves from the context's probabilities."""
    dataset = ctx.dataset
    p = evaluate(dataset.y_test, ctx.test_prob)
    positive = str(dataset.positive_class)
    return PerformanceSummary(
        split="held-out file" if ctx.existing else "test",
        n=p.n,
        positives=p.positives,
        positive_class=positive,
        negative_class=next(c for c in dataset.classes if c != positive),
        roc_auc=p.roc_auc,
        accuracy=p.accuracy,
        balanced_accuracy=p.balanced_accuracy,
        brier=p.brier,
        log_loss=p.log_loss,
        threshold=p.threshold,
        confusion=[list(r) for r in p.confusion],
        roc_fpr=list(p.roc_fpr),
        roc_tpr=list(p.roc_tpr),
        calibration_pred=list(p.calibration_pred),
        calibration_true=list(p.calibration_true),
        calibration_count=list(p.calibration_count),
        calibration_slope=p.calibration_slope,
        calibration_slope_se=p.calibration_slope_se,
        calibration_intercept=p.calibration_intercept,
    )
