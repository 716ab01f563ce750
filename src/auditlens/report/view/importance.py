"""The Hyperparameter importance section: fANOVA shares, interactions and marginal curves."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from auditlens.formatting import fixed, pct
from auditlens.report import charts
from auditlens.report.view.base import HALF_WIDTH_IN, Chart, Facts, Table, metric_name
from auditlens.results import AuditResult, ImportanceSummary, MarginalCurve


@dataclass(frozen=True, slots=True)
class ImportanceView:
    facts: Facts
    warnings: tuple[str, ...]
    table: Table
    chart: Chart
    pairwise: Table
    marginals: tuple[Chart, ...]


def importance_view(result: AuditResult) -> ImportanceView:
    imp, metric = result.importance, metric_name(result)
    mains = imp.main_effects
    table = Table(
        ("Hyperparameter", "Importance", "± std"),
        tuple((e.params[0], pct(e.importance), pct(e.std)) for e in mains)
        + tuple((p, "excluded (constant)", "—") for p in imp.excluded_params),
        numeric=(1, 2),
    )
    svg = charts.importance_bar(
        [e.params[0] for e in mains], [e.importance for e in mains], [e.std for e in mains],
        alt="Share of the variance in the tuning objective explained by each hyperparameter alone.",
        xlabel=f"Share of variance in {metric}", share=True,
    )
    pairwise = Table(
        ("Interaction", "Importance", "± std"),
        tuple((" × ".join(e.params), pct(e.importance), pct(e.std)) for e in imp.pairwise),
        numeric=(1, 2),
    )
    return ImportanceView(
        facts=_facts(imp),
        warnings=tuple(imp.warnings),
        table=table,
        chart=Chart(Markup(svg), "Main-effect importance: each hyperparameter's own share of the variance (error bars: ± 1 std)."),
        pairwise=pairwise,
        marginals=tuple(_marginal(curve, metric) for curve in imp.marginals),
    )


def _facts(imp: ImportanceSummary) -> Facts:
    fit = "unavailable" if imp.surrogate_r2 is None else f"R² {fixed(imp.surrogate_r2, 3)}"
    if imp.surrogate_fit_method:
        fit += f" ({imp.surrogate_fit_method})"
    return (
        ("Method", imp.method),
        ("Estimator", imp.estimator),
        ("Uncertainty", imp.uncertainty_method),
        ("Trials used", f"{imp.n_trials_used} ({imp.n_trials_excluded} failed trials excluded)"),
        ("Surrogate fit", fit),
        ("Surrogate settings", ", ".join(f"{k}={v}" for k, v in imp.surrogate_settings.items())),
    )


def _marginal(curve: MarginalCurve, metric: str) -> Chart:
    svg = charts.marginal_curve(
        curve.x, curve.mean, curve.std, param=curve.param, log_scale=curve.log_scale,
        categories=curve.labels, ylabel=f"predicted {metric}",
        alt=f"Marginal {metric} over {curve.param}: the surrogate's mean prediction with a ± 1 std band.",
        width=HALF_WIDTH_IN,
    )
    return Chart(
        Markup(svg),
        f"Marginal of {curve.param}: predicted {metric} with the other hyperparameters averaged out "
        "(band: ± 1 std, as under Uncertainty).",
    )
