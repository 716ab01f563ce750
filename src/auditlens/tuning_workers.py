"""Tuning with several worker processes sharing one Optuna study in a database (PostgreSQL).

auditlens writes no scheduler: each worker is a plain Optuna ``study.optimize`` loop on an
``RDBStorage``, and the database hands out trials. What this module adds:

- a stop rule shared by every worker, local or remote: stop once the study holds
  ``tuning.trials`` finished trials, not counting failed ones that were retried;
- Optuna's heartbeat: a worker that dies (killed, machine lost) stops beating, and the next
  worker to start a trial marks its trial FAIL after the grace period; ``RetryFailedTrialCallback``
  then queues the same configuration again, so no trial stays RUNNING and none is lost
  (:func:`fail_lost_trials` also catches a worker that died before its first heartbeat);
- a different sampler seed per worker (``sampler_seed + worker``): with one seed, every worker
  would propose the same first configurations.

Parallel TPE is not reproducible trial by trial: which trials a worker sees when it samples
depends on timing. What is reproducible is the audit of the finished study (same study, same
report bytes). Storage URLs reach messages only through :func:`redact_url`.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from auditlens.errors import AuditError, SpecError
from auditlens.trials.optuna_study import CONNECT_TIMEOUT_S, redact_url

if TYPE_CHECKING:
    import optuna

    from auditlens.spec import AuditSpec

#: How many times a trial lost with its worker is queued again.
MAX_RETRY = 3
#: user attribute naming the worker that ran a trial (counted for the report)
WORKER_ATTR = "auditlens_worker"
PID_ATTR = "auditlens_pid"
_POLL_S = 1.0


def _secret(url: str) -> str | None:
    """The password in ``url`` (to scrub it from driver messages), if any."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).password or None
    except Exception:  # noqa: BLE001  # unparsable: redact_url hides the whole URL anyway
        return None


def storage_error(field: str, url: str, exc: BaseException) -> SpecError:
    """A one-line error naming the URL without its password (nor the password anywhere)."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    secret = _secret(url)
    if secret:
        first = first.replace(secret, "***")
    if isinstance(exc, ModuleNotFoundError) and "psycopg" in str(exc):
        first = "the PostgreSQL driver is not installed (pip install 'auditlens[postgres]')"
    return SpecError(f"{field}: expected a reachable Optuna storage; cannot open {redact_url(url)!r}: {first}")


def open_tuning_storage(url: str, *, heartbeat: int, field: str = "tuning.storage") -> optuna.storages.RDBStorage:
    """An ``RDBStorage`` that workers write to: heartbeat, retry of lost trials, fast failure.

    Connects at once, so an unreachable server or a wrong password is one line (exit 2) within
    the connect timeout, not a traceback halfway through the run.
    """
    import warnings

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    engine_kwargs: dict[str, Any] = {}
    if url.startswith(("postgresql", "mysql")):
        engine_kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_S}
    # Optuna 4.9 renamed the retry callback and its argument; 3.x knows only the old names.
    retry_class = getattr(optuna.storages, "RetryHeartbeatStaleTrialCallback", None)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # heartbeat: stable in use
            if retry_class is not None:
                retry = {"heartbeat_stale_trial_callback": retry_class(max_retry=MAX_RETRY)}
            else:
                retry = {"failed_trial_callback": optuna.storages.RetryFailedTrialCallback(max_retry=MAX_RETRY)}
            storage = optuna.storages.RDBStorage(
                url, engine_kwargs=engine_kwargs, heartbeat_interval=heartbeat, grace_period=2 * heartbeat, **retry
            )
        storage.get_all_studies()
    except Exception as exc:  # noqa: BLE001  # drivers raise many kinds; the user needs one line
        raise storage_error(field, url, exc) from None
    return storage


def outcomes(storage: optuna.storages.RDBStorage, study_name: str) -> int:
    """Finished trials that count towards ``tuning.trials``.

    A trial failed by the heartbeat and queued again is replaced by its copy, so it does not
    count; a trial whose objective failed does (it is a result: that configuration fails).
    Counted in SQL: every worker asks after every trial, and Optuna's ``get_trials`` builds
    every trial object (7 s at 10,000 trials).
    """
    from sqlalchemy import text

    query = text(
        "SELECT (SELECT COUNT(*) FROM trials WHERE study_id = :s AND state IN ('COMPLETE', 'PRUNED', 'FAIL'))"
        " - (SELECT COUNT(*) FROM trial_system_attributes a JOIN trials t ON a.trial_id = t.trial_id"
        " WHERE t.study_id = :s AND a.key = 'failed_trial')"
    )
    try:
        study_id = storage.get_study_id_from_name(study_name)
    except KeyError:  # no worker has created the study yet
        return 0
    with storage.engine.connect() as conn:
        return int(conn.execute(query, {"s": study_id}).scalar_one())


def tune_worker(
    spec: AuditSpec,
    storage_url: str,
    *,
    worker: int,
    on_trial: Callable[[int, float | None], None] | None = None,
) -> None:
    """One worker: run trials of the spec's study until the study has ``tuning.trials``.

    Any process on any machine can run this against the same database (``auditlens
    tune-worker``); each needs the spec and its data file.
    """
    from threadpoolctl import threadpool_limits

    from auditlens.dataset import load_spec_dataset
    from auditlens.tuning import create_study, make_objective, one_line_warnings, tuning_metric

    dataset = load_spec_dataset(spec)
    storage = open_tuning_storage(storage_url, heartbeat=spec.tuning.heartbeat_interval)
    study = create_study(spec, storage, seed=spec.tuning.sampler_seed + worker, metric=tuning_metric(spec, dataset.task))
    objective = make_objective(spec, dataset, failures=[])
    total = spec.tuning.trials

    pid = os.getpid()

    def tagged(trial: optuna.Trial) -> float:
        trial.set_user_attr(WORKER_ATTR, worker)
        trial.set_user_attr(PID_ATTR, pid)  # which process to look at when a trial went wrong
        return objective(trial)

    def stop_when_done(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if on_trial is not None:
            on_trial(trial.number, trial.value)
        fail_lost_trials(study, storage)  # Optuna's own check, before each trial, misses some (see there)
        if outcomes(storage, study.study_name) >= total:
            study.stop()

    if outcomes(storage, study.study_name) >= total:
        return
    with threadpool_limits(limits=1), one_line_warnings():  # see tuning.py
        study.optimize(tagged, callbacks=[stop_when_done], catch=(ValueError,))


def _worker_main(spec: AuditSpec, storage_url: str, worker: int) -> None:
    """Entry point of a local worker process (spawned: nothing inherited but the arguments)."""
    import sys

    try:
        tune_worker(spec, storage_url, worker=worker)
    except AuditError as exc:
        print(f"auditlens: tuning worker {worker}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except Exception as exc:  # noqa: BLE001  # one line, never a traceback (the run goes on without it)
        print(f"auditlens: tuning worker {worker} stopped: {storage_error('tuning.storage', storage_url, exc)}",
              file=sys.stderr)
        raise SystemExit(1) from None


def run_workers(
    spec: AuditSpec,
    storage_url: str,
    *,
    workers: int,
    on_progress: Callable[[int, int], None] | None = None,
) -> int:
    """Tune with ``workers`` processes on this machine; return how many ran trials.

    With one worker the trials run in this process (seeded: the same trials every time).
    Otherwise worker processes are started (spawn: the URL goes through a pipe, never a
    command line) and this process watches the study for progress. A worker that dies does
    not stop the run: the others finish its trials. The run fails only if no worker is left
    while trials are missing.
    """
    total = spec.tuning.trials
    storage = open_tuning_storage(storage_url, heartbeat=spec.tuning.heartbeat_interval)
    if workers == 1:
        tune_worker(spec, storage_url, worker=0,
                    on_trial=lambda n, v: on_progress and on_progress(min(_done(storage, spec), total), total))
        return 1
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_worker_main, args=(spec, storage_url, k), name=f"auditlens-tune-{k}")
        for k in range(workers)
    ]
    for p in processes:
        p.start()
    try:
        while any(p.is_alive() for p in processes):
            if on_progress is not None:
                on_progress(min(_done(storage, spec), total), total)
            time.sleep(_POLL_S)
    finally:
        for p in processes:  # on an error or Ctrl-C here: no orphan keeps tuning
            if p.is_alive():
                p.terminate()
            p.join()
    done = _finish_stale(storage, spec)
    if done < total:
        codes = ", ".join(str(p.exitcode) for p in processes)
        raise SpecError(
            f"tuning.workers: expected {total} finished trials from {workers} workers; got {done} "
            f"(every worker exited; exit codes {codes}); see the messages above"
        )
    if on_progress is not None:
        on_progress(total, total)
    return workers


def _done(storage: optuna.storages.RDBStorage, spec: AuditSpec) -> int:
    return outcomes(storage, spec.audit.model_name)


def _finish_stale(storage: optuna.storages.RDBStorage, spec: AuditSpec) -> int:
    """After the workers: fail trials left RUNNING by a dead worker (once their grace is over).

    Trials of workers still beating (say on another machine) are left alone. Retried copies
    of those failures are not run here: they count as missing, and the caller says so.
    """
    import optuna
    from optuna.trial import TrialState

    study = optuna.load_study(study_name=spec.audit.model_name, storage=storage)
    running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    if running:
        time.sleep(storage.grace_period + 1)  # type: ignore[operator]
        fail_lost_trials(study, storage)
    return outcomes(storage, spec.audit.model_name)


def fail_lost_trials(study: optuna.Study, rdb: optuna.storages.RDBStorage) -> list[int]:
    """Fail (and queue again) the trials of dead workers; return those failed for want of a heartbeat.

    Optuna's ``fail_stale_trials`` fails a RUNNING trial whose heartbeat is older than the grace
    period, but skips one that has no heartbeat at all: a worker killed between ``study.ask``
    and its heartbeat thread's first write leaves that trial RUNNING for ever (CI saw it). The
    first heartbeat is written within milliseconds of the start, so a RUNNING trial without one
    that started longer ago than the grace period has lost its worker; it is failed here and
    handed to the same retry callback. ``rdb`` is the study's storage (the study holds it
    wrapped in a cache, without the engine).
    """
    import copy
    import datetime
    import warnings

    import optuna
    from optuna.trial import TrialState
    from sqlalchemy import text

    storage = study._storage
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)
    query = text(
        "SELECT t.trial_id FROM trials t WHERE t.study_id = :s AND t.state = 'RUNNING'"
        " AND NOT EXISTS (SELECT 1 FROM trial_heartbeats h WHERE h.trial_id = t.trial_id)"
    )
    with rdb.engine.connect() as conn:
        silent = conn.execute(query, {"s": study._study_id}).scalars().all()
    # datetime_start is the starting worker's local time (Optuna's convention), so is this.
    cutoff = datetime.datetime.now() - datetime.timedelta(seconds=rdb.grace_period or 2 * rdb.heartbeat_interval)
    failed = []
    for trial_id in silent:
        started = rdb.get_trial(trial_id).datetime_start
        if started is None or started.replace(tzinfo=None) >= cutoff:
            continue
        try:
            if storage.set_trial_state_values(trial_id, state=TrialState.FAIL):
                failed.append(trial_id)
        except optuna.exceptions.UpdateFinishedTrialError:  # another worker got there first
            pass
    # Optuna 4.9 renamed the getter with the callback (see open_tuning_storage).
    getter = getattr(rdb, "get_heartbeat_stale_trial_callback", None) or rdb.get_failed_trial_callback
    retry = getter()
    if retry is not None:
        for trial_id in failed:
            retry(study, copy.deepcopy(storage.get_trial(trial_id)))
    return failed


def count_workers(storage_url: str, study_name: str) -> int:
    """How many distinct workers ran trials of the study (from the trials' worker attribute)."""
    import optuna

    storage = optuna.storages.RDBStorage(storage_url, skip_table_creation=True)
    study = optuna.load_study(study_name=study_name, storage=storage)
    seen = {t.user_attrs.get(WORKER_ATTR) for t in study.get_trials(deepcopy=False)}
    seen.discard(None)
    return max(1, len(seen))


def tune_for_audit(
    spec: AuditSpec, dataset: Any, work_dir: Any, *, on_progress: Callable[[int, int], None]
) -> tuple[str, str, int]:
    """Run the spec's tuning; return (storage URL, how the report names it, workers that ran).

    Without ``tuning.storage``: one process, study.db in ``work_dir`` (published with the
    report). With it: ``tuning.workers`` processes on the shared database, which others may join.
    """
    from auditlens.tuning import run_tuning

    total = spec.tuning.trials
    url = spec.storage_url
    if url is None:
        path = work_dir / "study.db"
        run_tuning(spec, dataset, path, on_trial=lambda number, value: on_progress(number + 1, total))
        return f"sqlite:///{path}", path.name, 1
    run_workers(spec, url, workers=spec.tuning.workers, on_progress=on_progress)
    return url, redact_url(url), count_workers(url, spec.audit.model_name)
