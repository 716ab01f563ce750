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
doubly centred mean residual on a grid of such bins (at most 6 x 6). Adding a missing
component ``delta`` to the surrogate's ``F`` changes that component's variance by
``2 Cov(F, delta) + Var(delta)``; both are estimated without bias (``Var(delta)`` as the bins'
spread minus what the residuals' noise alone would give), and since fANOVA components are
orthogonal the surrogate's total variance changes by the sum of these changes. The pairs' sum
enters the total whether or not the pairs themselves are computed (its cross term,
``2 Cov(f_hat, sum delta_jk)``, from the surrogate's prediction at the quasi-random points of
the total variance), so main-effect shares do not depend on that choice. Residuals
indistinguishable from noise therefore change next to nothing, and a marginal curve adds the
missing main effect shrunk by the positive-part James-Stein factor ``max(0, 1 - noise /
spread)``.

Below ``_MIN_TRIALS`` trials nothing is corrected; a pair whose grid has a cell with fewer
than ``_PAIR_MIN_COUNT`` trials (parameters the sampler moved together) is left as fitted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["MainCorrection", "PairCorrection", "correct_mains", "correct_pairs", "overlap"]

_TRIALS_PER_BIN = 50
_MAX_BINS = 32
_MIN_TRIALS = 4 * _TRIALS_PER_BIN  # at least 4 bins of 50 trials


@dataclass(frozen=True, slots=True)
class MainCorrection:
    """One parameter's correction: a step function on ``[0, 1]``."""

    boundaries: np.ndarray  # (B-1,) cuts between observed values
    means: np.ndarray  # (B,) mean residual per bin, centred under the uniform measure
    noise: float  # the part of ``spread`` expected from the residuals' noise alone

    @property
    def widths(self) -> np.ndarray:
        return np.diff(np.concatenate([[0.0], self.boundaries, [1.0]]))

    @property
    def spread(self) -> float:
        return float(self.widths @ self.means**2)

    @property
    def shrink(self) -> float:
        """The positive-part James-Stein factor, in [0, 1]."""
        return max(0.0, 1.0 - self.noise / self.spread) if self.spread > 0 else 0.0

    def at(self, x: np.ndarray) -> np.ndarray:
        """The (shrunk) correction at ``x``: what a marginal curve adds."""
        return self.shrink * self.means[np.searchsorted(self.boundaries, x, side="right")]

    def corrected_variance(self, edges: np.ndarray, marginal: np.ndarray) -> float:
        """Variance on [0, 1] of the centred step function ``marginal`` (cells between
        ``edges``) plus the missing main effect: ``Var(m) + 2 Cov(m, delta) + Var(delta)``,
        each term estimated without bias (``Var(delta)`` as ``spread - noise``, at least 0)."""
        fine = np.union1d(edges, np.concatenate([[0.0, 1.0], self.boundaries]))
        widths = np.diff(fine)
        mid = (fine[:-1] + fine[1:]) / 2
        m = marginal[np.clip(np.searchsorted(edges, mid, side="left") - 1, 0, marginal.size - 1)]
        delta = self.means[np.searchsorted(self.boundaries, mid, side="right")]
        return float(widths @ m**2 + 2 * (widths @ (m * delta)) + max(0.0, self.spread - self.noise))


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


def _one(x: np.ndarray, residual: np.ndarray) -> MainCorrection | None:
    boundaries = _bins(x, min(_MAX_BINS, x.size // _TRIALS_PER_BIN))
    n_bins = boundaries.size + 1
    if n_bins < 2:
        return None
    which = np.searchsorted(boundaries, x, side="right")
    counts = np.bincount(which, minlength=n_bins)
    means = np.bincount(which, residual, minlength=n_bins) / counts
    widths = np.diff(np.concatenate([[0.0], boundaries, [1.0]]))
    within = float(np.sum((residual - means[which]) ** 2)) / max(x.size - n_bins, 1)
    # E[spread] of centred bin means of pure noise: sum_b w_b (1 - w_b) s^2 / n_b
    noise = within * float(np.sum(widths * (1 - widths) / counts))
    return MainCorrection(boundaries, means - float(widths @ means), noise)


def correct_mains(X: np.ndarray, residual: np.ndarray) -> list[MainCorrection | None]:
    """Each parameter's correction from the out-of-fold residuals (None: none applies)."""
    if residual.size < _MIN_TRIALS:
        return [None] * X.shape[1]
    return [_one(X[:, j], residual) for j in range(X.shape[1])]


@dataclass(frozen=True, slots=True)
class PairCorrection:
    """One pair's missing pure interaction: a step function on a grid of 2-D bins."""

    cuts: tuple[np.ndarray, np.ndarray]  # each parameter's cuts between observed values
    pure: np.ndarray  # (B_j, B_k) doubly centred mean residual per cell
    noise: float  # the part of the spread expected from the residuals' noise alone

    def change(self, overlaps: tuple[np.ndarray, np.ndarray], marginal: np.ndarray) -> float:
        """``2 Cov(F, delta) + Var(delta)``, both without bias, with ``F`` the surrogate's 2-D
        marginal on its union cells and ``overlaps`` each parameter's :func:`overlap` of those
        cells with :attr:`cuts`: what adding ``delta`` adds to the pair's variance. Not
        clipped at 0, so that a sum over many pairs stays without bias."""
        per_cell = overlaps[0] @ marginal @ overlaps[1].T  # (B_j, B_k): F integrated over each cell
        return 2.0 * float(np.sum(per_cell * self.pure)) + self.excess

    @property
    def excess(self) -> float:
        """``Var(delta)`` without the noise's part: the bins' spread minus the noise's."""
        wj, wk = (_widths(c) for c in self.cuts)
        return float(wj @ self.pure**2 @ wk) - self.noise


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


_PAIR_MIN_COUNT = 10  # trials per 2-D cell, else the pair is left as fitted


def _pair(xj: np.ndarray, xk: np.ndarray, residual: np.ndarray, n_bins: int) -> PairCorrection | None:
    cuts = (_bins(xj, n_bins), _bins(xk, n_bins))
    if min(c.size for c in cuts) == 0:
        return None
    a = np.searchsorted(cuts[0], xj, side="right")
    b = np.searchsorted(cuts[1], xk, side="right")
    shape = (cuts[0].size + 1, cuts[1].size + 1)
    cell = a * shape[1] + b
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
    return PairCorrection(cuts, pure, noise)


def correct_pairs(X: np.ndarray, residual: np.ndarray, pairs: list[tuple[int, int]]) -> list[PairCorrection | None]:
    """Each pair's correction from the out-of-fold residuals (None: none applies)."""
    n_bins = min(_MAX_PAIR_BINS, int(np.sqrt(residual.size / _TRIALS_PER_BIN)))
    if residual.size < _MIN_TRIALS or n_bins < 2:
        return [None] * len(pairs)
    return [_pair(X[:, j], X[:, k], residual, n_bins) for j, k in pairs]


_MAX_PAIR_BINS = 6
