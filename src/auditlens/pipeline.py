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
from auditlens.dataset import Dataset, load_dataset
from auditlens.provenance import format_timestamp, package_versions, platform_name, python_version
from auditlens.results import (
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
    ImportanceSummary,
    InputHash,
    MarginalCurve,
    PerformanceSummary,
    Provenance,
    SignOffEntry,
    SpaceParam,
    TrialRecord,
    TuningSummary,
)
from auditlens.space import CategoricalParam, FloatParam, IntParam

if TYPE_CHECKING:
    from auditlens.spec import AuditSpec
    from auditlens.trials.table import TrialTable

# progress(stage, done, total): stage names are "tuning", "importance", "shap", "metrics".
ProgressCallback = Callable[[str, int, int], None]

POOR_SURROGATE_R2 = 0.5


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


def run_audit(
    spec: AuditSpec,
    *,
    work_dir: Path,
    timestamp: datetime,
    timestamp_source: str,
    progress: ProgressCallback | None = None,
    timer: StageTimer | None = None,
) -> AuditResult:
    """Tune, analyse and evaluate the model the spec describes.

    The Optuna study is written to ``work_dir / "study.db"``.

    Args:
        spec: a validated audit spec.
        work_dir: folder for the study database (the caller publishes it with the report).
        timestamp: the report timestamp (an input, recorded).
        timestamp_source: where it came from ("spec", "SOURCE_DATE_EPOCH", "clock").
        progress: optional ``progress(stage, done, total)`` callback.
        timer: optional StageTimer collecting wall time per stage.
    """
    from auditlens.models import build_pipeline, estimator_class
    from auditlens.trials.optuna_study import load_optuna_study
    from auditlens.tuning import run_tuning

    timer = timer or StageTimer()
    report = progress or (lambda stage, done, total: None)
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

    report("importance", 0, 1)
    importance = timer.run("importance", lambda: _importance(spec, trials))
    report("importance", 1, 1)

    best = trials.best_index()
    best_params = {name: trials.params[name][best] for name in trials.space.names}
    pipeline = build_pipeline(
        spec.model.estimator,
        numeric=dataset.numeric,
        categorical=dataset.categorical,
        params={**spec.model.params, **best_params},
        seed=spec.model.seed,
    )
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):  # see tuning.py: threads do not pay on data this small
        timer.run("fit", lambda: pipeline.fit(dataset.X_train, dataset.y_train))

    report("shap", 0, 1)
    effects = timer.run("shap", lambda: _feature_effects(spec, dataset, pipeline))
    report("shap", 1, 1)

    performance = timer.run("metrics", lambda: _performance(dataset, pipeline))

    tuning = TuningSummary(
        estimator=spec.model.estimator,
        estimator_class=estimator_class(spec.model.estimator).__name__,
        fixed_params=dict(spec.model.params),
        metric=spec.tuning.metric,
        direction=trials.direction,
        cv_folds=spec.tuning.cv_folds,
        sampler="Optuna TPESampler",
        sampler_seed=spec.tuning.sampler_seed,
        study_name=spec.audit.model_name,
        storage_file=study_path.name,
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
        best_params={k: _scalar(v) for k, v in best_params.items()},
    )
    spec_file = spec.source_file
    inputs = [InputHash(role="data", name=dataset.path.name, sha256=dataset.sha256)]
    if spec_file is not None and spec_file.exists():
        from auditlens._files import sha256_file

        inputs.append(InputHash(role="spec", name=spec_file.name, sha256=sha256_file(spec_file)))
    return AuditResult(
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
        tuning=tuning,
        importance=importance,
        feature_effects=effects,
        performance=performance,
        provenance=Provenance(
            auditlens_version=__version__,
            python=python_version(),
            platform=platform_name(),
            packages=package_versions(),
            seeds={
                "split_seed": spec.data.split_seed,
                "sampler_seed": spec.tuning.sampler_seed,
                "model_seed": spec.model.seed,
                "importance_seed": spec.importance.seed,
                "explain_seed": spec.explain.seed,
            },
            inputs=inputs,
            timestamp=format_timestamp(timestamp),
            timestamp_source=timestamp_source,
        ),
        compliance=ComplianceInfo(**spec.compliance.model_dump()),
    )


def _importance(spec: AuditSpec, trials: TrialTable) -> ImportanceSummary:
    from auditlens.fanova import decompose

    done = trials.completed
    X, y = trials.encoded()
    grids = {p.name: trials.space.marginal_grid(p) for p in trials.space}
    settings = spec.importance
    result = decompose(
        X,
        y,
        names=trials.space.names,
        n_trees=settings.n_trees,
        max_features=settings.max_features,
        min_samples_leaf=settings.min_samples_leaf,
        pairs=True,
        marginal_grids=grids,
        seed=settings.seed,
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
    r2 = _finite_or_none(result.oob_r2)
    warnings = []
    if r2 is None or r2 < POOR_SURROGATE_R2:
        shown = "unavailable" if r2 is None else f"{r2:.2f}"
        warnings.append(
            f"The surrogate forest explains the trials poorly (out-of-bag R² {shown} < {POOR_SURROGATE_R2}); "
            "the importances below say little about the tuning problem."
        )
    if result.excluded:
        warnings.append(
            "Constant in every completed trial, so without measurable importance and left out: "
            + ", ".join(result.excluded) + "."
        )
    return ImportanceSummary(
        method="fANOVA (Hutter, Hoos & Leyton-Brown, ICML 2014) on a random-forest surrogate",
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
        surrogate_settings={k: _scalar(v) for k, v in result.settings.items()},
        total_variance=float(result.total_variance),
        warnings=warnings,
    )


def _feature_effects(spec: AuditSpec, dataset: Dataset, pipeline: Any) -> FeatureEffectsSummary:
    from auditlens.explain import explain_model, strongest_interaction

    rng = np.random.default_rng(spec.explain.seed)
    X_explain = dataset.X_test
    if len(X_explain) > spec.explain.max_rows:
        keep = np.sort(rng.choice(len(X_explain), size=spec.explain.max_rows, replace=False))
        X_explain = X_explain.iloc[keep]
    effects = explain_model(
        pipeline,
        dataset.X_train,
        X_explain,
        positive_class=1,
        seed=spec.explain.seed,
        max_background=spec.explain.background_size,
    )
    features = list(effects.feature_names)
    ranking = [features[i] for i in np.argsort(-np.asarray(effects.mean_abs), kind="stable")]
    dependence = [
        DependenceEntry(feature=f, colour_by=strongest_interaction(effects, X_explain, f))
        for f in ranking[: spec.explain.dependence_plots]
    ]
    rows = [[_scalar(v) for v in row] for row in X_explain[features].itertuples(index=False)]
    prob = pipeline.predict_proba(X_explain)[:, 1]
    decisions = []
    order = np.argsort(-prob, kind="stable")[: spec.explain.decisions_to_review]
    positive = str(dataset.positive_class)
    negative = next(c for c in dataset.classes if c != positive)
    y_explain = dataset.y_test if len(X_explain) == len(dataset.X_test) else None
    for i in order:
        contributions = np.asarray(effects.values[i])
        top = np.argsort(-np.abs(contributions), kind="stable")[:6]
        rest = float(contributions.sum() - contributions[top].sum())
        actual = "" if y_explain is None else (positive if y_explain[i] == 1 else negative)
        decisions.append(
            DecisionReview(
                row_id=str(X_explain.index[i]),
                predicted=positive if prob[i] >= 0.5 else negative,
                probability=float(prob[i]),
                actual=actual,
                model_output=float(effects.model_output[i]),
                base_value=float(effects.base_value),
                contributions=[
                    Contribution(feature=features[j], value=_display(rows[i][j]), shap=float(contributions[j]))
                    for j in top
                ],
                rest=rest,
            )
        )
    return FeatureEffectsSummary(
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
        values=[[float(v) for v in row] for row in np.asarray(effects.values)],
        rows=rows,
        dependence=dependence,
        decisions=decisions,
    )


def _performance(dataset: Dataset, pipeline: Any) -> PerformanceSummary:
    from auditlens.evaluate import evaluate

    prob = pipeline.predict_proba(dataset.X_test)[:, 1]
    p = evaluate(dataset.y_test, prob)
    positive = str(dataset.positive_class)
    return PerformanceSummary(
        split="test",
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
    )


def _data_summary(spec: AuditSpec, dataset: Dataset) -> DataSummary:
    frame = dataset.frame
    summaries = []
    for name in dataset.features:
        column = frame[name]
        if name in dataset.numeric:
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
        train_rows=len(dataset.X_train),
        test_rows=len(dataset.X_test),
        test_fraction=spec.data.test_fraction,
        split_seed=spec.data.split_seed,
        protected_attributes=list(spec.data.protected_attributes),
        column_summaries=summaries,
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
