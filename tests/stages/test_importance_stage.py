"""The importance stage alone, on a real trial table whose answer is known."""

from __future__ import annotations

import dataclasses

import numpy as np
from conftest import make_trials

from auditlens.spec import ImportanceSection
from auditlens.stages.importance import importance_summary


def test_the_one_parameter_that_matters_is_found() -> None:
    summary = importance_summary(make_trials(), ImportanceSection(surrogate="random_forest", n_trees=16, top_pairs=0))
    main = {e.params[0]: e.importance for e in summary.main_effects}
    assert main["lr"] > 0.9 and main["kind"] < 0.05
    assert summary.pairwise == [] and summary.pairs_total == 1
    lr = next(m for m in summary.marginals if m.param == "lr")
    # the marginal peaks near lr = 0.3, on lr's own scale
    assert abs(lr.x[int(np.argmax(lr.mean))] - 0.3) < 0.15
    kind = next(m for m in summary.marginals if m.param == "kind")
    assert kind.labels == ["a", "b"] and kind.x == [0, 1]
    assert summary.warnings == [] and summary.n_trials_used == 40


def test_noise_and_constant_parameters_are_warned_about() -> None:
    trials = make_trials()
    noise = np.random.default_rng(1).normal(size=len(trials))
    constant = dataclasses.replace(
        trials, values=noise, params={**trials.params, "kind": ("a",) * len(trials)},
    )
    summary = importance_summary(constant, ImportanceSection())
    assert summary.excluded_params == ["kind"]
    assert any(w.startswith("The gradient-boosted trees surrogate explains the trials poorly") for w in summary.warnings)
    assert any(w.startswith("Constant in every completed trial") and "kind." in w for w in summary.warnings)
