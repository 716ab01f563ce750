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
from auditlens.stages.context import positive_probability

if TYPE_CHECKING:
    from auditlens.spec import ReviewSection
    from auditlens.stages.context import AuditContext

STRATEGIES = {
    "highest_risk": "highest predicted probability of the positive class first",
    "most_uncertain": "probability closest to 0.5 first",
    "random": "random order (seed {seed})",
}


@dataclass(frozen=True, slots=True)
class ReviewSummary:
    """The reviewed decisions, and one sentence saying how they were chosen."""

    decisions: tuple[DecisionReview, ...]
    selection: str


@dataclass(frozen=True, slots=True)
class _RowExplanations:
    """Per selected row: probability, model output and SHAP values (rows × features)."""

    probability: np.ndarray
    model_output: np.ndarray
    values: np.ndarray


def review_decisions(ctx: AuditContext, settings: ReviewSection, *, default_limit: int) -> ReviewSummary:
    """Select the decisions to review and explain each; ``default_limit`` when ``review.limit`` is unset."""
    if settings.rows:
        X_review, selection = _rows_by_id(ctx, settings)
    else:
        X_review, selection = _rows_by_strategy(ctx, settings, default_limit)
    if len(X_review) == 0:
        return ReviewSummary(decisions=(), selection=selection)
    found = _explanations(ctx, X_review)
    decisions = tuple(
        _decision(ctx, settings, row_id, found.probability[i], found.model_output[i], found.values[i])
        for i, row_id in enumerate(X_review.index)
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
    dataset, prob = ctx.dataset, ctx.test_prob
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
    order = keep[order_by_strategy(prob[keep], settings.strategy, seed=settings.seed)][:limit]
    strategy = STRATEGIES[settings.strategy].format(seed=settings.seed)
    where = f"test rows where {settings.filter}" if settings.filter else "test rows"
    return X_test.iloc[order], f"{where} ({len(keep)} of {len(X_test)}), {strategy}, at most {limit}"


def _candidates(ctx: AuditContext) -> pd.DataFrame:
    """The test rows a filter sees: every column of the file, the prediction and the actual label.

    Every column, so a filter may name a protected attribute the model does not use.
    """
    dataset, prob = ctx.dataset, ctx.test_prob
    positive, negative = _classes(ctx)
    index = dataset.X_test.index
    candidates = dataset.frame.loc[index, list(dataset.features)].copy()
    candidates["predicted"] = np.where(prob >= 0.5, positive, negative)
    candidates["probability"] = prob
    candidates["actual"] = dataset.frame[dataset.target].loc[index].to_numpy()
    return candidates


def _explanations(ctx: AuditContext, X_review: pd.DataFrame) -> _RowExplanations:
    """Reuse the context's SHAP values for explained rows; explain the others in one call."""
    test_position = {row_id: i for i, row_id in enumerate(ctx.dataset.X_test.index)}
    explained_at = {int(p): k for k, p in enumerate(ctx.explained)}
    known = [explained_at.get(test_position.get(row_id, -1)) for row_id in X_review.index]
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
        prob[missing] = positive_probability(ctx.model, rest, ctx.positive_label)
    return _RowExplanations(probability=prob, model_output=output, values=values)


def _decision(
    ctx: AuditContext, settings: ReviewSection, row_id: Any, probability: float, model_output: float,
    contributions: np.ndarray,
) -> DecisionReview:
    """One reviewed decision: its inputs, prediction, and the features that moved it most."""
    dataset = ctx.dataset
    features = list(dataset.X_test.columns)
    positive, negative = _classes(ctx)
    original = [scalar(v) for v in dataset.frame.loc[row_id, features]]
    top = np.argsort(-np.abs(contributions), kind="stable")[: settings.top_features]
    if ctx.existing:
        split = "held-out file"
    else:
        split = "test" if row_id in set(dataset.X_test.index) else "train"
    return DecisionReview(
        row_id=str(row_id),
        predicted=str(positive if probability >= 0.5 else negative),
        probability=float(probability),
        actual=str(dataset.frame[dataset.target].loc[row_id]),
        model_output=float(model_output),
        base_value=float(ctx.shap.base_value),
        contributions=[
            Contribution(feature=features[j], value=original[j], shap=float(contributions[j]))
            for j in top
        ],
        rest=float(contributions.sum() - contributions[top].sum()),
        split=split,
        inputs=dict(zip(features, original)),
        shap_values=[float(v) for v in contributions],
    )


def _classes(ctx: AuditContext) -> tuple[Any, Any]:
    """The positive and the negative label, as the data file spells them."""
    labels = ctx.dataset.frame[ctx.dataset.target]
    positive = ctx.dataset.positive_class
    return positive, next(c for c in labels.unique().tolist() if c != positive)
