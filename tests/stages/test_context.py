"""The context: probabilities, explained rows and SHAP values, computed once and consistent."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from auditlens.stages.context import explained_positions


def test_probabilities_are_the_models_for_each_test_row(ctx, subject) -> None:
    expected = subject.model.predict_proba(subject.dataset.X_test)[:, 1]
    assert np.array_equal(ctx.test_prob, expected)
    assert len(ctx.test_prob) == len(subject.dataset.X_test) == 90


def test_every_row_is_explained_when_few_and_values_add_up(ctx) -> None:
    assert ctx.explained.tolist() == list(range(90))
    assert ctx.shap_values.shape == (90, len(ctx.dataset.X_test.columns))
    output = ctx.shap_values.sum(axis=1) + ctx.shap.base_value
    np.testing.assert_allclose(output, ctx.shap.model_output, rtol=0, atol=1e-6)
    # log-odds of the context's own probabilities: the SHAP rows are the test rows, in order
    np.testing.assert_allclose(ctx.shap.model_output, np.log(ctx.test_prob / (1 - ctx.test_prob)), atol=1e-9)


def test_a_sample_of_rows_is_drawn_once_seeded_and_sorted(sampled_ctx) -> None:
    positions = sampled_ctx.explained
    assert len(positions) == 20 and len(set(positions.tolist())) == 20
    assert positions.tolist() == sorted(positions.tolist())
    assert positions.tolist() == explained_positions(90, max_rows=20, seed=3).tolist()
    assert positions.tolist() != explained_positions(90, max_rows=20, seed=4).tolist()
    assert sampled_ctx.X_explained.index.tolist() == sampled_ctx.dataset.X_test.index[positions].tolist()
    p = sampled_ctx.test_prob[positions]
    np.testing.assert_allclose(sampled_ctx.shap.model_output, np.log(p / (1 - p)), atol=1e-9)


def test_context_is_frozen(ctx) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.explained = np.arange(3)  # type: ignore[misc]
    assert not hasattr(ctx, "__dict__")  # slots
