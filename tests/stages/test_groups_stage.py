"""The groups stage alone: per-group metrics against a hand count, SHAP per group."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from auditlens.spec import ExplainSection, GroupsSection
from auditlens.stages.effects import effects_summary
from auditlens.stages.groups import groups_summary
from auditlens.stages.review import ReviewSummary


@pytest.fixture(scope="module")
def effects(sampled_ctx):
    return effects_summary(sampled_ctx, ExplainSection(bootstrap=0, interaction_rows=0), ReviewSummary((), ""))


def test_metrics_match_a_hand_count_and_shap_uses_the_explained_rows(sampled_ctx, effects) -> None:
    settings = GroupsSection(bins={"age_in_years": (30.0,)}, bootstrap=0, top_features=3,
                             intersections=(("personal_status_and_sex", "age_in_years"),))
    groups = groups_summary(sampled_ctx, settings, effects)
    assert [a.attribute for a in groups.attributes] == [
        "personal_status_and_sex", "age_in_years", "personal_status_and_sex × age_in_years"]
    age = groups.attributes[1]
    assert [g.group for g in age.groups] == ["< 30", ">= 30"]
    ages = sampled_ctx.dataset.frame.loc[sampled_ctx.dataset.X_test.index, "age_in_years"].to_numpy()
    correct = (sampled_ctx.test_prob >= 0.5) == (sampled_ctx.dataset.y_test == 1)
    values = sampled_ctx.shap_values
    cols = [effects.features.index(f) for f in age.shap_features]
    for g, mask in zip(age.groups, (ages < 30, ages >= 30)):
        assert g.n == mask.sum()
        assert g.metrics["accuracy"] == pytest.approx(correct[mask].mean(), abs=1e-12)
        in_sample = mask[sampled_ctx.explained]
        assert g.n_explained == in_sample.sum()
        np.testing.assert_allclose(g.mean_abs_shap, np.abs(values[in_sample][:, cols]).mean(axis=0), rtol=1e-12)
    # the attribute itself is shown when the model uses it, beside the strongest three
    assert len(age.shap_features) in (3, 4) and "age_in_years" in age.shap_features
    assert sum(g.n for g in groups.attributes[2].groups) == 90
    assert groups.attributes[2].members == ["personal_status_and_sex", "age_in_years"]


def test_no_protected_attributes_no_groups(sampled_ctx, effects) -> None:
    assert groups_summary(dataclasses.replace(sampled_ctx, protected=()), GroupsSection(), effects) is None
