"""Charts of held-out performance: the ROC curve and the calibration (reliability) diagram."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from auditlens.formatting import fixed
from auditlens.report.charts._common import (
    check_lengths,
    floats,
    thin_curve,
)
from auditlens.report.charts._style import (
    ACCENT,
    MUTED,
    no_data,
    render_svg,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from numpy.typing import ArrayLike


def calibration(
    prob_pred: ArrayLike,
    prob_true: ArrayLike,
    counts: ArrayLike,
    *,
    alt: str,
) -> str:
    """Reliability diagram: mean predicted probability against observed frequency per bin.

    Args:
        prob_pred: Mean predicted probability in each bin.
        prob_true: Observed fraction of positives in each bin.
        counts: Number of samples in each bin (drawn as a histogram below).
        alt: Accessible description.

    Returns:
        The chart as an SVG string.

    Example:
        >>> svg = calibration([0.1, 0.5, 0.9], [0.12, 0.48, 0.85], [40, 30, 30], alt="Cal")
    """
    pp = floats(prob_pred, "prob_pred")
    pt = floats(prob_true, "prob_true")
    ct = floats(counts, "counts")
    check_lengths("prob_pred", len(pp), prob_true=pt, counts=ct)
    keep = np.isfinite(pp) & np.isfinite(pt) & (np.nan_to_num(ct, nan=0.0) > 0)
    if not keep.any():
        return no_data(alt, "No calibration bins to show.")
    pp, pt, ct = pp[keep], pt[keep], ct[keep]
    order = np.argsort(pp, kind="stable")
    pp, pt, ct = pp[order], pt[order], ct[order]

    def draw(fig: Figure) -> None:
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1])
        top.plot(
            [0, 1], [0, 1], linestyle="--", color=MUTED, linewidth=0.8, label="Perfectly calibrated"
        )
        top.plot(pp, pt, marker="o", ms=3.5, color=ACCENT, label="Model")
        top.set_xlim(0, 1)
        top.set_ylim(0, 1)
        top.set_ylabel("Observed frequency")
        top.legend(loc="upper left")
        width = 0.8 / max(len(pp), 10)
        bottom.bar(pp, ct, width=width, color=ACCENT, alpha=0.6)
        bottom.set_xlabel("Mean predicted probability")
        bottom.set_ylabel("Count")

    return render_svg(draw, alt=alt, height=3.6, width=4.2)


def roc_curve(fpr: ArrayLike, tpr: ArrayLike, *, auc: float, alt: str) -> str:
    """Receiver operating characteristic curve with the chance diagonal.

    Args:
        fpr: False positive rates (increasing).
        tpr: True positive rates at the same thresholds.
        auc: Area under the curve, shown in the legend.
        alt: Accessible description.

    Returns:
        The chart as an SVG string.

    Example:
        >>> svg = roc_curve([0, 0.2, 1], [0, 0.7, 1], auc=0.75, alt="ROC")
    """
    fx, ty = floats(fpr, "fpr"), floats(tpr, "tpr")
    check_lengths("fpr", len(fx), tpr=ty)
    keep = np.isfinite(fx) & np.isfinite(ty)
    if not keep.any():
        return no_data(alt, "No ROC points to show.")
    fx, ty = fx[keep], ty[keep]
    fx, ty = thin_curve(fx, ty)
    auc_text = fixed(auc, 3)

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, 1], linestyle="--", color=MUTED, linewidth=0.8, label="Chance")
        ax.plot(
            fx,
            ty,
            color=ACCENT,
            marker="o" if len(fx) == 1 else None,
            ms=4,
            label=f"Model (AUC = {auc_text})",
        )
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.set_aspect("equal")
        ax.set_xlabel("False positive rate")
        ax.set_ylabel("True positive rate")
        ax.legend(loc="lower right")

    return render_svg(draw, alt=alt, height=3.4, width=4.0)

