"""run_audit(spec) -> AuditResult: the only place that wires the stages together.

    data ─► tuning (Optuna, SQLite) ─► trials ─► fANOVA ─┐
                   best config ─► fit ─► SHAP, metrics ──┴─► AuditResult

Each stage hands plain data to the next; the report is written from the AuditResult alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from auditlens import __version__
from auditlens.dataset import SHARED_ROWS_METHOD, Dataset, load_dataset, load_evaluation_data, shared_rows
from auditlens.errors import DataError
from auditlens.provenance import format_timestamp, package_versions, platform_name, python_version
from auditlens.results import (
    AttributeGroupsSummary,
    AuditInfo,
    AuditResult,
    ColumnSummary,
    ComplianceInfo,
    Contribution,
    DataSummary,
    DecisionReview,
    DependenceEntry,
    EffectEntry,
    FeatureEffectsSummary,
    GroupMetrics,
    GroupsSummary,
    ImportanceSummary,
    InputHash,
    InteractionPair,
    MarginalCurve,
    ModelFileInfo,
    PerformanceSummary,
    Provenance,
    SignOffEntry,
    SpaceParam,
    TrialRecord,
    TuningSummary,
)
from auditlens.space import CategoricalParam, FloatParam, IntParam
from auditlens.trials.optuna_study import redact_url, sqlite_file

if TYPE_CHECKING:
    from auditlens.spec import AuditSpec
    from auditlens.trials.table import TrialTable

# progress(stage, done, total): stage names are "tuning", "importance", "shap", "metrics".
ProgressCallback = Callable[[str, int, int], None]

POOR_SURROGATE_R2 = 0.5
SURROGATE_NAMES = {"gradient_boosting": "gradient-boosted trees", "random_forest": "random forest"}


@dataclass
class StageTimer:
    """Wall time per stage, for the manifest and the CLI summary (never in results.json)."""

    seconds: dict[str, float] = field(default_factory=dict)

    def run(self, name: str, fn: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        try:
            return fn()
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start


@dataclass
class _Subject:
    """What the analysis stages audit: data, tuning run, fitted model, and where they came from."""

    dataset: Dataset
    trials: TrialTable
    model: Any
    positive_label: Any  # the positive class as the model knows it (an entry of classes_)
    tuning: TuningSummary
    inputs: list[InputHash]
    model_file: ModelFileInfo | None = None
    seeds: dict[str, int] = field(default_factory=dict)


def run_audit(
    spec: AuditSpec,
    *,
    work_dir: Path,
    timestamp: datetime,
    timestamp_source: str,
    progress: ProgressCallback | None = None,
    timer: StageTimer | None = None,
) -> AuditResult:
    """Audit the model the spec describes: tune and fit it, or load a fitted one and its run.

    When auditlens tunes, the Optuna study is written to ``work_dir / "study.db"``; an
    existing run (``model.path`` with ``tuning.results`` or ``tuning.storage``) is only read.

    Args:
        spec: a validated audit spec.
        work_dir: folder for the study database (the caller publishes it with the report).
        timestamp: the report timestamp (an input, recorded).
        timestamp_source: where it came from ("spec", "SOURCE_DATE_EPOCH", "clock").
        progress: optional ``progress(stage, done, total)`` callback.
        timer: optional StageTimer collecting wall time per stage.
    """
    timer = timer or StageTimer()
    report = progress or (lambda stage, done, total: None)
    if spec.existing:
        subject = _existing_subject(spec, timer)
    else:
        subject = _tuned_subject(spec, work_dir, timer, report)
    dataset, trials, model = subject.dataset, subject.trials, subject.model

    report("importance", 0, 1)
    importance = timer.run("importance", lambda: _importance(spec, trials))
    report("importance", 1, 1)

    # Held-out probabilities of the positive class, computed once for review, metrics and groups.
    test_prob = _positive_probability(model, dataset.X_test, subject.positive_label)

    report("shap", 0, 1)
    effects, shap_values = timer.run(
        "shap",
        lambda: _feature_effects(
            spec, dataset, model, test_prob, subject.positive_label,
            progress=lambda done, total: report("shap", done, total),
        ),
    )
    report("shap", 1, 1)

    performance = timer.run(
        "metrics", lambda: _performance(dataset, test_prob, split="held-out file" if spec.existing else "test")
    )
    groups = timer.run("groups", lambda: _groups(spec, dataset, test_prob, effects, shap_values))

    inputs = list(subject.inputs)
    spec_file = spec.source_file
    if spec_file is not None and spec_file.exists():
        from auditlens._files import sha256_file

        inputs.append(InputHash(role="spec", name=spec_file.name, sha256=sha256_file(spec_file)))
    result = AuditResult(
        audit=AuditInfo(
            title=spec.audit.title,
            model_name=spec.audit.model_name,
            model_version=spec.audit.model_version,
            owner=spec.audit.owner,
            intended_use=spec.audit.intended_use,
            out_of_scope_uses=list(spec.audit.out_of_scope_uses),
            known_limitations=list(spec.audit.known_limitations),
            sign_off=[SignOffEntry(name=s.name, role=s.role) for s in spec.audit.sign_off],
        ),
        data=_data_summary(spec, dataset),
        tuning=subject.tuning,
        importance=importance,
        feature_effects=effects,
        performance=performance,
        provenance=Provenance(
            auditlens_version=__version__,
            python=python_version(),
            platform=platform_name(),
            packages=package_versions(),
            seeds={
                **subject.seeds,
                "importance_seed": spec.importance.seed,
                "explain_seed": spec.explain.seed,
                "groups_seed": spec.groups.seed,
            },
            inputs=inputs,
            timestamp=format_timestamp(timestamp),
            timestamp_source=timestamp_source,
        ),
        compliance=ComplianceInfo(**spec.compliance.model_dump()),
        groups=groups,
        model_file=subject.model_file,
    )
    from auditlens.checks import attach, normalize_settings

    return timer.run("checks", lambda: attach(result, normalize_settings(spec.checks)))


def input_files(spec: AuditSpec, work_dir: Path) -> dict[str, Path]:
    """The files the audit read (role -> path), for the manifest beside the report."""
    files = {"data": spec.data_path}
    if spec.existing:
        files["model"] = spec.model_path
        if spec.results_path is not None:
            files["trials"] = spec.results_path
        else:
            study_file = sqlite_file(spec.storage_url)
            if study_file is not None:
                files["study"] = study_file
    else:
        files["study"] = work_dir / "study.db"
    if spec.source_file is not None:
        files["spec"] = spec.source_file
    return files


def _tuned_subject(
    spec: AuditSpec, work_dir: Path, timer: StageTimer, report: ProgressCallback
) -> _Subject:
    """Split the data, tune with Optuna, fit the best configuration on the training split."""
    from threadpoolctl import threadpool_limits

    from auditlens.models import build_pipeline, estimator_class
    from auditlens.trials.optuna_study import load_optuna_study
    from auditlens.tuning import run_tuning

    dataset = load_dataset(
        spec.data_path,
        target=spec.data.target,
        positive_class=spec.data.positive_class,
        test_fraction=spec.data.test_fraction,
        split_seed=spec.data.split_seed,
        protected_attributes=spec.data.protected_attributes,
    )
    study_path = work_dir / "study.db"
    total = spec.tuning.trials
    report("tuning", 0, total)
    storage = timer.run(
        "tuning",
        lambda: run_tuning(
            spec, dataset, study_path, on_trial=lambda number, value: report("tuning", number + 1, total)
        ),
    )
    trials = load_optuna_study(storage, spec.audit.model_name, objective=spec.tuning.metric)
    best = trials.best_index()
    best_params = {name: trials.params[name][best] for name in trials.space.names}
    pipeline = build_pipeline(
        spec.model.estimator,
        numeric=dataset.numeric,
        categorical=dataset.categorical,
        params={**spec.model.params, **best_params},
        seed=spec.model.seed,
    )
    with threadpool_limits(limits=1):  # see tuning.py: threads do not pay on data this small
        timer.run("fit", lambda: pipeline.fit(dataset.X_train, dataset.y_train))
    tuning = _tuning_summary(
        trials,
        estimator=spec.model.estimator,
        estimator_class=estimator_class(spec.model.estimator).__name__,
        fixed_params=dict(spec.model.params),
        metric=spec.tuning.metric,
        cv_folds=spec.tuning.cv_folds,
        sampler="Optuna TPESampler",
        sampler_seed=spec.tuning.sampler_seed,
        study_name=spec.audit.model_name,
        storage_file=study_path.name,
        origin="tuned",
    )
    return _Subject(
        dataset=dataset,
        trials=trials,
        model=pipeline,
        positive_label=1,  # auditlens fits on y = 1 for the positive class
        tuning=tuning,
        inputs=[InputHash(role="data", name=dataset.path.name, sha256=dataset.sha256)],
        seeds={
            "split_seed": spec.data.split_seed,
            "sampler_seed": spec.tuning.sampler_seed,
            "model_seed": spec.model.seed,
        },
    )


def _existing_subject(spec: AuditSpec, timer: StageTimer) -> _Subject:
    """Load a fitted model file, its tuning run and the held-out data it is judged on."""
    from auditlens.errors import DataError, ModelError
    from auditlens.model_file import check_columns, check_positive_class, load_model, model_features

    tuning = spec.tuning
    # Hash the run's file before anything reads it: the evidence is the file as given.
    if spec.results_path is not None:
        run_name = run_file = spec.results_path.name
        run_input = InputHash(role="trials", name=run_name, sha256=_hash_or_empty(spec.results_path))
    else:
        study_file = sqlite_file(spec.storage_url)
        # A SQLite file by name (its folder is local detail); other URLs without a password.
        run_name = tuning.study
        run_file = study_file.name if study_file is not None else redact_url(spec.storage_url)
        run_input = None if study_file is None else InputHash(
            role="study", name=study_file.name, sha256=_hash_or_empty(study_file)
        )
    trials = timer.run("trials", lambda: _open_existing_run(spec))
    loaded = timer.run(
        "load model",
        lambda: load_model(
            spec.model_path, trusted_types=tuple(spec.model.trusted_types),
            allow_pickle=spec.model.allow_pickle, field="model.path",
        ),
    )
    model = loaded.estimator
    if model_features(model) is None:
        raise ModelError(
            f"model.path: {loaded.path.name} holds a model fitted without column names (on an array); "
            "expected one fitted on a pandas DataFrame, so its inputs can be matched to the data by name"
        )
    classes = list(getattr(model, "classes_", []))
    positive = spec.data.positive_class
    try:
        dataset = load_evaluation_data(
            spec.data_path,
            target=spec.data.target,
            # scikit-learn's convention: predict_proba[:, 1] is the positive class
            positive_class=classes[1] if positive is None else positive,
            protected_attributes=spec.data.protected_attributes,
        )
    except DataError as exc:
        if positive is not None or not str(exc).startswith("data.positive_class:"):
            raise
        labels = str(exc).split("labels are ", 1)[-1]
        raise DataError(
            f"data.positive_class: not given, and the model's classes {', '.join(map(repr, classes))} "
            f"are not the labels of {spec.data.target!r} ({labels}); name the positive class"
        ) from None
    # Protected attributes may be in the file without being model inputs (often on purpose).
    features = check_columns(
        model, list(dataset.features), data_name=dataset.path.name,
        ignore=tuple(spec.data.protected_attributes),
    )
    dataset = dataset.with_features(features)
    positive_label = check_positive_class(model, dataset.positive_class, field="data.positive_class")
    inputs = [
        InputHash(role="data", name=dataset.path.name, sha256=dataset.sha256),
        InputHash(role="model", name=loaded.path.name, sha256=loaded.sha256),
    ] + ([run_input] if run_input is not None else [])
    estimator_class = _describe_model(model)
    mismatches = _best_config_mismatch(trials, model)
    summary = _tuning_summary(
        trials,
        estimator=loaded.path.name,
        estimator_class=estimator_class,
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
        estimator_class=estimator_class,
        untrusted_types=list(loaded.untrusted_types),
        trusted_by_user=list(loaded.trusted_by_user),
        warnings=list(loaded.warnings) + _mismatch_warning(mismatches),
        param_mismatches=mismatches,
    )
    return _Subject(
        dataset=dataset, trials=trials, model=model, positive_label=positive_label,
        tuning=summary, inputs=inputs, model_file=model_file,
    )


# What the trial sources call their inputs on the command line, as the spec names them.
_SPEC_FIELDS = {
    "TRIALS": "tuning.results",
    "--objective": "tuning.objective",
    "--direction": "tuning.direction",
    "--storage": "tuning.storage",
    "--space": "tuning.space",
    "study": "tuning.study",
    "space": "tuning.space",
    "source": "tuning",
}


def _open_existing_run(spec: AuditSpec) -> TrialTable:
    """The spec's tuning run, with errors naming the spec's fields rather than CLI flags."""
    from auditlens.errors import AuditError, renamed
    from auditlens.trials.sources import open_trials

    tuning = spec.tuning
    try:
        return open_trials(
            trials_file=spec.results_path, storage=spec.storage_url, study=tuning.study,
            objective=tuning.objective, direction=tuning.direction,
            space_file=_space_overrides(spec),
        )
    except AuditError as exc:
        raise renamed(exc, _SPEC_FIELDS) from None


def _best_config_mismatch(trials: TrialTable, model: Any) -> list[str]:
    """Where the model's own parameters contradict the run's best trial ("name: model X, best trial Y").

    Only parameters named alike in both are compared (a search over ``clf__C`` and a
    Pipeline's ``get_params()``); an Optuna study's own names may not match any.
    """
    import math

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


def _mismatch_warning(differ: list[str]) -> list[str]:
    if not differ:
        return []
    return [
        f"The loaded model's parameters differ from the best trial of the tuning run ({'; '.join(differ)}): "
        "the best configuration shown is not the audited model's."
    ]


def _hash_or_empty(path: Path) -> str:
    """sha256 of a file; "" when it is missing (the source then reports that, in one line)."""
    from auditlens._files import sha256_file

    return sha256_file(path) if path.is_file() else ""


def _space_overrides(spec: AuditSpec) -> dict[str, Any] | None:
    """The spec's [tuning.space] tables as parameters, overriding what a trial file implies."""
    if not spec.tuning.space:
        return None
    from auditlens.spec import TuningSection

    return {p.name: p for p in TuningSection(space=spec.tuning.space).search_space()}


def _tuning_summary(trials: TrialTable, **fields: Any) -> TuningSummary:
    best = trials.best_index()
    return TuningSummary(
        direction=trials.direction,
        n_trials=len(trials),
        n_complete=int(trials.completed.sum()),
        n_failed=int((~trials.completed).sum()),
        space=[_space_param(p) for p in trials.space],
        trials=[
            TrialRecord(
                number=n,
                state=s,
                value=_finite_or_none(v),
                params={k: _scalar(trials.params[k][i]) for k in trials.space.names},
            )
            for i, (n, s, v) in enumerate(zip(trials.numbers, trials.states, trials.values))
        ],
        best_number=trials.numbers[best],
        best_value=float(trials.values[best]),
        best_params={k: _scalar(trials.params[k][best]) for k in trials.space.names},
        source=trials.source,
        state_counts=trials.state_counts(),
        n_duplicates=trials.n_duplicate_configurations(),
        **fields,
    )


def _positive_probability(model: Any, X: Any, positive_label: Any) -> np.ndarray:
    classes = list(model.classes_)
    return np.asarray(model.predict_proba(X)[:, classes.index(positive_label)], dtype=float)


def _describe_model(model: Any) -> str:
    """'Pipeline(ColumnTransformer → HistGradientBoostingClassifier)' or the class name."""
    steps = getattr(model, "steps", None)
    if steps:
        inner = " → ".join(type(step).__name__ for _, step in steps if step not in (None, "passthrough"))
        return f"{type(model).__name__}({inner})"
    return type(model).__name__


def _importance(spec: AuditSpec, trials: TrialTable) -> ImportanceSummary:
    from auditlens.fanova import decompose

    done = trials.completed
    # A conditional parameter (inactive in some trials) gets a reserved cell, never imputed.
    X, y = trials.encoded(inactive="nan")
    grids = {p.name: trials.space.marginal_grid(p) for p in trials.space}
    settings = spec.importance
    result = decompose(
        X,
        y,
        names=trials.space.names,
        surrogate=settings.surrogate,
        n_trees=settings.n_trees,
        max_features=settings.max_features,
        min_samples_leaf=settings.min_samples_leaf,
        pairs=True,
        marginal_grids=grids,
        seed=settings.seed,
        inactive="reserve" if np.isnan(X).any() else "error",
    )
    marginals = []
    for name in result.names:
        param = trials.space[name]
        curve = result.marginals[name]
        if isinstance(param, CategoricalParam):
            x, labels, log = list(range(len(param.choices))), [str(c) for c in param.choices], False
        else:
            x, labels, log = [float(v) for v in param.decode(curve.grid)], None, param.log
        marginals.append(
            MarginalCurve(
                param=name, x=x, labels=labels, log_scale=log,
                mean=[float(v) for v in curve.mean], std=[float(v) for v in curve.std],
            )
        )
    r2 = _finite_or_none(result.fit_r2)
    surrogate_name = SURROGATE_NAMES.get(settings.surrogate, settings.surrogate)
    warnings = []
    if r2 is None or r2 < POOR_SURROGATE_R2:
        shown = "unavailable" if r2 is None else f"{r2:.2f}"
        warnings.append(
            f"The {surrogate_name} surrogate explains the trials poorly ({result.fit_r2_method}: "
            f"{shown} < {POOR_SURROGATE_R2}); the importances below say little about the tuning problem."
        )
    if result.excluded:
        warnings.append(
            "Constant in every completed trial, so without measurable importance and left out: "
            + ", ".join(result.excluded) + "."
        )
    return ImportanceSummary(
        method=f"fANOVA (Hutter, Hoos & Leyton-Brown, ICML 2014) on a {surrogate_name} surrogate",
        estimator=result.estimator,
        uncertainty_method=result.uncertainty_method,
        n_trials_used=int(done.sum()),
        n_trials_excluded=int((~done).sum()),
        excluded_params=list(result.excluded),
        main_effects=[EffectEntry(params=list(e.params), importance=float(e.importance), std=float(e.std)) for e in result.main_effects],
        pairwise=[EffectEntry(params=list(e.params), importance=float(e.importance), std=float(e.std)) for e in result.pairwise[: settings.top_pairs]],
        pairs_total=len(result.pairwise),
        marginals=marginals,
        surrogate_r2=r2,
        surrogate_fit_method=result.fit_r2_method,
        surrogate_settings={k: _scalar(v) for k, v in result.settings.items()},
        total_variance=float(result.total_variance),
        warnings=warnings,
    )


def _explained_positions(spec: AuditSpec, dataset: Dataset) -> np.ndarray:
    """Positions (iloc) in the test split of the rows SHAP explains."""
    n = len(dataset.X_test)
    if n <= spec.explain.max_rows:
        return np.arange(n)
    rng = np.random.default_rng(spec.explain.seed)
    return np.sort(rng.choice(n, size=spec.explain.max_rows, replace=False))


def _groups(
    spec: AuditSpec, dataset: Dataset, prob: np.ndarray, effects: FeatureEffectsSummary, values: np.ndarray
) -> GroupsSummary | None:
    """Per-group metrics of each protected attribute (None when the spec declares none)."""
    from auditlens.groups import bin_attribute
    from auditlens.intervals import MIN_CLASS_FOR_AUC

    if not spec.data.protected_attributes:
        return None
    settings = spec.groups
    explained = _explained_positions(spec, dataset)
    top = [effects.features[i] for i in np.argsort(-np.asarray(effects.mean_abs), kind="stable")]
    top = top[: settings.top_features]
    banded = {}
    for name in spec.data.protected_attributes:
        column = dataset.frame[name]
        banded[name] = bin_attribute(
            column.loc[dataset.X_test.index], edges=settings.bins.get(name), reference=column
        )
    attributes = [
        _attribute_groups(spec, dataset, prob, effects, values, explained, top, [name], *banded[name])
        for name in spec.data.protected_attributes
    ]
    for members in spec.groups.intersections:
        labels = _intersect([banded[m][0] for m in members], list(members))
        attributes.append(
            _attribute_groups(spec, dataset, prob, effects, values, explained, top, list(members),
                              labels, "intersection", ())
        )
    return GroupsSummary(
        method=(
            f"fairlearn MetricFrame on the {'held-out file' if spec.existing else 'test split'}; "
            "disparities from fairlearn.metrics"
        ),
        threshold=0.5,
        n_boot=settings.bootstrap,
        seed=settings.seed,
        ci_method=(
            "95% Wilson score intervals for the rates (accuracy, true and false positive rate, selection "
            f"rate); 95% percentile bootstrap over test rows for ROC AUC and the selection-rate difference (fairlearn's "
            f"resamples, {settings.bootstrap}, seed {settings.seed}), no AUC interval for a group with fewer "
            f"than {MIN_CLASS_FOR_AUC} rows of either class"
            if settings.bootstrap else "none (groups.bootstrap = 0)"
        ),
        shap_scale=effects.output_scale,
        attributes=attributes,
    )


def _attribute_groups(
    spec: AuditSpec,
    dataset: Dataset,
    prob: np.ndarray,
    effects: FeatureEffectsSummary,
    values: np.ndarray,
    explained: np.ndarray,
    top: list[str],
    members: list[str],
    labels: Any,
    kind: str,
    edges: tuple[float, ...],
) -> AttributeGroupsSummary:
    """Metrics and mean |SHAP| per group of one attribute (or intersection of attributes)."""
    from auditlens.groups import group_metrics

    settings = spec.groups
    name = " × ".join(members)
    result = group_metrics(
        dataset.y_test, prob, labels.rename(name), n_boot=settings.bootstrap,
        seed=settings.seed, kind=kind, edges=edges,
    )
    extra = [m for m in members if m in effects.features and m not in top]
    features = top + extra
    cols = [effects.features.index(f) for f in features]
    explained_labels = labels.astype(str).to_numpy()[explained]  # SHAP rows: positions in the test split
    rows = []
    for g in result.groups:
        mask = explained_labels == g.group
        means = np.abs(values[mask][:, cols]).mean(axis=0) if mask.any() else np.full(len(cols), np.nan)
        rows.append(
            GroupMetrics(
                group=g.group, n=g.n, positives=g.positives, metrics=g.metrics,
                ci_low=g.ci_low, ci_high=g.ci_high, ci_notes=dict(g.ci_notes), n_explained=int(mask.sum()),
                mean_abs_shap=[float(v) for v in means] if mask.any() else [],
            )
        )
    return AttributeGroupsSummary(
        attribute=name, kind=kind, edges=list(result.edges), groups=rows,
        members=list(members) if kind == "intersection" else [],
        demographic_parity_difference=_finite_or_none(result.demographic_parity_difference),
        demographic_parity_difference_ci=list(result.demographic_parity_difference_ci),
        demographic_parity_ratio=_finite_or_none(result.demographic_parity_ratio),
        equalized_odds_difference=_finite_or_none(result.equalized_odds_difference),
        shap_features=features,
    )


def _intersect(labels: list[Any], members: list[str]) -> Any:
    """One categorical label per row combining each attribute's group: 'a × b', in group order."""
    import itertools

    import pandas as pd

    from auditlens.errors import DataError

    orders = [list(lab.cat.categories) for lab in labels]
    codes = np.column_stack([lab.cat.codes.to_numpy() for lab in labels])
    combos = list(itertools.product(*(range(len(o)) for o in orders)))
    text = [" × ".join(str(orders[k][c]) for k, c in enumerate(combo)) for combo in combos]
    if len(set(text)) != len(text):
        raise DataError(
            f"groups.intersections: the groups of {', '.join(members)} contain ' × ', so combined "
            "labels would be ambiguous; rename those values"
        )
    index = {combo: i for i, combo in enumerate(combos)}
    row_codes = np.array([index[tuple(row)] for row in codes.tolist()])
    present = sorted(set(row_codes.tolist()))
    remap = {c: i for i, c in enumerate(present)}
    return pd.Series(
        pd.Categorical.from_codes([remap[c] for c in row_codes], categories=[text[c] for c in present]),
        index=labels[0].index,
    )


def _feature_effects(
    spec: AuditSpec,
    dataset: Dataset,
    pipeline: Any,
    test_prob: np.ndarray,
    positive_label: Any,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[FeatureEffectsSummary, np.ndarray]:
    """The feature-effects summary, and the SHAP values of every explained row (n x features)."""
    from auditlens.explain import explain_model, strongest_interaction

    X_explain = dataset.X_test.iloc[_explained_positions(spec, dataset)]
    effects = explain_model(
        pipeline,
        dataset.X_train,
        X_explain,
        positive_class=positive_label,
        seed=spec.explain.seed,
        max_background=spec.explain.background_size,
        n_jobs=spec.explain.n_jobs,
        progress=progress,
    )
    features = list(effects.feature_names)
    ranking = [features[i] for i in np.argsort(-np.asarray(effects.mean_abs), kind="stable")]
    dependence = [
        DependenceEntry(feature=f, colour_by=strongest_interaction(effects, X_explain, f))
        for f in ranking[: spec.explain.dependence_plots]
    ]
    all_values = np.asarray(effects.values, dtype=np.float64).reshape(len(X_explain), len(features))
    stored, stored_note = _stored_positions(spec, len(X_explain))
    rows = [[_scalar(v) for v in row] for row in X_explain.iloc[stored][features].itertuples(index=False)]
    decisions, selection = _review(spec, dataset, pipeline, test_prob, positive_label)
    positive = str(dataset.positive_class)
    ci_low: list[float] = []
    ci_high: list[float] = []
    ci_method = ""
    if spec.explain.bootstrap:
        from auditlens.explain import bootstrap_mean_abs

        low, high = bootstrap_mean_abs(effects.values, n_boot=spec.explain.bootstrap, seed=spec.explain.seed)
        ci_low, ci_high = [float(v) for v in low], [float(v) for v in high]
        ci_method = (
            f"95% percentile bootstrap over the {len(X_explain)} explained rows "
            f"({spec.explain.bootstrap} resamples, seed {spec.explain.seed})"
        )
    pairs, note = _interactions(spec, pipeline, X_explain, effects.explainer, positive_label)
    summary = FeatureEffectsSummary(
        interaction_pairs=pairs,
        interaction_note=note,
        explainer=effects.explainer,
        output_scale=effects.output_scale,
        positive_class=positive,
        background_size=effects.background_size,
        background_seed=effects.background_seed,
        background_sha256=effects.background_sha256,
        n_explained=len(X_explain),
        base_value=float(effects.base_value),
        additivity_gap=float(effects.additivity_gap),
        features=features,
        numeric_features=[f for f in features if f in dataset.numeric],
        mean_abs=[float(v) for v in effects.mean_abs],
        values=[[float(v) for v in row] for row in all_values[stored]],
        rows=rows,
        stored_positions=[] if len(stored) == len(X_explain) else [int(i) for i in stored],
        stored_note=stored_note,
        dependence=dependence,
        decisions=decisions,
        review_selection=selection,
        mean_abs_ci_low=ci_low,
        mean_abs_ci_high=ci_high,
        mean_abs_ci_method=ci_method,
    )
    return summary, all_values


def _stored_positions(spec: AuditSpec, n: int) -> tuple[np.ndarray, str]:
    """Which explained rows keep their per-row values in results.json, and a sentence saying so."""
    limit = spec.explain.stored_rows
    if n <= limit:
        return np.arange(n), ""
    rng = np.random.default_rng(spec.explain.seed)
    chosen = np.sort(rng.choice(n, size=limit, replace=False))
    return chosen, (
        f"Per-row SHAP values are stored for {limit:,} of the {n:,} explained rows (a uniform sample "
        f"drawn by numpy.random.default_rng({spec.explain.seed}); explain.stored_rows); every summary "
        "number uses all explained rows."
    )


def _interactions(
    spec: AuditSpec, pipeline: Any, X_explain: Any, explainer: str, positive_label: Any
) -> tuple[list[InteractionPair], str]:
    from auditlens.explain import tree_interactions

    rows = min(spec.explain.interaction_rows, len(X_explain))
    if explainer != "tree":
        return [], f"Not computed: SHAP interaction values need a tree model (this is the {explainer} explainer)."
    if rows == 0:
        return [], "Not computed (explain.interaction_rows = 0)."
    pairs = tree_interactions(
        pipeline, X_explain, positive_class=positive_label, max_rows=rows, top=spec.explain.interaction_pairs
    )
    if pairs is None:
        return [], "Not computed: shap supports interaction values for this model only through other explainers."
    note = (
        f"Path-dependent TreeSHAP interaction values (shap's only algorithm for them; the trees' own "
        f"cover is the background, not the sampled background above) on the first {rows} explained rows, "
        f"one-hot columns summed into their source column; strength = mean |Φ_ab| + |Φ_ba|."
    )
    return [InteractionPair(features=[a, b], mean_abs=v) for a, b, v in pairs], note


def _review(
    spec: AuditSpec, dataset: Dataset, pipeline: Any, test_prob: np.ndarray, positive_label: Any
) -> tuple[list[DecisionReview], str]:
    """The decisions the spec's [review] selects, each with its SHAP values."""
    import pandas as pd

    from auditlens.explain import explain_model
    from auditlens.review import filter_rows, order_by_strategy, positions_of

    review = spec.review
    frame = dataset.frame
    labels = frame[dataset.target]
    positive = dataset.positive_class
    negative = next(c for c in labels.unique().tolist() if c != positive)
    features = list(dataset.X_test.columns)
    if review.rows:
        # An existing model's data is not split: train and test are the same rows.
        X_all = dataset.X_test if spec.existing else pd.concat([dataset.X_train, dataset.X_test])
        X_review = X_all.iloc[positions_of(X_all.index, list(review.rows), source=dataset.path.name)]
        selection = "rows " + ", ".join(str(r) for r in review.rows) + " of the data file, as listed in review.rows"
    else:
        limit = review.limit if review.limit is not None else spec.explain.decisions_to_review
        X_test = dataset.X_test
        prob = test_prob
        # Every column of the file, so a filter may name a protected attribute the model does not use.
        candidates = frame.loc[X_test.index, list(dataset.features)].copy()
        candidates["predicted"] = np.where(prob >= 0.5, positive, negative)
        candidates["probability"] = prob
        candidates["actual"] = labels.loc[X_test.index].to_numpy()
        keep = np.arange(len(X_test))
        if review.filter:
            mask = filter_rows(candidates, review.filter).to_numpy()
            if not mask.any():
                raise DataError(
                    f"review.filter: selects no rows of the test split ({len(X_test)} rows): "
                    f"{review.filter!r}; loosen it or use review.strategy alone"
                )
            keep = np.flatnonzero(mask)
        order = keep[order_by_strategy(prob[keep], review.strategy, seed=review.seed)][:limit]
        X_review = X_test.iloc[order]
        strategy = {
            "highest_risk": "highest predicted probability of the positive class first",
            "most_uncertain": "probability closest to 0.5 first",
            "random": f"random order (seed {review.seed})",
        }[review.strategy]
        where = f"test rows where {review.filter}" if review.filter else "test rows"
        selection = f"{where} ({len(keep)} of {len(X_test)}), {strategy}, at most {limit}"
    if len(X_review) == 0:
        return [], selection
    fx = explain_model(
        pipeline, dataset.X_train, X_review, positive_class=positive_label,
        seed=spec.explain.seed, max_background=spec.explain.background_size,
    )
    prob = _positive_probability(pipeline, X_review, positive_label)
    test_ids = set(dataset.X_test.index)
    decisions = []
    for i, row_id in enumerate(X_review.index):
        original = [_scalar(v) for v in frame.loc[row_id, features]]
        contributions = np.asarray(fx.values[i])
        top = np.argsort(-np.abs(contributions), kind="stable")[: review.top_features]
        rest = float(contributions.sum() - contributions[top].sum())
        decisions.append(
            DecisionReview(
                row_id=str(row_id),
                predicted=str(positive if prob[i] >= 0.5 else negative),
                probability=float(prob[i]),
                actual=str(labels.loc[row_id]),
                model_output=float(fx.model_output[i]),
                base_value=float(fx.base_value),
                contributions=[
                    Contribution(feature=features[j], value=_display(original[j]), shap=float(contributions[j]))
                    for j in top
                ],
                rest=rest,
                split="held-out file" if spec.existing else "test" if row_id in test_ids else "train",
                inputs=dict(zip(features, original)),
                shap_values=[float(v) for v in contributions],
            )
        )
    return decisions, selection


def _performance(dataset: Dataset, prob: np.ndarray, *, split: str) -> PerformanceSummary:
    from auditlens.evaluate import evaluate

    p = evaluate(dataset.y_test, prob)
    positive = str(dataset.positive_class)
    return PerformanceSummary(
        split=split,
        n=p.n,
        positives=p.positives,
        positive_class=positive,
        negative_class=next(c for c in dataset.classes if c != positive),
        roc_auc=p.roc_auc,
        accuracy=p.accuracy,
        balanced_accuracy=p.balanced_accuracy,
        brier=p.brier,
        log_loss=p.log_loss,
        threshold=p.threshold,
        confusion=[list(r) for r in p.confusion],
        roc_fpr=list(p.roc_fpr),
        roc_tpr=list(p.roc_tpr),
        calibration_pred=list(p.calibration_pred),
        calibration_true=list(p.calibration_true),
        calibration_count=list(p.calibration_count),
        calibration_slope=p.calibration_slope,
        calibration_slope_se=p.calibration_slope_se,
        calibration_intercept=p.calibration_intercept,
    )


def _data_summary(spec: AuditSpec, dataset: Dataset) -> DataSummary:
    import pandas as pd

    frame = dataset.frame
    summaries = []
    for name in dataset.features:
        column = frame[name]
        # From the file's dtype: a column the model does not use is not in dataset.numeric.
        if pd.api.types.is_numeric_dtype(column):
            q = column.quantile([0.0, 0.5, 1.0]).tolist()
            text = f"min {_display(q[0])}, median {_display(q[1])}, max {_display(q[2])}"
            kind = "numeric"
        else:
            counts = column.astype(str).value_counts()
            text = f"most frequent: {counts.index[0]} ({counts.iloc[0] / len(column):.0%})"
            kind = "categorical"
        summaries.append(
            ColumnSummary(name=name, kind=kind, missing=int(column.isna().sum()), distinct=int(column.nunique()), summary=text)
        )
    counts = frame[dataset.target].astype(str).value_counts()
    return DataSummary(
        file_name=dataset.path.name,
        sha256=dataset.sha256,
        rows=len(frame),
        columns=len(frame.columns),
        target=dataset.target,
        positive_class=str(dataset.positive_class),
        class_counts={str(k): int(v) for k, v in sorted(counts.items())},
        train_rows=0 if spec.existing else len(dataset.X_train),
        test_rows=len(dataset.X_test),
        test_fraction=None if spec.existing else spec.data.test_fraction,
        split_seed=None if spec.existing else spec.data.split_seed,
        evaluation="file" if spec.existing else "split",
        protected_attributes=list(spec.data.protected_attributes),
        column_summaries=summaries,
        # An existing model's training rows are not given: overlap cannot be measured.
        shared_rows=None if spec.existing else shared_rows(dataset),
        shared_rows_method="" if spec.existing else SHARED_ROWS_METHOD,
    )


def _space_param(p: FloatParam | IntParam | CategoricalParam) -> SpaceParam:
    if isinstance(p, CategoricalParam):
        return SpaceParam(name=p.name, kind="categorical", choices=[_scalar(c) for c in p.choices], description=p.describe())
    return SpaceParam(name=p.name, kind=p.kind, low=float(p.low), high=float(p.high), log=p.log, description=p.describe())


def _scalar(value: Any) -> str | int | float | bool | None:
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    return str(value)


def _finite_or_none(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if np.isfinite(value) else None


def _display(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:,.4g}"
    return str(value)
