"""The out-of-fold residual correction of the boosted surrogate's main effects and pairs.

A boosted surrogate stopped by cross-validation fits the strongest parameter first and the
weaker ones and the interactions only in part: on noise-free product functions with known
indices (tests/product_form.py, g20) the surrogate kept 92% of the strongest main effect's
variance but 50-72% of weaker ones' and 55% of the main pair's, so the strongest one's *share*
came out 0.046 too high.

What the surrogate missed is in its out-of-fold residuals ``r = y - f_oof(x)``. Under the
uniform measure the part of the missing function that depends on ``x_j`` alone is
``E[r | x_j] - E[r]``, the main-effect component of ``f - f_hat``; it is estimated by the mean
residual in bins of ``x_j`` (cut between observed values, each holding about the same number
of trials; one bin per value when there are few). The pure pair ``(j, k)`` it missed is the
doubly centred mean residual on a grid of such bins (3 x 3 to 6 x 6, so from 450 trials).

Each such component ``delta`` is added only if the bins' spread beats what the residuals'
noise alone gives, at a level that lets about one component of its family (the D main effects,
or the pairs) through on pure noise, and then shrunk by the positive-part James-Stein factor
``1 - noise / spread``. Without that gate, 190 pairs' worth of binned noise took about 0.1 of
the shares from a planted main effect at D = 20 with a noisy objective (benchmarks/README.md).
The corrected surrogate ``f_hat + sum(delta)`` is a function, decomposed exactly: a component's
variance changes by ``2 Cov(F, delta) + Var(delta)``, and since fANOVA components are
orthogonal the total changes by the sum of these changes. The pairs' sum enters the total
whether or not the pairs themselves are computed (its cross term, ``2 Cov(f_hat, sum
delta_jk)``, from the surrogate's prediction at the quasi-random points of the total variance),
so main-effect shares do not depend on that choice.

Below ``_MIN_TRIALS`` trials nothing is corrected; a pair whose grid has a cell with fewer
than ``_PAIR_MIN_COUNT`` trials (parameters the sampler moved together) is left as fitted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import chdtri

__all__ = ["MainCorrection", "PairCorrection", "correct_mains", "correct_pairs", "overlap"]

_TRIALS_PER_BIN = 50
_MAX_BINS = 32
_MIN_TRIALS = 4 * _TRIALS_PER_BIN  # at least 4 bins of 50 trials
_MAX_PAIR_BINS = 6  # per parameter: a pair's grid has at most 6 x 6 cells
_PAIR_MIN_COUNT = 10  # trials per 2-D cell, else the pair is left as fitted


@dataclass(frozen=True, slots=True)
class MainCorrection:
    """One parameter's correction: a step function on ``[0, 1]``."""

    boundaries: np.ndarray  # (B-1,) cuts between observed values
    means: np.ndarray  # (B,) mean residual per bin, centred under the uniform measure
    noise: float  # the part of ``spread`` expected from the residuals' noise alone
    tests: int  # how many main effects are corrected (the gate's multiplicity)
    shrink: float = field(init=False)  # the gate and James-Stein factor, in [0, 1]

    def __post_init__(self) -> None:  # once: every variance and curve of every model uses it
        object.__setattr__(self, "shrink", _shrink(self.spread, self.noise, self.means.size - 1, self.tests))

    @property
    def widths(self) -> np.ndarray:
        return _widths(self.boundaries)

    @property
    def spread(self) -> float:
        return float(self.widths @ self.means**2)

    def at(self, x: np.ndarray) -> np.ndarray:
        """The shrunk correction at ``x``: what the corrected surrogate adds to this main effect."""
        return self.shrink * self.means[np.searchsorted(self.boundaries, x, side="right")]

    def corrected_variance(self, edges: np.ndarray, marginal: np.ndarray) -> float:
        """Variance on [0, 1] of the centred step function ``marginal`` (cells between
        ``edges``) plus the shrunk correction: an exact variance of a function, never below 0."""
        fine = np.union1d(edges, np.concatenate([[0.0, 1.0], self.boundaries]))
        widths = np.diff(fine)
        mid = (fine[:-1] + fine[1:]) / 2
        m = marginal[np.clip(np.searchsorted(edges, mid, side="left") - 1, 0, marginal.size - 1)]
        values = m + self.at(mid)
        return float(widths @ (values - widths @ values) ** 2)


def _shrink(spread: float, noise: float, df: int, tests: int) -> float:
    """How much of a binned correction to add.

    0 unless the bins' spread exceeds what noise gives with probability ``1 / tests`` (the
    spread of ``df`` free bin means of noise is about ``noise * chi2(df) / df``; ``tests`` is
    how many such components are corrected, so that about one of them passes on pure noise);
    then the positive-part James-Stein factor ``1 - noise / spread``.
    """
    if spread <= 0 or df < 1:
        return 0.0
    level = float(chdtri(df, 1.0 / max(tests, 2))) / df
    return max(0.0, 1.0 - noise / spread) if spread > level * noise else 0.0


def _bins(x: np.ndarray, n_bins: int) -> np.ndarray:
    """Cuts between observed values: one bin per distinct value when there are at most
    ``n_bins``, else ``n_bins`` bins of about equal counts."""
    values = np.unique(x)
    if values.size <= n_bins:
        return (values[:-1] + values[1:]) / 2
    xs = np.sort(x)
    at = np.round(np.arange(1, n_bins) * x.size / n_bins).astype(int)
    cuts = (xs[at - 1] + xs[at]) / 2
    return np.unique(cuts[xs[at - 1] < xs[at]])


def _one(x: np.ndarray, residual: np.ndarray, tests: int) -> MainCorrection | None:
    boundaries = _bins(x, min(_MAX_BINS, x.size // _TRIALS_PER_BIN))
    n_bins = boundaries.size + 1
    if n_bins < 2:
        return None
    which = np.searchsorted(boundaries, x, side="right")
    counts = np.bincount(which, minlength=n_bins)
    means = np.bincount(which, residual, minlength=n_bins) / counts
    widths = _widths(boundaries)
    within = float(np.sum((residual - means[which]) ** 2)) / max(x.size - n_bins, 1)
    # E[spread] of centred bin means of pure noise: sum_b w_b (1 - w_b) s^2 / n_b
    noise = within * float(np.sum(widths * (1 - widths) / counts))
    return MainCorrection(boundaries, means - float(widths @ means), noise, tests)


def correct_mains(X: np.ndarray, residual: np.ndarray) -> list[MainCorrection | None]:
    """Each parameter's correction from the out-of-fold residuals (None: none applies)."""
    if residual.size < _MIN_TRIALS:
        return [None] * X.shape[1]
    return [_one(X[:, j], residual, X.shape[1]) for j in range(X.shape[1])]


@dataclass(frozen=True, slots=True)
class PairCorrection:
    """One pair's missing pure interaction: a step function on a grid of 2-D bins."""

    cuts: tuple[np.ndarray, np.ndarray]  # each parameter's cuts between observed values
    pure: np.ndarray  # (B_j, B_k) doubly centred mean residual per cell
    noise: float  # the part of the spread expected from the residuals' noise alone
    tests: int  # how many pairs are corrected (the gate's multiplicity)
    shrink: float = field(init=False)  # the gate and James-Stein factor, in [0, 1]

    def __post_init__(self) -> None:  # once: every model and permutation uses it
        df = (self.pure.shape[0] - 1) * (self.pure.shape[1] - 1)
        object.__setattr__(self, "shrink", _shrink(self.spread, self.noise, df, self.tests))

    @property
    def spread(self) -> float:
        wj, wk = (_widths(c) for c in self.cuts)
        return float(wj @ self.pure**2 @ wk)

    @property
    def shrunk(self) -> np.ndarray:
        """The correction the surrogate gets: the pure pair per cell, shrunk."""
        return self.shrink * self.pure

    def change(self, overlaps: tuple[np.ndarray, np.ndarray], marginal: np.ndarray) -> float:
        """``Var(F + delta) - Var(F)`` for the surrogate's 2-D marginal ``F`` on its union cells
        (``overlaps``: each parameter's :func:`overlap` of those cells with :attr:`cuts`) and
        the shrunk pure pair ``delta``: ``2 Cov(F, delta) + Var(delta)``, exact."""
        per_cell = overlaps[0] @ marginal @ overlaps[1].T  # (B_j, B_k): F integrated over each cell
        return 2.0 * float(np.sum(per_cell * self.shrunk)) + self.added_variance

    @property
    def added_variance(self) -> float:
        """``Var(delta)`` of the shrunk pure pair."""
        return self.shrink**2 * self.spread


def _widths(cuts: np.ndarray) -> np.ndarray:
    return np.diff(np.concatenate([[0.0], cuts, [1.0]]))


def overlap(edges: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """``(bins, cells)``: the length of each union cell (between ``edges``) inside each bin
    (between ``cuts``); the same for every pair of a parameter, so computed once per model."""
    fine = np.union1d(edges, np.concatenate([[0.0, 1.0], cuts]))
    mid = (fine[:-1] + fine[1:]) / 2
    cell = np.clip(np.searchsorted(edges, mid, side="left") - 1, 0, edges.size - 2)
    n_cells = edges.size - 1
    where = np.searchsorted(cuts, mid, side="right") * n_cells + cell
    return np.bincount(where, np.diff(fine), minlength=(cuts.size + 1) * n_cells).reshape(-1, n_cells)


def _pair(
    cuts: tuple[np.ndarray, np.ndarray], which: tuple[np.ndarray, np.ndarray], residual: np.ndarray, tests: int
) -> PairCorrection | None:
    """The pair's correction from each parameter's cuts and each trial's bin on them."""
    shape = (cuts[0].size + 1, cuts[1].size + 1)
    cell = which[0] * shape[1] + which[1]
    counts = np.bincount(cell, minlength=shape[0] * shape[1])
    if counts.min() < _PAIR_MIN_COUNT:
        return None
    means = np.bincount(cell, residual, minlength=counts.size) / counts
    within = float(np.sum((residual - means[cell]) ** 2)) / max(residual.size - counts.size, 1)
    wj, wk = _widths(cuts[0]), _widths(cuts[1])
    m = means.reshape(shape)
    pure = m - (m @ wk)[:, None] - (wj @ m)[None, :] + float(wj @ m @ wk)
    # E[spread] of a doubly centred grid of pure noise: s^2 sum u(1-u) v(1-v) / n per cell
    noise = within * float(np.sum(np.outer(wj * (1 - wj), wk * (1 - wk)) / counts.reshape(shape)))
    return PairCorrection(cuts, pure, noise, tests)


def correct_pairs(X: np.ndarray, residual: np.ndarray, pairs: list[tuple[int, int]]) -> list[PairCorrection | None]:
    """Each pair's correction from the out-of-fold residuals (None: none applies)."""
    n_bins = min(_MAX_PAIR_BINS, int(np.sqrt(residual.size / _TRIALS_PER_BIN)))
    if residual.size < _MIN_TRIALS or n_bins < 3:
        return [None] * len(pairs)
    # A parameter's cuts, and each trial's bin on them, are the same in every pair it is in.
    cuts = [_bins(X[:, j], n_bins) for j in range(X.shape[1])]
    which = [np.searchsorted(c, X[:, j], side="right") for j, c in enumerate(cuts)]
    return [
        _pair((cuts[j], cuts[k]), (which[j], which[k]), residual, len(pairs))
        if cuts[j].size and cuts[k].size
        else None
        for j, k in pairs
    ]
