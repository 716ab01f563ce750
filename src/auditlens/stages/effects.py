"""Effects stage: the SHAP feature effects of the explained rows, as the report's effects section.

Reads the SHAP values in the context (never recomputes them) and adds what is derived from
them: the ranking, dependence plots with their colouring feature, a bootstrap interval of mean
|SHAP|, tree interaction values, and the per-row values kept in results.json.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from auditlens.explain import bootstrap_mean_abs, strongest_interaction, tree_interactions
from auditlens.explain._budget import interaction_rows, interaction_width
from auditlens.results import DependenceEntry, FeatureEffectsSummary, InteractionPair
from auditlens.stages._values import scalar

if TYPE_CHECKING:
    from auditlens.spec import ExplainSection
    from auditlens.stages.context import AuditContext
    from auditlens.stages.review import ReviewSummary


def effects_summary(ctx: AuditContext, settings: ExplainSection, review: ReviewSummary) -> FeatureEffectsSummary:
    """The feature-effects section; ``review`` is the review stage's result, shown with it."""
    effects, X_explain = ctx.shap, ctx.X_explained
    features = list(effects.feature_names)
    ranking = [features[i] for i in np.argsort(-np.asarray(effects.mean_abs), kind="stable")]
    dependence = [
        DependenceEntry(feature=f, colour_by=strongest_interaction(effects, X_explain, f))
        for f in ranking[: settings.dependence_plots]
    ]
    all_values = ctx.shap_values
    stored, stored_note = stored_positions(len(X_explain), limit=settings.stored_rows, seed=settings.seed)
    rows = [[scalar(v) for v in row] for row in X_explain.iloc[stored][features].itertuples(index=False)]
    ci_low, ci_high, ci_method = _mean_abs_interval(ctx, settings)
    pairs, note = _interactions(ctx, settings)
    return FeatureEffectsSummary(
        interaction_pairs=pairs,
        interaction_note=note,
        explainer=effects.explainer,
        output_scale=effects.output_scale,
        positive_class=_explained_output(ctx),
        background_size=effects.background_size,
        background_seed=effects.background_seed,
        background_sha256=effects.background_sha256,
        n_explained=len(X_explain),
        base_value=float(effects.base_value),
        additivity_gap=float(effects.additivity_gap),
        features=features,
        numeric_features=[f for f in features if f in ctx.dataset.numeric],
        mean_abs=[float(v) for v in effects.mean_abs],
        values=[[float(v) for v in row] for row in all_values[stored]],
        rows=rows,
        stored_positions=[] if len(stored) == len(X_explain) else [int(i) for i in stored],
        stored_note=stored_note,
        dependence=dependence,
        decisions=list(review.decisions),
        review_selection=review.selection,
        mean_abs_ci_low=ci_low,
        mean_abs_ci_high=ci_high,
        mean_abs_ci_method=ci_method,
        classes=list(ctx.dataset.classes) if ctx.shap_by_class else [],
        class_mean_abs=[[float(v) for v in fx.mean_abs] for fx in ctx.shap_by_class],
        class_base_values=[float(fx.base_value) for fx in ctx.shap_by_class],
    )


def _explained_output(ctx: AuditContext) -> str:
    """What the values explain: the positive class, each row's predicted class, or the prediction."""
    if ctx.task == "regression":
        return ""
    if ctx.task == "multiclass":
        return "predicted class"
    return str(ctx.dataset.positive_class)


def stored_positions(n: int, *, limit: int, seed: int) -> tuple[np.ndarray, str]:
    """Which of ``n`` explained rows keep their per-row values in results.json, and a sentence saying so."""
    if n <= limit:
        return np.arange(n), ""
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(n, size=limit, replace=False))
    return chosen, (
        f"Per-row SHAP values are stored for {limit:,} of the {n:,} explained rows (a uniform sample "
        f"drawn by numpy.random.default_rng({seed}); explain.stored_rows); every summary "
        "number uses all explained rows."
    )


def _mean_abs_interval(ctx: AuditContext, settings: ExplainSection) -> tuple[list[float], list[float], str]:
    """95% bootstrap interval of each feature's mean |SHAP| (empty when explain.bootstrap = 0)."""
    if not settings.bootstrap:
        return [], [], ""
    low, high = bootstrap_mean_abs(ctx.shap.values, n_boot=settings.bootstrap, seed=settings.seed)
    method = (
        f"95% percentile bootstrap over the {len(ctx.explained)} explained rows "
        f"({settings.bootstrap} resamples, seed {settings.seed})"
    )
    return [float(v) for v in low], [float(v) for v in high], method


def _interactions(ctx: AuditContext, settings: ExplainSection) -> tuple[list[InteractionPair], str]:
    """The strongest SHAP interaction pairs (tree models), and a sentence on how or why not."""
    explainer = ctx.shap.explainer
    rows = min(settings.interaction_rows, len(ctx.explained))
    if ctx.task == "multiclass":
        return [], "Not computed for a multiclass model (one set of interaction values per class)."
    if explainer != "tree":
        return [], f"Not computed: SHAP interaction values need a tree model (this is the {explainer} explainer)."
    if rows == 0:
        return [], "Not computed (explain.interaction_rows = 0)."
    # Bounded by this machine's memory: 100 rows of 10,000 columns once asked for 74.5 GiB.
    rows, capped = interaction_rows(interaction_width(ctx.model, ctx.X_explained), rows)
    if rows == 0:
        return [], capped
    pairs = tree_interactions(
        ctx.model, ctx.X_explained, positive_class=ctx.positive_label, max_rows=rows, top=settings.interaction_pairs
    )
    if pairs is None:
        return [], "Not computed: shap supports interaction values for this model only through other explainers."
    note = (
        f"Path-dependent TreeSHAP interaction values (shap's only algorithm for them; the trees' own "
        f"cover is the background, not the sampled background above) on the first {rows} explained rows, "
        f"one-hot columns summed into their source column; strength = mean |Φ_ab| + |Φ_ba|."
    ) + (f" {capped}" if capped else "")
    return [InteractionPair(features=[a, b], mean_abs=v) for a, b, v in pairs], note
