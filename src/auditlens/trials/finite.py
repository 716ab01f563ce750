"""Parameter values must be finite and of sane magnitude before anything is inferred from them.

One ``inf`` or ``1e308`` in a parameter column stretches the inferred range so far that every
other trial encodes to the same point of the unit cube: measured, a parameter holding 99.8%
of the variance then reads 0.0%, with exit 0. So such a value is refused where a tuning run
enters auditlens, naming the parameter and the row, for every source (trial files, scikit-learn
searches, Optuna studies). The objective is different: a non-finite objective marks a failed
trial, which the sources already exclude and count.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from auditlens.errors import TrialsError

__all__ = ["ABSURD", "check_finite"]

# Beyond this magnitude a value's square overflows float64 (1.8e308), so variances and
# differences of encoded values are inf or nan. No hyperparameter is set to such a value.
ABSURD = 1e150


def check_finite(name: str, cells: Iterable[object], *, where: Callable[[int], str]) -> None:
    """Raise TrialsError at the first numeric cell that is not finite or exceeds :data:`ABSURD`.

    Args:
        name: the parameter.
        cells: its values, one per trial; None, strings and bools are not numbers and pass.
        where: row index -> where that row is, e.g. ``"row 5 of trials.csv"``.

    Example:
        >>> check_finite("C", [0.1, float("inf")], where=lambda i: f"row {i + 1} of t.csv")
        Traceback (most recent call last):
        ...
        auditlens.errors.TrialsError: C: expected a finite number of magnitude at most 1e+150; got inf in row 2 of t.csv (fix the value, or drop the trial)
    """
    for row, cell in enumerate(cells):
        if cell is None or isinstance(cell, (bool, str)) or not hasattr(cell, "__float__"):
            continue
        try:
            value = float(cell)  # type: ignore[arg-type]
        except (OverflowError, TypeError, ValueError):
            value = math.inf
        if math.isnan(value):
            continue  # an empty cell: the parameter was inactive in that trial
        if not math.isfinite(value) or abs(value) > ABSURD:
            raise TrialsError(
                f"{name}: expected a finite number of magnitude at most {ABSURD:g}; got {cell!r} "
                f"in {where(row)} (fix the value, or drop the trial)"
            )
