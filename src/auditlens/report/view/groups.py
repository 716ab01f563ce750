"""The Groups section: held-out metrics and mean |SHAP| per group of each protected attribute."""

from __future__ import annotations

from dataclasses import dataclass

from auditlens.formatting import fixed, general, interval, with_interval
from auditlens.groups import GROUP_METRICS
from auditlens.groups_tasks import REGRESSION_GROUP_METRICS, multiclass_metric_labels
from auditlens.report.view.base import Facts, Table, explained_output, held_out
from auditlens.results import AttributeGroupsSummary, AuditResult


@dataclass(frozen=True, slots=True)
class GroupView:
    attribute: str
    facts: Facts
    metrics: Table
    shap: Table


@dataclass(frozen=True, slots=True)
class GroupsView:
    facts: Facts
    groups: tuple[GroupView, ...]
    note: str  # why there are no groups, when there are none
    held_out: str  # what the metrics were measured on
    undefined_example: str = "e.g. ROC AUC with one class"  # of a metric "n/a" in a group


def groups_view(result: AuditResult) -> GroupsView:
    g = result.groups
    if g is None:
        if result.data.protected_attributes:
            note = ("Per-group metrics were not computed: these results were written by an earlier "
                    "version of auditlens.")
        else:
            note = ("No protected attributes were declared (data.protected_attributes is empty), so no "
                    "per-group metrics were computed.")
        return GroupsView((), (), note, held_out(result))
    if result.task == "binary":
        facts: Facts = (
            ("Method", g.method),
            ("Decision threshold", f"predicted '{result.performance.positive_class}' when P >= {g.threshold}"),
            ("Confidence intervals", g.ci_method),
            ("mean |SHAP|", f"{g.shap_scale} scale, over the explained test rows of each group"),
        )
        return GroupsView(facts, tuple(group_view(a) for a in g.attributes), "", held_out(result))
    facts = (
        ("Method", g.method),
        ("Confidence intervals", g.ci_method),
        ("mean |SHAP|", f"{explained_output(result)}, over the explained test rows of each group"),
    )
    if result.task == "regression":
        labels = dict(REGRESSION_GROUP_METRICS)
    else:
        labels = multiclass_metric_labels(result.multiclass_performance.classes)
    return GroupsView(facts, tuple(task_group_view(a, labels) for a in g.attributes), "", held_out(result),
                      "e.g. an interval from a group of one row")


def task_group_view(a: AttributeGroupsSummary, labels: dict[str, str]) -> GroupView:
    """A regressor's or multiclass model's groups: their metrics, and the largest gap of each."""
    numeric = tuple(range(1, 1 + len(a.groups)))
    metrics = Table(
        ("",) + tuple(g.group for g in a.groups),
        (("test rows",) + tuple(str(g.n) for g in a.groups),)
        + tuple(
            (label,) + tuple(with_interval(g.metrics.get(m), g.ci_low.get(m), g.ci_high.get(m)) for g in a.groups)
            for m, label in labels.items()
        ),
        numeric=numeric,
    )
    gaps = tuple(
        (f"Largest gap in {labels.get(gap.metric, gap.metric)}",
         f"{with_interval(gap.difference, gap.ci_low, gap.ci_high)}: '{gap.high_group}' above '{gap.low_group}'"
         + (f" ({gap.ci_method})" if gap.ci_method else ""))
        for gap in a.gaps
    )
    return GroupView(a.attribute, (("Grouping", _grouping(a)),) + gaps + _interval_notes(a), metrics, _shap_table(a, numeric))


def group_view(a: AttributeGroupsSummary) -> GroupView:
    dp = fixed(a.demographic_parity_difference, 3)
    ci = a.demographic_parity_difference_ci
    if len(ci) == 2 and None not in ci:
        dp += " " + interval(ci[0], ci[1], 3)
    facts = (
        ("Grouping", _grouping(a)),
        ("Demographic parity difference", dp + " (largest minus smallest selection rate)"),
        ("Demographic parity ratio", fixed(a.demographic_parity_ratio, 3) + " (smallest over largest selection rate)"),
        ("Equalized-odds difference", fixed(a.equalized_odds_difference, 3) + " (larger of the TPR and FPR differences)"),
    ) + _interval_notes(a)
    numeric = tuple(range(1, 1 + len(a.groups)))
    metrics = Table(
        ("",) + tuple(g.group for g in a.groups),
        (
            ("test rows",) + tuple(str(g.n) for g in a.groups),
            ("of which positive",) + tuple(str(g.positives) for g in a.groups),
        )
        + tuple(
            (label,) + tuple(with_interval(g.metrics.get(m), g.ci_low.get(m), g.ci_high.get(m)) for g in a.groups)
            for m, label in GROUP_METRICS.items()
        ),
        numeric=numeric,
    )
    return GroupView(a.attribute, facts, metrics, _shap_table(a, numeric))


def _shap_table(a: AttributeGroupsSummary, numeric: tuple[int, ...]) -> Table:
    return Table(
        ("Feature",) + tuple(f"{g.group} ({g.n_explained} rows)" for g in a.groups),
        tuple(
            (f,) + tuple(fixed(g.mean_abs_shap[k], 4) if g.mean_abs_shap else "n/a" for g in a.groups)
            for k, f in enumerate(a.shap_features)
        ),
        numeric=numeric,
    )


def _interval_notes(a: AttributeGroupsSummary) -> Facts:
    """Why an interval is missing from the table below (e.g. an AUC from 3 positives)."""
    notes = [f"'{g.group}' {metric.replace('_', ' ')}: {note}" for g in a.groups for metric, note in g.ci_notes.items()]
    return (("Intervals not shown", "; ".join(notes)),) if notes else ()


def _grouping(a: AttributeGroupsSummary) -> str:
    if a.kind == "intersection":
        return ("intersection of " + " and ".join(a.members) + ": one group per combination present, each "
                "attribute grouped as in its own section; estimates and intervals from groups of a few rows "
                "are unreliable, even where the interval looks narrow")
    if a.kind == "categorical":
        return "categorical (one group per value)"
    return "numeric, banded at " + ", ".join(general(e, 6) for e in a.edges) + " (band [a, b) holds a <= x < b)"
