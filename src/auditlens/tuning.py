"""Runs the tuning itself when a spec asks for it: Optuna TPE over cross-validated pipelines.

By default the study is stored in an SQLite file so the tuning run is kept as evidence next to
the report. With ``[tuning] storage`` (a PostgreSQL URL, say) the study lives in that database
instead, and worker processes on this or other machines share it (:mod:`auditlens.tuning_workers`,
which uses :func:`make_objective` and :func:`create_study` from here).
"""

from __future__ import annotations

import errno
import logging
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import optuna
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from threadpoolctl import threadpool_limits

from auditlens import interrupts
from auditlens.errors import OutputError, SpecError, TrialsError
from auditlens.models import build_pipeline, check_params, check_values
from auditlens.space import CategoricalParam, FloatParam, IntParam
from auditlens.task import is_classification
from auditlens.task_metrics import metric_for

if TYPE_CHECKING:
    from auditlens.dataset import Dataset
    from auditlens.spec import AuditSpec


def make_objective(
    spec: AuditSpec, dataset: Dataset, failures: list[str]
) -> Callable[[optuna.Trial], float]:
    """The objective every tuning process runs: mean k-fold CV score on the training split.

    Folds and estimator are seeded from the spec, so a configuration scores the same in any
    worker process. A failing configuration's error is appended to ``failures`` (one line).
    """

    space = spec.tuning.search_space()
    task = dataset.task
    metric = tuning_metric(spec, task)
    check_params(spec.model.estimator, space.names, field="tuning.space", task=task)
    check_params(spec.model.estimator, list(spec.model.params), field="model.params", task=task)
    check_values(spec.model.estimator, space, spec.model.params, task)
    if is_classification(task):
        _check_folds(dataset, spec.tuning.cv_folds)
        folds: Any = StratifiedKFold(n_splits=spec.tuning.cv_folds, shuffle=True, random_state=spec.data.split_seed)
    else:  # a continuous target has no classes to stratify
        folds = KFold(n_splits=spec.tuning.cv_folds, shuffle=True, random_state=spec.data.split_seed)

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
            task=task,
        )
        try:
            # error_score="raise": the estimator's own error, not scikit-learn's summary of it
            # with tracebacks inside the message.
            scores = cross_val_score(
                pipeline, dataset.X_train, dataset.y_train, cv=folds, scoring=metric,
                error_score="raise",
            )
        except ValueError as exc:
            failures.append(f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}")
            raise
        trial.set_user_attr("cv_std", float(scores.std()))
        trial.set_user_attr("cv_scores", [float(v) for v in scores])  # for fold_noise
        return float(scores.mean())

    return objective


def fold_noise(storage: str, study_name: str) -> float | None:
    """The sd of a trial's mean CV score that is noise of its folds, not its configuration.

    Every trial is scored on the same seeded folds, so a fold that is hard for one
    configuration is hard for all, and that shared part cancels when configurations are
    compared. What does not cancel is the configuration x fold interaction: with the trials'
    fold scores ``S`` (trials x folds), ``e = S - row means - column means + grand mean`` and
    ``s2 = sum(e**2) / ((n - 1)(k - 1))`` (two-way ANOVA without replication), the noise in a
    trial's mean over ``k`` folds has sd ``sqrt(s2 / k)``. ``None`` with fewer than 3 completed
    trials that recorded their fold scores (``cv_scores``).
    """
    study = optuna.load_study(study_name=study_name, storage=storage)
    rows = [
        t.user_attrs["cv_scores"]
        for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        if isinstance(t.user_attrs.get("cv_scores"), list)
    ]
    k = len(rows[0]) if rows else 0
    scores = np.array([r for r in rows if len(r) == k], dtype=float)
    if scores.shape[0] < 3 or k < 2 or not np.isfinite(scores).all():
        return None
    e = scores - scores.mean(axis=1, keepdims=True) - scores.mean(axis=0, keepdims=True) + scores.mean()
    s2 = float(np.sum(e * e)) / ((scores.shape[0] - 1) * (k - 1))
    return math.sqrt(s2 / k)


def tuning_metric(spec: AuditSpec, task: str) -> str:
    """The spec's tuning metric, or the task's default; SpecError if it does not fit the task."""
    return metric_for(task, spec.tuning.metric)


def create_study(spec: AuditSpec, storage: Any, *, seed: int | None, metric: str) -> optuna.Study:
    """The spec's study in ``storage`` (joined if it exists), with a TPE sampler seeded ``seed``."""

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        storage=storage,
        study_name=spec.audit.model_name,
        direction="maximize",  # every supported sklearn scorer is greater-is-better
        sampler=optuna.samplers.TPESampler(seed=seed),
        load_if_exists=True,
    )
    study.set_user_attr("metric", metric)
    study.set_user_attr("cv_folds", spec.tuning.cv_folds)
    return study


def run_tuning(
    spec: AuditSpec,
    dataset: Dataset,
    storage_path: Path,
    *,
    on_trial: Callable[[int, float | None], None] | None = None,
) -> str:
    """Tune the spec's estimator on the training split; return the storage URL of the study.

    Each trial scores the pipeline with stratified k-fold cross-validation on the training
    split; folds, sampler and estimator are all seeded from the spec.
    """

    failures: list[str] = []
    objective = make_objective(spec, dataset, failures)
    storage = f"sqlite:///{storage_path}"
    try:
        study = create_study(spec, storage, seed=spec.tuning.sampler_seed, metric=tuning_metric(spec, dataset.task))
    except Exception as exc:
        _raise_if_disk(exc, storage_path)
        raise

    def callback(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        interrupts.raise_pending()  # a stop signal lost inside a finaliser stops the run here
        if on_trial is not None:
            on_trial(trial.number, trial.value)

    # On data this small, OpenMP threads in HistGradientBoosting cost more than they save,
    # and under load they spin: measured 0.49 s single-threaded vs 7.6 s with 2 busy threads
    # for one 5-fold CV on the sample. One thread per fit keeps tuning time predictable.
    with threadpool_limits(limits=1), one_line_warnings():
        try:
            study.optimize(objective, n_trials=spec.tuning.trials, callbacks=[callback], catch=(ValueError,))
        except Exception as exc:
            _raise_if_disk(exc, storage_path)
            raise
    _check_some_completed(study, failures)
    return storage


def _check_folds(dataset: Dataset, folds: int) -> None:
    """Stratified k-fold needs k training rows of each class; say so before any trial fails."""

    counts = np.bincount(np.asarray(dataset.y_train, dtype=int), minlength=max(2, len(dataset.classes)))
    if counts.min() < folds:
        if dataset.task == "binary":
            names = {1: str(dataset.positive_class), 0: "the other class"}
        else:
            names = dict(enumerate(dataset.classes))
        least = int(np.argmin(counts))
        raise SpecError(
            f"tuning.cv_folds: {folds} stratified folds need at least {folds} training rows of each class; "
            f"got {int(counts[least])} of {names[least]!r} (lower cv_folds, or use more data)"
        )


def _check_some_completed(study: Any, failures: list[str]) -> None:
    """Every trial failed: say why (the first failure) instead of a NaN error later."""

    trials = study.get_trials(deepcopy=False)
    if any(t.state == optuna.trial.TrialState.COMPLETE for t in trials):
        return
    reason = failures[0] if failures else "no error recorded (every score was NaN)"
    raise TrialsError(f"tuning: all {len(trials)} trials failed; the first failure: {reason}")


def _raise_if_disk(exc: BaseException, storage_path: Path) -> None:
    """A full or read-only disk under the study database, as one line (exit 2)."""

    chain, seen = [], exc
    while seen is not None and len(chain) < 10:  # Optuna wraps SQLAlchemy, which wraps sqlite3
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    text = " ".join(str(e) for e in chain).lower()
    full = any(getattr(e, "errno", None) in (errno.ENOSPC, errno.EFBIG) for e in chain)
    if full or "database or disk is full" in text or "disk i/o error" in text:
        raise OutputError(f"--out: cannot write the Optuna study ({storage_path.name}): no space left on device") from None
    if "readonly database" in text or "read-only file system" in text:
        raise OutputError(f"--out: cannot write the Optuna study ({storage_path.name}): read-only file system") from None


class _NoTraceback(logging.Filter):
    """Optuna logs a failed trial with its traceback; the one-line message is what a user needs
    (the failure is also recorded in the study and counted in the report)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info, record.exc_text = None, None
        return True


@contextmanager
def one_line_warnings() -> Iterator[None]:
    """Optuna's failed-trial warnings without their tracebacks, for the block inside."""

    logger = optuna.logging.get_logger("optuna")
    # On the handlers: a logger's own filters do not see records of its children.
    keep = _NoTraceback()
    handlers = list(logger.handlers)
    for handler in handlers:
        handler.addFilter(keep)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(keep)
