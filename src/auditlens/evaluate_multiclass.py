"""Held-out performance of a multiclass classifier, as plain numbers with their uncertainty.

The predicted class is the column of largest probability (ties: the first, as ``argmax``).
Point estimates are scikit-learn's (``accuracy_score``, ``balanced_accuracy_score``,
``log_loss``, ``precision_recall_fscore_support``, ``roc_auc_score``, ``roc_curve``,
``confusion_matrix``); ``tests/test_evaluate_multiclass.py`` checks them equal. Intervals (95%):

- accuracy, per-class precision and recall: Wilson score intervals (:func:`auditlens.intervals.wilson`);
- balanced accuracy, log loss, per-class F1, ROC AUCs and the calibration errors: the seeded
  percentile bootstrap over the rows (:mod:`auditlens.bootstrap`). An AUC interval is withheld,
  with a note, when a class has fewer than :data:`~auditlens.intervals.MIN_CLASS_FOR_AUC` rows
  in or out of it (as for the binary per-group AUC).

Undefined is None, never a crash: a class absent from ``y_true`` has no recall, no ROC curve and
no AUC, so the macro AUC is None; a class never predicted has no precision.

Calibration (:data:`CALIBRATION_METHOD`): reliability bins per class (one-vs-rest), the
top-label ECE (Guo et al., ICML 2017) and the classwise ECE (Kull et al., NeurIPS 2019).

Example:
    >>> proba = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6], [0.5, 0.4, 0.1]])
    >>> p = evaluate_multiclass([0, 1, 2, 1], proba, ["a", "b", "c"], n_boot=0)
    >>> p.accuracy, p.confusion
    (0.75, ((1, 0, 0), (1, 1, 0), (0, 0, 1)))
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    log_loss,
    precision_recall_fscore_support,
    roc_auc_score,
    roc_curve,
)

from auditlens.bootstrap import finite, percentile_interval, resample_weights, weighted_sum
from auditlens.errors import DataError
from auditlens.intervals import MIN_CLASS_FOR_AUC, wilson
from auditlens.results import ClassPerformanceSummary, MulticlassPerformanceSummary

__all__ = [
    "CALIBRATION_METHOD",
    "ROC_POINTS",
    "ClassPerformance",
    "MulticlassPerformance",
    "evaluate_multiclass",
    "from_multiclass",
]

CALIBRATION_METHOD = (
    "top-label ECE: rows binned by their largest probability (equal-width bins on [0, 1]); the "
    "row-weighted mean over bins of |accuracy − mean largest probability| (Guo et al. 2017). "
    "Classwise ECE: the same per class, one-vs-rest (observed frequency of the class against its "
    "mean probability), averaged over the classes (Kull et al. 2019). Both are biased upward in "
    "small samples; intervals are a percentile bootstrap of the rows."
)
# At most this many points of each class's ROC curve are kept for the chart (ends kept).
ROC_POINTS = 200

Interval = tuple[float | None, float | None]
NONE: Interval = (None, None)


@dataclass(frozen=True, slots=True)
class ClassPerformance:
    """One class against the rest; None where undefined (absent class, never predicted)."""

    label: str
    support: int  # rows of this class in y_true
    predicted: int  # rows predicted as this class
    precision: float | None
    precision_ci: Interval
    recall: float | None
    recall_ci: Interval
    f1: float | None
    f1_ci: Interval
    roc_auc: float | None
    roc_auc_ci: Interval
    roc_auc_note: str  # why the AUC interval is withheld ("" = shown)
    roc_fpr: tuple[float, ...]
    roc_tpr: tuple[float, ...]
    calibration_pred: tuple[float, ...]  # per non-empty bin: mean probability of this class
    calibration_true: tuple[float, ...]  # observed frequency of this class
    calibration_count: tuple[int, ...]
    calibration_error: float  # this class's ECE (one-vs-rest)


@dataclass(frozen=True, slots=True)
class MulticlassPerformance:
    """Held-out metrics of a multiclass classifier (column k of the probabilities = classes[k])."""

    n: int
    classes: tuple[str, ...]
    class_counts: tuple[int, ...]
    accuracy: float
    accuracy_ci: Interval
    balanced_accuracy: float  # mean recall over the classes present in y_true
    balanced_accuracy_ci: Interval
    log_loss: float
    log_loss_ci: Interval
    roc_auc_macro: float | None  # one-vs-rest, macro average; None if a class is absent
    roc_auc_macro_ci: Interval
    roc_auc_macro_note: str
    confusion: tuple[tuple[int, ...], ...]  # rows: actual class, columns: predicted class
    per_class: tuple[ClassPerformance, ...]
    top_label_ece: float
    top_label_ece_ci: Interval
    classwise_ece: float
    classwise_ece_ci: Interval
    confidence_pred: tuple[float, ...]  # top-label reliability: mean largest probability per bin
    confidence_true: tuple[float, ...]  # accuracy per bin
    confidence_count: tuple[int, ...]
    calibration_method: str
    bins: int
    n_boot: int
    seed: int


def _inputs(
    y_true: object, proba: object, classes: Sequence[object]
) -> tuple[np.ndarray, np.ndarray]:
    k = len(classes)
    if k < 2:
        raise DataError(field="classes", expected="at least 2 classes", got=f"{k}")
    p = np.asarray(proba, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != k or p.shape[0] == 0:
        raise DataError(
            field="proba", expected=f"an (n, {k}) array of probabilities", got=f"shape {p.shape}"
        )
    if (
        not np.all(np.isfinite(p))
        or p.min() < 0
        or p.max() > 1
        or not np.allclose(p.sum(axis=1), 1, atol=1e-6)
    ):
        raise DataError(
            field="proba",
            expected="probabilities in [0, 1] summing to 1 per row",
            got="other values",
        )
    y = np.asarray(y_true)
    if y.ndim != 1 or len(y) != p.shape[0]:
        raise DataError(
            field="y_true",
            expected=f"{p.shape[0]} class codes (one per row)",
            got=f"shape {y.shape}",
        )
    if (
        not np.issubdtype(y.dtype, np.number)
        or np.any(y != np.round(y))
        or y.min() < 0
        or y.max() >= k
    ):
        raise DataError(
            field="y_true", expected=f"integer class codes 0..{k - 1}", got="other values"
        )
    return y.astype(np.int64), p


def _bins(prob: np.ndarray, bins: int) -> np.ndarray:
    """Equal-width bin of each probability on [0, 1]: [e_b, e_b+1), the last bin closed."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    return np.clip(np.digitize(prob, edges[1:-1]), 0, bins - 1)


def _reliability(
    prob: np.ndarray, hit: np.ndarray, which: np.ndarray, bins: int
) -> tuple[tuple, tuple, tuple, float]:
    """Mean probability, observed frequency and count per non-empty bin, and the ECE."""
    count = np.bincount(which, minlength=bins)
    sum_p = np.bincount(which, weights=prob, minlength=bins)
    sum_hit = np.bincount(which, weights=hit.astype(np.float64), minlength=bins)
    keep = count > 0
    ece = float(np.abs(sum_hit - sum_p).sum() / len(prob))
    return (
        tuple(float(v) for v in sum_p[keep] / count[keep]),
        tuple(float(v) for v in sum_hit[keep] / count[keep]),
        tuple(int(v) for v in count[keep]),
        ece,
    )


def _thin(fpr: np.ndarray, tpr: np.ndarray) -> tuple[tuple[float, ...], tuple[float, ...]]:
    keep = np.unique(np.round(np.linspace(0, len(fpr) - 1, min(len(fpr), ROC_POINTS))).astype(int))
    return tuple(float(v) for v in fpr[keep]), tuple(float(v) for v in tpr[keep])


def _auc_note(support: int, n: int) -> str:
    if min(support, n - support) >= MIN_CLASS_FOR_AUC:
        return ""
    return (
        f"no interval: {support} rows of the class and {n - support} of the rest (fewer than "
        f"{MIN_CLASS_FOR_AUC}), too few for a trustworthy AUC interval"
    )


def _weighted_auc(ties: np.ndarray, hit: np.ndarray, w: np.ndarray, groups: int) -> float:
    """ROC AUC with rows counted ``w`` times: P(score of a hit > score of a miss), ties one half.

    ``ties`` numbers the distinct scores in increasing order (``np.unique(..., return_inverse=True)``),
    so a resample needs no sort.
    """
    pos = np.bincount(ties, weights=w * hit, minlength=groups)
    neg = np.bincount(ties, weights=w * (1 - hit), minlength=groups)
    n_pos, n_neg = pos.sum(), neg.sum()
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    below = np.cumsum(neg) - neg
    return float(weighted_sum(pos, below + 0.5 * neg) / (n_pos * n_neg))


def _weighted_ece(which: np.ndarray, gap: np.ndarray, w: np.ndarray, bins: int) -> float:
    """ECE with rows counted ``w`` times: sum over bins of |sum of w * (hit - p)|, over sum of w."""
    return float(np.abs(np.bincount(which, weights=w * gap, minlength=bins)).sum() / w.sum())


class _Draws:
    """Everything the bootstrap needs that does not change between resamples."""

    def __init__(self, y: np.ndarray, p: np.ndarray, bins: int) -> None:
        n, self.k = p.shape
        self.y, self.bins = y, bins
        self.hits = (y[:, None] == np.arange(self.k)).astype(np.float64)  # one-hot
        predicted = p.argmax(axis=1)
        self.pred_hits = (predicted[:, None] == np.arange(self.k)).astype(np.float64)
        self.correct = (predicted == y).astype(np.float64)
        self.row_loss = -np.log(
            np.clip(p[np.arange(n), y], np.finfo(np.float64).eps, 1 - np.finfo(np.float64).eps)
        )
        conf = p.max(axis=1)
        self.conf_bin, self.conf_gap = _bins(conf, bins), self.correct - conf
        self.class_bin = [_bins(p[:, c], bins) for c in range(self.k)]
        self.class_gap = self.hits - p
        self.ties = [np.unique(p[:, c], return_inverse=True) for c in range(self.k)]

    def one(self, w: np.ndarray) -> np.ndarray:
        """[balanced accuracy, log loss, macro AUC, top-label ECE, classwise ECE, AUC_c..., F1_c...]."""
        n, k = w.sum(), self.k
        tp = weighted_sum(w * self.correct, self.hits)
        support, predicted = weighted_sum(w, self.hits), weighted_sum(w, self.pred_hits)
        with np.errstate(divide="ignore", invalid="ignore"):
            recall = tp / support
            f1 = 2 * tp / (support + predicted)
        aucs = [
            _weighted_auc(inv, self.hits[:, c], w, len(u)) for c, (u, inv) in enumerate(self.ties)
        ]
        ece = _weighted_ece(self.conf_bin, self.conf_gap, w, self.bins)
        per_class = [
            _weighted_ece(self.class_bin[c], self.class_gap[:, c], w, self.bins) for c in range(k)
        ]
        classwise = np.mean(per_class)
        balanced = np.mean(recall[support > 0])
        return np.array(
            [
                balanced,
                weighted_sum(w, self.row_loss) / n,
                np.mean(aucs),
                ece,
                classwise,
                *aucs,
                *f1,
            ]
        )


def _bootstrap(y: np.ndarray, p: np.ndarray, bins: int, n_boot: int, seed: int) -> list[Interval]:
    draws = _Draws(y, p, bins)
    values = np.array([draws.one(w) for w in resample_weights(len(y), n_boot, seed)])
    return [percentile_interval(values[:, j]) for j in range(values.shape[1])]


def _per_class(
    y: np.ndarray,
    p: np.ndarray,
    predicted: np.ndarray,
    labels: list[str],
    bins: int,
    auc_ci: list[Interval],
    f1_ci: list[Interval],
) -> list[ClassPerformance]:
    """Each class against the rest; ``auc_ci`` empty: no intervals at all (n_boot = 0)."""
    k, n = p.shape[1], len(y)
    intervals = bool(auc_ci)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # undefined precision/recall: NaN, reported as None
        prec, rec, f1, support = precision_recall_fscore_support(
            y, predicted, labels=list(range(k)), zero_division=np.nan
        )
    out = []
    for c in range(k):
        hit, picked = y == c, predicted == c
        tp, sup, npred = int((hit & picked).sum()), int(support[c]), int(picked.sum())
        defined = 0 < sup < n
        fpr, tpr, _ = roc_curve(hit, p[:, c]) if defined else (np.array([]), np.array([]), None)
        roc_fpr, roc_tpr = _thin(fpr, tpr)
        cal_p, cal_t, cal_n, ece = _reliability(p[:, c], hit, _bins(p[:, c], bins), bins)
        note = _auc_note(sup, n) if defined and intervals else ""
        out.append(
            ClassPerformance(
                label=labels[c],
                support=sup,
                predicted=npred,
                precision=finite(prec[c]),
                precision_ci=wilson(tp, npred) if npred and intervals else NONE,
                recall=finite(rec[c]),
                recall_ci=wilson(tp, sup) if sup and intervals else NONE,
                f1=finite(f1[c]),
                f1_ci=f1_ci[c] if finite(f1[c]) is not None else NONE,
                roc_auc=float(roc_auc_score(hit, p[:, c])) if defined else None,
                roc_auc_ci=auc_ci[c] if defined and not note and intervals else NONE,
                roc_auc_note=note,
                roc_fpr=roc_fpr,
                roc_tpr=roc_tpr,
                calibration_pred=cal_p,
                calibration_true=cal_t,
                calibration_count=cal_n,
                calibration_error=ece,
            )
        )
    return out


def evaluate_multiclass(
    y_true: object,
    proba: object,
    classes: Sequence[object],
    *,
    n_boot: int = 1000,
    seed: int = 0,
    bins: int = 10,
) -> MulticlassPerformance:
    """Score class probabilities against held-out class codes.

    Args:
        y_true: class codes 0..K−1 (code k = ``classes[k]``).
        proba: (n, K) predicted probabilities, columns in the order of ``classes`` (``model.classes_``).
        classes: the class labels (shown as ``str``).
        n_boot: bootstrap resamples of the rows (0: no intervals at all).
        seed: seeds the bootstrap.
        bins: equal-width calibration bins on [0, 1] (empty bins left out).

    Raises:
        DataError: fewer than 2 classes, a shape mismatch, codes out of range, or rows of
            ``proba`` that are not probabilities.
    """
    y, p = _inputs(y_true, proba, classes)
    n, k = p.shape
    predicted = p.argmax(axis=1)
    boot = _bootstrap(y, p, int(bins), int(n_boot), int(seed)) if n_boot > 0 else []
    auc_ci, f1_ci = (boot[5 : 5 + k], boot[5 + k :]) if boot else ([], [NONE] * k)
    per_class = _per_class(y, p, predicted, [str(c) for c in classes], int(bins), auc_ci, f1_ci)
    aucs = [c.roc_auc for c in per_class]
    macro = None if any(a is None for a in aucs) else float(np.mean(aucs))
    notes = [c.roc_auc_note for c in per_class if c.roc_auc_note]
    macro_note = (
        "no interval: a class has too few rows in or out of it for a trustworthy AUC interval"
        if notes
        else ""
    )
    conf_p, conf_t, conf_n, top_ece = _reliability(
        p.max(axis=1), predicted == y, _bins(p.max(axis=1), int(bins)), int(bins)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # y_pred holding a class absent from y_true
        balanced = float(balanced_accuracy_score(y, predicted))
    cm = confusion_matrix(y, predicted, labels=list(range(k)))
    return MulticlassPerformance(
        n=n,
        classes=tuple(str(c) for c in classes),
        class_counts=tuple(int(v) for v in np.bincount(y, minlength=k)),
        accuracy=float(accuracy_score(y, predicted)),
        accuracy_ci=wilson(int((predicted == y).sum()), n) if boot else NONE,
        balanced_accuracy=balanced,
        balanced_accuracy_ci=boot[0] if boot else NONE,
        log_loss=float(log_loss(y, p, labels=list(range(k)))),
        log_loss_ci=boot[1] if boot else NONE,
        roc_auc_macro=macro,
        roc_auc_macro_ci=boot[2] if boot and macro is not None and not notes else NONE,
        roc_auc_macro_note=macro_note if macro is not None else "",
        confusion=tuple(tuple(int(v) for v in row) for row in cm),
        per_class=tuple(per_class),
        top_label_ece=top_ece,
        top_label_ece_ci=boot[3] if boot else NONE,
        classwise_ece=float(np.mean([c.calibration_error for c in per_class])),
        classwise_ece_ci=boot[4] if boot else NONE,
        confidence_pred=conf_p,
        confidence_true=conf_t,
        confidence_count=conf_n,
        calibration_method=CALIBRATION_METHOD,
        bins=int(bins),
        n_boot=int(n_boot),
        seed=int(seed),
    )


def _listed(obj: object) -> dict[str, object]:
    fields = {name: getattr(obj, name) for name in type(obj).__slots__}  # type: ignore[attr-defined]
    return {k: list(v) if isinstance(v, tuple) else v for k, v in fields.items()}


def from_multiclass(p: MulticlassPerformance, split: str) -> MulticlassPerformanceSummary:
    """The results.json form of ``p``, measured on ``split`` ("test" or "file")."""
    fields = _listed(p)
    fields["confusion"] = [list(row) for row in p.confusion]
    fields["per_class"] = [ClassPerformanceSummary(**_listed(c)) for c in p.per_class]
    ci_method = (
        f"accuracy, precision, recall: Wilson score 95%; other intervals: 95% percentile bootstrap, "
        f"{p.n_boot} resamples of the rows, seed {p.seed}"
        if p.n_boot
        else ""
    )
    return MulticlassPerformanceSummary(split=split, ci_method=ci_method, **fields)
