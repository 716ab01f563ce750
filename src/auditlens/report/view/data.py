"""The Data section: the file, its split, and one row per column."""

from __future__ import annotations

from dataclasses import dataclass

from auditlens.formatting import NA, count, pct, short_value
from auditlens.report.view.base import Facts, Table, target_text
from auditlens.results import AuditResult, ColumnSummary, DataSummary


@dataclass(frozen=True, slots=True)
class DataView:
    facts: Facts
    columns: Table


def data_view(result: AuditResult) -> DataView:
    data = result.data
    balance = ", ".join(f"{k}: {count(v)} ({pct(v / data.rows, 0)})" for k, v in data.class_counts.items())
    facts = (
        ("File", data.file_name),
        ("sha256", data.sha256),
        ("Rows × columns", f"{count(data.rows)} × {data.columns}"),
        ("Target", target_text(result)),
        ("Class balance", balance or "not applicable (a numeric target)"),
        ("Split", _split(data)),
        ("Protected attributes", ", ".join(data.protected_attributes) or "none declared"),
    )
    columns = Table(
        ("Column", "Type", "Distinct", "Missing", "Summary"),
        tuple((c.name, c.kind, str(c.distinct), str(c.missing), column_text(c, data.rows)) for c in data.column_summaries),
        numeric=(2, 3),
        whole=(1, 2, 3),
    )
    return DataView(facts, columns)


def _split(data: DataSummary) -> str:
    if data.evaluation == "file":
        return (f"none: the fitted model is evaluated on all {count(data.test_rows)} rows of this file "
                "(held-out data supplied by the owner)")
    # A regressor's target has no classes to stratify by (and so no class counts).
    kind = "stratified" if data.class_counts else "random"
    return (f"{kind}, {count(data.train_rows)} train / {count(data.test_rows)} test "
            f"(test fraction {data.test_fraction}, seed {data.split_seed})")



def column_text(column: ColumnSummary, rows: int) -> str:
    """The one-line summary of a column: its range and median, or its most frequent value."""
    if column.summary:  # a 1.0 file: the text as it was written
        return column.summary
    if column.kind == "numeric":  # None: the column holds no number at all
        low, median, high = (NA if v is None else short_value(v) for v in (column.min, column.median, column.max))
        return f"min {low}, median {median}, max {high}"
    share = pct((column.most_frequent_count or 0) / rows, 0) if rows else "n/a"
    return f"most frequent: {column.most_frequent} ({share})"
