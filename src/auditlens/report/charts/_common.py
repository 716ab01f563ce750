"""Checking chart inputs, and the small layout rules the chart families share."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from auditlens.formatting import count
from auditlens.report.charts._style import (
    MAX_CATEGORIES,
    MAX_LABEL_CHARS,
    MUTED,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from numpy.typing import ArrayLike


def as_list(values: object) -> list[object]:
    if values is None:
        return []
    if isinstance(values, np.ndarray):
        return list(values.ravel())
    return list(values)  # type: ignore[call-overload]


def floats(values: object, name: str, *, hint: str = "") -> np.ndarray:
    """A 1-D float array; None becomes NaN so missing values are simply skipped."""
    items = as_list(values)
    try:
        return np.array([np.nan if v is None else v for v in items], dtype=float).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"'{name}' must contain numbers{hint}. Got: {exc}.") from None


def matrix(values: ArrayLike, name: str, k: int) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.size == 0:
        return np.zeros((0, k))
    if arr.ndim != 2 or arr.shape[1] != k:
        raise ValueError(
            f"'{name}' must be a 2-D array with {k} columns (one per feature name). "
            f"Got shape {arr.shape} instead."
        )
    return arr


def check_lengths(ref_name: str, ref_len: int, **others: np.ndarray | None) -> None:
    for name, arr in others.items():
        if arr is not None and len(arr) != ref_len:
            raise ValueError(
                f"'{name}' must have the length of '{ref_name}' ({ref_len}). "
                f"Got {len(arr)} instead."
            )


def subsample(n: int, max_points: int, seed: int) -> np.ndarray:
    """Indices of at most ``max_points`` rows, sorted, chosen with ``seed``."""
    if max_points < 1:
        raise ValueError(f"'max_points' must be an int >= 1. Got {max_points} instead.")
    if n <= max_points:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=max_points, replace=False))


def sample_note(drawn: int, total: int, seed: int) -> str:
    """What a subsampled point chart must say about itself ("" when every row is drawn)."""
    if drawn >= total:
        return ""
    return f"{count(drawn)} of {count(total)} rows shown (random sample, seed {seed})"


def note_title(ax: Axes, note: str) -> None:
    if note:
        ax.set_title(note, loc="right", fontsize=6.5, color=MUTED)


def with_note(alt: str, note: str) -> str:
    if not note:
        return alt
    text = alt.rstrip()
    return f"{text}{' ' if text.endswith(('.', '!', '?')) else '. '}{note[0].upper()}{note[1:]}."


def fold_categories(values: np.ndarray) -> tuple[list[str], np.ndarray]:
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


def category_axis(ax: Axes, cats: list[str]) -> None:
    labels = [short(c) for c in cats]
    rotate = len(cats) > 6 or max((len(s) for s in labels), default=0) > 10
    ax.set_xticks(
        np.arange(len(cats)),
        labels,
        rotation=40 if rotate else 0,
        ha="right" if rotate else "center",
        rotation_mode="anchor",
    )
    ax.grid(axis="x", visible=False)


def rotation_extra(cats: Sequence[str]) -> float:
    longest = max((len(short(c)) for c in cats), default=0)
    if len(cats) > 6 or longest > 10:
        return min(0.06 * longest, 1.6)
    return 0.0


def short(text: str, limit: int = MAX_LABEL_CHARS) -> str:
    """Shorten a label to ``limit`` characters with an ellipsis (the alt text keeps it whole)."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def value_span(vals: np.ndarray, errs: np.ndarray | None) -> tuple[float, float]:
    finite = np.isfinite(vals)
    err = np.zeros_like(vals) if errs is None else np.where(np.isfinite(errs), np.abs(errs), 0)
    lo = min(0.0, float(np.min((vals - err)[finite])))
    hi = max(0.0, float(np.max((vals + err)[finite])))
    if hi - lo <= 0:
        hi = lo + 1.0
    return lo, hi


def bar_height(n: int, per_row: float = 0.26) -> float:
    return 0.75 + per_row * max(n, 1)


def thin_curve(x: np.ndarray, y: np.ndarray, limit: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """Keep at most ~``limit`` points of a long curve, always keeping both ends.

    ROC curves can have one point per sample; beyond a few thousand the extra points are
    invisible at print size but still cost bytes.
    """
    if x.size <= limit:
        return x, y
    idx = np.unique(np.r_[np.linspace(0, x.size - 1, limit).round().astype(int), x.size - 1])
    return x[idx], y[idx]

