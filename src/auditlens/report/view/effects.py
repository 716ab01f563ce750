"""The Feature effects section: SHAP importance, beeswarm, interactions and dependence."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from markupsafe import Markup

from auditlens.formatting import count, fixed, interval, sci
from auditlens.report import charts
from auditlens.report.view.base import HALF_WIDTH_IN, SCALE_WORDS, Chart, Facts, Table, explained_output
from auditlens.results import AuditResult, DependenceEntry, FeatureEffectsSummary


@dataclass(frozen=True, slots=True)
class EffectsView:
    facts: Facts
    table: Table
    interactions: Table
    interaction_note: str
    mean_abs_chart: Chart
    beeswarm_chart: Chart
    dependence_charts: tuple[Chart, ...]
    class_chart: Chart | None = None  # multiclass: mean |SHAP| stacked by class


def effects_view(result: AuditResult) -> EffectsView:
    fx = result.feature_effects
    values = np.asarray(fx.values, dtype=float).reshape(len(fx.values), len(fx.features))
    order = np.argsort(-np.asarray(fx.mean_abs), kind="stable")
    ranked = [fx.features[i] for i in order]
    colour = colour_values(fx.rows, fx.features, fx.numeric_features)
    scale = SCALE_WORDS.get(fx.output_scale, fx.output_scale)
    mean_abs_svg = charts.mean_abs_bar(
        ranked, [fx.mean_abs[i] for i in order],
        alt=f"Mean absolute SHAP value per feature ({scale} scale), largest first.",
        xlabel=f"mean |SHAP value| ({scale})",
    )
    beeswarm_svg = charts.beeswarm(
        ranked, values[:, order], colour[:, order],
        alt=f"SHAP values of the explained rows for each feature ({scale}), coloured by the feature's value.",
        seed=0,
    )
    stored = (f" (of the {count(len(fx.values))} stored of {count(fx.n_explained)}, see Rows explained)"
              if fx.stored_positions else "")
    return EffectsView(
        facts=_facts(result),
        table=_ranking(fx, order),
        interactions=Table(
            ("Interaction", f"mean |SHAP interaction| ({scale})"),
            tuple((" × ".join(p.features), fixed(p.mean_abs, 4)) for p in fx.interaction_pairs),
            numeric=(1,),
        ),
        interaction_note=fx.interaction_note,
        mean_abs_chart=Chart(Markup(mean_abs_svg), "Global feature importance: mean |SHAP value| per original column (one-hot columns summed)."),
        beeswarm_chart=Chart(
            Markup(beeswarm_svg),
            f"Beeswarm: each dot is one explained row{stored}; colour is the feature's value (grey: categorical).",
        ),
        dependence_charts=tuple(_dependence(fx, entry, values, colour) for entry in fx.dependence),
        class_chart=_by_class(fx, ranked, scale),
    )


def _by_class(fx: FeatureEffectsSummary, ranked: list[str], scale: str) -> Chart | None:
    """Multiclass: each feature's mean |SHAP| toward every class, stacked (all classes, all rows)."""
    if not fx.classes or len(fx.class_mean_abs) != len(fx.classes):
        return None
    index = [fx.features.index(f) for f in ranked]
    matrix = [[row[i] for i in index] for row in fx.class_mean_abs]
    svg = charts.stacked_mean_abs(
        ranked, fx.classes, matrix, xlabel=f"mean |SHAP value| ({scale}), summed over classes",
        alt="Mean absolute SHAP value per feature toward each class, stacked.",
    )
    return Chart(Markup(svg), "Feature importance per class: mean |SHAP| of each class's own output over every "
                 "explained row, stacked; a feature can matter for one class and not another.")


def _facts(result: AuditResult) -> Facts:
    fx, on_file = result.feature_effects, result.data.evaluation == "file"
    background = (
        f"{fx.background_size} rows of the {'data file' if on_file else 'training split'}, drawn uniformly "
        f"without replacement by numpy.random.default_rng({fx.background_seed}) (sha256 of the rows as "
        f"CSV {fx.background_sha256[:16]}…)"
    )
    explained = f"{count(fx.n_explained)} ({'rows of the data file' if on_file else 'test split'})"
    if fx.stored_note:
        explained += f". {fx.stored_note}"
    facts: Facts = (
        ("Explainer", f"SHAP {fx.explainer} explainer"),
        ("Output scale", explained_output(result)),
        ("Background", background),
        ("Rows explained", explained),
        ("Base value", fixed(fx.base_value, 4) + (
            " (mean over the explained rows of their predicted class's base value: "
            + ", ".join(f"{c} {fixed(b, 4)}" for c, b in zip(fx.classes, fx.class_base_values)) + ")"
            if fx.classes else "")),
        ("Additivity gap", f"{sci(fx.additivity_gap, 2)} = max |sum(SHAP) + base − model output| over the explained rows"),
    )
    if fx.mean_abs_ci_method:
        facts += (("Interval of mean |SHAP|", fx.mean_abs_ci_method),)
    return facts


def _ranking(fx: FeatureEffectsSummary, order: np.ndarray) -> Table:
    """Features by mean |SHAP|, largest first, with the bootstrap interval when it was computed."""
    if len(fx.mean_abs_ci_low) == len(fx.features) == len(fx.mean_abs_ci_high):
        return Table(
            ("Rank", "Feature", "mean |SHAP|", "95% CI"),
            tuple(
                (str(r + 1), fx.features[i], fixed(fx.mean_abs[i], 4), interval(fx.mean_abs_ci_low[i], fx.mean_abs_ci_high[i], 4))
                for r, i in enumerate(order)
            ),
            numeric=(0, 2, 3),
        )
    return Table(
        ("Rank", "Feature", "mean |SHAP|"),
        tuple((str(r + 1), fx.features[i], fixed(fx.mean_abs[i], 4)) for r, i in enumerate(order)),
        numeric=(0, 2),
    )


def _dependence(fx: FeatureEffectsSummary, entry: DependenceEntry, values: np.ndarray, colour: np.ndarray) -> Chart:
    j = fx.features.index(entry.feature)
    categorical = entry.feature not in fx.numeric_features
    x = [row[j] for row in fx.rows]
    colour_by = None if entry.colour_by is None else colour[:, fx.features.index(entry.colour_by)]
    svg = charts.dependence(
        [str(v) for v in x] if categorical else [float(v) for v in x],  # type: ignore[arg-type]
        values[:, j], feature=entry.feature, categorical=categorical,
        colour_values=colour_by, colour_label=entry.colour_by,
        alt=f"SHAP value of {entry.feature} against its value.", seed=0,
        width=HALF_WIDTH_IN,
    )
    caption = f"Dependence of the prediction on {entry.feature}"
    if entry.colour_by:
        caption += f", coloured by {entry.colour_by}"
    if fx.stored_positions:
        caption += f" ({count(len(fx.values))} stored of {count(fx.n_explained)} explained rows, see Rows explained)."
    else:
        caption += "."
    return Chart(Markup(svg), caption)


def colour_values(rows: list[list[object]], features: list[str], numeric: list[str]) -> np.ndarray:
    """Per-feature rank in [0, 1] for numeric features (robust to outliers); NaN otherwise."""
    n, k = len(rows), len(features)
    out = np.full((n, k), np.nan)
    for j, name in enumerate(features):
        if name not in numeric:
            continue
        column = np.array([np.nan if r[j] is None else float(r[j]) for r in rows])  # type: ignore[arg-type]
        finite = np.isfinite(column)
        if finite.sum() < 2:
            continue
        ranks = column[finite].argsort(kind="stable").argsort(kind="stable")
        out[finite, j] = ranks / max(finite.sum() - 1, 1)
    return out
