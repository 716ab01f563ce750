"""Groups stage: held-out metrics and mean |SHAP| per group of each protected attribute.

Groups are the attributes of ``data.protected_attributes`` (numeric ones cut into bands) and
the intersections ``groups.intersections`` names. Metrics use every test row; mean |SHAP| per
group uses the context's explained rows and their SHAP values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from auditlens.cluster import current_client
from auditlens.groups import bin_attribute, intersect, start_group_metrics
from auditlens.groups_tasks import multiclass_group_metrics, regression_group_metrics
from auditlens.intervals import MIN_CLASS_FOR_AUC
from auditlens.results import (
    AttributeGroupsSummary,
    FeatureEffectsSummary,
    GroupGapSummary,
    GroupMetrics,
    GroupsSummary,
)
from auditlens.stages._values import finite_or_none

if TYPE_CHECKING:
    import pandas as pd

    from auditlens.spec import GroupsSection
    from auditlens.stages.context import AuditContext


def groups_summary(ctx: AuditContext, settings: GroupsSection, effects: FeatureEffectsSummary) -> GroupsSummary | None:
    """Per-group metrics of each protected attribute (None when the spec declares none).

    ``effects`` (the effects stage's result) gives the features shown per group: the strongest
    by mean |SHAP|, plus the attribute itself when the model uses it.
    """
    protected = ctx.protected
    if not protected:
        return None
    top = [effects.features[i] for i in np.argsort(-np.asarray(effects.mean_abs), kind="stable")]
    top = top[: settings.top_features]
    banded = {}
    for name in protected:
        column = ctx.dataset.frame[name]
        banded[name] = bin_attribute(
            column.loc[ctx.dataset.X_test.index], edges=settings.bins.get(name), reference=column
        )
    grouped = [([name], *banded[name]) for name in protected]
    for members in settings.intersections:
        labels = intersect([banded[m][0] for m in members], list(members))
        grouped.append((list(members), labels, "intersection", ()))
    # Every attribute's metrics start before any is finished: on a cluster, all bootstraps then
    # run while this process computes point estimates and intervals.
    started = [_start_metrics(ctx, settings, " × ".join(m), labels, kind, edges) for m, labels, kind, edges in grouped]
    attributes = [
        _attribute_groups(ctx, effects, top, members, labels, kind, finish())
        for (members, labels, kind, _), finish in zip(grouped, started, strict=True)
    ]
    return GroupsSummary(
        method=(
            f"fairlearn MetricFrame on the {'held-out file' if ctx.existing else 'test split'}; "
            + ("disparities from fairlearn.metrics" if ctx.task == "binary" else "largest gap = highest minus lowest group")
        ),
        threshold=0.5,
        n_boot=settings.bootstrap,
        seed=settings.seed,
        ci_method=_ci_method(ctx.task, settings),
        shap_scale=effects.output_scale,
        attributes=attributes,
    )


def _ci_method(task: str, settings: GroupsSection) -> str:
    """How the group intervals were computed, one sentence per task."""
    if task == "regression":
        return (
            f"95% percentile bootstrap over test rows (fairlearn's resamples, {settings.bootstrap}, seed "
            f"{settings.seed}) for each group's errors and for the largest gaps"
            if settings.bootstrap else "none (groups.bootstrap = 0)"
        )
    if task == "multiclass":
        return ("95% Wilson score intervals for accuracy and per-class selection rates; Newcombe's hybrid score "
                "interval for the largest gaps")
    return (
        "95% Wilson score intervals for the rates (accuracy, true and false positive rate, selection "
        "rate); 95% percentile bootstrap over test rows for ROC AUC and the selection-rate difference "
        f"(fairlearn's resamples, {settings.bootstrap}, seed {settings.seed}), no AUC interval for a group "
        f"with fewer than {MIN_CLASS_FOR_AUC} rows of either class"
        if settings.bootstrap else "none (groups.bootstrap = 0)"
    )


def _task_groups(ctx: AuditContext, settings: GroupsSection, labels: pd.Series, kind: str, edges: tuple[float, ...]) -> Any:
    """Regression and multiclass: per-group error or class rates, and the largest gaps."""
    y = ctx.dataset.y_test
    if ctx.task == "regression":
        return regression_group_metrics(
            np.asarray(y, dtype=np.float64), ctx.test_output, labels, n_boot=settings.bootstrap,
            seed=settings.seed, kind=kind, edges=edges,
        )
    return multiclass_group_metrics(
        np.asarray(y), ctx.predicted_codes, labels, list(ctx.dataset.classes), n_boot=settings.bootstrap,
        seed=settings.seed, kind=kind, edges=edges,
    )


def _start_metrics(
    ctx: AuditContext, settings: GroupsSection, name: str, labels: pd.Series, kind: str, edges: tuple[float, ...]
) -> Callable[[], Any]:
    """Start one attribute's group metrics; the returned function finishes them."""
    if ctx.task == "binary":
        return start_group_metrics(
            ctx.dataset.y_test, ctx.test_prob, labels.rename(name), n_boot=settings.bootstrap,
            seed=settings.seed, kind=kind, edges=edges, client=current_client(),
        )
    return lambda: _task_groups(ctx, settings, labels.rename(name), kind, edges)


def _attribute_groups(
    ctx: AuditContext,
    effects: FeatureEffectsSummary,
    top: list[str],
    members: list[str],
    labels: pd.Series,
    kind: str,
    result: Any,
) -> AttributeGroupsSummary:
    """Metrics (``result``) and mean |SHAP| per group of one attribute (or intersection of attributes)."""
    name = " × ".join(members)
    extra = [m for m in members if m in effects.features and m not in top]
    features = top + extra
    cols = [effects.features.index(f) for f in features]
    values = ctx.shap_values
    explained_labels = labels.iloc[ctx.explained].astype(str).to_numpy()  # SHAP rows: positions in the test split
    rows = []
    for g in result.groups:
        mask = explained_labels == g.group
        means = np.abs(values[mask][:, cols]).mean(axis=0) if mask.any() else np.full(len(cols), np.nan)
        rows.append(
            GroupMetrics(
                group=g.group, n=g.n, positives=g.positives, metrics=g.metrics,
                ci_low=g.ci_low, ci_high=g.ci_high, ci_notes=dict(g.ci_notes), n_explained=int(mask.sum()),
                mean_abs_shap=[float(v) for v in means] if mask.any() else [],
            )
        )
    return AttributeGroupsSummary(
        attribute=name, kind=kind, edges=list(result.edges), groups=rows,
        members=list(members) if kind == "intersection" else [],
        shap_features=features,
        **_disparities(result),
    )


def _disparities(result: Any) -> dict[str, Any]:
    """Binary: fairlearn's disparity measures; the other tasks: the largest gap of each metric."""
    gaps = getattr(result, "gaps", None)
    if gaps is not None:
        return {
            "demographic_parity_difference": None, "demographic_parity_ratio": None,
            "equalized_odds_difference": None,
            "gaps": [GroupGapSummary(**{f: getattr(g, f) for f in GroupGapSummary.model_fields}) for g in gaps],
        }
    return {
        "demographic_parity_difference": finite_or_none(result.demographic_parity_difference),
        "demographic_parity_difference_ci": list(result.demographic_parity_difference_ci),
        "demographic_parity_ratio": finite_or_none(result.demographic_parity_ratio),
        "equalized_odds_difference": finite_or_none(result.equalized_odds_difference),
    }
