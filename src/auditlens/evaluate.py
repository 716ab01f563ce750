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
    calibration_slope: float | None = None
    calibration_slope_se: float | None = None
    calibration_intercept: float | None = None


def calibration_fit(y_true: np.ndarray, prob: np.ndarray) -> tuple[float, float, float] | None:
    """Logistic recalibration: fit ``logit P(y=1) = a + b * logit(prob)`` by maximum likelihood.

    Returns ``(slope b, its standard error, intercept a)``; a calibrated model has b = 1 and
    a = 0 (Cox, Biometrika 1958). None when the fit does not converge (e.g. the labels are
    perfectly separated by the probabilities) or one class is absent.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> p = rng.uniform(0.05, 0.95, 20000)
        >>> slope, se, a = calibration_fit((rng.uniform(size=p.size) < p).astype(int), p)
        >>> abs(slope - 1) < 3 * se
        True
    """
    y = np.asarray(y_true, dtype=float)
    if y.min() == y.max():
        return None
    p = np.clip(np.asarray(prob, dtype=float), 1e-9, 1 - 1e-9)
    X = np.column_stack([np.ones_like(p), np.log(p / (1 - p))])
    beta = np.array([0.0, 1.0])
    for _ in range(50):  # Newton-Raphson; converges in a handful of steps when the MLE exists
        mu = 1 / (1 + np.exp(-(X @ beta)))
        w = mu * (1 - mu)
        hessian = X.T @ (X * w[:, None])
        step = np.linalg.solve(hessian, X.T @ (y - mu))
        beta = beta + step
        if not np.all(np.isfinite(beta)) or abs(beta[1]) > 1e3:
            return None
        if np.max(np.abs(step)) < 1e-10:
            cov = np.linalg.inv(hessian)
            return float(beta[1]), float(np.sqrt(cov[1, 1])), float(beta[0])
    return None


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
    fit = calibration_fit(y_true, prob)
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
        calibration_slope=None if fit is None else fit[0],
        calibration_slope_se=None if fit is None else fit[1],
        calibration_intercept=None if fit is None else fit[2],
    )
