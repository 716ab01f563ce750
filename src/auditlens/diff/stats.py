"""Intervals the diff needs from what an audit stores: shares (Wilson) and ROC AUC (Hanley–McNeil).

The audit stores held-out metrics as point values with the confusion matrix and the class
counts, not per-row scores; these closed forms give each metric's 95% interval from those
counts alone. Brier score and log loss need per-row scores and get no interval.

Example:
    >>> p = wilson(30, 100)
    >>> round(p.low, 4), round(p.high, 4)
    (0.2189, 0.3958)
    >>> round(auc_se(0.5, 50, 50), 3)
    0.058
"""

from __future__ import annotations

import math

from auditlens.diff.result import Proportion

Z95 = 1.959963984540054  # the two-sided 95% normal quantile


def wilson(count: int, n: int) -> Proportion:
    """A share and its 95% Wilson score interval (keeps its coverage at small counts)."""
    if n <= 0:
        return Proportion(value=0.0, low=0.0, high=1.0, count=count, n=n)
    p = count / n
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return Proportion(value=p, low=max(centre - half, 0.0), high=min(centre + half, 1.0), count=count, n=n)


def auc_se(auc: float, positives: int, negatives: int) -> float:
    """Hanley & McNeil (1982) standard error of a ROC AUC from the class counts."""
    q1 = auc / (2 - auc)
    q2 = 2 * auc * auc / (1 + auc)
    var = (auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)) / (
        positives * negatives
    )
    return math.sqrt(max(var, 0.0))


def normal_interval(value: float, se: float, *, low: float = 0.0, high: float = 1.0) -> tuple[float, float]:
    """value ± 1.96 se, clipped to [low, high]."""
    return max(value - Z95 * se, low), min(value + Z95 * se, high)


def beyond(old: float, old_se: float, new: float, new_se: float) -> bool:
    """Whether two independent estimates differ by more than 1.96 combined standard errors."""
    return abs(new - old) > Z95 * math.hypot(old_se, new_se)
