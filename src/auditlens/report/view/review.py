"""The Decision review section: each selected decision with its inputs, SHAP values and waterfall."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from markupsafe import Markup

from auditlens.formatting import datum, fixed, general, short_value, signed
from auditlens.report import charts
from auditlens.report.view.base import SCALE_WORDS, Chart, Facts, Table, explained_output
from auditlens.results import AuditResult, DecisionReview


@dataclass(frozen=True, slots=True)
class Decision:
    title: str
    facts: Facts
    table: Table
    sentences: tuple[str, ...]
    waterfall: Chart
    versus: Table | None = None  # multiclass: what separates the predicted class from the runner-up


@dataclass(frozen=True, slots=True)
class ReviewView:
    decisions: tuple[Decision, ...]
    scale: str  # the SHAP values' scale, e.g. "log-odds of 'bad'"
    selection: str  # how the decisions were chosen


def review_view(result: AuditResult) -> ReviewView:
    fx = result.feature_effects
    if result.task == "binary":
        scale = f"{fx.output_scale} of '{fx.positive_class}'"
        made = [decision(d, fx.output_scale, fx.positive_class, fx.features) for d in fx.decisions]
    else:
        scale = explained_output(result)
        made = [task_decision(result, d) for d in fx.decisions]
    return ReviewView(
        decisions=tuple(made),
        scale=scale,
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


def task_decision(result: AuditResult, d: DecisionReview) -> Decision:
    """A regressor's or a multiclass model's decision: the prediction, or the class and its runner-up."""
    fx, target = result.feature_effects, result.data.target
    features = fx.features
    if result.task == "regression":
        scale = f"predicted {target}"
        title = f"Row {d.row_id}: predicted {target} {general(d.model_output, 5)} (actual {d.actual})"
        what = f"the predicted {target}"
        facts: Facts = (("Split", d.split), ("Actual value", d.actual or "unknown"),
                        ("Error (actual − predicted)", _error(d)),
                        ("Base value", f"{fixed(d.base_value, 4)} (mean prediction over the background rows)"),
                        ("Model output", f"{fixed(d.model_output, 4)} (the prediction)"))
        versus = None
    else:
        scale = f"{SCALE_WORDS.get(fx.output_scale, fx.output_scale)} of '{d.predicted}'"
        title = (f"Row {d.row_id}: predicted '{d.predicted}' (P = {fixed(d.probability, 3)}), runner-up "
                 f"'{d.runner_up}' (P = {fixed(d.runner_up_probability, 3)})")
        what = f"the {scale}"
        facts = (("Split", d.split), ("Actual class", d.actual or "unknown"),
                 ("Base value", f"{fixed(d.base_value, 4)} ({scale})"),
                 ("Model output", f"{fixed(d.model_output, 4)} ({scale})"))
        versus = Table(
            ("Feature", "Value as given", f"favours '{d.predicted}' over '{d.runner_up}' by"),
            tuple((c.feature, short_value(c.value), signed(c.shap, 4)) for c in d.versus_runner_up),
            numeric=(2,),
        )
    sentences = tuple(
        f"{c.feature} = {short_value(c.value)} {'raised' if c.shap > 0 else 'lowered'} {what} by {fixed(abs(c.shap), 3)}."
        for c in d.contributions
    )
    return Decision(
        title=title, facts=facts,
        table=Table(("Feature", "Value as given", "SHAP"), _inputs(d, features), numeric=(2,)),
        sentences=sentences, waterfall=_waterfall(d, scale, features), versus=versus,
    )


def _error(d: DecisionReview) -> str:
    try:
        return signed(float(d.actual) - d.model_output, 4)
    except ValueError:
        return "n/a"


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
