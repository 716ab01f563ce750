"""Plain values for results.json: numpy scalars to JSON scalars, non-finite floats to None.

results.json holds numbers and labels only (schema 1.1); the report formats them
(:mod:`auditlens.formatting`).
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

