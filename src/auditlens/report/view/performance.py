"""The Held-out performance section: metrics, confusion matrix, ROC and calibration."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from auditlens.formatting import fixed
from auditlens.report import charts
from auditlens.report.view.base import Chart, Facts, Table, held_out
from auditlens.results import AuditResult


@dataclass(frozen=True, slots=True)
class PerformanceView:
    facts: Facts
    confusion: Table
    roc_chart: Chart
    calibration_chart: Chart


def performance_view(result: AuditResult) -> PerformanceView:
    perf, where = result.performance, held_out(result)
    (tn, fp), (fn, tp) = perf.confusion
    confusion = Table(
        ("", f"predicted {perf.negative_class}", f"predicted {perf.positive_class}"),
        (
            (f"actual {perf.negative_class}", str(tn), str(fp)),
            (f"actual {perf.positive_class}", str(fn), str(tp)),
        ),
        numeric=(1, 2),
    )
    auc = fixed(perf.roc_auc, 3)
    roc = charts.roc_curve(perf.roc_fpr, perf.roc_tpr, auc=perf.roc_auc, alt=f"ROC curve on the {where}, AUC {auc}.")
    calibration = charts.calibration(
        perf.calibration_pred, perf.calibration_true, perf.calibration_count,
        alt="Calibration: observed rate of the positive class against the mean predicted probability per bin.",
    )
    return PerformanceView(
        facts=(
            ("Split", f"{perf.split} ({perf.n} rows, {perf.positives} '{perf.positive_class}')"),
            ("ROC AUC", fixed(perf.roc_auc, 4)),
            ("Accuracy", f"{fixed(perf.accuracy, 4)} at threshold {perf.threshold}"),
            ("Balanced accuracy", fixed(perf.balanced_accuracy, 4)),
            ("Brier score", fixed(perf.brier, 4)),
            ("Log loss", fixed(perf.log_loss, 4)),
        ),
        confusion=confusion,
        roc_chart=Chart(Markup(roc), f"ROC curve on the {where} (AUC {auc})."),
        calibration_chart=Chart(Markup(calibration), f"Calibration on the {where} (10 equal-width bins)."),
    )
