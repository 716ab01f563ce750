"""Charts of regression and multiclass models: predictions against outcomes, residuals,
one ROC curve per class, and mean |SHAP| stacked by class."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from auditlens.formatting import fixed
from auditlens.report.charts._common import bar_height, check_lengths, floats, short, thin_curve
from auditlens.report.charts._style import ACCENT, MUTED, no_data, render_svg

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from numpy.typing import ArrayLike

# Colour-blind-safe qualitative colours (Okabe & Ito), one per class, in class order.
CLASS_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


def class_colour(k: int) -> str:
    return CLASS_COLOURS[k % len(CLASS_COLOURS)]


def predicted_vs_actual(actual: ArrayLike, predicted: ArrayLike, *, alt: str, unit: str, note: str = "") -> str:
    """Scatter of predicted against actual values with the line of perfect prediction.

    Example:
        >>> svg = predicted_vs_actual([1.0, 2.0, 3.0], [1.2, 1.8, 3.3], alt="PvA", unit="y")
    """
    a, p = floats(actual, "actual"), floats(predicted, "predicted")
    check_lengths("actual", len(a), predicted=p)
    keep = np.isfinite(a) & np.isfinite(p)
    if not keep.any():
        return no_data(alt, "No rows to show.")
    a, p = a[keep], p[keep]
    lo, hi = float(min(a.min(), p.min())), float(max(a.max(), p.max()))

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        ax.plot([lo, hi], [lo, hi], linestyle="--", color=MUTED, linewidth=0.8, label="predicted = actual")
        ax.scatter(a, p, s=8, color=ACCENT, alpha=0.6, linewidths=0, label="held-out row")
        ax.set_xlabel(f"actual {unit}")
        ax.set_ylabel(f"predicted {unit}")
        ax.legend(loc="upper left")
        if note:
            ax.set_title(note, fontsize=7, color=MUTED)

    return render_svg(draw, alt=alt, height=3.4, width=3.4)


def residuals_vs_predicted(predicted: ArrayLike, residual: ArrayLike, *, alt: str, unit: str, note: str = "") -> str:
    """Scatter of residuals (actual − predicted) against the prediction, with the zero line.

    Example:
        >>> svg = residuals_vs_predicted([1.0, 2.0], [0.1, -0.2], alt="Residuals", unit="y")
    """
    p, r = floats(predicted, "predicted"), floats(residual, "residual")
    check_lengths("predicted", len(p), residual=r)
    keep = np.isfinite(p) & np.isfinite(r)
    if not keep.any():
        return no_data(alt, "No rows to show.")
    p, r = p[keep], r[keep]

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        ax.axhline(0.0, linestyle="--", color=MUTED, linewidth=0.8)
        ax.scatter(p, r, s=8, color=ACCENT, alpha=0.6, linewidths=0)
        ax.set_xlabel(f"predicted {unit}")
        ax.set_ylabel("residual (actual − predicted)")
        if note:
            ax.set_title(note, fontsize=7, color=MUTED)

    return render_svg(draw, alt=alt, height=3.4, width=3.4)


def residual_histogram(edges: ArrayLike, counts: ArrayLike, *, alt: str) -> str:
    """The distribution of every held-out residual (bins of equal width).

    Example:
        >>> svg = residual_histogram([-1.0, 0.0, 1.0], [3, 5], alt="Residuals")
    """
    e, c = floats(edges, "edges"), floats(counts, "counts")
    if len(e) != len(c) + 1 or not len(c):
        return no_data(alt, "No residuals to show.")

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        ax.bar(e[:-1], c, width=np.diff(e), align="edge", color=ACCENT, alpha=0.7, edgecolor="white", linewidth=0.4)
        ax.axvline(0.0, linestyle="--", color=MUTED, linewidth=0.8)
        ax.set_xlabel("residual (actual − predicted)")
        ax.set_ylabel("rows")
        ax.yaxis.get_major_locator().set_params(integer=True)

    return render_svg(draw, alt=alt, height=2.6, width=3.4)


def roc_per_class(
    labels: Sequence[str], fprs: Sequence[ArrayLike], tprs: Sequence[ArrayLike], aucs: Sequence[float | None], *, alt: str
) -> str:
    """One-vs-rest ROC curve of each class, with the chance diagonal.

    Example:
        >>> svg = roc_per_class(["a", "b"], [[0, 1], [0, 0.5, 1]], [[0, 1], [0, 0.9, 1]], [0.5, 0.7], alt="ROC")
    """
    curves = []
    for label, f, t, auc in zip(labels, fprs, tprs, aucs):
        fx, ty = floats(f, "fpr"), floats(t, "tpr")
        if len(fx) and len(fx) == len(ty):
            curves.append((label, *thin_curve(fx, ty), auc))
    if not curves:
        return no_data(alt, "No ROC curves to show (each class needs rows in and out of it).")

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, 1], linestyle="--", color=MUTED, linewidth=0.8, label="Chance")
        for k, (label, fx, ty, auc) in enumerate(curves):
            ax.plot(fx, ty, color=class_colour(k), label=f"{short(label, 20)} (AUC {fixed(auc, 3)})")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.set_aspect("equal")
        ax.set_xlabel("False positive rate")
        ax.set_ylabel("True positive rate")
        ax.legend(loc="lower right", fontsize=7)

    return render_svg(draw, alt=alt, height=3.4, width=3.4)


def stacked_mean_abs(features: Sequence[str], classes: Sequence[str], values: ArrayLike, *, alt: str, xlabel: str) -> str:
    """Horizontal bars of mean |SHAP| per feature, one segment per class (features top to bottom).

    ``values`` is classes × features.

    Example:
        >>> svg = stacked_mean_abs(["a", "b"], ["x", "y"], [[0.2, 0.1], [0.1, 0.3]], alt="S", xlabel="m")
    """
    M = np.asarray(values, dtype=np.float64).reshape(len(classes), len(features))
    if not len(features):
        return no_data(alt, "No features to show.")

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        y = np.arange(len(features))[::-1]
        left = np.zeros(len(features))
        for k, label in enumerate(classes):
            ax.barh(y, M[k], left=left, color=class_colour(k), label=short(label, 20), height=0.7)
            left += M[k]
        ax.set_yticks(y, [short(f) for f in features])
        ax.set_xlabel(xlabel)
        ax.legend(loc="lower right", fontsize=7)

    return render_svg(draw, alt=alt, height=bar_height(len(features)) + 0.9)
