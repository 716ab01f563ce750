"""How much SHAP interaction work fits in this machine's memory, decided before it starts.

Interaction values are rows × m × m float64 numbers for m model inputs (one-hot columns
included): 100 rows of 10,000 columns asked for 74.5 GiB and the run died after 146 s. The
rows used are capped so that the values and their working copies fit in half of the memory
available; when not even one row fits, interactions are skipped; either way the report says so.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from auditlens.memory import available_bytes, format_bytes

__all__ = ["COPIES", "MIN_ROWS", "interaction_rows", "interaction_width"]

# Fewer rows than this say nothing about a pair's typical strength: skip rather than pretend.
MIN_ROWS = 10
# shap's output array, our float64 view of it, the grouped per-column matrix and its |.|.
COPIES = 4


def interaction_width(pipeline: Any, X_explain: pd.DataFrame) -> int:
    """m: the number of model inputs one explained row becomes (after one-hot encoding)."""
    from auditlens.explain._shap import _dense, _structure

    structure = _structure(pipeline, X_explain.iloc[:1])
    if structure.transform is None:
        return X_explain.shape[1]
    return int(_dense(structure.transform(X_explain.iloc[:1])).shape[1])


def interaction_rows(width: int, rows: int, *, available: int | None = None, outputs: int = 2) -> tuple[int, str]:
    """Rows of interaction values that fit, and a sentence when that is fewer than asked.

    Args:
        width: m, the model inputs per row.
        rows: rows asked for.
        available: bytes available (default: :func:`auditlens.memory.available_bytes`).
        outputs: model outputs shap returns values for (2 for a binary classifier's classes).

    Example:
        >>> interaction_rows(10_000, 100, available=16 * 1024**3)[0]
        0
    """
    budget = (available_bytes() if available is None else available) // 2
    per_row = width * width * 8 * COPIES * max(1, outputs)
    fit = min(rows, budget // per_row)
    if fit >= rows:
        return rows, ""
    need = format_bytes(per_row * rows)
    if fit < min(rows, MIN_ROWS):
        return 0, (
            f"Not computed: interaction values for {width:,} model inputs need {format_bytes(per_row)} "
            f"per row; {MIN_ROWS} rows would take more than half of the {format_bytes(budget * 2)} "
            "of memory available."
        )
    return fit, (
        f"Capped at {fit} of the {rows} rows asked for: {rows} rows of {width:,} model inputs would need "
        f"{need}, more than half of the {format_bytes(budget * 2)} of memory available."
    )
