"""FeatureEffects holds plain, read-only numbers; the public API is pinned."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import numpy as np
import pytest

import auditlens.explain
from auditlens.explain import FeatureEffects


def _effects(values, **kw):
    values = np.asarray(values, dtype=float)
    fields = dict(
        explainer="tree", output_scale="probability", positive_class="bad",
        background_size=3, background_seed=0, background_rows=(0, 1, 2),
        background_sha256="0" * 64, feature_names=tuple(f"f{i}" for i in range(values.shape[1])),
        values=values, base_value=0.5, model_output=values.sum(1) + 0.5, additivity_gap=0.0,
    )
    fields.update(kw)
    return FeatureEffects(**fields)


def test_public_api_is_pinned():
    assert auditlens.explain.__all__ == sorted(auditlens.explain.__all__)
    assert auditlens.explain.__all__ == [
        "DEFAULT_TOLERANCE", "FeatureEffects", "FileRows", "bootstrap_mean_abs", "explain_model", "strongest_interaction",
        "tree_interactions",
    ]


def test_import_does_not_load_shap():
    code = "import sys, auditlens.explain; print('shap' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_mean_abs_and_ranking():
    fx = _effects([[1.0, -3.0, 0.0, 2.0], [-1.0, 1.0, 0.0, -2.0]])
    np.testing.assert_array_equal(fx.mean_abs, [1.0, 2.0, 0.0, 2.0])
    assert fx.ranking() == ("f1", "f3", "f0", "f2")  # tie f1/f3 keeps input order


def test_frozen_slotted_read_only():
    source = np.array([[1.0, 2.0]])
    fx = _effects(source)
    assert not hasattr(fx, "__dict__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        fx.base_value = 1.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        fx.values[0, 0] = 9.0
    source[0, 0] = 9.0
    assert fx.values[0, 0] == 1.0  # a copy, not a view
    assert isinstance(fx.base_value, float) and isinstance(fx.background_rows[0], int)


def test_invalid_fields_are_rejected():
    with pytest.raises(ValueError, match="'explainer' must be one of"):
        _effects([[1.0]], explainer="kernel")
    with pytest.raises(ValueError, match="'output_scale' must be one of"):
        _effects([[1.0]], output_scale="logit")
    with pytest.raises(ValueError, match=r"shape \(n_explain, n_features\)"):
        _effects([[1.0, 2.0]], feature_names=("a",))


def test_bootstrap_interval_of_mean_abs_is_seeded_and_brackets_the_mean() -> None:
    import numpy as np

    from auditlens.explain import bootstrap_mean_abs

    rng = np.random.default_rng(0)
    values = rng.normal(size=(300, 4)) * np.array([1.0, 0.5, 0.1, 0.0])
    low, high = bootstrap_mean_abs(values, n_boot=500, seed=3)
    again = bootstrap_mean_abs(values, n_boot=500, seed=3)
    other = bootstrap_mean_abs(values, n_boot=500, seed=4)
    assert np.array_equal(low, again[0]) and np.array_equal(high, again[1])
    assert not np.array_equal(low, other[0])
    mean = np.abs(values).mean(axis=0)
    assert np.all(low <= mean) and np.all(mean <= high)
    assert low[3] == high[3] == 0.0
    # the half-width is about 1.96 standard errors of the mean of |values|
    se = np.abs(values).std(axis=0, ddof=1) / np.sqrt(len(values))
    np.testing.assert_allclose((high - low)[:3] / (2 * 1.96 * se[:3]), 1.0, atol=0.15)
