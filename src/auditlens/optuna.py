"""auditlens's fANOVA engine inside Optuna: an importance evaluator for live studies.

``optuna.importance.get_param_importances``, ``optuna.visualization.plot_param_importances``
and optuna-dashboard accept any ``BaseImportanceEvaluator``; this one computes the main
effects with :func:`auditlens.fanova.decompose` (gradient-boosting surrogate by default,
seeded, so the same study gives the same numbers), each parameter encoded on the scale its
distribution declares. A multi-objective study without a ``target`` gets the mean over its
objectives of each objective's main effects (shares of that objective's surrogate variance). It passes Optuna's own evaluator contract suites
(``optuna.testing.pytest_importance``; tests/test_optuna_evaluator.py).

Example:
    >>> import optuna
    >>> from auditlens.optuna import FanovaImportanceEvaluator
    >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
    >>> study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    >>> study.optimize(lambda t: 10 * t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1),
    ...                n_trials=60)
    >>> importances = optuna.importance.get_param_importances(
    ...     study, evaluator=FanovaImportanceEvaluator())
    >>> list(importances)
    ['x', 'y']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from optuna.importance import BaseImportanceEvaluator
from optuna.importance._base import (
    _get_distributions,
    _get_filtered_trials,
    _get_target_values,
    _sort_dict_by_importance,
)

from auditlens.errors import AnalysisError
from auditlens.fanova import decompose
from auditlens.space import CategoricalParam
from auditlens.trials.optuna_study import _param_from_distribution

if TYPE_CHECKING:
    from optuna.study import Study
    from optuna.trial import FrozenTrial

__all__ = ["FanovaImportanceEvaluator"]

# Below this many trials a boosted model with at least one trial per leaf can stay constant;
# the random forest (one trial per leaf, bootstrap) still splits.
_FEW_TRIALS = 20


class FanovaImportanceEvaluator(BaseImportanceEvaluator):
    """fANOVA main effects of a study's parameters, from auditlens's exact engine.

    Args:
        seed: Seeds the surrogate (default 0: results do not vary from call to call).
        surrogate: ``"gradient_boosting"`` (default) or ``"random_forest"``; below 20
            trials the random forest is used either way.
    """

    def __init__(self, *, seed: int = 0, surrogate: str = "gradient_boosting") -> None:
        if surrogate not in ("gradient_boosting", "random_forest"):
            raise ValueError(
                "'surrogate' must be 'gradient_boosting' or 'random_forest'. "
                f"Got {surrogate!r} instead."
            )
        self._seed = seed
        self._surrogate = surrogate

    def evaluate(
        self,
        study: Study,
        params: list[str] | None = None,
        *,
        target: Callable[[FrozenTrial], float] | None = None,
    ) -> dict[str, float]:
        if target is None and study._is_multi_objective():
            per_objective = [
                self.evaluate(study, params, target=lambda t, i=i: t.values[i])
                for i in range(len(study.directions))
            ]
            return _sort_dict_by_importance(
                {k: float(np.mean([imp[k] for imp in per_objective])) for k in per_objective[0]}
            )
        distributions = _get_distributions(study, params=params)
        names = list(distributions) if params is None else list(params)
        varying = [n for n, d in distributions.items() if not d.single()]
        zeros = {n: 0.0 for n in distributions if n not in varying}
        if not varying:
            return zeros
        trials = _get_filtered_trials(study, params=names, target=target)
        if len(trials) <= 1:
            return {n: 0.0 for n in names}
        space = [_param_from_distribution(n, distributions[n]) for n in varying]
        X = np.column_stack([_encode(p, [t.params[p.name] for t in trials]) for p in space])
        y = _get_target_values(trials, target).astype(float)
        importances = self._main_effects(X, y, varying)
        return _sort_dict_by_importance({**importances, **zeros})

    def _main_effects(self, X: np.ndarray, y: np.ndarray, names: list[str]) -> dict[str, float]:
        if np.ptp(y) == 0:  # nothing to attribute
            return {n: 0.0 for n in names}
        surrogate = "random_forest" if y.size < _FEW_TRIALS else self._surrogate
        try:
            result = decompose(X, y, names=names, surrogate=surrogate, pairs=False,  # type: ignore[arg-type]
                               seed=self._seed)
        except AnalysisError:  # the surrogate made no split: no parameter explains anything
            return {n: 0.0 for n in names}
        out = {e.params[0]: float(e.importance) for e in result.main_effects}
        return {n: out.get(n, 0.0) for n in names}


def _encode(param: object, values: list[object]) -> np.ndarray:
    if isinstance(param, CategoricalParam):
        return param.encode(values)
    return param.encode(np.asarray(values, dtype=float))  # type: ignore[attr-defined]
