"""Ishigami: the forest-mean estimator recovers the analytic Sobol indices.

The estimator is exact for the forest it is given, so what is tested here is the surrogate
plus the estimator. Measured over data seeds 0-9 at N=1,500 (benchmarks/fanova_accuracy.py):
with 2 of the 3 parameters per split (``max_features=0.67``) every index is within 0.046 of
the truth; with every parameter per split (``max_features=1.0``, the default) the forest
flattens the 7 sin^2(x2) term and S2 falls to 0.37-0.42, outside 0.05 for seeds 1, 2, 3, 6.
"""

from __future__ import annotations

import pytest

from auditlens.fanova import decompose

TOL = 0.05


def _errors(res, truth):  # type: ignore[no-untyped-def]
    return {
        key: (res.importance(*((key,) if isinstance(key, str) else key)).importance, value)
        for key, value in truth.items()
    }


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_forest_mean_recovers_ishigami_sobol_indices(seed, ishigami_data, ishigami_truth) -> None:  # type: ignore[no-untyped-def]
    X, y, names = ishigami_data(1500, seed=seed)
    res = decompose(X, y, names=names, seed=seed, max_features=0.67)
    got = _errors(res, ishigami_truth)
    bad = {k: v for k, v in got.items() if abs(v[0] - v[1]) > TOL}
    assert not bad, f"(measured, truth) outside {TOL}: {bad}"
    assert res.oob_r2 > 0.9


@pytest.mark.xfail(
    strict=True,
    reason="with max_features=1.0 the forest itself underestimates S2 (0.378 at seeds 1 and 2; "
    "truth 0.442); the engine matches brute force on that forest, so this is the surrogate",
)
def test_default_surrogate_recovers_ishigami_on_every_seed(ishigami_data, ishigami_truth) -> None:  # type: ignore[no-untyped-def]
    worst = 0.0
    for seed in (0, 1, 2):
        X, y, names = ishigami_data(1500, seed=seed)
        res = decompose(X, y, names=names, seed=seed, pairs=True)
        worst = max(worst, *(abs(a - b) for a, b in _errors(res, ishigami_truth).values()))
    assert worst <= TOL
