"""Importance and tuning-run checks: triggered on purpose-built evidence, silent otherwise."""

from __future__ import annotations

from pydantic import create_model
from check_helpers import fired, tweak

from auditlens.checks.importance import NULL_FLAG
from auditlens.results import AuditResult, EffectEntry


def test_poor_surrogate(base: AuditResult) -> None:
    assert fired(tweak(base, "importance", surrogate_r2=0.8), "importance.poor_surrogate") == []
    (f,) = fired(tweak(base, "importance", surrogate_r2=0.2), "importance.poor_surrogate")
    assert f.severity == "medium" and "inconclusive" in f.sentence and f.section == "hyperparameter-importance"
    assert fired(tweak(base, "importance", surrogate_r2=None), "importance.poor_surrogate")


def test_not_above_chance_keys_on_the_null_flag_and_is_silent_without_it(base: AuditResult) -> None:
    # Results without the permutation null's flag (schema 1.0, or before issue 13): silent.
    if NULL_FLAG not in EffectEntry.model_fields:
        assert fired(base, "importance.not_above_chance") == []
    flagged = create_model("Flagged", __base__=EffectEntry, **{NULL_FLAG: (bool | None, None)})
    entries = [
        flagged(params=["a"], importance=0.4, std=0.1, **{NULL_FLAG: True}),
        flagged(params=["b"], importance=0.3, std=0.2, **{NULL_FLAG: False}),
        flagged(params=["c"], importance=0.01, std=0.01, **{NULL_FLAG: False}),  # too small to report
    ]
    (f,) = fired(tweak(base, "importance", main_effects=entries), "importance.not_above_chance")
    assert f.measured["parameters"] == "b"
    entries[1] = flagged(params=["b"], importance=0.3, std=0.2, **{NULL_FLAG: True})
    assert fired(tweak(base, "importance", main_effects=entries), "importance.not_above_chance") == []


def _numeric(base: AuditResult) -> str:
    return next(p.name for p in base.tuning.space if p.kind == "float" and p.log)


def test_best_at_bound(base: AuditResult) -> None:
    name = _numeric(base)
    param = next(p for p in base.tuning.space if p.name == name)
    effects = [EffectEntry(params=[name], importance=0.5, std=0.1)]
    at_low = tweak(tweak(base, "tuning", best_params={**base.tuning.best_params, name: param.low}),
                   "importance", main_effects=effects)
    (f,) = fired(at_low, "importance.best_at_bound")
    assert f.subject == name and f.measured["position"] == 0.0 and "lower" in f.sentence
    middle = (param.low * param.high) ** 0.5  # the middle of a log-scaled range
    assert fired(tweak(at_low, "tuning", best_params={**base.tuning.best_params, name: middle}), "importance.best_at_bound") == []
    unimportant = tweak(at_low, "importance", main_effects=[EffectEntry(params=[name], importance=0.02, std=0.01)])
    assert fired(unimportant, "importance.best_at_bound") == []


def test_few_trials(base: AuditResult) -> None:
    d = len(base.tuning.space)
    (f,) = fired(tweak(base, "tuning", n_complete=5 * d), "importance.few_trials")
    assert f.measured["per_hyperparameter"] == 5.0
    assert fired(tweak(base, "tuning", n_complete=10 * d), "importance.few_trials") == []


def test_failed_trials(base: AuditResult) -> None:
    assert fired(base, "importance.failed_trials") == []
    failed = tweak(base, "tuning", n_trials=40, n_complete=25, state_counts={"COMPLETE": 25, "FAIL": 5, "PRUNED": 10})
    (f,) = fired(failed, "importance.failed_trials")
    assert f.measured["share"] == 15 / 40 and "5 fail, 10 pruned" in f.sentence


def test_late_best(base: AuditResult) -> None:
    numbers = [t.number for t in base.tuning.trials]
    assert fired(tweak(base, "tuning", best_number=numbers[0]), "importance.late_best") == []
    (f,) = fired(tweak(base, "tuning", best_number=numbers[-1]), "importance.late_best")
    assert f.measured["position"] == len(numbers)
