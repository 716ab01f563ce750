"""The Decision review section: each selected decision with its inputs, SHAP values and waterfall."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from markupsafe import Markup

from auditlens.formatting import datum, fixed, short_value, signed
from auditlens.report import charts
from auditlens.report.view.base import Chart, Facts, Table
from auditlens.results import AuditResult, DecisionReview


@dataclass(frozen=True, slots=True)
class Decision:
    title: str
    facts: Facts
    table: Table
    sentences: tuple[str, ...]
    waterfall: Chart


@dataclass(frozen=True, slots=True)
class ReviewView:
    decisions: tuple[Decision, ...]
    scale: str  # the SHAP values' scale, e.g. "log-odds of 'bad'"
    selection: str  # how the decisions were chosen


def review_view(result: AuditResult) -> ReviewView:
    fx = result.feature_effects
    return ReviewView(
        decisions=tuple(decision(d, fx.output_scale, fx.positive_class, fx.features) for d in fx.decisions),
        scale=f"{fx.output_scale} of '{fx.positive_class}'",
        selection=fx.review_selection or "test rows, highest predicted probability of the positive class first",
    )


def decision(d: DecisionReview, scale: str, positive: str, features: list[str]) -> Decision:
    sentences = tuple(
        f"{c.feature} = {short_value(c.value)} {'raised' if c.shap > 0 else 'lowered'} the predicted {scale} of "
        f"'{positive}' by {fixed(abs(c.shap), 3)}."
        for c in d.contributions
    )
    return Decision(
        title=f"Row {d.row_id}: predicted '{d.predicted}' (P('{positive}') = {fixed(d.probability, 3)})",
        facts=(
            ("Split", d.split),
            ("Actual label", d.actual or "unknown"),
            ("Base value", f"{fixed(d.base_value, 4)} ({scale})"),
            ("Model output", f"{fixed(d.model_output, 4)} ({scale})"),
        ),
        table=Table(("Feature", "Value as given", "SHAP"), _inputs(d, features), numeric=(2,)),
        sentences=sentences,
        waterfall=_waterfall(d, scale, features),
    )


def _inputs(d: DecisionReview, features: list[str]) -> tuple[tuple[str, ...], ...]:
    """Every input as given, largest |SHAP| first (results written before the inputs were
    recorded have only the top contributions and the rest)."""
    if d.inputs and len(d.shap_values) == len(features):
        order = np.argsort(-np.abs(np.asarray(d.shap_values)), kind="stable")
        return tuple((features[j], datum(d.inputs.get(features[j])), signed(d.shap_values[j], 4)) for j in order)
    rows = tuple((c.feature, short_value(c.value), signed(c.shap, 4)) for c in d.contributions)
    return rows + (("all other features", "", signed(d.rest, 4)),)


def _waterfall(d: DecisionReview, scale: str, features: list[str]) -> Chart:
    shown = len(d.contributions)
    svg = charts.waterfall(
        [f"{c.feature} = {short_value(c.value)}" for c in d.contributions], [c.shap for c in d.contributions],
        rest=d.rest, base=d.base_value, output=d.model_output, scale=scale,
        rest_label=f"{max(len(features) - shown, 0)} other features",
        alt=f"Waterfall of row {d.row_id}: from the base value {fixed(d.base_value, 3)} through the {shown} "
        f"largest contributions and the rest to the output {fixed(d.model_output, 3)} ({scale}).",
    )
    return Chart(Markup(svg), f"Row {d.row_id}: SHAP waterfall ({scale}), base value at the bottom, model output at the top.")
