"""Population stability: the per-column histogram an audit stores, and the PSI between two.

An audit stores, for each column of its data file, a small histogram (``ColumnHistogram`` in
results.json, schema 1.1): for a numeric column one bin per value when it has at most
:data:`FINE_BINS` distinct values, else bins between its percentiles (at most 100); for a
categorical one the counts per category (the :data:`MAX_CATEGORIES` most frequent; the rest
counted together); and the number of missing values. No row is stored.

``auditlens diff`` compares two such histograms with the population stability index

    PSI = Σ_i (p_i − q_i) · ln(p_i / q_i)

over about ten bins of the *older* audit (its reference): its deciles, taken from its fine bins
(or one bin per value when it has at most ten). p are the old shares, exact; q the new ones,
exact when the new audit's fine bins share those edges (the same data, or the same discrete
values), else read off the new audit's percentile bins assuming values spread evenly within each
1% bin — an approximation the result marks (``exact`` False). Empty bins are smoothed by adding
half a count to every bin (so a share is never zero).

PSI alone has no error bar. Under "same distribution" it is Jeffreys' divergence, and
``PSI · n_old·n_new / (n_old + n_new)`` is asymptotically χ² with ``bins − 1`` degrees of
freedom, so its 95% quantile divided by that factor is the PSI that sampling noise alone
reaches in 1 of 20 comparisons: :func:`psi` returns it with the index. The usual rule of
thumb (below 0.1 stable, 0.1–0.25 moderate shift, above 0.25 major shift) is a convention
from credit scoring, not a test, and is reported as such.

Example:
    >>> import pandas as pd
    >>> h = column_histogram(pd.Series([1.0, 2.0, 2.0, 3.0]))  # one bin per value
    >>> h.kind, h.counts, h.missing
    ('bins', [1, 2, 1], 0)
    >>> round(psi(h, h).value, 12)
    0.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from auditlens.results import ColumnHistogram

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FINE_BINS", "MAX_CATEGORIES", "PSI_BINS", "Psi", "column_histogram", "psi"]

PSI_BINS = 10  # deciles, as PSI is usually computed
FINE_BINS = 100  # stored per numeric column: percentiles, or one bin per value up to this many
MAX_CATEGORIES = 30
OTHER = "(other)"
MISSING = "(missing)"
SMOOTHING = 0.5  # counts added to every bin so no share is zero
RULE_OF_THUMB = (0.1, 0.25)


@dataclass(frozen=True, slots=True)
class Psi:
    """The PSI of one column between two audits.

    Attributes:
        value: the index over ``bins`` bins (missing values are one bin when either has any).
        noise95: the PSI that sampling noise alone exceeds with probability 0.05.
        bins: the number of bins compared.
        exact: False when the new counts were re-binned onto the old edges (an approximation).
    """

    value: float
    noise95: float
    bins: int
    exact: bool

    @property
    def beyond_noise(self) -> bool:
        return self.value > self.noise95

    @property
    def band(self) -> str:
        """The rule-of-thumb band: ``stable``, ``moderate`` or ``major``."""
        low, high = RULE_OF_THUMB
        return "stable" if self.value < low else ("moderate" if self.value <= high else "major")


def column_histogram(column: pd.Series) -> ColumnHistogram:
    """The histogram stored for one column (see the module docstring)."""
    import pandas as pd

    missing = int(column.isna().sum())
    present = column.dropna()
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        values = np.sort(present.to_numpy(dtype=float))
        edges = _numeric_edges(values)
        counts = _bin_counts(values, edges)
        return ColumnHistogram(kind="bins", edges=edges, counts=counts, missing=missing)
    labels = present.astype(str).value_counts()
    # Most frequent first; ties by label, so the same data gives the same histogram.
    ordered = sorted(labels.items(), key=lambda kv: (-int(kv[1]), str(kv[0])))
    kept, rest = ordered[:MAX_CATEGORIES], ordered[MAX_CATEGORIES:]
    names = [str(k) for k, _ in kept]
    counts = [int(v) for _, v in kept]
    if rest:
        names.append(OTHER)
        counts.append(sum(int(v) for _, v in rest))
    return ColumnHistogram(kind="values", values=names, counts=counts, missing=missing)


def psi(old: ColumnHistogram, new: ColumnHistogram) -> Psi | None:
    """PSI of ``new`` against ``old`` with its noise level; None when the kinds differ or a side is empty."""
    if old.kind != new.kind:
        return None
    if old.kind == "bins":
        p, q, exact = _numeric_shares(old, new)
    else:
        names = list(dict.fromkeys([*old.values, *new.values]))
        p = np.array([_count(old, n) for n in names], dtype=float)
        q = np.array([_count(new, n) for n in names], dtype=float)
        exact = True
    if old.missing or new.missing:
        p, q = np.append(p, old.missing), np.append(q, new.missing)
    n_old, n_new = p.sum(), q.sum()
    if n_old == 0 or n_new == 0:
        return None
    k = len(p)
    ps = (p + SMOOTHING) / (n_old + SMOOTHING * k)
    qs = (q + SMOOTHING) / (n_new + SMOOTHING * k)
    value = float(np.sum((ps - qs) * np.log(ps / qs)))
    return Psi(value=max(value, 0.0), noise95=_noise95(k, n_old, n_new), bins=k, exact=exact)


# --------------------------------------------------------------------------- internals


def _numeric_edges(values: np.ndarray) -> list[float]:
    """Percentile edges; with few distinct values, one bin per value (edges at the midpoints)."""
    if values.size == 0:
        return []
    distinct = np.unique(values)
    if distinct.size == 1:
        return [float(distinct[0]), float(distinct[0])]
    if distinct.size <= FINE_BINS:
        mids = (distinct[:-1] + distinct[1:]) / 2
        return [float(distinct[0]), *map(float, mids), float(distinct[-1])]
    qs = np.quantile(values, np.linspace(0.0, 1.0, FINE_BINS + 1))
    return [float(e) for e in np.unique(qs)]


def _bin_counts(values: np.ndarray, edges: list[float]) -> list[int]:
    """Counts on [e0, e1), [e1, e2), ..., [e_{n-1}, e_n] (the last bin is closed)."""
    if not edges:
        return []
    if len(edges) == 2 and edges[0] == edges[1]:
        return [int(values.size)]
    inner = np.asarray(edges[1:-1])
    index = np.searchsorted(inner, values, side="right")
    return [int(c) for c in np.bincount(index, minlength=len(edges) - 1)]


def _numeric_shares(old: ColumnHistogram, new: ColumnHistogram) -> tuple[np.ndarray, np.ndarray, bool]:
    """Old counts on its deciles, and new counts on the same bins (exact when the edges are shared)."""
    if not old.counts:
        return np.zeros(0), np.zeros(0), True
    cuts = _decile_cuts(old)
    cumulative_old = np.concatenate([[0], np.cumsum(old.counts)])
    p = np.diff(np.concatenate([[0.0], cumulative_old[cuts].astype(float), [float(cumulative_old[-1])]]))
    # The old outer bins reach to -inf/+inf: new values outside the old range fall in them.
    edges = [old.edges[i] for i in cuts]
    below = [_mass_below(new, x) for x in edges]
    q = np.diff(np.concatenate([[0.0], below, [float(sum(new.counts))]]))
    exact = all(x in new.edges for x in edges) if new.counts else True
    return p, q, exact


def _decile_cuts(h: ColumnHistogram) -> list[int]:
    """Indexes of the inner edges that split the fine bins into about ten of equal mass."""
    inner = list(range(1, len(h.counts)))
    if len(h.counts) <= PSI_BINS:
        return inner
    cumulative = np.cumsum(h.counts)[:-1] / sum(h.counts)
    chosen = {inner[int(np.argmin(np.abs(cumulative - k / PSI_BINS)))] for k in range(1, PSI_BINS)}
    return sorted(chosen)


def _mass_below(h: ColumnHistogram, x: float) -> float:
    """Count of values < x, assuming values spread evenly within each bin."""
    total = 0.0
    for low, high, count in zip(h.edges[:-1], h.edges[1:], h.counts, strict=True):
        if high > low:
            total += count * min(max((x - low) / (high - low), 0.0), 1.0)
        else:
            total += count * (x > low)
    return total


def _count(h: ColumnHistogram, name: str) -> int:
    try:
        return h.counts[h.values.index(name)]
    except ValueError:
        return 0


def _noise95(bins: int, n_old: float, n_new: float) -> float:
    from scipy.stats import chi2

    if bins < 2:
        return 0.0
    return float(chi2.ppf(0.95, bins - 1) * (1.0 / n_old + 1.0 / n_new))
