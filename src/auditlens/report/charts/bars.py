"""Bar charts: hyperparameter importance, mean |SHAP| per feature, one decision's waterfall."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.ticker import FuncFormatter

from auditlens.formatting import compact, fixed, pct, signed
from auditlens.report.charts._common import (
    bar_height,
    check_lengths,
    floats,
    short,
    value_span,
)
from auditlens.report.charts._style import (
    ACCENT,
    HIGH_COLOUR,
    INK,
    LOW_COLOUR,
    MUTED,
    no_data,
    render_svg,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from numpy.typing import ArrayLike


def importance_bar(
    labels: Sequence[str],
    values: ArrayLike,
    errors: ArrayLike | None = None,
    *,
    alt: str,
    xlabel: str = "Share of variance",
    share: bool = False,
    level: float | None = None,
) -> str:
    """Horizontal bars, top to bottom in the given order, with optional ± error bars.

    Also serves interaction effects: pass labels such as ``"lr × depth"``.

    Args:
        labels: Bar labels (long ones are shortened to ~30 characters).
        values: One value per label; NaN draws no bar and says "n/a".
        errors: Optional half-widths of the error bars (e.g. std over trees); NaN = none.
        alt: Accessible description, used as ``<title>`` and ``aria-label``.
        xlabel: Label of the value axis.
        share: The values are shares of a whole: bars and axis read in percent, and a share
            too small to show reads "< 0.1%" (not "4.5e-31").
        level: Optional chance level, drawn as a dashed vertical line: a bar beyond it is
            distinguishable from chance.

    Returns:
        The chart as an SVG string.

    Example:
        >>> svg = importance_bar(["a", "b"], [0.5, 0.2], [0.1, 0.05], alt="Importance", share=True)
    """
    names = [str(label) for label in labels]
    vals = floats(values, "values")
    errs = None if errors is None else floats(errors, "errors")
    check_lengths("labels", len(names), values=vals, errors=errs)
    if not names or not np.isfinite(vals).any():
        return no_data(alt, "No importance values to show.")

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        n = len(names)
        ypos = np.arange(n)[::-1]  # first label on top
        finite = np.isfinite(vals)
        err = None
        if errs is not None:
            err = np.where(np.isfinite(errs), np.abs(errs), 0.0)[finite]
        ax.barh(
            ypos[finite],
            vals[finite],
            xerr=err,
            height=0.62,
            color=ACCENT,
            error_kw={"ecolor": INK, "elinewidth": 0.7, "capsize": 2, "capthick": 0.7},
        )
        ax.set_yticks(ypos, [short(name) for name in names])
        ax.set_ylim(-0.6, n - 0.4)
        ax.set_xlabel(xlabel)
        if share:
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: pct(v, 0)))
        ax.grid(axis="y", visible=False)
        ax.axvline(0, color=MUTED, linewidth=0.6)
        if level is not None and math.isfinite(level):
            ax.axvline(level, color=INK, linewidth=0.8, linestyle=(0, (3, 2)))
            ax.annotate("chance level", (level, n - 0.45), xytext=(2, 0), textcoords="offset points",
                        va="top", fontsize=6, color=INK)
        span = value_span(vals, errs)
        half = np.zeros(n) if errs is None else np.where(np.isfinite(errs), np.abs(errs), 0.0)
        for y, value, e, ok in zip(ypos, vals, half, finite, strict=True):
            if ok:
                # Right of the bar and of its error bar, so the number stays readable.
                ax.annotate(
                    pct(value, floor=True) if share else compact(value),
                    (max(value + e, 0.0), y),
                    xytext=(3, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize=6.5,
                    color=INK,
                )
            else:
                ax.annotate(
                    "n/a",
                    (0, y),
                    xytext=(3, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize=6.5,
                    color=MUTED,
                )
        ax.set_xlim(span[0], span[1] + 0.12 * (span[1] - span[0]))

    return render_svg(draw, alt=alt, height=bar_height(len(names)))


def mean_abs_bar(
    labels: Sequence[str],
    values: ArrayLike,
    *,
    alt: str,
    xlabel: str = "mean |SHAP value|",
) -> str:
    """Horizontal bars of mean absolute SHAP values (global feature importance).

    Args:
        labels: Feature names, top to bottom.
        values: Mean |SHAP| per feature.
        alt: Accessible description.
        xlabel: Label of the value axis.

    Returns:
        The chart as an SVG string.

    Example:
        >>> svg = mean_abs_bar(["age", "income"], [0.3, 0.1], alt="Mean |SHAP|")
    """
    return importance_bar(labels, values, None, alt=alt, xlabel=xlabel)


def waterfall(
    labels: Sequence[str],
    contributions: ArrayLike,
    *,
    rest: float,
    base: float,
    output: float,
    alt: str,
    scale: str = "",
    rest_label: str = "all other features",
) -> str:
    """One decision's SHAP waterfall: from the base value, each contribution in turn, to the output.

    Rows top to bottom: the given contributions in order (largest first, as passed), then
    ``rest`` (the sum of all other features). Bars start where the previous one ended,
    accumulating from ``base`` at the bottom to ``output`` at the top; red raises the output,
    blue lowers it.

    Args:
        labels: row labels, e.g. ``"credit_amount = 15,945"``.
        contributions: one SHAP value per label.
        rest: sum of the SHAP values not shown individually.
        base: the explainer's base value (mean output over the background).
        output: the model output for this decision (``base + sum of all contributions``).
        alt: accessible description.
        scale: the output scale, for the axis label.
        rest_label: label of the ``rest`` row.

    Returns:
        The chart as an SVG string.

    Example:
        >>> svg = waterfall(["a = 1", "b = x"], [0.4, -0.1], rest=0.05, base=-1.0,
        ...                 output=-0.65, alt="Waterfall")
    """
    names = [short(str(label), 40) for label in labels] + [rest_label]
    vals = np.append(floats(contributions, "contributions"), float(rest))
    if len(names) != len(vals):
        raise ValueError(f"'labels' and 'contributions' must have the same length. Got {len(names) - 1} and {len(vals) - 1}.")
    n = len(vals)

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        # accumulate bottom-up: rest first, the largest contribution last (on top)
        ypos = np.arange(n)[::-1]
        order = np.arange(n)[::-1]
        start = np.empty(n)
        acc = float(base)
        for i in order:
            start[i] = acc
            acc += vals[i]
        colours = [HIGH_COLOUR if v > 0 else LOW_COLOUR for v in vals]
        ax.barh(ypos, vals, left=start, height=0.62, color=colours)
        span = np.r_[start, start + vals, base, output]
        lo, hi = float(span.min()), float(span.max())
        pad = 0.18 * (hi - lo or 1.0)
        for y, x0, v in zip(ypos, start, vals, strict=True):
            end = x0 + v
            ax.annotate(
                signed(v, 3), (max(x0, end), y), xytext=(3, 0), textcoords="offset points",
                va="center", fontsize=6.5, color=INK,
            )
        ax.axvline(base, color=MUTED, linewidth=0.7, linestyle="--")
        ax.axvline(output, color=INK, linewidth=0.7)
        ax.annotate(f"base {fixed(base, 3)}", (base, -0.5), xytext=(0, -2), textcoords="offset points",
                    ha="center", va="top", fontsize=6.5, color=MUTED, annotation_clip=False)
        ax.annotate(f"output {fixed(output, 3)}", (output, n - 0.5), xytext=(0, 2), textcoords="offset points",
                    ha="center", va="bottom", fontsize=6.5, color=INK, annotation_clip=False)
        ax.set_yticks(ypos, names)
        ax.set_ylim(-0.9, n - 0.1)
        ax.set_xlim(lo - 0.05 * pad, hi + pad)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(f"model output ({scale})" if scale else "model output")

    return render_svg(draw, alt=alt, height=bar_height(n, 0.24) + 0.3)

