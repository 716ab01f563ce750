"""Confidence intervals that keep their coverage at small counts, in plain Python.

- :func:`wilson`: the Wilson score interval for a proportion (Wilson 1927). Unlike a
  percentile bootstrap, it is not degenerate at 0 or n successes: 0 of 10 gives [0, 0.28],
  not [0, 0]. Its coverage stays near the nominal 95% down to a handful of trials (Brown,
  Cai & DasGupta, Statistical Science 2001), which ``tests/test_intervals.py`` checks by
  simulation.
- :func:`auc_se`: the Hanley & McNeil (Radiology 1982) standard error of ROC AUC.
- :func:`ratio_interval` (Katz log) and :func:`difference_interval` (Newcombe's hybrid score):
  two groups' rates compared, for the four-fifths rule and the equalized-odds difference.
- :data:`MIN_CLASS_FOR_AUC`: below this many rows of either class an AUC interval is not to
  be trusted (the rank statistic takes too few values; a bootstrap of 3 positives gives
  [1, 1] for a perfect ranking).

Example:
    >>> [round(v, 3) for v in wilson(0, 10)]
    [0.0, 0.278]
"""

from __future__ import annotations

import math

__all__ = ["MIN_CLASS_FOR_AUC", "Z95", "auc_se", "difference_interval", "ratio_interval", "wilson"]

Z95 = 1.959963984540054
# Fewer than this many of either class: an AUC interval cannot be trusted (this project's
# choice: with 10 of each the AUC takes at most 101 values and the normal approximation of
# Hanley & McNeil is already rough).
MIN_CLASS_FOR_AUC = 10


def wilson(successes: int, n: int, *, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of ``successes / n``; (nan, nan) when n == 0."""
    if n <= 0:
        return (math.nan, math.nan)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # Clamp rounding: at 0 or n successes the bound is exactly 0 or 1.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return (low, high)


def auc_se(auc: float, positives: int, negatives: int) -> float:
    """Hanley & McNeil's standard error of an ROC AUC from ``positives`` and ``negatives`` rows."""
    if positives <= 0 or negatives <= 0:
        return math.nan
    q1 = auc / (2 - auc)
    q2 = 2 * auc * auc / (1 + auc)
    var = (auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)) / (
        positives * negatives
    )
    return math.sqrt(max(var, 0.0))


def ratio_interval(k1: int, n1: int, k2: int, n2: int, *, z: float = Z95) -> tuple[float, float]:
    """Katz log interval for the ratio of two proportions (k1/n1) / (k2/n2) (Katz et al. 1978).

    A zero count gets Haldane's 0.5 correction in the standard error (the ratio itself is
    unchanged), so an interval exists whenever both groups have rows.

    Example:
        >>> [round(v, 3) for v in ratio_interval(8, 80, 27, 87)]
        [0.156, 0.667]
    """
    if n1 <= 0 or n2 <= 0 or k2 == 0 and k1 == 0:
        return (math.nan, math.nan)
    a, b = (k1, k2) if k1 and k2 else (k1 + 0.5, k2 + 0.5)
    m1, m2 = (n1, n2) if k1 and k2 else (n1 + 0.5, n2 + 0.5)
    se = math.sqrt(1 / a - 1 / m1 + 1 / b - 1 / m2)
    ratio = (k1 / n1) / (k2 / n2) if k2 else math.inf
    if ratio == 0 or math.isinf(ratio):
        ratio = (a / m1) / (b / m2)  # the corrected ratio centres the interval
    return (math.exp(math.log(ratio) - z * se), math.exp(math.log(ratio) + z * se))


def difference_interval(k1: int, n1: int, k2: int, n2: int, *, z: float = Z95) -> tuple[float, float]:
    """Newcombe's hybrid score interval for k1/n1 − k2/n2 from two Wilson intervals (Newcombe 1998,
    method 10); it keeps its coverage at small counts where the Wald interval does not.

    Example:
        >>> [round(v, 4) for v in difference_interval(56, 70, 48, 80)]  # Newcombe's own example
        [0.0524, 0.3339]
    """
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson(k1, n1, z=z)
    l2, u2 = wilson(k2, n2, z=z)
    d = p1 - p2
    return (d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))
