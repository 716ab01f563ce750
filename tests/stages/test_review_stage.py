"""The review stage alone: selection, reuse of the context's SHAP values, rows outside it."""

from __future__ import annotations

import numpy as np
import pytest

from auditlens.errors import DataError
from auditlens.explain import explain_model
from auditlens.spec import ReviewSection
from auditlens.stages.review import review_decisions


def test_highest_risk_takes_the_top_probabilities_and_reuses_shap(ctx) -> None:
    review = review_decisions(ctx, ReviewSection(), default_limit=4)
    assert len(review.decisions) == 4
    top = np.sort(ctx.test_prob)[::-1][:4]
    assert [d.probability for d in review.decisions] == top.tolist()
    assert review.selection == (
        "test rows (90 of 90), highest predicted probability of the positive class first, at most 4"
    )
    position = {row_id: i for i, row_id in enumerate(ctx.dataset.X_test.index)}
    for d in review.decisions:
        i = position[int(d.row_id)]
        # the very numbers of the context (every test row is explained here), not a recomputation
        assert d.shap_values == ctx.shap_values[i].tolist()
        assert d.model_output == ctx.shap.model_output[i]
        assert d.split == "test" and d.predicted == ("bad" if d.probability >= 0.5 else "good")
        shown = sum(c.shap for c in d.contributions)
        assert shown + d.rest + d.base_value == pytest.approx(d.model_output, abs=1e-6)
        assert len(d.contributions) == 6


def test_rows_outside_the_explained_sample_are_explained_alike(sampled_ctx) -> None:
    # train rows and test rows, some explained in the context and some not
    X_test = sampled_ctx.dataset.X_test
    inside = int(X_test.index[sampled_ctx.explained[0]])
    outside = int(next(r for i, r in enumerate(X_test.index) if i not in set(sampled_ctx.explained.tolist())))
    train = int(sampled_ctx.dataset.X_train.index[0])
    review = review_decisions(sampled_ctx, ReviewSection(rows=(train, inside, outside), top_features=3), default_limit=5)
    assert [d.row_id for d in review.decisions] == [str(train), str(inside), str(outside)]
    assert [d.split for d in review.decisions] == ["train", "test", "test"]
    assert review.decisions[1].shap_values == sampled_ctx.shap_values[0].tolist()
    alone = explain_model(
        sampled_ctx.model, sampled_ctx.dataset.X_train, sampled_ctx.dataset.frame.loc[[train, outside], list(X_test.columns)],
        positive_class=1, seed=sampled_ctx.shap_seed, max_background=sampled_ctx.shap_background,
    )
    np.testing.assert_allclose([review.decisions[0].shap_values, review.decisions[2].shap_values], alone.values, atol=1e-12)
    for d in review.decisions:
        assert sum(d.shap_values) + d.base_value == pytest.approx(d.model_output, abs=1e-6)
        assert d.inputs["age_in_years"] == int(sampled_ctx.dataset.frame.loc[int(d.row_id), "age_in_years"])


def test_filter_narrows_and_an_empty_selection_is_one_line(ctx) -> None:
    review = review_decisions(ctx, ReviewSection(filter="age_in_years < 30", strategy="most_uncertain"), default_limit=50)
    young = (ctx.dataset.frame.loc[ctx.dataset.X_test.index, "age_in_years"] < 30).sum()
    assert len(review.decisions) == young and review.selection.startswith(f"test rows where age_in_years < 30 ({young} of 90)")
    distance = [abs(d.probability - 0.5) for d in review.decisions]
    assert distance == sorted(distance)
    with pytest.raises(DataError, match=r"^review\.filter: selects no rows of the test split \(90 rows\)"):
        review_decisions(ctx, ReviewSection(filter="age_in_years < 0"), default_limit=5)
