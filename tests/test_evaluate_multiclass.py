"""Held-out multiclass metrics on real data (scikit-learn's wine set): equal to scikit-learn's,
bootstrap intervals equal to resampling the rows by hand, calibration written out, degenerate cases."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.datasets import load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    log_loss,
    precision_recall_fscore_support,
    roc_auc_score,
    roc_curve,
)
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from auditlens.errors import DataError
from auditlens.evaluate_multiclass import (
    ROC_POINTS,
    _weighted_auc,
    evaluate_multiclass,
    from_multiclass,
)
from auditlens.intervals import wilson
from auditlens.results import MulticlassPerformanceSummary

TOL = 1e-12


@pytest.fixture(scope="module")
def wine() -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Held-out cultivar codes and a weak model's probabilities (two features: errors to measure)."""
    data = load_wine(as_frame=True)
    X = data.frame[["alcohol", "color_intensity"]]
    X_train, X_test, y_train, y_test = train_test_split(
        X, data.target, test_size=0.4, random_state=0, stratify=data.target
    )
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.05)).fit(X_train, y_train)
    return (
        y_test.to_numpy(),
        model.predict_proba(X_test),
        [str(c) for c in data.target_names[model.classes_]],
    )


def test_metrics_equal_scikit_learn(wine: tuple[np.ndarray, np.ndarray, list[str]]) -> None:
    y, proba, classes = wine
    p = evaluate_multiclass(y, proba, classes, n_boot=0)
    pred = proba.argmax(axis=1)
    assert p.n == len(y) == 72 and p.class_counts == tuple(np.bincount(y))
    assert p.classes == ("class_0", "class_1", "class_2")
    assert p.accuracy == pytest.approx(accuracy_score(y, pred), abs=TOL)
    assert 0.6 < p.accuracy < 0.98  # a real, imperfect model
    assert p.balanced_accuracy == pytest.approx(balanced_accuracy_score(y, pred), abs=TOL)
    assert p.log_loss == pytest.approx(log_loss(y, proba), abs=TOL)
    assert p.roc_auc_macro == pytest.approx(
        roc_auc_score(y, proba, multi_class="ovr", average="macro"), abs=TOL
    )
    assert np.array_equal(np.array(p.confusion), confusion_matrix(y, pred))
    prec, rec, f1, support = precision_recall_fscore_support(y, pred)
    for k, c in enumerate(p.per_class):
        assert (c.label, c.support, c.predicted) == (classes[k], support[k], int((pred == k).sum()))
        assert (c.precision, c.recall, c.f1) == pytest.approx((prec[k], rec[k], f1[k]), abs=TOL)
        assert c.roc_auc == pytest.approx(roc_auc_score(y == k, proba[:, k]), abs=TOL)
        fpr, tpr, _ = roc_curve(y == k, proba[:, k])
        assert len(fpr) <= ROC_POINTS and c.roc_fpr == tuple(fpr) and c.roc_tpr == tuple(tpr)


def test_roc_curves_are_thinned_keeping_their_ends() -> None:
    rng = np.random.default_rng(0)
    proba = rng.dirichlet([1, 1, 1, 1], size=3000)
    y = np.array([rng.choice(4, p=row) for row in proba])  # calibrated by construction
    p = evaluate_multiclass(y, proba, list("abcd"), n_boot=0)
    for k, c in enumerate(p.per_class):
        fpr, tpr, _ = roc_curve(y == k, proba[:, k])
        assert len(fpr) > ROC_POINTS >= len(c.roc_fpr) > ROC_POINTS - 5
        assert (c.roc_fpr[0], c.roc_tpr[0], c.roc_fpr[-1], c.roc_tpr[-1]) == (0.0, 0.0, 1.0, 1.0)
        assert set(zip(c.roc_fpr, c.roc_tpr)) <= set(zip(fpr.tolist(), tpr.tolist()))
    assert p.top_label_ece < 0.05 and p.classwise_ece < 0.05  # calibrated data: small errors


def _ece(prob: np.ndarray, hit: np.ndarray, bins: int) -> float:
    """Expected calibration error written out bin by bin, [a, b) bins with the last closed."""
    total = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = (prob >= lo) & ((prob < hi) if b < bins - 1 else (prob <= hi))
        if inside.any():
            total += inside.sum() / len(prob) * abs(hit[inside].mean() - prob[inside].mean())
    return total


def test_calibration_written_out(wine: tuple[np.ndarray, np.ndarray, list[str]]) -> None:
    y, proba, classes = wine
    p = evaluate_multiclass(y, proba, classes, n_boot=0, bins=5)
    conf, pred = proba.max(axis=1), proba.argmax(axis=1)
    assert p.top_label_ece == pytest.approx(_ece(conf, (pred == y).astype(float), 5), abs=TOL)
    per_class = [_ece(proba[:, k], (y == k).astype(float), 5) for k in range(3)]
    assert [c.calibration_error for c in p.per_class] == pytest.approx(per_class, abs=TOL)
    assert p.classwise_ece == pytest.approx(np.mean(per_class), abs=TOL)
    for k, c in enumerate(p.per_class):
        assert sum(c.calibration_count) == len(y) and len(c.calibration_count) <= 5
        weighted = np.dot(c.calibration_count, c.calibration_true) / len(y)
        assert weighted == pytest.approx(np.mean(y == k), abs=TOL)  # observed frequencies add up
    assert sum(p.confidence_count) == len(y)
    assert "top-label ECE" in p.calibration_method and "Classwise ECE" in p.calibration_method


def test_weighted_auc_is_roc_auc(wine: tuple[np.ndarray, np.ndarray, list[str]]) -> None:
    y, proba, _ = wine
    for k in range(3):
        unique, ties = np.unique(np.round(proba[:, k], 2), return_inverse=True)  # with ties
        hit = (y == k).astype(float)
        got = _weighted_auc(ties, hit, np.ones(len(y)), len(unique))
        assert got == pytest.approx(roc_auc_score(hit, np.round(proba[:, k], 2)), abs=TOL)


def _by_hand(
    y: np.ndarray, proba: np.ndarray, n_boot: int, seed: int
) -> dict[str, tuple[float, float]]:
    """The percentile bootstrap written out: resample the rows, call scikit-learn."""
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {
        "balanced": [],
        "log_loss": [],
        "macro": [],
        "f1_0": [],
        "auc_2": [],
    }
    for _ in range(n_boot):
        idx = rng.integers(0, len(y), size=len(y))
        yb, pb = y[idx], proba[idx]
        draws["balanced"].append(balanced_accuracy_score(yb, pb.argmax(axis=1)))
        draws["log_loss"].append(log_loss(yb, pb, labels=[0, 1, 2]))
        draws["macro"].append(roc_auc_score(yb, pb, multi_class="ovr", average="macro"))
        draws["f1_0"].append(f1_score(yb == 0, pb.argmax(axis=1) == 0))
        draws["auc_2"].append(roc_auc_score(yb == 2, pb[:, 2]))
    return {k: tuple(np.quantile(v, [0.025, 0.975])) for k, v in draws.items()}


def test_bootstrap_equals_resampling_by_hand(
    wine: tuple[np.ndarray, np.ndarray, list[str]],
) -> None:
    y, proba, classes = wine
    p = evaluate_multiclass(y, proba, classes, n_boot=40, seed=3)
    want = _by_hand(y, proba, 40, 3)
    got = {
        "balanced": p.balanced_accuracy_ci,
        "log_loss": p.log_loss_ci,
        "macro": p.roc_auc_macro_ci,
        "f1_0": p.per_class[0].f1_ci,
        "auc_2": p.per_class[2].roc_auc_ci,
    }
    for name, interval in got.items():
        assert interval == pytest.approx(want[name], rel=1e-9, abs=1e-12), name


def test_intervals_contain_the_estimate_and_are_seeded(
    wine: tuple[np.ndarray, np.ndarray, list[str]],
) -> None:
    y, proba, classes = wine
    one = evaluate_multiclass(y, proba, classes, n_boot=300, seed=1)
    assert one == evaluate_multiclass(y, proba, classes, n_boot=300, seed=1)
    assert evaluate_multiclass(y, proba, classes, n_boot=300, seed=2).log_loss_ci != one.log_loss_ci
    for name in (
        "accuracy",
        "balanced_accuracy",
        "log_loss",
        "roc_auc_macro",
        "top_label_ece",
        "classwise_ece",
    ):
        low, high = getattr(one, f"{name}_ci")
        assert low <= getattr(one, name) <= high, name
    for k, c in enumerate(one.per_class):
        tp = int(np.sum((proba.argmax(axis=1) == k) & (y == k)))
        assert c.precision_ci == wilson(tp, c.predicted) and c.recall_ci == wilson(tp, c.support)
        for m in ("precision", "recall", "f1", "roc_auc"):
            low, high = getattr(c, f"{m}_ci")
            assert low <= getattr(c, m) <= high, (k, m)
    assert one.accuracy_ci == wilson(int(np.sum(proba.argmax(axis=1) == y)), len(y))


def test_absent_class_and_never_predicted_class_are_none(
    wine: tuple[np.ndarray, np.ndarray, list[str]],
) -> None:
    y, proba, classes = wine
    keep = y != 2
    p = evaluate_multiclass(y[keep], proba[keep], classes, n_boot=30)
    absent = p.per_class[2]
    assert absent.support == 0 and absent.recall is None and absent.recall_ci == (None, None)
    assert absent.roc_auc is None and absent.roc_fpr == () and p.roc_auc_macro is None
    assert p.roc_auc_macro_ci == (None, None)
    pred = proba[keep].argmax(axis=1)
    assert p.balanced_accuracy == pytest.approx(balanced_accuracy_score(y[keep], pred), abs=TOL)
    assert p.log_loss == pytest.approx(log_loss(y[keep], proba[keep], labels=[0, 1, 2]), abs=TOL)
    # a class no row is predicted as: no precision
    never = np.column_stack([proba[:, 0] + proba[:, 2], proba[:, 1], np.zeros(len(y))])
    q = evaluate_multiclass(y, never, classes, n_boot=30)
    # predicted but absent (class_2 above) and absent-and-never-predicted: as scikit-learn says
    for case, (yy, pp) in {"absent": (y[keep], proba[keep]), "never": (y, never)}.items():
        got = evaluate_multiclass(yy, pp, classes, n_boot=0).per_class
        want = precision_recall_fscore_support(
            yy, pp.argmax(axis=1), labels=[0, 1, 2], zero_division=np.nan
        )
        for k in range(3):
            for value, expected in zip((got[k].precision, got[k].recall, got[k].f1), want[:3]):
                assert (value is None) == np.isnan(expected[k]), (case, k)
                assert value is None or value == pytest.approx(expected[k], abs=TOL), (case, k)
    assert q.per_class[2].predicted == 0 and q.per_class[2].precision is None
    assert q.per_class[2].precision_ci == (None, None) and q.per_class[2].recall == 0.0


def test_two_classes_and_small_classes(wine: tuple[np.ndarray, np.ndarray, list[str]]) -> None:
    y, proba, classes = wine
    keep = y < 2
    two = proba[keep][:, :2] / proba[keep][:, :2].sum(axis=1, keepdims=True)
    p = evaluate_multiclass(y[keep], two, classes[:2], n_boot=30)
    assert p.roc_auc_macro == pytest.approx(
        roc_auc_score(y[keep], two[:, 1]), abs=TOL
    )  # K = 2: the binary AUC
    assert len(p.confusion) == 2 and p.roc_auc_macro_ci[0] is not None
    few = evaluate_multiclass(y[:12], proba[:12], classes, n_boot=30)  # fewer than 10 of each class
    assert all(
        c.roc_auc_ci == (None, None) and "no interval" in c.roc_auc_note
        for c in few.per_class
        if c.roc_auc is not None
    )


def test_single_row_does_not_crash() -> None:
    p = evaluate_multiclass([1], [[0.2, 0.5, 0.3]], ["a", "b", "c"], n_boot=20)
    assert (p.n, p.accuracy, p.balanced_accuracy) == (1, 1.0, 1.0)
    assert p.log_loss == pytest.approx(-np.log(0.5)) and p.roc_auc_macro is None
    assert p.per_class[0].precision is None and p.per_class[1].precision == 1.0
    assert p.confusion == ((0, 0, 0), (0, 1, 0), (0, 0, 0))


@pytest.mark.parametrize(
    ("y", "proba", "classes", "field"),
    [
        ([0, 1], [[0.5, 0.6], [0.5, 0.5]], ["a", "b"], "proba"),  # a row summing to 1.1
        ([0, 2], [[0.5, 0.5], [0.5, 0.5]], ["a", "b"], "y_true"),  # code out of range
        ([0, 1, 0], [[0.5, 0.5], [0.5, 0.5]], ["a", "b"], "y_true"),  # length
        ([0], [[1.0]], ["a"], "classes"),
        ([0, 1], [[0.5, 0.5, 0.0], [0.5, 0.5, 0.0]], ["a", "b"], "proba"),  # columns != classes
    ],
)
def test_bad_input_names_the_field(y: list, proba: list, classes: list, field: str) -> None:
    with pytest.raises(DataError) as err:
        evaluate_multiclass(y, proba, classes)
    assert err.value.field == field and "\n" not in str(err.value)


def test_summary_round_trips(wine: tuple[np.ndarray, np.ndarray, list[str]]) -> None:
    y, proba, classes = wine
    p = evaluate_multiclass(y, proba, classes, n_boot=30, seed=4)
    s = from_multiclass(p, "test")
    assert s.split == "test" and s.confusion == [list(r) for r in p.confusion]
    assert s.per_class[1].roc_auc == p.per_class[1].roc_auc and s.per_class[1].f1_ci == list(
        p.per_class[1].f1_ci
    )
    assert "30 resamples" in s.ci_method and s.calibration_method == p.calibration_method
    assert MulticlassPerformanceSummary.model_validate(json.loads(s.model_dump_json())) == s
