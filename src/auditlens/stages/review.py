"""Review stage: the decisions the spec's [review] selects, each with its SHAP values.

Rows come from ``review.rows`` (row ids of the data file, either split) or from the test split,
narrowed by ``review.filter`` and ordered by ``review.strategy`` (see :mod:`auditlens.review`).
A selected row that SHAP already explained keeps the context's values (the same row shows the
same numbers everywhere in the report); only rows outside the explained sample are explained
here, in one call with the same explainer, background and seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from auditlens.errors import DataError
from auditlens.results import Contribution, DecisionReview
from auditlens.review import filter_rows, order_by_strategy, positions_of
from auditlens.stages._values import scalar
from auditlens.stages.context import model_outputs

if TYPE_CHECKING:
    from auditlens.spec import ReviewSection
    from auditlens.stages.context import AuditContext

STRATEGIES = {
    "highest_risk": "highest predicted probability of the positive class first",
    "most_uncertain": "probability closest to 0.5 first",
    "random": "random order (seed {seed})",
}
# What each strategy means for the other tasks (binary: STRATEGIES and auditlens.review).
TASK_STRATEGIES = {
    "regression": {
        "largest_error": "largest absolute error |actual − predicted| first",
        "highest_risk": "highest prediction first",
        "lowest_prediction": "lowest prediction first",
        "random": "random order (seed {seed})",
    },
    "multiclass": {
        "most_uncertain": "smallest margin between the two most probable classes first",
        "largest_error": "misclassified rows first, most confident first",
        "random": "random order (seed {seed})",
    },
}
DEFAULT_STRATEGY = {"binary": "highest_risk", "regression": "largest_error", "multiclass": "most_uncertain"}


@dataclass(frozen=True, slots=True)
class ReviewSummary:
    """The reviewed decisions, and one sentence saying how they were chosen."""

    decisions: tuple[DecisionReview, ...]
    selection: str


@dataclass(frozen=True, slots=True)
class _RowExplanations:
    """Per selected row: probability, model output and SHAP values (rows × features).

    Multiclass: toward the predicted class; ``runner_up`` holds the second most probable class
    (position in ``classes_``), ``versus`` the SHAP values of (predicted − runner-up), and
    ``base`` each row's base value.
    """

    probability: np.ndarray
    model_output: np.ndarray
    values: np.ndarray
    base: np.ndarray | None = None
    predicted: np.ndarray | None = None
    runner_up: np.ndarray | None = None
    runner_up_probability: np.ndarray | None = None
    versus: np.ndarray | None = None


def review_decisions(ctx: AuditContext, settings: ReviewSection, *, default_limit: int) -> ReviewSummary:
    """Select the decisions to review and explain each; ``default_limit`` when ``review.limit`` is unset."""
    if settings.rows:
        X_review, selection = _rows_by_id(ctx, settings)
    else:
        X_review, selection = _rows_by_strategy(ctx, settings, default_limit)
    if len(X_review) == 0:
        return ReviewSummary(decisions=(), selection=selection)
    found = _explanations(ctx, X_review) if ctx.task != "multiclass" else _class_explanations(ctx, X_review)
    splits = _splits(ctx, X_review)
    decisions = tuple(
        _decision(ctx, settings, row_id, found, i, splits[i]) for i, row_id in enumerate(X_review.index)
    )
    return ReviewSummary(decisions=decisions, selection=selection)


def _rows_by_id(ctx: AuditContext, settings: ReviewSection) -> tuple[pd.DataFrame, str]:
    dataset = ctx.dataset
    # An existing model's data is not split: train and test are the same rows.
    X_all = dataset.X_test if ctx.existing else pd.concat([dataset.X_train, dataset.X_test])
    X_review = X_all.iloc[positions_of(X_all.index, list(settings.rows), source=dataset.path.name)]
    selection = "rows " + ", ".join(str(r) for r in settings.rows) + " of the data file, as listed in review.rows"
    return X_review, selection


def _rows_by_strategy(ctx: AuditContext, settings: ReviewSection, default_limit: int) -> tuple[pd.DataFrame, str]:
    dataset = ctx.dataset
    limit = settings.limit if settings.limit is not None else default_limit
    X_test = dataset.X_test
    keep = np.arange(len(X_test))
    if settings.filter:
        mask = filter_rows(_candidates(ctx), settings.filter).to_numpy()
        if not mask.any():
            raise DataError(
                f"review.filter: selects no rows of the test split ({len(X_test)} rows): "
                f"{settings.filter!r}; loosen it or use review.strategy alone"
            )
        keep = np.flatnonzero(mask)
    chosen = settings.strategy or DEFAULT_STRATEGY[ctx.task]
    order = keep[_order(ctx, keep, chosen, settings.seed)][:limit]
    strategy = (STRATEGIES if ctx.task == "binary" else TASK_STRATEGIES[ctx.task])[chosen].format(seed=settings.seed)
    where = f"test rows where {settings.filter}" if settings.filter else "test rows"
    return X_test.iloc[order], f"{where} ({len(keep)} of {len(X_test)}), {strategy}, at most {limit}"


def _order(ctx: AuditContext, keep: np.ndarray, strategy: str, seed: int) -> np.ndarray:
    """Positions (into ``keep``) in review order for ``strategy``, ties in row order."""
    if ctx.task == "binary":
        return order_by_strategy(ctx.test_prob[keep], strategy, seed=seed)
    allowed = TASK_STRATEGIES[ctx.task]
    if strategy not in allowed:
        raise DataError(field="review.strategy", expected=f"one of {', '.join(allowed)} for a {ctx.task} model",
                        got=repr(strategy))
    if strategy == "random":
        return np.random.default_rng(seed).permutation(len(keep))
    if ctx.task == "regression":
        predicted = ctx.test_output[keep]
        key = {
            "largest_error": -np.abs(np.asarray(ctx.dataset.y_test, dtype=np.float64)[keep] - predicted),
            "highest_risk": -predicted,
            "lowest_prediction": predicted,
        }[strategy]
        return np.argsort(key, kind="stable")
    proba = ctx.test_output[keep]
    top2 = np.sort(proba, axis=1)[:, -2:]
    if strategy == "most_uncertain":
        return np.argsort(top2[:, 1] - top2[:, 0], kind="stable")
    wrong = np.argmax(proba, axis=1) != np.asarray(ctx.dataset.y_test)[keep]
    return np.lexsort((-top2[:, 1], ~wrong))  # misclassified first, most confident first


def _candidates(ctx: AuditContext) -> pd.DataFrame:
    """The test rows a filter sees: every column of the file, the prediction and the actual label.

    Every column, so a filter may name a protected attribute the model does not use.
    """
    dataset, prob = ctx.dataset, ctx.test_prob
    index = dataset.X_test.index
    candidates = dataset.frame.loc[index, list(dataset.features)].copy()
    if ctx.task == "regression":
        candidates["predicted"] = prob
        candidates["error"] = np.asarray(dataset.y_test, dtype=np.float64) - prob
    elif ctx.task == "multiclass":
        candidates["predicted"] = np.asarray(dataset.classes, dtype=object)[ctx.predicted_codes]
        candidates["probability"] = prob
    else:
        positive, negative = _classes(ctx)
        candidates["predicted"] = np.where(prob >= 0.5, positive, negative)
        candidates["probability"] = prob
    candidates["actual"] = dataset.frame[dataset.target].loc[index].to_numpy()
    return candidates


def _explained_at(ctx: AuditContext, X_review: pd.DataFrame) -> list[int | None]:
    """For each selected row, its position among the context's explained rows (None: not explained)."""
    test_position = {row_id: i for i, row_id in enumerate(ctx.dataset.X_test.index)}
    explained_at = {int(p): k for k, p in enumerate(ctx.explained)}
    return [explained_at.get(test_position.get(row_id, -1)) for row_id in X_review.index]


def _explanations(ctx: AuditContext, X_review: pd.DataFrame) -> _RowExplanations:
    """Reuse the context's SHAP values for explained rows; explain the others in one call."""
    known = _explained_at(ctx, X_review)
    n, k = len(X_review), len(ctx.shap.feature_names)
    values, output, prob = np.empty((n, k)), np.empty(n), np.empty(n)
    reused = [i for i, j in enumerate(known) if j is not None]
    if reused:
        rows = [known[i] for i in reused]
        values[reused] = ctx.shap_values[rows]
        output[reused] = np.asarray(ctx.shap.model_output)[rows]
        prob[reused] = ctx.test_prob[ctx.explained[rows]]
    missing = [i for i, j in enumerate(known) if j is None]
    if missing:
        rest = X_review.iloc[missing]
        fx = ctx.explain_rows(rest)
        values[missing] = np.asarray(fx.values, dtype=np.float64).reshape(len(missing), k)
        output[missing] = fx.model_output
        prob[missing] = model_outputs(ctx.model, rest, ctx.task, ctx.positive_label)[0]
    return _RowExplanations(probability=prob, model_output=output, values=values)


def _class_explanations(ctx: AuditContext, X_review: pd.DataFrame) -> _RowExplanations:
    """Multiclass: per row, SHAP toward the predicted class and against the runner-up.

    Rows the context explained keep its per-class values; the others are explained per class in
    one call each, with the same explainer settings.
    """
    proba = model_outputs(ctx.model, X_review, "multiclass", None)[1]
    known = _explained_at(ctx, X_review)
    n_classes, n, k = len(ctx.shap_by_class), len(X_review), len(ctx.shap.feature_names)
    values, output = np.empty((n_classes, n, k)), np.empty((n_classes, n))
    reused = [i for i, j in enumerate(known) if j is not None]
    missing = [i for i, j in enumerate(known) if j is None]
    for c, (label, fx) in enumerate(zip(ctx.model.classes_, ctx.shap_by_class)):
        if reused:
            at = [known[i] for i in reused]
            values[c, reused], output[c, reused] = fx.values[at], fx.model_output[at]
        if missing:
            other = ctx.explain_rows(X_review.iloc[missing], label)
            values[c, missing], output[c, missing] = other.values, other.model_output
    ranked = np.argsort(-proba, axis=1, kind="stable")
    predicted, runner_up = ranked[:, 0], ranked[:, 1]
    rows = np.arange(n)
    bases = np.array([fx.base_value for fx in ctx.shap_by_class])
    return _RowExplanations(
        probability=proba[rows, predicted], model_output=output[predicted, rows], values=values[predicted, rows],
        base=bases[predicted], predicted=predicted, runner_up=runner_up,
        runner_up_probability=proba[rows, runner_up], versus=values[predicted, rows] - values[runner_up, rows],
    )


def _splits(ctx: AuditContext, X_review: pd.DataFrame) -> list[str]:
    """Where each reviewed row comes from (the test rows' ids are gathered once, not per row)."""
    if ctx.existing:
        return ["held-out file"] * len(X_review)
    test_ids = set(ctx.dataset.X_test.index)
    return ["test" if row_id in test_ids else "train" for row_id in X_review.index]


def _decision(
    ctx: AuditContext, settings: ReviewSection, row_id: Any, found: _RowExplanations, i: int, split: str
) -> DecisionReview:
    """One reviewed decision: its inputs, prediction, and the features that moved it most."""
    dataset = ctx.dataset
    features = list(dataset.X_test.columns)
    probability, model_output, contributions = found.probability[i], found.model_output[i], found.values[i]
    original = [scalar(v) for v in dataset.frame.loc[row_id, features]]
    top = np.argsort(-np.abs(contributions), kind="stable")[: settings.top_features]

    def listed(values: np.ndarray, which: np.ndarray) -> list[Contribution]:
        return [Contribution(feature=features[j], value=original[j], shap=float(values[j])) for j in which]

    extra: dict[str, Any] = {}
    if ctx.task == "regression":
        predicted, shown_probability = repr(float(probability)), None  # the report formats it
    elif ctx.task == "multiclass":
        predicted, shown_probability = dataset.classes[int(found.predicted[i])], float(probability)
        versus = found.versus[i]
        extra = {
            "runner_up": dataset.classes[int(found.runner_up[i])],
            "runner_up_probability": float(found.runner_up_probability[i]),
            "versus_runner_up": listed(versus, np.argsort(-np.abs(versus), kind="stable")[: settings.top_features]),
        }
    else:
        positive, negative = _classes(ctx)
        predicted, shown_probability = str(positive if probability >= 0.5 else negative), float(probability)
    base = float(ctx.shap.base_value) if found.base is None else float(found.base[i])
    return DecisionReview(
        row_id=str(row_id),
        predicted=predicted,
        probability=shown_probability,
        actual=str(dataset.frame[dataset.target].loc[row_id]),
        model_output=float(model_output),
        base_value=base,
        contributions=listed(contributions, top),
        rest=float(contributions.sum() - contributions[top].sum()),
        split=split,
        inputs=dict(zip(features, original)),
        shap_values=[float(v) for v in contributions],
        **extra,
    )


def _classes(ctx: AuditContext) -> tuple[Any, Any]:
    """The positive and the negative label, as the data file spells them."""
    labels = ctx.dataset.frame[ctx.dataset.target]
    positive = ctx.dataset.positive_class
    return positive, next(c for c in labels.unique().tolist() if c != positive)
