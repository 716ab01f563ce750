"""The Hyperparameter importance section: fANOVA shares, interactions and marginal curves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from auditlens.formatting import fixed, general, pct
from auditlens.report import charts
from auditlens.report.view.base import HALF_WIDTH_IN, Chart, Facts, Table, metric_name
from auditlens.report.view.tuning import fold_spread
from auditlens.results import AuditResult, EffectEntry, ImportanceSummary, MarginalCurve

_POOR_FIT = 0.5  # R² below which the importance stage warns that the surrogate fits poorly


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
    # A chance level at or above 100% is no line on a chart of shares (the facts say why).
    level = imp.chance.level if imp.chance is not None and (imp.chance.level or 2.0) < 1.0 else None
    svg = charts.importance_bar(
        [e.params[0] for e in mains], [e.importance for e in mains], [e.std for e in mains],
        alt="Share of the variance in the tuning objective explained by each hyperparameter alone.",
        xlabel=f"Share of variance in {metric}", share=True, level=level,
    )
    caption = "Main-effect importance: each hyperparameter's own share of the variance (error bars: ± 1 std)"
    caption += "; dashed line: the chance level." if level is not None else "."  # only when drawn
    return ImportanceView(
        facts=_facts(imp),
        warnings=tuple(imp.warnings),
        table=_with_excluded(_rows("Hyperparameter", mains, imp), imp.excluded_params),
        chart=Chart(Markup(svg), caption),
        pairwise=_rows("Interaction", imp.pairwise, imp),
        marginals=tuple(_marginal(curve, metric) for curve in imp.marginals),
    )


# Folds' noise is given as a reason when it is at least this share of the spread between trials.
_NOISY_FOLDS = 0.5


def importance_findings(result: AuditResult) -> list[str]:
    """Key findings name only importances distinguishable from chance; else say none is, and why."""
    imp, metric = result.importance, metric_name(result)
    if not imp.main_effects:
        return []
    if imp.chance is None:  # no permutation null (results written before it existed, or off)
        top = imp.main_effects[0]
        return [(f"Most important hyperparameter: {top.params[0]} "
                 f"({pct(top.importance)} ± {pct(top.std)} of the variance in {metric}).")]
    above = [e for e in (*imp.main_effects, *imp.pairwise) if e.distinguishable]
    if above:
        named = "; ".join(f"{' × '.join(e.params)} {pct(e.importance)} ± {pct(e.std)}" for e in above)
        return [(f"Hyperparameter importance distinguishable from chance ({imp.chance.n_permutations} "
                 f"permutations of {metric}): {named}.{_size_note(above)}")]
    why = []
    if imp.n_trials_used < 100:
        why.append(f"only {imp.n_trials_used} trials")
    if imp.surrogate_r2 is None or imp.surrogate_r2 < _POOR_FIT:
        fit = "unavailable" if imp.surrogate_r2 is None else f"R² {fixed(imp.surrogate_r2, 2)}"
        why.append(f"the surrogate explains little of {metric} ({fit}: a noisy objective or a poor fit)")
    spread = fold_spread(result)
    if spread is not None and spread[0] >= _NOISY_FOLDS * spread[1]:
        why.append(f"the noise of the CV folds alone moves a trial's mean {metric} by an sd of {general(spread[0], 2)}, "
                   f"against an sd of {general(spread[1], 2)} between the trials")
    reason = "; ".join(why) if why else "the differences between configurations are within what random objective values give"
    return [(f"No hyperparameter's importance is distinguishable from chance ({imp.chance.n_permutations} "
             f"permutations of {metric}): {reason}.")]


def _size_note(above: Sequence[EffectEntry]) -> str:
    """Above chance says an effect exists; a ± this wide says its size is not known.

    The two answer different questions: the permutation test compares the effect's variance
    with shuffled objective values; the ± is how much its share moves when a group of trials
    is left out. Two standard deviations reaching zero leave the share itself unsupported.
    """
    vague = [" × ".join(e.params) for e in above if e.std is not None and 2 * e.std >= e.importance]
    if not vague:
        return ""
    which = "all of them" if len(vague) == len(above) else ", ".join(vague)
    return (f" For {which} the evidence supports that the effect exists, not its size: "
            "± 2 std reaches 0.")


def surrogate_settings(result: AuditResult) -> Table:
    """The importance surrogate's settings (shown in the evidence appendix)."""
    return Table(("Setting", "Value"), tuple((k, str(v)) for k, v in result.importance.surrogate_settings.items()))


def _rows(label: str, effects: Sequence[EffectEntry], imp: ImportanceSummary) -> Table:
    """Importance, ± std and, with the permutation null, its 95th percentile and the flag."""
    if imp.chance is None:
        return Table((label, "Importance", "± std"),
                     tuple((" × ".join(e.params), pct(e.importance), pct(e.std)) for e in effects), numeric=(1, 2))
    return Table(
        (label, "Importance", "± std", "Null 95%", "Above chance"),
        tuple((" × ".join(e.params), pct(e.importance), pct(e.std),
               "—" if e.null_p95 is None else pct(e.null_p95), "yes" if e.distinguishable else "no")
              for e in effects),
        numeric=(1, 2, 3),
    )


def _with_excluded(table: Table, excluded: Sequence[str]) -> Table:
    blanks = ("—",) * (len(table.header) - 2)
    return Table(table.header, table.rows + tuple((p, "excluded (constant)", *blanks) for p in excluded), table.numeric)


# What the stored estimator names mean to a reader (fANOVA of the ensemble's mean prediction,
# or the mean of each tree's own fANOVA as in Hutter et al.'s forest).
_ESTIMATORS = {
    "forest_mean": "variance decomposition of the surrogate's prediction (the ensemble mean)",
    "per_tree": "mean over the trees of each tree's own variance decomposition",
}


def _facts(imp: ImportanceSummary) -> Facts:
    fit = "unavailable" if imp.surrogate_r2 is None else f"R² {fixed(imp.surrogate_r2, 3)}"
    if imp.surrogate_fit_method:
        fit += f" ({imp.surrogate_fit_method})"
    return (
        ("Method", imp.method),
        ("Estimator", _ESTIMATORS.get(imp.estimator, imp.estimator)),
        ("Uncertainty", imp.uncertainty_method),
        ("Trials used", f"{imp.n_trials_used} ({imp.n_trials_excluded} failed trials excluded)"),
        ("Surrogate fit", fit),
        *_coverage(imp),
        ("Surrogate settings", "listed in the evidence appendix (Reproducibility and evidence)"),
    )


def _coverage(imp: ImportanceSummary) -> Facts:
    """What the shares are shares of, and the chance level."""
    rows = []
    if imp.shares is not None:
        sh = imp.shares
        parts = [f"{pct(sh.main_effects)} in main effects"]
        if sh.pairs is not None and sh.higher_order is not None:
            parts += [f"{pct(sh.pairs)} in pairs", f"{pct(sh.higher_order)} in higher-order interactions"]
        text = "of the surrogate's variance, " + ", ".join(parts)
        if sh.unexplained is not None:
            text += f"; the surrogate leaves {pct(sh.unexplained)} of the objective's variance unexplained (1 − R²)"
        rows.append(("What the shares cover", text))
    if imp.chance is not None:
        if imp.chance.level is None:
            level = "not reachable with this many permutations"
        elif imp.chance.level >= 1.0:
            level = ("above 100%: fits to permuted objective values vary more than this fit, so no "
                     "importance can be told from chance")
        else:
            level = pct(imp.chance.level)
        rows.append(("Chance level", f"{level}: {imp.chance.method}"))
    return tuple(rows)


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
