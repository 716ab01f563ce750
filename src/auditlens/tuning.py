"""Runs the tuning itself when a spec asks for it: Optuna TPE over cross-validated pipelines.

By default the study is stored in an SQLite file so the tuning run is kept as evidence next to
the report. With ``[tuning] storage`` (a PostgreSQL URL, say) the study lives in that database
instead, and worker processes on this or other machines can share it
(:mod:`auditlens.tuning_workers`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from auditlens.models import build_pipeline, check_params
from auditlens.space import CategoricalParam, FloatParam, IntParam

if TYPE_CHECKING:
    import optuna

    from auditlens.dataset import Dataset
    from auditlens.spec import AuditSpec


def make_objective(spec: AuditSpec, dataset: Dataset) -> Callable[[optuna.Trial], float]:
    """The objective every tuning process runs: mean k-fold CV score on the training split.

    Folds and estimator are seeded from the spec, so a configuration scores the same in any
    worker process.
    """
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    space = spec.tuning.search_space()
    check_params(spec.model.estimator, space.names, field="tuning.space")
    check_params(spec.model.estimator, list(spec.model.params), field="model.params")
    folds = StratifiedKFold(n_splits=spec.tuning.cv_folds, shuffle=True, random_state=spec.data.split_seed)

    def objective(trial: optuna.Trial) -> float:
        params: dict[str, Any] = {}
        for p in space:
            if isinstance(p, FloatParam):
                params[p.name] = trial.suggest_float(p.name, p.low, p.high, log=p.log)
            elif isinstance(p, IntParam):
                params[p.name] = trial.suggest_int(p.name, p.low, p.high, log=p.log)
            elif isinstance(p, CategoricalParam):
                params[p.name] = trial.suggest_categorical(p.name, list(p.choices))
        pipeline = build_pipeline(
            spec.model.estimator,
            numeric=dataset.numeric,
            categorical=dataset.categorical,
            params={**spec.model.params, **params},
            seed=spec.model.seed,
        )
        scores = cross_val_score(
            pipeline, dataset.X_train, dataset.y_train, cv=folds, scoring=spec.tuning.metric
        )
        trial.set_user_attr("cv_std", float(scores.std()))
        return float(scores.mean())

    return objective


def create_study(spec: AuditSpec, storage: str | optuna.storages.BaseStorage, *, seed: int | None) -> optuna.Study:
    """The spec's study in ``storage`` (joined if it exists), with a TPE sampler seeded ``seed``."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        storage=storage,
        study_name=spec.audit.model_name,
        direction="maximize",  # every supported sklearn scorer is greater-is-better
        sampler=optuna.samplers.TPESampler(seed=seed),
        load_if_exists=True,
    )
    study.set_user_attr("metric", spec.tuning.metric)
    study.set_user_attr("cv_folds", spec.tuning.cv_folds)
    return study


def run_tuning(
    spec: AuditSpec,
    dataset: Dataset,
    storage: str,
    *,
    on_trial: Callable[[int, float | None], None] | None = None,
) -> str:
    """Tune the spec's estimator in this process; return the storage URL of the study.

    Each trial scores the pipeline with stratified k-fold cross-validation on the training
    split; folds, sampler and estimator are all seeded from the spec, so one process gives
    the same trials every time.
    """
    from threadpoolctl import threadpool_limits

    objective = make_objective(spec, dataset)
    study = create_study(spec, storage, seed=spec.tuning.sampler_seed)

    def callback(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if on_trial is not None:
            on_trial(trial.number, trial.value)

    # On data this small, OpenMP threads in HistGradientBoosting cost more than they save,
    # and under load they spin: measured 0.49 s single-threaded vs 7.6 s with 2 busy threads
    # for one 5-fold CV on the sample. One thread per fit keeps tuning time predictable.
    with threadpool_limits(limits=1):
        study.optimize(objective, n_trials=spec.tuning.trials, callbacks=[callback], catch=(ValueError,))
    return storage
