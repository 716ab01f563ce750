"""Deterministic inline SVG charts for the audit report.

Every function takes plain numbers (sequences or numpy arrays, never shap/optuna objects)
and returns an SVG string that can be pasted into HTML5 and rendered by WeasyPrint:

- no XML declaration or DOCTYPE, ``role="img"``, an ``aria-label`` and a ``<title>``;
- ``width="100%"`` plus a ``viewBox``, so the chart scales to its container (its natural
  width is kept as ``max-width``);
- text stays text (``svg.fonttype="none"``): small, selectable, searchable in the PDF;
- byte-identical for identical input: fixed ``svg.hashsalt``, no date, no generator
  metadata, random subsampling and jitter only from a stated seed; a point chart that
  draws a subsample says how many rows of how many it shows, and the seed, on the chart and
  in its alt text;
- no scripts, no external URLs: only the SVG/XLink namespace declarations and, for dense
  point clouds, a PNG ``data:`` image (vector dots would make files and PDF rendering slow);
- element ids are prefixed with a hash of the chart, so many charts can share one page.

Example:
    >>> svg = importance_bar(["lr", "depth"], [0.6, 0.3], [0.05, 0.04], alt="Importance")
    >>> svg.startswith("<svg")
    True

Matplotlib is used through its object API (``Figure`` + ``FigureCanvasSVG``) inside
``matplotlib.style.context("default")`` and ``matplotlib.rc_context``, so neither the
caller's global state nor a user ``matplotlibrc`` changes the output, and the caller's
rcParams are restored afterwards.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np

from auditlens.formatting import compact, count, fixed, general, signed

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.colors import Colormap, Normalize
    from matplotlib.figure import Figure
    from numpy.typing import ArrayLike

__all__ = [
    "beeswarm",
    "calibration",
    "dependence",
    "importance_bar",
    "marginal_curve",
    "mean_abs_bar",
    "optimisation_history",
    "roc_curve",
    "waterfall",
]

# One sober, print-friendly style: dark ink, light grid, one accent colour.
INK = "#222222"
MUTED = "#8a8a8a"
GRID = "#e3e3e3"
ACCENT = "#1f5f9e"
NAN_GREY = "#b8b8b8"
# Low -> high feature value (blue -> red through purple; avoids a white middle that
# would vanish on paper).
LOW_COLOUR = "#2b7bba"
MID_COLOUR = "#8b5aa8"
HIGH_COLOUR = "#d7263d"

WIDTH_IN = 6.3  # the text width of an A4 page with 2 cm margins
MAX_LABEL_CHARS = 30
MAX_CATEGORIES = 30  # more columns would be unreadable at print size
# Above this many dots the point layer becomes one embedded PNG: thousands of vector
# markers make large files and slow WeasyPrint rendering (see FACTS.md).
VECTOR_POINT_LIMIT = 500
RASTER_DPI = 150
HASH_SALT = "auditlens"

_RC = {
    "svg.hashsalt": HASH_SALT,
    "svg.fonttype": "none",
    "svg.image_inline": True,
    # Feature names are user data: "$x$" must not become mathtext.
    "text.parse_math": False,
    "text.usetex": False,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "legend.frameon": False,
    "text.color": INK,
    "axes.labelcolor": INK,
    "axes.edgecolor": MUTED,
    "axes.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": GRID,
    "grid.linewidth": 0.5,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "xtick.labelcolor": INK,
    "ytick.labelcolor": INK,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "lines.linewidth": 1.4,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "path.simplify": True,
}

_ID_RE = re.compile(r'\bid="([^"]+)"')
_PNG_RE = re.compile(r'((?:xlink:)?href="data:image/png;base64,)([A-Za-z0-9+/=\s]+)"')


# --------------------------------------------------------------------------- public API


def importance_bar(
    labels: Sequence[str],
    values: ArrayLike,
    errors: ArrayLike | None = None,
    *,
    alt: str,
    xlabel: str = "Share of variance",
) -> str:
    """Horizontal bars, top to bottom in the given order, with optional ± error bars.

    Also serves interaction effects: pass labels such as ``"lr × depth"``.

    Args:
        labels: Bar labels (long ones are shortened to ~30 characters).
        values: One value per label; NaN draws no bar and says "n/a".
        errors: Optional half-widths of the error bars (e.g. std over trees); NaN = none.
        alt: Accessible description, used as ``<title>`` and ``aria-label``.
        xlabel: Label of the value axis.

    Returns:
        The chart as an SVG string.

    Example:
        >>> svg = importance_bar(["a", "b"], [0.5, 0.2], [0.1, 0.05], alt="Importance")
    """
    names = [str(label) for label in labels]
    vals = _floats(values, "values")
    errs = None if errors is None else _floats(errors, "errors")
    _check_lengths("labels", len(names), values=vals, errors=errs)
    if not names or not np.isfinite(vals).any():
        return _no_data(alt, "No importance values to show.")

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
        ax.set_yticks(ypos, [_short(name) for name in names])
        ax.set_ylim(-0.6, n - 0.4)
        ax.set_xlabel(xlabel)
        ax.grid(axis="y", visible=False)
        ax.axvline(0, color=MUTED, linewidth=0.6)
        span = _value_span(vals, errs)
        half = np.zeros(n) if errs is None else np.where(np.isfinite(errs), np.abs(errs), 0.0)
        for y, value, e, ok in zip(ypos, vals, half, finite, strict=True):
            if ok:
                # Right of the bar and of its error bar, so the number stays readable.
                ax.annotate(
                    compact(value),
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

    return _render(draw, alt=alt, height=_bar_height(len(names)))


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
    xs = _floats(numbers, "numbers")
    ys = _floats(values, "values")
    _check_lengths("numbers", len(xs), values=ys)
    keep = np.isfinite(xs) & np.isfinite(ys)
    if not keep.any():
        return _no_data(alt, "No completed trials to show.")
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

    return _render(draw, alt=alt, height=2.6)


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
    mu = _floats(mean, "mean")
    sd = _floats(std, "std")
    # An empty list counts as "not categorical" (nothing to label either way).
    if categories is not None and len(categories) > 0:
        cats = [str(c) for c in categories]
        _check_lengths("categories", len(cats), mean=mu, std=sd)
        ok = np.isfinite(mu)
        if not ok.any():
            return _no_data(alt, "No marginal values to show.")

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
            _category_axis(ax, cats)
            ax.set_xlim(-0.6, len(cats) - 0.4)
            ax.set_xlabel(param)
            ax.set_ylabel(ylabel)

        return _render(draw_cat, alt=alt, height=2.6 + _rotation_extra(cats), width=width)

    xs = _floats(x, "x")
    _check_lengths("x", len(xs), mean=mu, std=sd)
    keep = np.isfinite(xs) & np.isfinite(mu)
    if log_scale:
        keep &= xs > 0
    if not keep.any():
        return _no_data(alt, "No marginal values to show.")
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
            from matplotlib.ticker import FuncFormatter, NullFormatter

            ax.set_xscale("log")
            # The default log labels are mathtext, which is off (user text must not
            # become math); plain numbers such as 0.001 read just as well.
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: general(v, 6)))
            ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(param)
        ax.set_ylabel(ylabel)
        ax.legend(loc="best")

    return _render(draw_num, alt=alt, height=2.6, width=width)


def beeswarm(
    feature_names: Sequence[str],
    shap_values: ArrayLike,
    colour_values: ArrayLike,
    *,
    alt: str,
    max_points: int = 2000,
    seed: int = 0,
) -> str:
    """SHAP summary: one row of dots per feature, jittered by local density.

    Args:
        feature_names: Feature names, top to bottom.
        shap_values: Array ``(n, k)`` of SHAP values.
        colour_values: Array ``(n, k)`` of feature values scaled to [0, 1] (low → high);
            NaN means "no colour" (categorical or missing) and is drawn grey.
        alt: Accessible description.
        max_points: At most this many rows are drawn (a uniform subsample); when rows are
            left out, the chart says so above the plot and at the end of its alt text
            (``"2,000 of 100,000 rows shown (random sample, seed 0)"``).
        seed: Seed of the subsample, so the same input gives the same picture.

    Returns:
        The chart as an SVG string.

    Example:
        >>> import numpy as np
        >>> svg = beeswarm(["a", "b"], np.zeros((3, 2)), np.full((3, 2), 0.5), alt="SHAP")
    """
    names = [str(name) for name in feature_names]
    shap = _matrix(shap_values, "shap_values", len(names))
    colour = _matrix(colour_values, "colour_values", len(names))
    if shap.shape != colour.shape:
        raise ValueError(
            f"'colour_values' must have the shape of 'shap_values' {shap.shape}. "
            f"Got {colour.shape} instead."
        )
    if not names or shap.shape[0] == 0 or not np.isfinite(shap).any():
        return _no_data(alt, "No SHAP values to show.")
    rows = _subsample(shap.shape[0], max_points, seed)
    note = _sample_note(len(rows), shap.shape[0], seed)
    shap, colour = shap[rows], colour[rows]
    cmap, norm = _value_colormap()

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        k = len(names)
        xs_all, ys_all, cs_all = [], [], []
        lo, hi = np.nanmin(shap), np.nanmax(shap)
        for j in range(k):
            col = shap[:, j]
            ok = np.isfinite(col)
            offsets = _density_offsets(col[ok], lo, hi, width=0.4)
            xs_all.append(col[ok])
            ys_all.append((k - 1 - j) + offsets)
            cs_all.append(colour[ok, j])
        xs = np.concatenate(xs_all)
        ys = np.concatenate(ys_all)
        cs = np.concatenate(cs_all)
        raster = xs.size > VECTOR_POINT_LIMIT
        _scatter_by_value(ax, xs, ys, cs, size=5, cmap=cmap, norm=norm, raster=raster)
        ax.axvline(0, color=MUTED, linewidth=0.6)
        ax.set_yticks(np.arange(k)[::-1], [_short(name) for name in names])
        ax.set_ylim(-0.7, k - 0.3)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel("SHAP value (impact on model output)")
        _value_colourbar(fig, ax, cmap, norm, "Feature value")
        _note_title(ax, note)

    return _render(draw, alt=_with_note(alt, note), height=_bar_height(len(names), per_row=0.34))


def dependence(
    x: ArrayLike | Sequence[str],
    shap_values: ArrayLike,
    *,
    feature: str,
    categorical: bool = False,
    colour_values: ArrayLike | None = None,
    colour_label: str | None = None,
    alt: str,
    max_points: int = 2000,
    seed: int = 0,
    width: float = WIDTH_IN,
) -> str:
    """SHAP dependence of one feature: feature value against its SHAP value.

    Args:
        x: Feature values (numbers, or strings when ``categorical``).
        shap_values: SHAP value of the feature for each row.
        feature: Feature name (x axis label).
        categorical: Draw a jittered strip per category instead of a scatter.
        colour_values: Optional values in [0, 1] to colour points by (NaN = grey).
        colour_label: Label of the colour bar (e.g. the interacting feature).
        alt: Accessible description.
        max_points: At most this many rows are drawn (a uniform subsample); when rows are
            left out, the chart says so above the plot and at the end of its alt text.
        seed: Seed of the subsample and of the jitter.

    Returns:
        The chart as an SVG string.

    Example:
        >>> svg = dependence([1.0, 2.0, 3.0], [-0.1, 0.0, 0.2], feature="age", alt="Age")
    """
    sv = _floats(shap_values, "shap_values")
    n = len(sv)
    if categorical:
        xv: np.ndarray = np.array(["" if v is None else str(v) for v in _as_list(x)], dtype=object)
    else:
        xv = _floats(x, "x", hint=" (pass categorical=True for text values)")
    cv = None if colour_values is None else _floats(colour_values, "colour_values")
    _check_lengths("x", len(xv), shap_values=sv, colour_values=cv)
    keep = np.isfinite(sv)
    if not categorical:
        keep &= np.isfinite(xv)
    if n == 0 or not keep.any():
        return _no_data(alt, "No SHAP values to show.")
    idx = np.flatnonzero(keep)
    drawn = _subsample(idx.size, max_points, seed)
    note = _sample_note(drawn.size, idx.size, seed)
    idx = idx[drawn]
    sv, xv = sv[idx], xv[idx]
    cv = None if cv is None else cv[idx]
    rng = np.random.default_rng(seed)
    cmap, norm = _value_colormap()
    height = 2.8

    if categorical:
        cats, codes = _categories(xv)
        height += _rotation_extra(cats)
        xpos = codes + rng.uniform(-0.3, 0.3, size=codes.size)
    else:
        cats = []
        xpos = xv

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        raster = xpos.size > VECTOR_POINT_LIMIT
        if cv is None:
            ax.scatter(xpos, sv, s=7, color=ACCENT, alpha=0.7, linewidths=0, rasterized=raster)
        else:
            _scatter_by_value(ax, xpos, sv, cv, size=7, cmap=cmap, norm=norm, raster=raster)
            _value_colourbar(fig, ax, cmap, norm, _short(colour_label or "Colour value"))
        ax.axhline(0, color=MUTED, linewidth=0.6)
        if categorical:
            _category_axis(ax, cats)
            ax.set_xlim(-0.6, len(cats) - 0.4)
        ax.set_xlabel(_short(feature, 60))
        ax.set_ylabel(f"SHAP value for {_short(feature)}")
        _note_title(ax, note)

    return _render(draw, alt=_with_note(alt, note), height=height, width=width)


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
    pp = _floats(prob_pred, "prob_pred")
    pt = _floats(prob_true, "prob_true")
    ct = _floats(counts, "counts")
    _check_lengths("prob_pred", len(pp), prob_true=pt, counts=ct)
    keep = np.isfinite(pp) & np.isfinite(pt) & (np.nan_to_num(ct, nan=0.0) > 0)
    if not keep.any():
        return _no_data(alt, "No calibration bins to show.")
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

    return _render(draw, alt=alt, height=3.6, width=4.2)


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
    fx, ty = _floats(fpr, "fpr"), _floats(tpr, "tpr")
    _check_lengths("fpr", len(fx), tpr=ty)
    keep = np.isfinite(fx) & np.isfinite(ty)
    if not keep.any():
        return _no_data(alt, "No ROC points to show.")
    fx, ty = fx[keep], ty[keep]
    fx, ty = _thin_curve(fx, ty)
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

    return _render(draw, alt=alt, height=3.4, width=4.0)


# --------------------------------------------------------------------------- rendering


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
    names = [_short(str(label), 40) for label in labels] + [rest_label]
    vals = np.append(_floats(contributions, "contributions"), float(rest))
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

    return _render(draw, alt=alt, height=_bar_height(n, 0.24) + 0.3)


def _render(
    draw: Callable[[Figure], None],
    *,
    alt: str,
    height: float,
    width: float = WIDTH_IN,
) -> str:
    """Draw on a fresh Figure under the fixed style and return cleaned, inlinable SVG."""
    # Imported here: matplotlib is heavy, and the report package is imported by the CLI.
    import matplotlib
    import matplotlib.style
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    # style.context("default") ignores the user's matplotlibrc; both contexts restore
    # the caller's rcParams on exit.
    with matplotlib.style.context("default"), matplotlib.rc_context(_RC):  # type: ignore[arg-type]
        fig = Figure(figsize=(width, height), layout="constrained")
        FigureCanvasSVG(fig)
        draw(fig)
        buffer = io.StringIO()
        fig.savefig(
            buffer,
            format="svg",
            dpi=RASTER_DPI,
            metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
        )
    return _finish_svg(buffer.getvalue(), alt)


def _finish_svg(raw: str, alt: str) -> str:
    """Make matplotlib's SVG document an accessible, scalable fragment for HTML5."""
    svg = raw[raw.index("<svg") :]
    # The RDF metadata block only names the generator (with its URL); drop it.
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, flags=re.DOTALL)
    head_end = svg.index(">") + 1
    head, body = svg[:head_end], svg[head_end:]
    size = re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', head)
    viewbox = re.search(r'viewBox="([^"]+)"', head)
    if size is None or viewbox is None:  # pragma: no cover - matplotlib format changed
        raise RuntimeError("unexpected SVG header from matplotlib: " + head)
    # Unique, deterministic id prefix so several charts can live in one HTML page.
    prefix = "al" + hashlib.sha256(body.encode("utf-8")).hexdigest()[:8] + "-"
    body = _ID_RE.sub(lambda m: f'id="{prefix}{m.group(1)}"', body)
    body = re.sub(
        r'(xlink:href|href)="#([^"]+)"', lambda m: f'{m.group(1)}="#{prefix}{m.group(2)}"', body
    )
    body = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", body)
    root_id = prefix + "chart"
    # A <style> inside inline SVG applies to the whole HTML page: scope it to this chart.
    body = body.replace('<style type="text/css">*{', f'<style type="text/css">#{root_id} *{{')
    body = _PNG_RE.sub(lambda m: m.group(1) + _quantise_png(m.group(2)) + '"', body)
    label = html.escape(alt, quote=True)
    title_id = prefix + "title"
    new_head = (
        '<svg xmlns="http://www.w3.org/2000/svg" '
        'xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1" '
        f'id="{root_id}" class="auditlens-chart" role="img" '
        f'aria-labelledby="{title_id}" aria-label="{label}" '
        f'viewBox="{viewbox.group(1)}" width="100%" '
        f'style="max-width: {size.group(1)}pt; height: auto">'
        f'\n <title id="{title_id}">{label}</title>'
    )
    return new_head + body


def _quantise_png(b64: str) -> str:
    """Re-encode a rasterised point layer with a 64-colour palette.

    Anti-aliased RGBA dots compress badly (~300 KB for 20,000 dots); a palette image keeps
    the look, the alpha and determinism at about a fifth of the size.
    """
    from PIL import Image

    with Image.open(io.BytesIO(base64.b64decode(b64))) as image:
        quantised = image.convert("RGBA").quantize(colors=64, method=Image.Quantize.FASTOCTREE)
    out = io.BytesIO()
    quantised.save(out, format="PNG", optimize=True)
    return base64.b64encode(out.getvalue()).decode("ascii")


def _no_data(alt: str, message: str) -> str:
    """A small chart that says there is nothing to show instead of failing."""

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.text(
            0.5,
            0.5,
            f"No data. {message}",
            ha="center",
            va="center",
            color=MUTED,
            fontsize=8,
            transform=ax.transAxes,
        )

    return _render(draw, alt=alt, height=0.8)


# --------------------------------------------------------------------------- helpers


def _as_list(values: object) -> list[object]:
    if values is None:
        return []
    if isinstance(values, np.ndarray):
        return list(values.ravel())
    return list(values)  # type: ignore[call-overload]


def _floats(values: object, name: str, *, hint: str = "") -> np.ndarray:
    """A 1-D float array; None becomes NaN so missing values are simply skipped."""
    items = _as_list(values)
    try:
        return np.array([np.nan if v is None else v for v in items], dtype=float).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"'{name}' must contain numbers{hint}. Got: {exc}.") from None


def _matrix(values: ArrayLike, name: str, k: int) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.size == 0:
        return np.zeros((0, k))
    if arr.ndim != 2 or arr.shape[1] != k:
        raise ValueError(
            f"'{name}' must be a 2-D array with {k} columns (one per feature name). "
            f"Got shape {arr.shape} instead."
        )
    return arr


def _check_lengths(ref_name: str, ref_len: int, **others: np.ndarray | None) -> None:
    for name, arr in others.items():
        if arr is not None and len(arr) != ref_len:
            raise ValueError(
                f"'{name}' must have the length of '{ref_name}' ({ref_len}). "
                f"Got {len(arr)} instead."
            )


def _subsample(n: int, max_points: int, seed: int) -> np.ndarray:
    """Indices of at most ``max_points`` rows, sorted, chosen with ``seed``."""
    if max_points < 1:
        raise ValueError(f"'max_points' must be an int >= 1. Got {max_points} instead.")
    if n <= max_points:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=max_points, replace=False))


def _sample_note(drawn: int, total: int, seed: int) -> str:
    """What a subsampled point chart must say about itself ("" when every row is drawn)."""
    if drawn >= total:
        return ""
    return f"{count(drawn)} of {count(total)} rows shown (random sample, seed {seed})"


def _note_title(ax: Axes, note: str) -> None:
    if note:
        ax.set_title(note, loc="right", fontsize=6.5, color=MUTED)


def _with_note(alt: str, note: str) -> str:
    if not note:
        return alt
    text = alt.rstrip()
    return f"{text}{' ' if text.endswith(('.', '!', '?')) else '. '}{note[0].upper()}{note[1:]}."


def _density_offsets(values: np.ndarray, lo: float, hi: float, *, width: float) -> np.ndarray:
    """Vertical offsets that spread dots by local density (binned beeswarm).

    Dots in the same x bin are stacked alternately above and below the row centre; the
    widest bin of the row reaches ``±width``.
    """
    n = values.size
    if n == 0:
        return np.zeros(0)
    nbins = 100
    span = hi - lo if hi > lo else 1.0
    bins = np.clip(((values - lo) / span * nbins).astype(int), 0, nbins - 1)
    order = np.lexsort((values, bins))
    rank = np.empty(n, dtype=float)
    sorted_bins = bins[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_bins)) + 1]
    counts = np.diff(np.r_[starts, n])
    within = np.arange(n) - np.repeat(starts, counts)
    # 0, +1, -1, +2, -2, ... so each bin grows symmetrically.
    rank[order] = np.where(within % 2 == 1, (within + 1) // 2, -(within // 2))
    peak = max(counts.max() // 2, 1)
    return rank / peak * width


def _value_colormap() -> tuple[Colormap, Normalize]:
    from matplotlib.colors import LinearSegmentedColormap, Normalize

    cmap = LinearSegmentedColormap.from_list(
        "auditlens_value", [LOW_COLOUR, MID_COLOUR, HIGH_COLOUR], N=64
    )
    return cmap, Normalize(vmin=0.0, vmax=1.0)


def _scatter_by_value(
    ax: Axes, x: np.ndarray, y: np.ndarray, colour: np.ndarray, *, size: float,
    cmap: object, norm: object, raster: bool,
) -> None:
    """Points coloured by a value in [0, 1]; NaN values drawn grey underneath."""
    grey = ~np.isfinite(colour)
    if grey.any():
        ax.scatter(x[grey], y[grey], s=size, color=NAN_GREY, linewidths=0, rasterized=raster)
    if (~grey).any():
        ax.scatter(
            x[~grey], y[~grey], s=size, c=np.clip(colour[~grey], 0, 1),
            cmap=cmap, norm=norm, linewidths=0, rasterized=raster,
        )


def _value_colourbar(fig: Figure, ax: Axes, cmap: Colormap, norm: Normalize, label: str) -> None:
    from matplotlib.cm import ScalarMappable

    bar = fig.colorbar(
        ScalarMappable(norm=norm, cmap=cmap), ax=ax, aspect=30, pad=0.01, fraction=0.04
    )
    bar.set_ticks([0, 1], labels=["Low", "High"])
    bar.set_label(label)
    bar.outline.set_visible(False)
    # One small image instead of 64 vector quads.
    if bar.solids is not None:
        bar.solids.set_rasterized(True)


def _categories(values: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Sorted category labels and each value's position; beyond 30, rare ones are "Other"."""
    labels, inverse, counts = np.unique(values.astype(str), return_inverse=True, return_counts=True)
    if len(labels) <= MAX_CATEGORIES:
        return [str(label) for label in labels], inverse.astype(float)
    # Keep the most frequent (ties by label), fold the rest into one last column.
    shown = MAX_CATEGORIES - 1
    keep = np.sort(np.lexsort((labels, -counts))[:shown])
    position = np.full(len(labels), shown, dtype=float)
    position[keep] = np.arange(shown)
    other = len(labels) - shown
    return [str(labels[i]) for i in keep] + [f"Other ({other} categories)"], position[inverse]


def _category_axis(ax: Axes, cats: list[str]) -> None:
    short = [_short(c) for c in cats]
    rotate = len(cats) > 6 or max((len(s) for s in short), default=0) > 10
    ax.set_xticks(
        np.arange(len(cats)),
        short,
        rotation=40 if rotate else 0,
        ha="right" if rotate else "center",
        rotation_mode="anchor",
    )
    ax.grid(axis="x", visible=False)


def _rotation_extra(cats: Sequence[str]) -> float:
    longest = max((len(_short(c)) for c in cats), default=0)
    if len(cats) > 6 or longest > 10:
        return min(0.06 * longest, 1.6)
    return 0.0


def _short(text: str, limit: int = MAX_LABEL_CHARS) -> str:
    """Shorten a label to ``limit`` characters with an ellipsis (the alt text keeps it whole)."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _value_span(vals: np.ndarray, errs: np.ndarray | None) -> tuple[float, float]:
    finite = np.isfinite(vals)
    err = np.zeros_like(vals) if errs is None else np.where(np.isfinite(errs), np.abs(errs), 0)
    lo = min(0.0, float(np.min((vals - err)[finite])))
    hi = max(0.0, float(np.max((vals + err)[finite])))
    if hi - lo <= 0:
        hi = lo + 1.0
    return lo, hi


def _bar_height(n: int, per_row: float = 0.26) -> float:
    return 0.75 + per_row * max(n, 1)


def _thin_curve(x: np.ndarray, y: np.ndarray, limit: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """Keep at most ~``limit`` points of a long curve, always keeping both ends.

    ROC curves can have one point per sample; beyond a few thousand the extra points are
    invisible at print size but still cost bytes.
    """
    if x.size <= limit:
        return x, y
    idx = np.unique(np.r_[np.linspace(0, x.size - 1, limit).round().astype(int), x.size - 1])
    return x[idx], y[idx]
