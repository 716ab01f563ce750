"""Charts of the tuning run: the optimisation history and a hyperparameter's marginal curve."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
from matplotlib.ticker import FuncFormatter, NullFormatter

from auditlens.formatting import general
from auditlens.report.charts._common import (
    category_axis,
    check_lengths,
    floats,
    rotation_extra,
)
from auditlens.report.charts._style import (
    ACCENT,
    MUTED,
    VECTOR_POINT_LIMIT,
    WIDTH_IN,
    no_data,
    render_svg,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from numpy.typing import ArrayLike


def optimisation_history(
    numbers: ArrayLike,
    values: ArrayLike,
    *,
    direction: Literal["maximize", "minimize"],
    metric: str,
    alt: str,
) -> str:
    """Objective value per trial with the best-so-far value as a step line.

    Args:
        numbers: Trial numbers (x axis).
        values: Objective value per trial; NaN marks a failed trial and is skipped.
        direction: ``"maximize"`` or ``"minimize"``: which way "best" goes.
        metric: Name of the objective (y axis label).
        alt: Accessible description.

    Returns:
        The chart as an SVG string.

    Example:
        >>> svg = optimisation_history([0, 1, 2], [0.7, 0.8, 0.75], direction="maximize",
        ...                            metric="AUC", alt="History")
    """
    if direction not in ("maximize", "minimize"):
        raise ValueError(
            f"'direction' must be 'maximize' or 'minimize'. Got {direction!r} instead."
        )
    xs = floats(numbers, "numbers")
    ys = floats(values, "values")
    check_lengths("numbers", len(xs), values=ys)
    keep = np.isfinite(xs) & np.isfinite(ys)
    if not keep.any():
        return no_data(alt, "No completed trials to show.")
    xs, ys = xs[keep], ys[keep]
    order = np.argsort(xs, kind="stable")
    xs, ys = xs[order], ys[order]
    best = np.maximum.accumulate(ys) if direction == "maximize" else np.minimum.accumulate(ys)

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        ax.scatter(
            xs,
            ys,
            s=9,
            color=MUTED,
            alpha=0.75,
            linewidths=0,
            label="Trial",
            rasterized=len(xs) > VECTOR_POINT_LIMIT,
        )
        ax.step(xs, best, where="post", color=ACCENT, label="Best so far")
        ax.set_xlabel("Trial")
        ax.set_ylabel(metric)
        ax.legend(loc="best")

    return render_svg(draw, alt=alt, height=2.6)


def marginal_curve(
    x: ArrayLike,
    mean: ArrayLike,
    std: ArrayLike,
    *,
    param: str,
    log_scale: bool = False,
    categories: Sequence[str] | None = None,
    ylabel: str,
    alt: str,
    width: float = WIDTH_IN,
) -> str:
    """Marginal predicted objective of one hyperparameter, with a ±1 std band.

    Args:
        x: Grid of parameter values (numeric); ignored when ``categories`` is given.
        mean: Marginal mean at each grid value / category.
        std: Standard deviation (e.g. over trees) at each grid value / category.
        param: Parameter name (x axis label).
        log_scale: Draw the x axis on a log scale (log-uniform parameters).
        categories: Category labels of a categorical parameter: points with error bars.
        ylabel: Label of the y axis (the objective).
        alt: Accessible description.

    Returns:
        The chart as an SVG string.

    Example:
        >>> svg = marginal_curve([1e-3, 1e-2, 1e-1], [0.7, 0.8, 0.75], [0.02, 0.01, 0.03],
        ...                      param="lr", log_scale=True, ylabel="AUC", alt="Marginal")
    """
    mu = floats(mean, "mean")
    sd = floats(std, "std")
    # An empty list counts as "not categorical" (nothing to label either way).
    if categories is not None and len(categories) > 0:
        cats = [str(c) for c in categories]
        check_lengths("categories", len(cats), mean=mu, std=sd)
        ok = np.isfinite(mu)
        if not ok.any():
            return no_data(alt, "No marginal values to show.")

        def draw_cat(fig: Figure) -> None:
            ax = fig.add_subplot()
            pos = np.arange(len(cats))
            err = np.where(np.isfinite(sd), np.abs(sd), 0.0)
            ax.errorbar(
                pos[ok],
                mu[ok],
                yerr=err[ok],
                fmt="o",
                color=ACCENT,
                ms=4,
                ecolor=ACCENT,
                elinewidth=1.0,
                capsize=3,
            )
            category_axis(ax, cats)
            ax.set_xlim(-0.6, len(cats) - 0.4)
            ax.set_xlabel(param)
            ax.set_ylabel(ylabel)

        return render_svg(draw_cat, alt=alt, height=2.6 + rotation_extra(cats), width=width)

    xs = floats(x, "x")
    check_lengths("x", len(xs), mean=mu, std=sd)
    keep = np.isfinite(xs) & np.isfinite(mu)
    if log_scale:
        keep &= xs > 0
    if not keep.any():
        return no_data(alt, "No marginal values to show.")
    order = np.argsort(xs[keep], kind="stable")
    xs, mu, sd = xs[keep][order], mu[keep][order], sd[keep][order]
    sd = np.where(np.isfinite(sd), np.abs(sd), 0.0)

    def draw_num(fig: Figure) -> None:
        ax = fig.add_subplot()
        ax.fill_between(xs, mu - sd, mu + sd, color=ACCENT, alpha=0.18, linewidth=0, label="±1 std")
        ax.plot(
            xs, mu, color=ACCENT, marker="o" if len(xs) == 1 else None, ms=4, label="Marginal mean"
        )
        if log_scale:
            ax.set_xscale("log")
            # The default log labels are mathtext, which is off (user text must not
            # become math); plain numbers such as 0.001 read just as well.
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: general(v, 6)))
            ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(param)
        ax.set_ylabel(ylabel)
        ax.legend(loc="best")

    return render_svg(draw_num, alt=alt, height=2.6, width=width)

