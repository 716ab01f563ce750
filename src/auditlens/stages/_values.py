"""Plain values for results.json: numpy scalars to JSON scalars, and the display strings.

``display`` writes text for the report into results.json (a decision's input value, a column's
min/median/max). That is formatting, which belongs in the view; it stays here, in one place,
until results.json holds only numbers and labels (schema 1.1).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def scalar(value: Any) -> str | int | float | bool | None:
    """A JSON scalar: numpy numbers to Python ones, non-finite floats to None, others to str."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    return str(value)


def finite_or_none(value: Any) -> float | None:
    """A float, or None for None, NaN and infinities (JSON has no NaN)."""
    if value is None:
        return None
    value = float(value)
    return value if np.isfinite(value) else None


def display(value: Any) -> str:
    """A value as the report shows it: whole numbers with thousands separators, 4 significant digits."""
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:,.4g}"
    return str(value)
