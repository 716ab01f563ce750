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


def test_a_fit_to_noise_stops_after_the_first_block_and_a_signal_grows_on() -> None:
    rng = np.random.default_rng(8)
    X = rng.random((200, 6))
    settings = {**BOOSTING_DEFAULTS, "seed": 0}
    noise = _fit_boosting(X, rng.normal(size=200), settings, n_jobs=1)
    assert noise.n_stages <= _FIRST_BLOCK - _PATIENCE
    assert all(m.n_iter_ == _FIRST_BLOCK for m in noise.models[:-1])
    signal = _fit_boosting(X, np.sin(6 * X[:, 0]) + X[:, 1] * X[:, 2], settings, n_jobs=1)
    assert signal.n_stages > _FIRST_BLOCK and signal.cv_r2 > 0.9
    # the same choice as fitting every refit to the cap at once
    full = [_model(settings, 150).fit(X[train], (np.sin(6 * X[:, 0]) + X[:, 1] * X[:, 2])[train]) for train, _ in signal.folds]
    yy = np.sin(6 * X[:, 0]) + X[:, 1] * X[:, 2]
    sse = np.zeros(150)
    for model, (_, held_out) in zip(full, signal.folds, strict=True):
        for i, pred in enumerate(model.staged_predict(X[held_out])):
            sse[i] += float(np.sum((yy[held_out] - pred) ** 2))
    assert signal.n_stages == int(np.argmin(sse)) + 1
