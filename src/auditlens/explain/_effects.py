"""FeatureEffects: SHAP values of one model, as plain numbers grouped by original column."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["EXPLAINERS", "OUTPUT_SCALES", "FeatureEffects", "bootstrap_mean_abs"]

EXPLAINERS = ("tree", "linear", "permutation")
# log-odds (binary), margin (a multiclass model's softmax input for one class), probability,
# raw (a regressor's prediction, in the target's units).
OUTPUT_SCALES = ("log-odds", "probability", "margin", "raw")


def _frozen_array(value: object, *, name: str, ndim: int) -> np.ndarray:
    arr = np.array(value, dtype=np.float64, copy=True)
    if arr.ndim != ndim:
        raise ValueError(f"'{name}' must be a {ndim}-d array. Got shape {arr.shape} instead.")
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, slots=True, eq=False)
class FeatureEffects:
    """SHAP feature effects of one output of a classifier (one class) or a regressor, per original input column.

    The values add up: ``values[i].sum() + base_value == model_output[i]`` up to
    ``additivity_gap``, on ``output_scale`` and for ``positive_class``. ``base_value`` is the
    mean model output over the background rows. Arrays are read-only copies.

    Attributes:
        explainer: ``"tree"``, ``"linear"`` or ``"permutation"``.
        output_scale: ``"log-odds"`` or ``"probability"``: what the values add up to.
        positive_class: the class label the values explain.
        background_size: number of background rows used.
        background_seed: seed of the ``numpy.random.Generator`` that drew them.
        background_rows: their positions (0-based, ``iloc``) in the background frame given.
        background_sha256: SHA-256 of the background rows as UTF-8 CSV (original columns,
            no index, ``\\n`` line ends).
        feature_names: original column names, in the pipeline's input order.
        values: ``(n_explain, n_features)`` SHAP values; one-hot columns of a source column
            are summed into it.
        base_value: mean model output over the background rows.
        model_output: ``(n_explain,)`` the pipeline's output for ``positive_class``.
        additivity_gap: ``max |values.sum(1) + base_value - model_output|``.
        mean_abs: ``(n_features,)`` mean absolute SHAP value per feature.

    Example:
        >>> import numpy as np
        >>> fx = FeatureEffects(
        ...     explainer="linear", output_scale="log-odds", positive_class="bad",
        ...     background_size=2, background_seed=0, background_rows=(0, 1),
        ...     background_sha256="0" * 64, feature_names=("age", "amount"),
        ...     values=np.array([[0.5, -1.0]]), base_value=0.1,
        ...     model_output=np.array([-0.4]), additivity_gap=0.0)
        >>> fx.ranking()
        ('amount', 'age')
    """

    explainer: str
    output_scale: str
    positive_class: object
    background_size: int
    background_seed: int
    background_rows: tuple[int, ...]
    background_sha256: str
    feature_names: tuple[str, ...]
    values: np.ndarray
    base_value: float
    model_output: np.ndarray
    additivity_gap: float
    mean_abs: np.ndarray = None  # type: ignore[assignment]  # derived from values

    def __post_init__(self) -> None:
        if self.explainer not in EXPLAINERS:
            raise ValueError(f"'explainer' must be one of {EXPLAINERS}. Got {self.explainer!r}.")
        if self.output_scale not in OUTPUT_SCALES:
            raise ValueError(
                f"'output_scale' must be one of {OUTPUT_SCALES}. Got {self.output_scale!r}."
            )
        names = tuple(str(n) for n in self.feature_names)
        values = _frozen_array(self.values, name="values", ndim=2)
        output = _frozen_array(self.model_output, name="model_output", ndim=1)
        if values.shape != (output.shape[0], len(names)):
            raise ValueError(
                f"'values' must have shape (n_explain, n_features) = ({output.shape[0]}, "
                f"{len(names)}). Got {values.shape} instead."
            )
        mean_abs = np.abs(values).mean(axis=0) if values.shape[0] else np.zeros(len(names))
        if self.mean_abs is not None and not np.allclose(self.mean_abs, mean_abs):
            raise ValueError("'mean_abs' must equal mean |values| per feature.")
        mean_abs.setflags(write=False)
        set_ = object.__setattr__
        set_(self, "feature_names", names)
        set_(self, "background_rows", tuple(int(i) for i in self.background_rows))
        set_(self, "background_size", int(self.background_size))
        set_(self, "background_seed", int(self.background_seed))
        set_(self, "values", values)
        set_(self, "model_output", output)
        set_(self, "base_value", float(self.base_value))
        set_(self, "additivity_gap", float(self.additivity_gap))
        set_(self, "mean_abs", mean_abs)

    def ranking(self) -> tuple[str, ...]:
        """Feature names by mean |SHAP|, largest first; ties keep input order.

        Returns:
            The names of ``feature_names`` sorted by ``mean_abs`` descending.
        """
        order = np.argsort(-self.mean_abs, kind="stable")
        return tuple(self.feature_names[i] for i in order)


def bootstrap_mean_abs(
    values: np.ndarray, *, n_boot: int = 1000, seed: int = 0, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval of mean |SHAP| per feature, resampling rows.

    Each resample draws ``n`` rows with replacement (as multinomial counts from
    ``numpy.random.default_rng(seed)``, so memory is ``n_boot × n`` counts, not copies of the
    values); the interval is the ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles.

    Args:
        values: ``(n_rows, n_features)`` SHAP values.
        n_boot: number of resamples (>= 1).
        seed: seeds the resampling; the same seed gives the same interval.
        level: coverage of the interval.

    Returns:
        ``(low, high)``, each of shape ``(n_features,)``.

    Example:
        >>> v = np.array([[1.0, 0.0], [3.0, 0.0], [2.0, 0.0]])
        >>> low, high = bootstrap_mean_abs(v, n_boot=200, seed=0)
        >>> bool(1.0 <= low[0] <= 2.0 <= high[0] <= 3.0), float(high[1])
        (True, 0.0)
    """
    A = np.abs(np.asarray(values, dtype=np.float64))
    n, k = A.shape
    if n_boot < 1:
        raise ValueError(f"'n_boot' must be an int >= 1. Got {n_boot} instead.")
    if n == 0:
        return np.full(k, np.nan), np.full(k, np.nan)
    rng = np.random.default_rng(seed)
    means = np.empty((n_boot, k))
    step = max(1, 4_000_000 // max(n, 1))  # bound the counts matrix to ~32 MB
    for start in range(0, n_boot, step):
        size = min(step, n_boot - start)
        counts = rng.multinomial(n, np.full(n, 1.0 / n), size=size)
        means[start : start + size] = counts @ A / n
    tail = (1.0 - level) / 2
    low, high = np.quantile(means, [tail, 1.0 - tail], axis=0)
    return low, high
