"""The change report's two charts: paired intervals (old vs new) and dependence curves overlaid.

Drawn with the audit report's renderer and style (:mod:`auditlens.report.charts`): inline,
deterministic, accessible SVG. OLD is grey and dashed, NEW the accent colour, in both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from auditlens.report.charts._common import short
from auditlens.report.charts._style import ACCENT, MUTED, render_svg

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from auditlens.diff.result import DependenceOverlay

OLD_COLOUR = MUTED
NEW_COLOUR = ACCENT


def paired_intervals(
    labels: Sequence[str],
    old: Sequence[tuple[float, float, float] | None],
    new: Sequence[tuple[float, float, float] | None],
    *,
    xlabel: str,
    alt: str,
) -> str:
    """One row per label: OLD and NEW as a point with its 95% interval (value, low, high).

    Example:
        >>> svg = paired_intervals(["a"], [(0.2, 0.1, 0.3)], [(0.4, 0.35, 0.45)], xlabel="x", alt="a")
        >>> svg.startswith("<svg")
        True
    """
    n = len(labels)

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        ypos = np.arange(n)[::-1].astype(float)
        for series, offset, colour, name, marker in (
            (old, 0.17, OLD_COLOUR, "OLD", "s"), (new, -0.17, NEW_COLOUR, "NEW", "o"),
        ):
            rows = [(y + offset, v) for y, v in zip(ypos, series, strict=True) if v is not None]
            if not rows:
                continue
            ys = np.array([r[0] for r in rows])
            vals = np.array([r[1][0] for r in rows])
            err = np.array([[r[1][0] - r[1][1] for r in rows], [r[1][2] - r[1][0] for r in rows]])
            ax.errorbar(vals, ys, xerr=np.clip(err, 0, None), fmt=marker, color=colour, markersize=3.5,
                        elinewidth=0.9, capsize=2, label=name)
        ax.set_yticks(ypos, [short(label) for label in labels])
        ax.set_ylim(-0.7, n - 0.3)
        ax.set_xlabel(xlabel)
        ax.grid(axis="y", visible=False)
        ax.legend(loc="lower right")

    return render_svg(draw, alt=alt, height=0.6 + 0.3 * max(n, 1))


def dependence_overlay(overlay: DependenceOverlay, *, alt: str, width: float) -> str:
    """Mean SHAP value per bin of one feature, OLD and NEW on the same bins.

    Example:
        >>> from auditlens.diff.result import CurveBin, DependenceOverlay
        >>> o = DependenceOverlay(feature="age", categorical=False, bins=[
        ...     CurveBin(label="[20, 30)", x=25, old_mean=0.1, old_n=5, new_mean=0.2, new_n=4)])
        >>> dependence_overlay(o, alt="age", width=3.4).startswith("<svg")
        True
    """
    xs = np.array([b.x for b in overlay.bins], dtype=float)

    def draw(fig: Figure) -> None:
        ax = fig.add_subplot()
        for side, colour, style, marker in (("old", OLD_COLOUR, "--", "s"), ("new", NEW_COLOUR, "-", "o")):
            ys = np.array([np.nan if getattr(b, f"{side}_mean") is None else getattr(b, f"{side}_mean")
                           for b in overlay.bins], dtype=float)
            ax.plot(xs, ys, linestyle="none" if overlay.categorical else style, marker=marker,
                    markersize=3.5, color=colour, label=side.upper())
        ax.axhline(0, color=MUTED, linewidth=0.6)
        if overlay.categorical:
            ax.set_xticks(xs, [short(b.label, 14) for b in overlay.bins], rotation=45, ha="right")
        ax.set_xlabel(short(overlay.feature, 60))
        ax.set_ylabel("mean SHAP value")
        ax.legend(loc="best")

    extra = 0.5 if overlay.categorical else 0.0
    return render_svg(draw, alt=alt, height=2.4 + extra, width=width)
