"""The main effects' out-of-fold residual correction (boosted surrogate).

A boosted surrogate stopped by cross-validation fits the strongest parameter first and the
weaker ones only in part: on noise-free product functions with known indices (tests/
product_form.py) the surrogate kept 92% of the strongest main effect's variance but 50-72% of
weaker ones', so the strongest one's *share* came out 0.04 too high.

What the surrogate missed is in its out-of-fold residuals ``r = y - f_oof(x)``. Under the
uniform measure the part of the missing function that depends on ``x_j`` alone is
``E[r | x_j] - E[r]``, the main-effect component of ``f - f_hat``; it is estimated by the mean
residual in bins of ``x_j`` (cut between observed values, each holding about the same number
of trials; one bin per value when there are few), shrunk toward zero by the positive-part
James-Stein factor ``max(0, 1 - noise / spread)`` so that residuals indistinguishable from
noise change nothing. Adding ``delta_j`` to the surrogate's main effect ``m_j`` changes the
surrogate's variance by exactly ``Var(m_j + delta_j) - Var(m_j)`` (fANOVA components are
orthogonal), so the corrected total is the surrogate's plus those differences.

Pairs are not corrected (their 2-D bins would hold too few trials); with fewer than
``_MIN_TRIALS`` trials nothing is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["MainCorrection", "correct_mains"]

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


def _bins(x: np.ndarray) -> np.ndarray:
    """Cuts between observed values: one bin per distinct value when there are at most
    ``_MAX_BINS``, else bins of about equal counts (at least ``_TRIALS_PER_BIN`` trials)."""
    values = np.unique(x)
    n_bins = min(_MAX_BINS, x.size // _TRIALS_PER_BIN)
    if values.size <= n_bins:
        return (values[:-1] + values[1:]) / 2
    xs = np.sort(x)
    at = np.round(np.arange(1, n_bins) * x.size / n_bins).astype(int)
    cuts = (xs[at - 1] + xs[at]) / 2
    return np.unique(cuts[xs[at - 1] < xs[at]])


def _one(x: np.ndarray, residual: np.ndarray) -> MainCorrection | None:
    boundaries = _bins(x)
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
