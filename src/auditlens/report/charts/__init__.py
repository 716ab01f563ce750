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

from auditlens.report.charts.bars import importance_bar, mean_abs_bar, waterfall
from auditlens.report.charts.performance import calibration, roc_curve
from auditlens.report.charts.points import beeswarm, dependence
from auditlens.report.charts.tasks import (
    predicted_vs_actual,
    residual_histogram,
    residuals_vs_predicted,
    roc_per_class,
    stacked_mean_abs,
)
from auditlens.report.charts.tuning import marginal_curve, optimisation_history

__all__ = [
    "beeswarm",
    "calibration",
    "dependence",
    "importance_bar",
    "marginal_curve",
    "mean_abs_bar",
    "optimisation_history",
    "predicted_vs_actual",
    "residual_histogram",
    "residuals_vs_predicted",
    "roc_curve",
    "roc_per_class",
    "stacked_mean_abs",
    "waterfall",
]

