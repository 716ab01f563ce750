"""Feature effects of two audits: mean |SHAP| rankings and intervals, and dependence curves overlaid.

A feature's mean |SHAP| changed beyond noise when the two audits' 95% bootstrap intervals no
longer overlap (a conservative test; the intervals are the audits' own). The dependence curves
are the mean SHAP value per bin of the feature, over the rows each audit stored; numeric
features share bins (quantiles of both audits' stored values pooled), categories are matched
by label. Mean |SHAP| values are comparable only on the same output scale.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from auditlens.diff._common import change, status, union
from auditlens.diff.result import CurveBin, DependenceOverlay, EffectChange, EffectsDiff

if TYPE_CHECKING:
    from auditlens.results import FeatureEffectsSummary

TOP_FEATURES = 4  # dependence curves drawn, as the audit report's default
CURVE_BINS = 8


def effects_diff(old: FeatureEffectsSummary, new: FeatureEffectsSummary) -> EffectsDiff:
    facts = [
        change("explainer", old.explainer, new.explainer),
        change("output scale", old.output_scale, new.output_scale),
        change("rows explained", old.n_explained, new.n_explained),
        change("background rows", old.background_size, new.background_size),
    ]
    comparable = old.output_scale == new.output_scale
    old_rank, new_rank = _ranks(old), _ranks(new)
    changes = [_effect_change(f, old, new, old_rank, new_rank, comparable) for f in union(old.features, new.features)]
    changes.sort(key=lambda c: (c.new_rank is None, c.new_rank or 0, c.old_rank or 0))
    common = [c.feature for c in changes if c.old_rank is not None and c.new_rank is not None]
    ranking_changed = set(old.features) != set(new.features) or sorted(common, key=old_rank.__getitem__) != common
    top = common[:TOP_FEATURES]
    return EffectsDiff(
        facts=facts,
        comparable=comparable,
        ranking_changed=ranking_changed,
        changes=changes,
        overlays=[_overlay(f, old, new) for f in top] if comparable else [],
        note="" if comparable else (
            f"SHAP values are on different scales ({old.output_scale!r} and {new.output_scale!r}): "
            "their sizes are not compared, only their ranking."
        ),
    )


def _ranks(fx: FeatureEffectsSummary) -> dict[str, int]:
    order = sorted(range(len(fx.features)), key=lambda i: (-fx.mean_abs[i], fx.features[i]))
    return {fx.features[i]: rank + 1 for rank, i in enumerate(order)}


def _effect_change(
    feature: str, old: FeatureEffectsSummary, new: FeatureEffectsSummary,
    old_rank: dict[str, int], new_rank: dict[str, int], comparable: bool,
) -> EffectChange:
    a, b = _entry(old, feature), _entry(new, feature)
    overlap = None
    if comparable and a is not None and b is not None and None not in (a[1], a[2], b[1], b[2]):
        overlap = not (a[2] < b[1] or b[2] < a[1])
    return EffectChange(
        feature=feature, old_rank=old_rank.get(feature), new_rank=new_rank.get(feature),
        old=a[0] if a else None, old_low=a[1] if a else None, old_high=a[2] if a else None,
        new=b[0] if b else None, new_low=b[1] if b else None, new_high=b[2] if b else None,
        overlap=overlap, status=status(a, b),
    )


def _entry(fx: FeatureEffectsSummary, feature: str) -> tuple[float, Any, Any] | None:
    if feature not in fx.features:
        return None
    i = fx.features.index(feature)
    low = fx.mean_abs_ci_low[i] if fx.mean_abs_ci_low else None
    high = fx.mean_abs_ci_high[i] if fx.mean_abs_ci_high else None
    return fx.mean_abs[i], low, high


def _overlay(feature: str, old: FeatureEffectsSummary, new: FeatureEffectsSummary) -> DependenceOverlay:
    xo, so = _column(old, feature)
    xn, sn = _column(new, feature)
    numeric = feature in old.numeric_features and feature in new.numeric_features
    if numeric:
        bins = _numeric_bins(np.asarray(xo, float), so, np.asarray(xn, float), sn)
    else:
        bins = _category_bins([str(v) for v in xo], so, [str(v) for v in xn], sn)
    return DependenceOverlay(feature=feature, categorical=not numeric, bins=bins)


def _column(fx: FeatureEffectsSummary, feature: str) -> tuple[list[Any], np.ndarray]:
    """Values and SHAP values of a feature over the stored rows (rows with a missing value left out)."""
    j = fx.features.index(feature)
    pairs = [(row[j], vals[j]) for row, vals in zip(fx.rows, fx.values, strict=True) if row[j] is not None]
    return [p[0] for p in pairs], np.array([p[1] for p in pairs], dtype=float)


def _numeric_bins(xo: np.ndarray, so: np.ndarray, xn: np.ndarray, sn: np.ndarray) -> list[CurveBin]:
    pooled = np.concatenate([xo, xn])
    pooled = pooled[np.isfinite(pooled)]
    if pooled.size == 0:
        return []
    distinct = np.unique(pooled)
    if distinct.size <= CURVE_BINS:
        return [_bin(_label(v), float(v), so[xo == v], sn[xn == v]) for v in distinct]
    edges = np.unique(np.quantile(pooled, np.linspace(0, 1, CURVE_BINS + 1)))
    io = np.clip(np.searchsorted(edges, xo, side="right") - 1, 0, len(edges) - 2)
    inew = np.clip(np.searchsorted(edges, xn, side="right") - 1, 0, len(edges) - 2)
    out = []
    for k in range(len(edges) - 1):
        closing = "]" if k == len(edges) - 2 else ")"
        label = f"[{_label(edges[k])}, {_label(edges[k + 1])}{closing}"
        out.append(_bin(label, float((edges[k] + edges[k + 1]) / 2), so[io == k], sn[inew == k]))
    return out


def _category_bins(xo: list[str], so: np.ndarray, xn: list[str], sn: np.ndarray) -> list[CurveBin]:
    cats = sorted(set(xo) | set(xn))
    ao, an = np.array(xo, dtype=object), np.array(xn, dtype=object)
    return [_bin(c, float(i), so[ao == c], sn[an == c]) for i, c in enumerate(cats)]


def _bin(label: str, x: float, old: np.ndarray, new: np.ndarray) -> CurveBin:
    return CurveBin(
        label=label, x=x,
        old_mean=float(old.mean()) if old.size else None, old_n=int(old.size),
        new_mean=float(new.mean()) if new.size else None, new_n=int(new.size),
    )


def _label(value: float) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() and math.isfinite(value) else f"{value:.4g}"
