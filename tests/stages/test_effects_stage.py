"""The effects stage alone: summary numbers from the context's SHAP values."""

from __future__ import annotations

import numpy as np

from auditlens.spec import ExplainSection
from auditlens.stages.context import build_context
from auditlens.stages.effects import effects_summary, stored_positions
from auditlens.stages.review import ReviewSummary

NO_REVIEW = ReviewSummary(decisions=(), selection="none")


def test_summary_is_the_contexts_values(ctx) -> None:
    fx = effects_summary(ctx, ExplainSection(bootstrap=200, dependence_plots=2, interaction_rows=20), NO_REVIEW)
    assert fx.n_explained == 90 and fx.explainer == "tree" and fx.output_scale == "log-odds"
    np.testing.assert_array_equal(fx.mean_abs, np.abs(ctx.shap_values).mean(axis=0))
    assert fx.values == ctx.shap_values.tolist() and fx.stored_positions == []
    strongest = np.argsort(-np.asarray(fx.mean_abs), kind="stable")[:2]
    assert [d.feature for d in fx.dependence] == [fx.features[i] for i in strongest]
    assert all(lo <= m <= hi for lo, m, hi in zip(fx.mean_abs_ci_low, fx.mean_abs, fx.mean_abs_ci_high))
    assert "200 resamples" in fx.mean_abs_ci_method
    assert 0 < len(fx.interaction_pairs) <= 5 and "first 20 explained rows" in fx.interaction_note
    assert fx.decisions == [] and fx.review_selection == "none"
    assert fx.rows[0][fx.features.index("age_in_years")] == int(ctx.X_explained["age_in_years"].iloc[0])


def test_stored_rows_are_a_seeded_sample_when_many() -> None:
    chosen, note = stored_positions(500, limit=100, seed=1)
    assert len(chosen) == 100 and chosen.tolist() == sorted(set(chosen.tolist()))
    assert "stored for 100 of the 500 explained rows" in note
    assert stored_positions(50, limit=100, seed=1)[0].tolist() == list(range(50))


def test_no_interactions_for_a_linear_model(credit_file) -> None:
    from conftest import make_subject

    linear = build_context(make_subject(credit_file, "logistic_regression"), ExplainSection(background_size=20))
    fx = effects_summary(linear, ExplainSection(bootstrap=0), NO_REVIEW)
    assert fx.explainer == "linear" and fx.interaction_pairs == []
    assert fx.interaction_note.startswith("Not computed: SHAP interaction values need a tree model")
    assert fx.mean_abs_ci_low == [] and fx.mean_abs_ci_method == ""
