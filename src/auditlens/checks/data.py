"""Checks on the audited data: missing values, degenerate columns, imbalance, overlap."""

from __future__ import annotations

from typing import TYPE_CHECKING

from auditlens.checks._core import PROJECT, Check, Context, Param, check

if TYPE_CHECKING:
    from auditlens.results import AuditResult, Finding

CHECKS: list[Check] = []
SECTION = "data"


@check(
    CHECKS, "data.missing_values", "low",
    "columns with missing values",
    max_share=Param(0.0, 0.0, 1.0, PROJECT + ": every missing value is reported",
                    "largest tolerated share of missing values in a column"),
)
def missing_values(result: AuditResult, ctx: Context) -> list[Finding]:
    data = result.data
    cols = [(c.name, c.missing / data.rows) for c in data.column_summaries if data.rows and c.missing / data.rows > ctx["max_share"]]
    if not cols:
        return []
    return [ctx.finding(
        f"{len(cols)} column{'s' if len(cols) != 1 else ''} with missing values: "
        + ", ".join(f"{n} ({s:.1%})" for n, s in cols) + ".",
        measured={"columns": ", ".join(n for n, _ in cols), "largest_share": max(s for _, s in cols)},
        section=SECTION,
        recommendation="State how missing values are handled in use and whether they are missing at random "
        "(compliance.data_provenance).",
    )]


@check(CHECKS, "data.constant_column", "low", "columns with a single value (no information)")
def constant_column(result: AuditResult, ctx: Context) -> list[Finding]:
    cols = [c.name for c in result.data.column_summaries if c.distinct <= 1]
    if not cols:
        return []
    return [ctx.finding(
        f"Constant column{'s' if len(cols) != 1 else ''}: {', '.join(cols)}; they carry no information.",
        measured={"columns": ", ".join(cols)}, section=SECTION,
        recommendation="Drop constant columns, or explain why a column is constant in this data.",
    )]


@check(
    CHECKS, "data.near_unique", "medium",
    "categorical columns with (nearly) one value per row: identifiers the model can memorise",
    max_share=Param(0.9, 0.0, 1.0, PROJECT, "largest tolerated distinct values per row in a categorical column"),
)
def near_unique(result: AuditResult, ctx: Context) -> list[Finding]:
    rows = result.data.rows
    cols = [(c.name, c.distinct / rows) for c in result.data.column_summaries
            if c.kind == "categorical" and rows and c.distinct / rows >= ctx["max_share"]]
    if not cols:
        return []
    return [ctx.finding(
        "Categorical column" + ("s" if len(cols) != 1 else "") + " with nearly one value per row: "
        + ", ".join(f"{n} ({s:.0%} distinct)" for n, s in cols) + "; an identifier lets a model memorise rows.",
        measured={"columns": ", ".join(n for n, _ in cols)}, section=SECTION,
        recommendation="Remove identifier columns from the model's inputs.",
    )]


@check(
    CHECKS, "data.class_imbalance", "low",
    "the minority class is a small share of the rows",
    min_share=Param(0.1, 0.0, 0.5, PROJECT, "smallest share of the minority class"),
)
def class_imbalance(result: AuditResult, ctx: Context) -> list[Finding]:
    counts = result.data.class_counts
    total = sum(counts.values())
    if not total or len(counts) < 2:
        return []
    label = min(counts, key=counts.__getitem__)
    share = counts[label] / total
    if share >= ctx["min_share"]:
        return []
    return [ctx.finding(
        f"Class '{label}' is {share:.1%} of the rows ({counts[label]:,} of {total:,}), below {ctx['min_share']:.0%}: "
        "accuracy is dominated by the majority class.",
        measured={"minority_class": label, "share": share, "rows": counts[label]}, section=SECTION,
        recommendation="Judge the model by balanced accuracy, per-class recall and precision, not accuracy.",
    )]


@check(
    CHECKS, "data.shared_rows", "medium",
    "held-out rows identical to a training row (the held-out score is then optimistic)",
    max_share=Param(0.0, 0.0, 1.0, PROJECT + ": every shared row is reported",
                    "largest tolerated share of held-out rows that repeat a training row"),
)
def shared_rows(result: AuditResult, ctx: Context) -> list[Finding]:
    data = result.data
    if data.shared_rows is None or not data.test_rows:
        return []  # not measured: an existing model's training rows are not given
    share = data.shared_rows / data.test_rows
    if share <= ctx["max_share"]:
        return []
    return [ctx.finding(
        f"{data.shared_rows:,} of {data.test_rows:,} held-out rows ({share:.1%}) repeat a training row exactly "
        "(every feature and the label): the model has seen them, so held-out scores are optimistic.",
        measured={"shared_rows": data.shared_rows, "held_out_rows": data.test_rows, "share": share},
        section=SECTION,
        recommendation="Remove duplicate rows before splitting, or split by entity so repeats stay on one side.",
    )]
