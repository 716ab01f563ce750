"""The Held-out performance section, as the model's task needs it.

Binary: metrics, confusion matrix, ROC and calibration. Multiclass: metrics with intervals, the
K×K confusion matrix, per-class precision/recall/F1/AUC, one ROC curve per class and top-label
calibration. Regression: error metrics with intervals, predicted against actual, residuals and
the largest errors.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from auditlens.formatting import count, fixed, general, signed, with_interval
from auditlens.report import charts
from auditlens.report.view.base import Chart, Facts, Table, held_out
from auditlens.results import AuditResult


@dataclass(frozen=True, slots=True)
class PerformanceView:
    facts: Facts
    tables: tuple[tuple[str, Table], ...]  # (heading, table)
    charts: tuple[Chart, ...]

    @property
    def confusion(self) -> Table:
        """The confusion matrix (custom templates written for the binary report read it by name)."""
        return next(t for heading, t in self.tables if heading.startswith("Confusion matrix"))


def performance_view(result: AuditResult) -> PerformanceView:
    if result.task == "regression":
        return _regression(result)
    if result.task == "multiclass":
        return _multiclass(result)
    return _binary(result)


def _binary(result: AuditResult) -> PerformanceView:
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
        tables=(("Confusion matrix", confusion),),
        charts=(
            Chart(Markup(roc), f"ROC curve on the {where} (AUC {auc})."),
            Chart(Markup(calibration), f"Calibration on the {where} (10 equal-width bins)."),
        ),
    )


def _ci(value: float | None, ci: list[float | None], digits: int = 4) -> str:
    return with_interval(value, ci[0], ci[1], digits) if value is not None else "n/a (undefined)"


def _regression(result: AuditResult) -> PerformanceView:
    p, where, target = result.regression_performance, held_out(result), result.data.target
    facts: Facts = (
        ("Split", f"{p.split} ({count(p.n)} rows)"),
        ("RMSE", _ci(p.rmse, p.rmse_ci) + f" ({target} units)"),
        ("MAE", _ci(p.mae, p.mae_ci) + f" ({target} units)"),
        ("R²", _ci(p.r2, p.r2_ci) + " (1 − squared error over that of predicting the held-out mean)"),
        ("Mean residual", _ci(p.mean_residual, p.mean_residual_ci) + f" ({p.residual_definition}; > 0: predictions too low)"),
    )
    for label, value, ci in (
        ("Poisson deviance", p.poisson_deviance, p.poisson_deviance_ci),
        ("Gamma deviance", p.gamma_deviance, p.gamma_deviance_ci),
        (f"Tweedie deviance (power {general(p.tweedie_power, 3)})", p.tweedie_deviance, p.tweedie_deviance_ci),
    ):
        if value is not None:
            facts += ((label, _ci(value, ci)),)
    if p.ci_method:
        facts += (("Intervals", p.ci_method),)
    largest = Table(
        ("Position among the held-out rows", f"actual {target}", f"predicted {target}", "residual"),
        tuple(
            (str(i), general(a, 6), general(q, 6), signed(a - q, 4))
            for i, a, q in zip(p.largest_errors, p.largest_actual, p.largest_predicted)
        ),
        numeric=(0, 1, 2, 3),
    )
    shown = len(p.sample_positions)
    note = f"{shown} of {count(p.n)} rows, seed {p.seed}" if shown and shown < p.n else ""
    residuals = [a - q for a, q in zip(p.sample_actual, p.sample_predicted)]
    return PerformanceView(
        facts=facts,
        tables=((f"The {len(p.largest_errors)} largest errors on the {where}", largest),),
        charts=(
            Chart(Markup(charts.predicted_vs_actual(
                p.sample_actual, p.sample_predicted, unit=target, note=note,
                alt=f"Predicted against actual {target} on the {where}.")),
                f"Predicted against actual {target} on the {where}; the dashed line is a perfect prediction."),
            Chart(Markup(charts.residuals_vs_predicted(
                p.sample_predicted, residuals, unit=target, note=note,
                alt=f"Residuals against predictions on the {where}.")),
                "Residuals (actual − predicted) against the prediction: a trend or a funnel shows bias or uneven error."),
            Chart(Markup(charts.residual_histogram(p.residual_edges, p.residual_counts,
                                                   alt=f"Distribution of the residuals on the {where}.")),
                  f"Distribution of every residual on the {where}."),
        ),
    )


def _multiclass(result: AuditResult) -> PerformanceView:
    p, where = result.multiclass_performance, held_out(result)
    facts: Facts = (
        ("Split", f"{p.split} ({count(p.n)} rows, {len(p.classes)} classes: "
                  + ", ".join(f"{c} {n}" for c, n in zip(p.classes, p.class_counts)) + ")"),
        ("Accuracy", _ci(p.accuracy, p.accuracy_ci) + " (predicted class = most probable class)"),
        ("Balanced accuracy", _ci(p.balanced_accuracy, p.balanced_accuracy_ci) + " (mean recall over classes)"),
        ("Log loss", _ci(p.log_loss, p.log_loss_ci)),
        ("ROC AUC (one-vs-rest, macro)", _ci(p.roc_auc_macro, p.roc_auc_macro_ci)
         + (f" — {p.roc_auc_macro_note}" if p.roc_auc_macro_note else "")),
        ("Top-label calibration error", _ci(p.top_label_ece, p.top_label_ece_ci)),
        ("Classwise calibration error", _ci(p.classwise_ece, p.classwise_ece_ci)),
        ("Calibration method", p.calibration_method),
        ("Intervals", p.ci_method),
    )
    k = len(p.classes)
    confusion = Table(
        ("actual \\ predicted",) + tuple(p.classes),
        tuple((c,) + tuple(str(v) for v in row) for c, row in zip(p.classes, p.confusion)),
        numeric=tuple(range(1, k + 1)),
    )
    per_class = Table(
        ("Class", "Rows", "Predicted", "Precision", "Recall", "F1", "ROC AUC (vs rest)"),
        tuple(
            (c.label, str(c.support), str(c.predicted), _ci(c.precision, c.precision_ci, 3), _ci(c.recall, c.recall_ci, 3),
             _ci(c.f1, c.f1_ci, 3), _ci(c.roc_auc, c.roc_auc_ci, 3) if c.roc_auc is not None else (c.roc_auc_note or "n/a"))
            for c in p.per_class
        ),
        numeric=(1, 2),
        whole=(0, 1, 2),
    )
    roc = charts.roc_per_class(
        [c.label for c in p.per_class], [c.roc_fpr for c in p.per_class], [c.roc_tpr for c in p.per_class],
        [c.roc_auc for c in p.per_class], alt=f"One-vs-rest ROC curve of each class on the {where}.",
    )
    calibration = charts.calibration(
        p.confidence_pred, p.confidence_true, p.confidence_count,
        alt="Top-label calibration: how often the predicted class is right against its predicted probability.",
    )
    return PerformanceView(
        facts=facts,
        tables=(("Confusion matrix (rows: actual class, columns: predicted class)", confusion),
                ("Per class (one against the rest; 95% intervals)", per_class)),
        charts=(
            Chart(Markup(roc), f"One-vs-rest ROC curve of each class on the {where}."),
            Chart(Markup(calibration), "Top-label calibration: share of rows whose predicted class is right, against the "
                  "predicted class's probability (equal-width bins)."),
        ),
    )
