"""Held-out performance of the fitted model on the test split, as plain numbers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    brier_score_loss,
    confusion_matrix,
    log_loss,
    roc_auc_score,
    roc_curve,
)


@dataclass(frozen=True, slots=True)
class Performance:
    """Held-out metrics for a binary classifier (positive class = 1)."""

    n: int
    positives: int
    roc_auc: float
    accuracy: float
    balanced_accuracy: float
    brier: float
    log_loss: float
    threshold: float
    confusion: tuple[tuple[int, int], tuple[int, int]]  # [[TN, FP], [FN, TP]]
    roc_fpr: tuple[float, ...]
    roc_tpr: tuple[float, ...]
    calibration_pred: tuple[float, ...]
    calibration_true: tuple[float, ...]
    calibration_count: tuple[int, ...]


def evaluate(y_true: np.ndarray, prob: np.ndarray, *, threshold: float = 0.5, bins: int = 10) -> Performance:
    """Score predicted probabilities of the positive class against 0/1 labels.

    Calibration uses ``bins`` equal-width bins on [0, 1]; empty bins are left out.

    Example:
        >>> p = evaluate(np.array([0, 1, 1, 0]), np.array([0.1, 0.8, 0.6, 0.4]))
        >>> p.roc_auc, p.accuracy
        (1.0, 1.0)
    """
    y_true = np.asarray(y_true, dtype=int)
    prob = np.asarray(prob, dtype=float)
    predicted = (prob >= threshold).astype(int)
    fpr, tpr, _ = roc_curve(y_true, prob)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(prob, edges[1:-1]), 0, bins - 1)
    cal_pred, cal_true, cal_count = [], [], []
    for b in range(bins):
        mask = which == b
        if mask.any():
            cal_pred.append(float(prob[mask].mean()))
            cal_true.append(float(y_true[mask].mean()))
            cal_count.append(int(mask.sum()))
    cm = confusion_matrix(y_true, predicted, labels=[0, 1])
    return Performance(
        n=int(len(y_true)),
        positives=int(y_true.sum()),
        roc_auc=float(roc_auc_score(y_true, prob)),
        accuracy=float(accuracy_score(y_true, predicted)),
        balanced_accuracy=float(balanced_accuracy_score(y_true, predicted)),
        brier=float(brier_score_loss(y_true, prob)),
        log_loss=float(log_loss(y_true, np.clip(prob, 1e-15, 1 - 1e-15), labels=[0, 1])),
        threshold=float(threshold),
        confusion=((int(cm[0, 0]), int(cm[0, 1])), (int(cm[1, 0]), int(cm[1, 1]))),
        roc_fpr=tuple(float(v) for v in fpr),
        roc_tpr=tuple(float(v) for v in tpr),
        calibration_pred=tuple(cal_pred),
        calibration_true=tuple(cal_true),
        calibration_count=tuple(cal_count),
    )
