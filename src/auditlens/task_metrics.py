"""The tuning metrics of each model task (scikit-learn scorer names, greater is better).

Apart from :mod:`auditlens.task` so that the spec can check a metric against a stated task
without loading pandas (``import auditlens`` and ``auditlens --help`` stay fast).
"""

from __future__ import annotations

from auditlens.errors import SpecError

# The first of each task's metrics is its default.
METRICS: dict[str, tuple[str, ...]] = {
    "binary": ("roc_auc", "accuracy", "balanced_accuracy", "average_precision", "neg_log_loss", "neg_brier_score"),
    "multiclass": ("neg_log_loss", "roc_auc_ovr", "balanced_accuracy", "accuracy", "f1_macro"),
    "regression": (
        "neg_root_mean_squared_error", "neg_mean_absolute_error", "r2",
        "neg_mean_poisson_deviance", "neg_mean_gamma_deviance",
    ),
}
DEFAULT_METRIC: dict[str, str] = {task: metrics[0] for task, metrics in METRICS.items()}


def metric_for(task: str, metric: str | None) -> str:
    """``metric`` (the spec's ``tuning.metric``), or the task's default; SpecError if it is another task's.

    Example:
        >>> metric_for("regression", None)
        'neg_root_mean_squared_error'
    """
    chosen = metric or DEFAULT_METRIC[task]
    if chosen not in METRICS[task]:
        raise SpecError(
            field="tuning.metric", expected=f"a metric for a {task} model ({', '.join(METRICS[task])})", got=repr(chosen)
        )
    return chosen
