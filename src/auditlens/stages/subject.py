"""The subject of an audit: data, tuning run and fitted model, tuned here or read as given.

    spec ─► tuned_subject    (split, tune with Optuna, fit the best configuration)
         └► existing_subject (read a fitted model file, its tuning run, its held-out data)
         ─► Subject: what every later stage audits, plus where it came from

The two ways in differ only here; later stages see one :class:`Subject`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from threadpoolctl import threadpool_limits

from auditlens._files import sha256_file
from auditlens.dataset import Dataset, load_evaluation_data, load_spec_dataset
from auditlens.errors import DataError, LabelError, ModelError
from auditlens.model_file import (
    check_columns,
    check_positive_class,
    load_model,
    model_features,
)
from auditlens.models import build_pipeline, estimator_class
from auditlens.results import (
    InputHash,
    ModelFileInfo,
    SpaceParam,
    TrialRecord,
    TuningSummary,
)
from auditlens.space import CategoricalParam, FloatParam, IntParam
from auditlens.spec import TuningSection
from auditlens.stages._values import finite_or_none, scalar
from auditlens.trials.optuna_study import load_optuna_study, redact_url, sqlite_file
from auditlens.trials.sources import open_trials
from auditlens.tuning import fold_noise, tuning_metric
from auditlens.tuning_workers import tune_for_audit

if TYPE_CHECKING:
    from auditlens.spec import AuditSpec
    from auditlens.trials.table import TrialTable

    Timer = Callable[[str, Callable[[], Any]], Any]


@dataclass(frozen=True, slots=True)
class Subject:
    """What the analysis stages audit (data, tuning run, fitted model), and where it came from.

    ``existing`` is True for a fitted model judged on a held-out file: nothing is split, so the
    "test" rows are every row of the file and there are no training rows of ours.
    """

    dataset: Dataset
    trials: TrialTable
    model: Any
    positive_label: Any  # the positive class as the model knows it (an entry of classes_)
    existing: bool
    protected: tuple[str, ...]
    tuning: TuningSummary
    inputs: tuple[InputHash, ...]
    model_file: ModelFileInfo | None = None
    seeds: Mapping[str, int] = field(default_factory=dict)


def tuned_subject(
    spec: AuditSpec, work_dir: Path, timer: Timer, report: Callable[[str, int, int], None]
) -> Subject:
    """Split the data, tune with Optuna, fit the best configuration.

    The study goes to ``work_dir/study.db``, or to ``tuning.storage`` where ``tuning.workers``
    processes (and any ``auditlens tune-worker``) share it (:mod:`auditlens.tuning_workers`).
    """
    dataset = load_spec_dataset(spec)
    metric = tuning_metric(spec, dataset.task)  # a metric of another task stops here, before any trial
    total = spec.tuning.trials
    report("tuning", 0, total)
    storage, storage_name, workers = timer(
        "tuning",
        lambda: tune_for_audit(spec, dataset, work_dir, on_progress=lambda done, total: report("tuning", done, total)),
    )
    trials = load_optuna_study(storage, spec.audit.model_name, objective=metric)
    best = trials.best_index()
    best_params = {name: trials.params[name][best] for name in trials.space.names}
    pipeline = build_pipeline(
        spec.model.estimator,
        numeric=dataset.numeric,
        categorical=dataset.categorical,
        params={**spec.model.params, **best_params},
        seed=spec.model.seed,
        task=dataset.task,
    )
    with threadpool_limits(limits=1):  # see tuning.py: threads do not pay on data this small
        timer("fit", lambda: pipeline.fit(dataset.X_train, dataset.y_train))
    tuning = tuning_summary(
        trials,
        estimator=spec.model.estimator,
        estimator_class=estimator_class(spec.model.estimator, dataset.task).__name__,
        fixed_params=dict(spec.model.params),
        metric=metric,
        cv_folds=spec.tuning.cv_folds,
        sampler="Optuna TPESampler" if workers == 1 else "Optuna TPESampler, one per worker (seed + worker number)",
        sampler_seed=spec.tuning.sampler_seed,
        study_name=spec.audit.model_name,
        storage_file=storage_name,
        origin="tuned",
        workers=workers,
        fold_noise_sd=fold_noise(storage, spec.audit.model_name),
    )
    return Subject(
        dataset=dataset,
        trials=trials,
        model=pipeline,
        # auditlens fits on y = 1 for the positive class (binary), on class codes (multiclass)
        positive_label=1 if dataset.task == "binary" else None,
        existing=False,
        protected=tuple(spec.data.protected_attributes),
        tuning=tuning,
        inputs=(InputHash(role="data", name=dataset.path.name, sha256=dataset.sha256),),
        seeds={
            "split_seed": spec.data.split_seed,
            "sampler_seed": spec.tuning.sampler_seed,
            "model_seed": spec.model.seed,
        },
    )


def existing_subject(spec: AuditSpec, timer: Timer) -> Subject:
    """Load a fitted model file, its tuning run and the held-out data it is judged on."""
    run_name, run_file, run_input = _run_identity(spec)
    trials = timer("trials", lambda: _open_existing_run(spec))
    loaded = timer(
        "load model",
        lambda: load_model(
            spec.model_path, trusted_types=tuple(spec.model.trusted_types),
            allow_pickle=spec.model.allow_pickle, field="model.path",
        ),
    )
    model = loaded.estimator
    if model_features(model) is None:
        raise ModelError(
            f"{loaded.path.name} holds a model fitted without column names (on an array)", field="model.path",
            expected="one fitted on a pandas DataFrame, so its inputs can be matched to the data by name",
        )
    dataset = _evaluation_data(spec, model)
    # Protected attributes may be in the file without being model inputs (often on purpose).
    features = check_columns(
        model, list(dataset.features), data_name=dataset.path.name,
        ignore=tuple(spec.data.protected_attributes),
    )
    dataset = dataset.with_features(features)
    positive_label = (
        check_positive_class(model, dataset.positive_class, field="data.positive_class")
        if dataset.task == "binary" else None
    )
    inputs = (
        InputHash(role="data", name=dataset.path.name, sha256=dataset.sha256),
        InputHash(role="model", name=loaded.path.name, sha256=loaded.sha256),
    ) + ((run_input,) if run_input is not None else ())
    described = describe_model(model)
    summary = tuning_summary(
        trials,
        estimator=loaded.path.name,
        estimator_class=described,
        fixed_params={},
        metric=trials.objective,
        cv_folds=None,
        sampler=f"as recorded in the {trials.source}",
        sampler_seed=None,
        study_name=str(run_name),
        storage_file=str(run_file),
        origin="existing",
    )
    model_file = ModelFileInfo(
        name=loaded.path.name,
        sha256=loaded.sha256,
        format=loaded.format,
        estimator_class=described,
        untrusted_types=list(loaded.untrusted_types),
        trusted_by_user=list(loaded.trusted_by_user),
        warnings=list(loaded.warnings) + best_config_mismatch(trials, model),
        param_mismatches=param_mismatches(trials, model),
    )
    return Subject(
        dataset=dataset, trials=trials, model=model, positive_label=positive_label, existing=True,
        protected=tuple(spec.data.protected_attributes),
        tuning=summary, inputs=inputs, model_file=model_file,
    )


def _run_identity(spec: AuditSpec) -> tuple[str, str, InputHash | None]:
    """The run's name and file as the report shows them, and its input hash.

    Hashed before anything reads the file: the evidence is the file as given.
    """
    if spec.results_path is not None:
        name = spec.results_path.name
        return name, name, InputHash(role="trials", name=name, sha256=_hash_or_empty(spec.results_path))
    study_file = sqlite_file(spec.storage_url)
    # A SQLite file by name (its folder is local detail); other URLs without a password.
    if study_file is None:
        return str(spec.tuning.study), redact_url(spec.storage_url), None
    study_input = InputHash(role="study", name=study_file.name, sha256=_hash_or_empty(study_file))
    return str(spec.tuning.study), study_file.name, study_input


def _evaluation_data(spec: AuditSpec, model: Any) -> Dataset:
    """The held-out file; without data.positive_class, a binary model's classes_[1] is positive."""
    classes = list(getattr(model, "classes_", []))
    positive = spec.data.positive_class
    try:
        return load_evaluation_data(
            spec.data_path,
            target=spec.data.target,
            # scikit-learn's convention: predict_proba[:, 1] is the positive class
            positive_class=classes[1] if positive is None and len(classes) == 2 else positive,
            protected_attributes=spec.data.protected_attributes,
            task=spec.model.task,
            model=model,
        )
    except LabelError as exc:
        if positive is not None or len(classes) != 2:
            raise
        raise DataError(
            f"not given, and the model's classes {', '.join(map(repr, classes))} are not the labels of "
            f"{spec.data.target!r} ({', '.join(map(repr, exc.labels))}); name the positive class",
            field="data.positive_class",
        ) from None


def _open_existing_run(spec: AuditSpec) -> TrialTable:
    """The spec's tuning run (errors name the source's fields; the CLI spells them as spec fields)."""
    tuning = spec.tuning
    return open_trials(
        trials_file=spec.results_path, storage=spec.storage_url, study=tuning.study,
        objective=tuning.objective, direction=tuning.direction,
        space_file=_space_overrides(spec),
    )


def _space_overrides(spec: AuditSpec) -> dict[str, Any] | None:
    """The spec's [tuning.space] tables as parameters, overriding what a trial file implies."""
    if not spec.tuning.space:
        return None
    return {p.name: p for p in TuningSection(space=spec.tuning.space).search_space()}


def _hash_or_empty(path: Path) -> str:
    """sha256 of a file; "" when it is missing (the source then reports that, in one line)."""
    return sha256_file(path) if path.is_file() else ""


def best_config_mismatch(trials: TrialTable, model: Any) -> list[str]:
    """A warning when the model's own parameters contradict the run's best trial."""
    differ = param_mismatches(trials, model)
    if not differ:
        return []
    return [
        (
            f"The loaded model's parameters differ from the best trial of the tuning run ({'; '.join(differ)}): "
            "the best configuration shown is not the audited model's."
        )
    ]


def param_mismatches(trials: TrialTable, model: Any) -> list[str]:
    """Where the model's parameters contradict the best trial: "name: model X, best trial Y".

    Only parameters named alike in both are compared (a search over ``clf__C`` and a
    Pipeline's ``get_params()``); an Optuna study's own names may not match any.
    """
    params = model.get_params(deep=True)
    best = trials.best_index()
    differ = []
    for name in trials.space.names:
        wanted = trials.params[name][best]
        if wanted is None or name not in params:
            continue
        have = params[name]
        same = (
            math.isclose(float(have), float(wanted), rel_tol=1e-9)
            if isinstance(have, (int, float)) and isinstance(wanted, (int, float))
            and not isinstance(have, bool) and not isinstance(wanted, bool)
            else str(have) == str(wanted)
        )
        if not same:
            differ.append(f"{name}: model {have!r}, best trial {wanted!r}")
    return differ


def describe_model(model: Any) -> str:
    """'Pipeline(ColumnTransformer → HistGradientBoostingClassifier)' or the class name."""
    steps = getattr(model, "steps", None)
    if steps:
        inner = " → ".join(type(step).__name__ for _, step in steps if step not in (None, "passthrough"))
        return f"{type(model).__name__}({inner})"
    return type(model).__name__


def tuning_summary(trials: TrialTable, **fields: Any) -> TuningSummary:
    """The tuning run as results.json records it; ``fields`` say how it was run."""
    best = trials.best_index()
    # why each range and scale: stated when any was inferred from a table's values (a wrong
    # guess of the scale changes every importance); a declared space needs no reasons
    inferred = any(note.startswith("inferred") for note in trials.space_notes.values())
    notes = trials.space_notes if inferred else {}
    return TuningSummary(
        direction=trials.direction,
        n_trials=len(trials),
        n_complete=int(trials.completed.sum()),
        n_failed=int((~trials.completed).sum()),
        space=[_space_param(p, notes.get(p.name, "")) for p in trials.space],
        trials=[
            TrialRecord(
                number=n,
                state=s,
                value=finite_or_none(v),
                params={k: scalar(trials.params[k][i]) for k in trials.space.names},
            )
            for i, (n, s, v) in enumerate(zip(trials.numbers, trials.states, trials.values))
        ],
        best_number=trials.numbers[best],
        best_value=float(trials.values[best]),
        best_params={k: scalar(trials.params[k][best]) for k in trials.space.names},
        source=trials.source,
        state_counts=trials.state_counts(),
        n_duplicates=trials.n_duplicate_configurations(),
        **fields,
    )


def _space_param(p: FloatParam | IntParam | CategoricalParam, basis: str) -> SpaceParam:
    if isinstance(p, CategoricalParam):
        return SpaceParam(name=p.name, kind="categorical", choices=[scalar(c) for c in p.choices], basis=basis)
    return SpaceParam(name=p.name, kind=p.kind, low=float(p.low), high=float(p.high), log=p.log, basis=basis)
