"""Which scale a numeric hyperparameter was searched on, judged from the values tried.

fANOVA splits variance under the search space's own measure, so reading a parameter that was
drawn uniformly as log-scaled (or the reverse) changes every importance. A trial table does
not say how its values were drawn, but a sampler leaves evidence: random search, and the
start-up trials of model-based samplers, draw uniformly on the parameter's own scale. So the
values are tested for uniformity twice, on the linear and on the log scale, with the
Kolmogorov-Smirnov statistic (the observed minimum and maximum are the bounds, and are left
out of the test, since the others are uniform between them if either hypothesis holds), and
the two densities (uniform and log-uniform between the bounds) are compared by their
likelihood ratio, the most powerful test between the two:

* one scale 20 times likelier than the other (log-likelihood ratio >= ln 20) and uniform on
  it (KS p >= 0.01), or on neither: that scale;
* otherwise, the scale on which the values look uniform if only one does;
* otherwise (both fit: few trials or a narrow range; or the likelier one is not uniform while
  the other is): ambiguous, linear, and the reason says so.

Integers are spread evenly inside their unit cell ``[v - 0.5, v + 0.5]`` first (a sampler
that draws integers uniformly, or log-uniformly as Optuna does, fills those cells), so ties
do not break the test. Error rates by sample size: tests/test_scale_inference.py and
benchmarks/README.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import kstwo

__all__ = ["ALPHA", "ScaleEvidence", "infer_scale"]

ALPHA = 0.01  # a scale "fits" unless uniformity on it is rejected at this level
_CLEARER = math.log(20.0)  # log-likelihood ratio that makes one scale clearly likelier


@dataclass(frozen=True, slots=True)
class ScaleEvidence:
    """The scale chosen for one numeric parameter and why, in words and numbers."""

    log: bool
    reason: str
    p_linear: float  # KS p-value of uniformity on the linear scale (NaN if not tested)
    p_log: float  # the same on the log scale (NaN if not tested: values <= 0)


def infer_scale(values: np.ndarray, *, integer: bool) -> ScaleEvidence:
    """Linear or log, from how uniform the values are on each scale.

    Args:
        values: the finite values one parameter took in the trials.
        integer: whether they are whole numbers (an int parameter).

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> infer_scale(10 ** rng.uniform(-4, 0, 300), integer=False).log
        True
        >>> infer_scale(rng.uniform(0, 1, 300), integer=False).log
        False
    """
    x = np.sort(np.asarray(values, dtype=float))
    low, high = float(x[0]), float(x[-1])
    if integer:
        x = _spread(x)
        low, high = low - 0.5, high + 0.5
        interior = x
    else:
        interior = x[1:-1]
    if interior.size < 3 or low == high:
        return ScaleEvidence(False, "too few distinct values to judge the scale: linear", *_NAN2)
    p_lin = _uniform_p((interior - low) / (high - low))
    if low <= 0:
        return ScaleEvidence(False, "values <= 0 rule out a log scale: linear", p_lin, math.nan)
    logs = np.log(interior)
    p_log = _uniform_p((logs - math.log(low)) / (math.log(high) - math.log(low)))
    # log-uniform vs uniform density between the bounds, summed over the tested values
    llr = float(
        np.sum(math.log(high - low) - logs - math.log(math.log(high) - math.log(low)))
    )
    return _decide(p_lin, p_log, llr)


_NAN2 = (math.nan, math.nan)


def _decide(p_lin: float, p_log: float, llr: float) -> ScaleEvidence:
    ps = f"KS p {_p(p_lin)} linear, {_p(p_log)} log; log-likelihood ratio {llr:+.1f}"
    fits = {True: p_log >= ALPHA, False: p_lin >= ALPHA}
    if abs(llr) >= _CLEARER:
        log = llr > 0
        name = "log" if log else "linear"
        if fits[log]:
            return ScaleEvidence(log, f"uniform on the {name} scale, clearly likelier ({ps}): {name}", p_lin, p_log)
        if not fits[not log]:
            why = f"uniform on neither scale, clearly likelier on the {name} ({ps}; a model-guided sampler?): {name}"
            return ScaleEvidence(log, why, p_lin, p_log)
    elif fits[True] != fits[False]:
        log = fits[True]
        name = "log" if log else "linear"
        return ScaleEvidence(log, f"uniform on the {name} scale only ({ps}): {name}", p_lin, p_log)
    return ScaleEvidence(
        False, f"ambiguous: the two scales fit about as well ({ps}; too few trials, too narrow a "
        "range, or a model-guided sampler): linear", p_lin, p_log,
    )


def _spread(x: np.ndarray) -> np.ndarray:
    """Integers (sorted) spread evenly inside their cells: the m copies of v go to
    ``v - 0.5 + (i + 0.5) / m``, i = 0..m-1."""
    values, counts = np.unique(x, return_counts=True)
    return np.concatenate(
        [v - 0.5 + (np.arange(m) + 0.5) / m for v, m in zip(values, counts, strict=True)]
    )


def _ks(u: np.ndarray) -> float:
    """Kolmogorov-Smirnov distance of the sorted ``u`` from the uniform on [0, 1]."""
    u = np.sort(np.clip(u, 0.0, 1.0))
    n = u.size
    i = np.arange(1, n + 1)
    return float(max(np.max(i / n - u), np.max(u - (i - 1) / n)))


def _uniform_p(u: np.ndarray) -> float:
    return float(kstwo.sf(_ks(u), u.size))


def _p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"
