"""The boosted surrogate's refits grow in blocks of stages: same trees as one fit, and a fit to
noise stops after the first block (what keeps the permutation null affordable)."""

from __future__ import annotations

import numpy as np
import pytest

from auditlens.fanova._boosting import (
    _FIRST_BLOCK,
    _PATIENCE,
    BOOSTING_DEFAULTS,
    _fit_boosting,
    _model,
    _stage_blocks,
    _with_stages,
)


def test_blocks_end_at_the_stage_cap() -> None:
    assert _stage_blocks(150) == [40, 80, 150]
    assert _stage_blocks(40) == [40] and _stage_blocks(7) == [7] and _stage_blocks(320) == [40, 80, 160, 320]


@pytest.mark.parametrize("subsample", [1.0, 0.7])  # histogram boosting; stochastic classic boosting
def test_a_model_grown_in_blocks_has_the_trees_of_one_fit(subsample: float) -> None:
    rng = np.random.default_rng(3)
    X, y = rng.random((90, 5)), rng.normal(size=90)
    settings = {**BOOSTING_DEFAULTS, "subsample": subsample, "seed": 4}
    once = _model(settings, 150).fit(X, y)
    grown = _model(settings, 0, warm_start=True)
    for stages in _stage_blocks(150):
        _with_stages(grown, stages).fit(X, y)
    Z = rng.random((500, 5))
    for a, b in zip(once.staged_predict(Z), grown.staged_predict(Z), strict=True):
        assert np.array_equal(a, b)


def _cv_sse(X: np.ndarray, y: np.ndarray, folds: list, settings: dict, stages: int) -> np.ndarray:
    """Out-of-fold squared error of every stage count, each refit fitted to ``stages`` at once."""
    sse = np.zeros(stages)
    for train, held_out in folds:
        model = _model(settings, stages).fit(X[train], y[train])
        for i, pred in enumerate(model.staged_predict(X[held_out])):
            sse[i] += float(np.sum((y[held_out] - pred) ** 2))
    return sse


def test_a_fit_to_noise_stops_after_the_first_block() -> None:
    rng = np.random.default_rng(8)
    X = rng.random((200, 6))
    noise = _fit_boosting(X, rng.normal(size=200), {**BOOSTING_DEFAULTS, "seed": 0}, n_jobs=1)
    assert noise.n_stages <= _FIRST_BLOCK - _PATIENCE
    assert all(m.n_iter_ == _FIRST_BLOCK for m in noise.models[:-1])


def test_growth_stops_30_stages_past_the_best_count_and_keeps_the_best_of_what_grew() -> None:
    # Early stopping with patience: the count is the best of the stages grown, which is the
    # best over all 150 unless the error dips again more than 30 stages later.
    settings = {**BOOSTING_DEFAULTS, "seed": 0}
    rng = np.random.default_rng(0)
    X = rng.random((200, 6))
    y = 4 * np.sin(4 * X[:, 0]) + 2 * X[:, 1] + rng.normal(size=200)
    fit = _fit_boosting(X, y, settings, n_jobs=1)
    assert all(m.n_iter_ == 80 for m in fit.models[:-1])  # 40 was too close to the best, 80 was not
    sse = _cv_sse(X, y, fit.folds, settings, 150)
    assert fit.n_stages == int(np.argmin(sse[:80])) + 1 <= 80 - _PATIENCE
    assert fit.cv_r2 == pytest.approx(1 - sse[fit.n_stages - 1] / float(np.sum((y - y.mean()) ** 2)))
    smooth = np.sin(6 * X[:, 0]) + X[:, 1] * X[:, 2]  # noise-free: keeps improving, grows to the cap
    grown = _fit_boosting(X, smooth, settings, n_jobs=1)
    assert all(m.n_iter_ == 150 for m in grown.models[:-1])
    assert grown.n_stages == int(np.argmin(_cv_sse(X, smooth, grown.folds, settings, 150))) + 1
