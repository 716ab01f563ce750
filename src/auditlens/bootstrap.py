"""The seeded row bootstrap of the held-out metrics (regression and multiclass), in numpy.

Each resample draws ``n`` row positions with replacement from ``numpy.random.default_rng(seed)``
and is passed on as how often each row was drawn (a weight vector summing to ``n``): every metric
here is a weighted sum over rows, so a resample costs a few ``bincount``/dot products over the
rows, never a copy of the data. The 95% interval is the 2.5% and 97.5% percentiles of the
resampled values (Efron's percentile bootstrap); resamples where a metric is undefined (e.g. R²
of a resample whose targets are all equal) are left out of its percentiles.

Example:
    >>> w = next(resample_weights(5, 1, seed=0))
    >>> int(w.sum()), len(w)
    (5, 5)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator

import numpy as np

__all__ = ["finite", "percentile_interval", "resample_weights", "weighted_sum"]


def resample_weights(n: int, n_boot: int, seed: int) -> Iterator[np.ndarray]:
    """``n_boot`` resamples of ``n`` rows: how often each row was drawn (float64, sums to n)."""
    rng = np.random.default_rng(seed)
    for _ in range(n_boot):
        yield np.bincount(rng.integers(0, n, size=n), minlength=n).astype(np.float64)


def weighted_sum(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``sum_i w[i] * x[i]`` over the rows of ``x`` (1-D: a number; 2-D: one per column).

    ``np.einsum``, not ``w @ x``: numpy hands ``@`` to the threaded OpenBLAS, whose threads wait
    for a free core on a busy machine: 20,000 rows took 11 ms with ``@`` and 0.015 ms with
    ``einsum`` at load 3 on 2 cores (0.009 ms either way with one BLAS thread).
    """
    return np.einsum("i,i...->...", w, x)


def percentile_interval(draws: np.ndarray) -> tuple[float | None, float | None]:
    """The 2.5% and 97.5% percentiles of the finite ``draws``; (None, None) if there are none."""
    values = np.asarray(draws, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return (None, None)
    low, high = np.quantile(values, [0.025, 0.975])
    return (float(low), float(high))


def finite(x: object) -> float | None:
    """``float(x)``, or None when it is NaN, infinite or not a number (an undefined metric)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None
