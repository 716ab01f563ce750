"""Optuna's own importance-evaluator contract suites, subclassed unmodified."""

from __future__ import annotations

from collections.abc import Callable

import optuna
import pytest
from optuna.importance import BaseImportanceEvaluator, get_param_importances
from optuna.testing.pytest_importance import (
    BasicImportanceEvaluatorTestCase,
    MultiObjectiveImportanceEvaluatorTestCase,
    NonConditionalImportanceEvaluatorTestCase,
)

from auditlens.optuna import FanovaImportanceEvaluator


class _Evaluator:
    @pytest.fixture
    def evaluator(self) -> Callable[..., BaseImportanceEvaluator]:
        return FanovaImportanceEvaluator


class TestBasic(_Evaluator, BasicImportanceEvaluatorTestCase):
    pass


class TestNonConditional(_Evaluator, NonConditionalImportanceEvaluatorTestCase):
    pass


class TestMultiObjective(_Evaluator, MultiObjectiveImportanceEvaluatorTestCase):
    pass


def test_ranks_a_live_study_like_the_engine() -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))

    def objective(trial: optuna.Trial) -> float:
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        depth = trial.suggest_int("depth", 1, 8)
        kind = trial.suggest_categorical("kind", ["a", "b"])
        return -((lr * 1e3 - 10) ** 2) / 100 + 0.1 * depth + (0.01 if kind == "a" else 0.0)

    study.optimize(objective, n_trials=120)
    importances = get_param_importances(study, evaluator=FanovaImportanceEvaluator(), normalize=False)
    assert next(iter(importances)) == "lr" and importances["lr"] > 0.5
    again = get_param_importances(study, evaluator=FanovaImportanceEvaluator(), normalize=False)
    assert again == importances  # seeded: the same study gives the same numbers
