"""Cutoffs: importance inside the good region (fanova's ``cutoffs``), on a hand-computable case.

y = 10 * [x0 > 0.5] + x1 on [0, 1]^3, minimised. Without a cutoff x0 explains ~99.7 %.
Clipped to y <= 1 the function is g = x1 where x0 <= 0.5 and 1 elsewhere, so
E[g] = 3/4, Var g = 5/48, Var g_0 = 1/16, Var g_1 = 1/48 and the (x0, x1) interaction 1/48:
shares 0.6, 0.2 and 0.2 exactly.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from auditlens.fanova import decompose


@pytest.fixture(scope="module")
def step_data() -> tuple[np.ndarray, np.ndarray]:
    X = np.random.default_rng(0).random((1500, 3))
    return X, 10.0 * (X[:, 0] > 0.5) + X[:, 1]


@pytest.mark.parametrize("surrogate", ["gradient_boosting", "random_forest"])
def test_cutoff_recovers_the_clipped_function(step_data, surrogate: str) -> None:  # type: ignore[no-untyped-def]
    X, y = step_data
    kw = {"n_trees": 32} if surrogate == "random_forest" else {"n_stages": 100}
    plain = decompose(X, y, names=["a", "b", "c"], surrogate=surrogate, **kw)
    assert plain.importance("a").importance > 0.99
    assert "cutoff" not in plain.settings
    cut = decompose(X, y, names=["a", "b", "c"], surrogate=surrogate, cutoff=(-math.inf, 1.0), **kw)
    assert cut.importance("a").importance == pytest.approx(0.6, abs=0.02)
    assert cut.importance("b").importance == pytest.approx(0.2, abs=0.02)
    assert cut.importance("a", "b").importance == pytest.approx(0.2, abs=0.02)
    assert cut.importance("c").importance < 0.005
    assert cut.settings["cutoff"] == (-math.inf, 1.0)
    assert "clipped" in str(cut.settings["cutoff_method"])
    # The marginal of the clipped model never leaves the cutoff.
    assert cut.marginals["b"].mean.max() <= 1.0 + 1e-9


def test_cutoff_is_validated(step_data) -> None:  # type: ignore[no-untyped-def]
    X, y = step_data
    for bad in [(1.0, 1.0), (2.0, 1.0), (math.nan, 1.0), "ab", 3.0]:
        with pytest.raises(ValueError, match="'cutoff' must be"):
            decompose(X, y, names=["a", "b", "c"], cutoff=bad)  # type: ignore[arg-type]
