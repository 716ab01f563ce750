"""Optuna studies in, TrialTable out. The only module that knows Optuna's trial shapes."""

from __future__ import annotations

import math

import numpy as np

from auditlens.errors import TrialsError
from auditlens.space import CategoricalParam, FloatParam, IntParam, Param, SearchSpace
from auditlens.trials.table import TrialTable


def _param_from_distribution(name: str, dist: object) -> Param:
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    if isinstance(dist, FloatDistribution):
        return FloatParam(name, float(dist.low), float(dist.high), bool(dist.log))
    if isinstance(dist, IntDistribution):
        return IntParam(name, int(dist.low), int(dist.high), bool(dist.log))
    if isinstance(dist, CategoricalDistribution):
        return CategoricalParam(name, tuple(dist.choices))
    raise TrialsError(f"parameter {name!r}: unsupported Optuna distribution {type(dist).__name__}")


def load_optuna_study(storage: str, study_name: str, *, objective: str = "value") -> TrialTable:
    """Read every trial of an Optuna study into a :class:`TrialTable`.

    The search space is the union of the trials' distributions (the last one seen wins if a
    parameter's distribution changed during the run).

    Raises:
        TrialsError: the study does not exist (the names that do are listed) or is multi-objective.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if storage.startswith("sqlite:///"):
        # Opening a missing SQLite file would silently create an empty database.
        from pathlib import Path

        path = Path(storage.removeprefix("sqlite:///"))
        if not path.is_file():
            raise TrialsError(f"--storage: SQLite file {str(path)!r} does not exist")
    try:
        names = optuna.get_all_study_names(storage=storage)
    except Exception as exc:  # SQLAlchemy and Optuna raise many kinds; the user needs one line
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise TrialsError(f"--storage: cannot open {storage!r}: {first}") from None
    if study_name not in names:
        raise TrialsError(
            f"study: no study named {study_name!r} in the storage; studies are {', '.join(names) or '(none)'}"
        )
    study = optuna.load_study(study_name=study_name, storage=storage)
    if len(study.directions) != 1:
        raise TrialsError(f"study {study_name!r}: has {len(study.directions)} objectives; expected 1")
    direction = "maximize" if study.direction == optuna.study.StudyDirection.MAXIMIZE else "minimize"
    trials = study.get_trials(deepcopy=False)
    distributions: dict[str, object] = {}
    for trial in trials:
        distributions.update(trial.distributions)
    space = SearchSpace(tuple(_param_from_distribution(n, d) for n, d in distributions.items()))
    values = np.array(
        [
            t.value if t.state == optuna.trial.TrialState.COMPLETE and t.value is not None and math.isfinite(t.value) else np.nan
            for t in trials
        ],
        dtype=float,
    )
    return TrialTable(
        space=space,
        numbers=tuple(t.number for t in trials),
        params={name: tuple(t.params.get(name) for t in trials) for name in distributions},
        values=values,
        states=tuple(t.state.name for t in trials),
        objective=objective,
        direction=direction,
        source=f"optuna study {study_name!r}",
    )
