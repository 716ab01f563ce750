"""run_audit(spec) -> AuditResult: the only place that wires the stages together.

    spec ─► subject (tuned | existing) ─► importance ─────────────────────────┐
                 └─► context (probabilities, explained rows, SHAP; once) ─────┤
                        review ─► effects ─► groups, performance, data ───────┴─► AuditResult

Domain logic lives in :mod:`auditlens.stages`; this module only calls the stages in order and
assembles what they return. The report is written from the AuditResult alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditlens import __version__
from auditlens._files import sha256_file
from auditlens.cluster import use_cluster
from auditlens.checks import attach, normalize_settings
from auditlens.provenance import (
    format_timestamp,
    package_versions,
    platform_name,
    python_version,
)
from auditlens.results import (
    AuditInfo,
    AuditResult,
    ComplianceInfo,
    InputHash,
    Provenance,
    SignOffEntry,
)
from auditlens.stages.context import build_context, heldout_outputs
from auditlens.stages.data import data_summary, task_performance
from auditlens.stages.effects import effects_summary
from auditlens.stages.groups import groups_summary
from auditlens.stages.importance import importance_summary
from auditlens.stages.review import review_decisions
from auditlens.stages.subject import Subject, existing_subject, tuned_subject
from auditlens.trials.optuna_study import sqlite_file

if TYPE_CHECKING:
    from auditlens.spec import AuditSpec

# progress(stage, done, total): stage names are "tuning", "importance", "predict", "shap", "metrics".
ProgressCallback = Callable[[str, int, int], None]


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
    with use_cluster(spec.explain.cluster, workers=spec.explain.cluster_workers):
        return _run_audit(
            spec, work_dir=work_dir, timestamp=timestamp, timestamp_source=timestamp_source,
            progress=progress, timer=timer,
        )


def _run_audit(
    spec: AuditSpec,
    *,
    work_dir: Path,
    timestamp: datetime,
    timestamp_source: str,
    progress: ProgressCallback | None,
    timer: StageTimer | None,
) -> AuditResult:
    timer = timer or StageTimer()
    report = progress or (lambda stage, done, total: None)
    if spec.existing:
        subject = existing_subject(spec, timer.run)
    else:
        subject = tuned_subject(spec, work_dir, timer.run, report)

    report("importance", 0, 1)
    importance = timer.run("importance", lambda: importance_summary(subject.trials, spec.importance))
    report("importance", 1, 1)

    # Held-out predictions are timed as a stage of their own: they are not SHAP work, and they
    # run in this process whether or not [explain] cluster is set.
    report("predict", 0, 1)
    outputs = timer.run("predict", lambda: heldout_outputs(subject))
    report("predict", 1, 1)
    report("shap", 0, 1)
    on_rows = lambda done, total: report("shap", done, total)
    ctx = timer.run("shap", lambda: build_context(subject, spec.explain, outputs=outputs, progress=on_rows))
    limit = spec.explain.decisions_to_review  # review.limit's default
    review = timer.run("shap", lambda: review_decisions(ctx, spec.review, default_limit=limit))
    effects = timer.run("shap", lambda: effects_summary(ctx, spec.explain, review))
    report("shap", 1, 1)

    # Interval resamples: the groups' seed and count (their bootstrap; 1000 at the least).
    n_boot = max(1000, spec.groups.bootstrap)
    performance = timer.run("metrics", lambda: task_performance(ctx, n_boot=n_boot, seed=spec.groups.seed))
    groups = timer.run("groups", lambda: groups_summary(ctx, spec.groups, effects))
    result = AuditResult(
        audit=_audit_info(spec),
        data=data_summary(ctx, spec.data),
        tuning=subject.tuning,
        importance=importance,
        feature_effects=effects,
        **performance,
        provenance=_provenance(spec, subject, timestamp, timestamp_source),
        compliance=ComplianceInfo(**spec.compliance.model_dump()),
        groups=groups,
        model_file=subject.model_file,
        task=ctx.task,
    )
    # The checks judge the evidence alone (auditlens.checks); `auditlens check` re-runs them.
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
    elif spec.storage_url is None:
        files["study"] = work_dir / "study.db"
    if spec.source_file is not None:
        files["spec"] = spec.source_file
    return files


def _audit_info(spec: AuditSpec) -> AuditInfo:
    a = spec.audit
    return AuditInfo(
        title=a.title, model_name=a.model_name, model_version=a.model_version, owner=a.owner,
        intended_use=a.intended_use, out_of_scope_uses=list(a.out_of_scope_uses),
        known_limitations=list(a.known_limitations),
        sign_off=[SignOffEntry(name=s.name, role=s.role) for s in a.sign_off],
    )


def _provenance(spec: AuditSpec, subject: Subject, timestamp: datetime, timestamp_source: str) -> Provenance:
    """Versions, seeds, input hashes (the spec file's too) and the report timestamp."""
    inputs = list(subject.inputs)
    spec_file = spec.source_file
    if spec_file is not None and spec_file.exists():
        inputs.append(InputHash(role="spec", name=spec_file.name, sha256=sha256_file(spec_file)))
    seeds = {
        **subject.seeds,
        "importance_seed": spec.importance.seed,
        "explain_seed": spec.explain.seed,
        "groups_seed": spec.groups.seed,
    }
    return Provenance(
        auditlens_version=__version__, python=python_version(), platform=platform_name(),
        packages=package_versions(), seeds=seeds, inputs=inputs,
        timestamp=format_timestamp(timestamp), timestamp_source=timestamp_source,
    )
