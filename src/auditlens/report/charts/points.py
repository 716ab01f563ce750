"""Point clouds of SHAP values: the beeswarm and the dependence plot, coloured by feature value."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Colormap, LinearSegmentedColormap, Normalize

from auditlens.report.charts._common import (
    as_list,
    bar_height,
    category_axis,
    check_lengths,
    floats,
    fold_categories,
    matrix,
    note_title,
    rotation_extra,
    sample_note,
    short,
    subsample,
    with_note,
)
from auditlens.report.charts._style import (
    ACCENT,
    HIGH_COLOUR,
    LOW_COLOUR,
    MID_COLOUR,
    MUTED,
    NAN_GREY,
    VECTOR_POINT_LIMIT,
    WIDTH_IN,
    no_data,
    render_svg,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from numpy.typing import ArrayLike


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
    shap = matrix(shap_values, "shap_values", len(names))
    colour = matrix(colour_values, "colour_values", len(names))
    if shap.shape != colour.shape:
        raise ValueError(
            f"'colour_values' must have the shape of 'shap_values' {shap.shape}. "
            f"Got {colour.shape} instead."
        )
    if not names or shap.shape[0] == 0 or not np.isfinite(shap).any():
        return no_data(alt, "No SHAP values to show.")
    rows = subsample(shap.shape[0], max_points, seed)
    note = sample_note(len(rows), shap.shape[0], seed)
    shap, colour = shap[rows], colour[rows]
    cmap, norm = value_colormap()

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        k = len(names)
        xs_all, ys_all, cs_all = [], [], []
        lo, hi = np.nanmin(shap), np.nanmax(shap)
        for j in range(k):
            col = shap[:, j]
            ok = np.isfinite(col)
            offsets = density_offsets(col[ok], lo, hi, width=0.4)
            xs_all.append(col[ok])
            ys_all.append((k - 1 - j) + offsets)
            cs_all.append(colour[ok, j])
        xs = np.concatenate(xs_all)
        ys = np.concatenate(ys_all)
        cs = np.concatenate(cs_all)
        raster = xs.size > VECTOR_POINT_LIMIT
        scatter_by_value(ax, xs, ys, cs, size=5, cmap=cmap, norm=norm, raster=raster)
        ax.axvline(0, color=MUTED, linewidth=0.6)
        ax.set_yticks(np.arange(k)[::-1], [short(name) for name in names])
        ax.set_ylim(-0.7, k - 0.3)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel("SHAP value (impact on model output)")
        value_colourbar(fig, ax, cmap, norm, "Feature value")
        note_title(ax, note)

    return render_svg(draw, alt=with_note(alt, note), height=bar_height(len(names), per_row=0.34))


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
    sv = floats(shap_values, "shap_values")
    n = len(sv)
    if categorical:
        xv: np.ndarray = np.array(["" if v is None else str(v) for v in as_list(x)], dtype=object)
    else:
        xv = floats(x, "x", hint=" (pass categorical=True for text values)")
    cv = None if colour_values is None else floats(colour_values, "colour_values")
    check_lengths("x", len(xv), shap_values=sv, colour_values=cv)
    keep = np.isfinite(sv)
    if not categorical:
        keep &= np.isfinite(xv)
    if n == 0 or not keep.any():
        return no_data(alt, "No SHAP values to show.")
    idx = np.flatnonzero(keep)
    drawn = subsample(idx.size, max_points, seed)
    note = sample_note(drawn.size, idx.size, seed)
    idx = idx[drawn]
    sv, xv = sv[idx], xv[idx]
    cv = None if cv is None else cv[idx]
    rng = np.random.default_rng(seed)
    cmap, norm = value_colormap()
    height = 2.8

    if categorical:
        cats, codes = fold_categories(xv)
        height += rotation_extra(cats)
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
            scatter_by_value(ax, xpos, sv, cv, size=7, cmap=cmap, norm=norm, raster=raster)
            value_colourbar(fig, ax, cmap, norm, short(colour_label or "Colour value"))
        ax.axhline(0, color=MUTED, linewidth=0.6)
        if categorical:
            category_axis(ax, cats)
            ax.set_xlim(-0.6, len(cats) - 0.4)
        ax.set_xlabel(short(feature, 60))
        ax.set_ylabel(f"SHAP value for {short(feature)}")
        note_title(ax, note)

    return render_svg(draw, alt=with_note(alt, note), height=height, width=width)


def density_offsets(values: np.ndarray, lo: float, hi: float, *, width: float) -> np.ndarray:
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


def value_colormap() -> tuple[Colormap, Normalize]:
    cmap = LinearSegmentedColormap.from_list(
        "auditlens_value", [LOW_COLOUR, MID_COLOUR, HIGH_COLOUR], N=64
    )
    return cmap, Normalize(vmin=0.0, vmax=1.0)


def scatter_by_value(
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


def value_colourbar(fig: Figure, ax: Axes, cmap: Colormap, norm: Normalize, label: str) -> None:
    bar = fig.colorbar(
        ScalarMappable(norm=norm, cmap=cmap), ax=ax, aspect=30, pad=0.01, fraction=0.04
    )
    bar.set_ticks([0, 1], labels=["Low", "High"])
    bar.set_label(label)
    bar.outline.set_visible(False)
    # One small image instead of 64 vector quads.
    if bar.solids is not None:
        bar.solids.set_rasterized(True)

