"""The first two sections: the summary with its key findings, and the intended use."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from auditlens.formatting import count, fixed
from auditlens.report.view.base import Facts, existing, metric_name, target_text
from auditlens.report.view.findings import counts_text, ranking_inconclusive, report_findings
from auditlens.report.view.importance import importance_findings
from auditlens.results import AuditResult


@dataclass(frozen=True, slots=True)
class SummaryView:
    facts: Facts
    key_findings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class IntendedUseView:
    text: str
    out_of_scope: tuple[str, ...]
    limitations: tuple[str, ...]


def summary_view(result: AuditResult, *, report_id: str) -> SummaryView:
    audit, data, tuning, prov = result.audit, result.data, result.tuning, result.provenance
    metric = metric_name(result)
    source = f"read from the {tuning.source}" if existing(result) else f"{tuning.cv_folds}-fold CV"
    facts = (
        ("Model", f"{audit.model_name} {audit.model_version} ({tuning.estimator_class})"),
        ("Owner", audit.owner),
        ("Report id", report_id),
        ("Report timestamp", f"{prov.timestamp} (source: {prov.timestamp_source})"),
        ("Data", f"{data.file_name}: {count(data.rows)} rows, target {target_text(result)}"),
        ("Tuning", f"{tuning.n_trials} trials ({tuning.n_complete} complete), {metric}, {source}"),
        ("Findings", counts_text(report_findings(result)) + " (see Findings)"),
    )
    return SummaryView(facts, key_findings(result))


def key_findings(result: AuditResult) -> tuple[str, ...]:
    """The few sentences a reader who stops at page one should take away."""
    data, tuning, imp, fx = result.data, result.tuning, result.importance, result.feature_effects
    metric = metric_name(result)
    best = (f"Best {metric} recorded in the tuning run: " if existing(result)
            else f"Best {metric} in {tuning.cv_folds}-fold cross-validation: ")
    findings = [
        f"{best}{fixed(tuning.best_value, 4)} (trial {tuning.best_number} of {tuning.n_trials}).",
        held_out_sentence(result) + (f" rows of {data.file_name}." if existing(result) else " test rows."),
    ]
    if result.model_file is not None:
        findings.extend(result.model_file.warnings)
    if imp.main_effects and ranking_inconclusive(report_findings(result)):
        findings.append("No hyperparameter is named the most important: a check marks the importances "
                        "inconclusive (see Findings).")
    else:
        findings.extend(importance_findings(result))
    top_feature = fx.features[int(np.argmax(fx.mean_abs))] if fx.features else "—"
    findings.append(f"Feature with the largest mean |SHAP|: {top_feature}.")
    findings.extend(imp.warnings)
    return tuple(findings)


def held_out_sentence(result: AuditResult) -> str:
    """The held-out score in one clause, by task ("Held-out ROC AUC 0.79, accuracy 0.75 on 250")."""
    if result.task == "regression":
        p = result.regression_performance
        r2 = "" if p.r2 is None else f", R² {fixed(p.r2, 3)}"
        return f"Held-out RMSE {fixed(p.rmse, 3)} [{fixed(p.rmse_ci[0], 3)}, {fixed(p.rmse_ci[1], 3)}]{r2} on {p.n}"
    if result.task == "multiclass":
        p = result.multiclass_performance
        return (f"Held-out accuracy {fixed(p.accuracy, 3)}, balanced accuracy {fixed(p.balanced_accuracy, 3)}, "
                f"log loss {fixed(p.log_loss, 3)} on {p.n}")
    perf = result.performance
    return f"Held-out ROC AUC {fixed(perf.roc_auc, 3)}, accuracy {fixed(perf.accuracy, 3)} on {perf.n}"


def intended_use_view(result: AuditResult) -> IntendedUseView:
    audit = result.audit
    return IntendedUseView(
        text=audit.intended_use,
        out_of_scope=tuple(audit.out_of_scope_uses) or ("not provided",),
        limitations=tuple(audit.known_limitations) or ("not provided",),
    )
