"""The audit context: what every analysis stage reads, computed once.

    Subject ─► held-out probabilities ─► explained rows (drawn once) ─► SHAP values ─► AuditContext

Stages read the context and their own spec section and return their own summary; none of them
recomputes what is here, so the rows the effects, the groups and the review see are the same
rows with the same SHAP values by construction, not by convention.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from auditlens.cluster import current_client
from auditlens.errors import SpecError
from auditlens.explain import FeatureEffects, FileRows, explain_model

if TYPE_CHECKING:
    import pandas as pd

    from auditlens.dataset import Dataset
    from auditlens.spec import ExplainSection
    from auditlens.stages.subject import Subject
    from auditlens.trials.table import TrialTable


@dataclass(frozen=True, slots=True)
class AuditContext:
    """Data, model and the numbers computed once from them, shared read-only by the stages.

    Attributes:
        dataset: the audited data (for an existing model, test rows = every row of the file).
        trials: the tuning run.
        model: the fitted classifier or regressor (a Pipeline or bare estimator).
        positive_label: binary: the positive class as the model knows it (an entry of
            ``classes_``); None for the other tasks.
        existing: True for a fitted model judged on a held-out file (no split, no refit).
        protected: the protected attributes (``data.protected_attributes``), columns of the data.
        test_prob: held-out probability of the positive class, one per test row (binary);
            multiclass: the probability of the predicted class; regression: the prediction.
        explained: positions (iloc) in the test split of the rows SHAP explains, sorted.
        shap: the SHAP values of those rows (``shap.values`` is explained × features).
        shap_seed, shap_background: the explainer settings, to explain further rows alike.
        task: "binary", "multiclass" or "regression".
        test_output: multiclass: the (test rows × classes) probabilities, columns in
            ``model.classes_`` order; regression: the predictions; binary: None.
        shap_by_class: multiclass: one FeatureEffects per class (in ``classes_`` order); ``shap``
            then holds, per explained row, the values toward its predicted class (each row
            adds up with its class's base value).
    """

    dataset: Dataset
    trials: TrialTable
    model: Any
    positive_label: Any
    existing: bool
    protected: tuple[str, ...]
    test_prob: np.ndarray
    explained: np.ndarray
    shap: FeatureEffects
    shap_seed: int
    shap_background: int
    task: str = "binary"
    test_output: np.ndarray | None = None
    shap_by_class: tuple[FeatureEffects, ...] = ()

    @property
    def predicted_codes(self) -> np.ndarray:
        """Multiclass: the predicted class of each test row (position in ``classes_``)."""
        return np.argmax(self.test_output, axis=1)

    @property
    def shap_values(self) -> np.ndarray:
        """SHAP values of the explained rows as a float64 array (explained rows × features)."""
        return np.asarray(self.shap.values, dtype=np.float64).reshape(len(self.explained), len(self.shap.feature_names))

    @property
    def X_explained(self) -> pd.DataFrame:
        """The explained rows (original columns), in the order of ``shap.values``."""
        return self.dataset.X_test.iloc[self.explained]

    def explain_rows(self, X: pd.DataFrame, label: Any = None) -> FeatureEffects:
        """SHAP values of other rows with the same explainer, background and seed (toward class
        ``label`` of a multiclass model; else the positive class, or a regressor's prediction)."""
        return explain_model(
            self.model, self.dataset.X_train, X, positive_class=self.positive_label if label is None else label,
            seed=self.shap_seed, max_background=self.shap_background,
        )


def heldout_outputs(subject: Subject) -> tuple[np.ndarray, np.ndarray | None]:
    """The model's outputs on every held-out row: (test_prob, test_output), see :class:`AuditContext`."""
    return model_outputs(subject.model, subject.dataset.X_test, subject.dataset.task, subject.positive_label)


def build_context(
    subject: Subject,
    settings: ExplainSection,
    *,
    outputs: tuple[np.ndarray, np.ndarray | None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> AuditContext:
    """Draw the explained rows and explain them, once; ``outputs`` are :func:`heldout_outputs`
    (computed here when not given; the pipeline times them as a stage of their own)."""
    dataset, model = subject.dataset, subject.model
    explained = explained_positions(len(dataset.X_test), max_rows=settings.max_rows, seed=settings.seed)
    task = dataset.task
    test_prob, test_output = heldout_outputs(subject) if outputs is None else outputs
    rows_from = _file_rows(dataset, explained) if settings.workers_read_data and current_client() else None

    def explain(label: Any) -> FeatureEffects:
        return explain_model(
            model,
            dataset.X_train,
            dataset.X_test.iloc[explained],
            positive_class=label,
            seed=settings.seed,
            max_background=settings.background_size,
            n_jobs=settings.n_jobs,
            progress=progress,
            client=current_client(),  # a Dask cluster when [explain] cluster asks for one
            rows_from=rows_from,
        )

    by_class: tuple[FeatureEffects, ...] = ()
    if task == "multiclass":
        by_class = tuple(explain(label) for label in model.classes_)
        shap = toward_predicted(by_class, np.argmax(test_output[explained], axis=1))
    else:
        shap = explain(subject.positive_label)
    return AuditContext(
        dataset=dataset,
        trials=subject.trials,
        model=model,
        positive_label=subject.positive_label,
        existing=subject.existing,
        protected=subject.protected,
        test_prob=test_prob,
        explained=explained,
        shap=shap,
        shap_seed=settings.seed,
        shap_background=settings.background_size,
        task=task,
        test_output=test_output,
        shap_by_class=by_class,
    )


def _file_rows(dataset: Dataset, explained: np.ndarray) -> FileRows:
    """Where the explained rows are in the data file, for workers that read it themselves."""
    positions = dataset.frame.index.get_indexer(dataset.X_test.index[explained])
    if not dataset.frame.index.is_unique or (positions < 0).any():
        raise SpecError(
            "explain.workers_read_data: expected a data file whose rows can be located by position "
            "(a unique index); got a Parquet file with a repeated index"
        )
    return FileRows(str(dataset.path.resolve()), positions.astype(np.int64), dataset.text_columns)


def toward_predicted(by_class: tuple[FeatureEffects, ...], predicted: np.ndarray) -> FeatureEffects:
    """Per row, the SHAP values toward its predicted class (a multiclass model's "why this class").

    The result is a container: row i adds up to its class's output from that class's base value;
    ``base_value`` holds their mean over the rows, and
    ``additivity_gap`` the largest gap of any class.
    """
    rows = np.arange(len(predicted))
    values = np.stack([fx.values for fx in by_class])[predicted, rows]
    output = np.stack([fx.model_output for fx in by_class])[predicted, rows]
    bases = np.array([fx.base_value for fx in by_class])[predicted]
    first = by_class[0]
    return FeatureEffects(
        explainer=first.explainer, output_scale=first.output_scale, positive_class="predicted class",
        background_size=first.background_size, background_seed=first.background_seed,
        background_rows=first.background_rows, background_sha256=first.background_sha256,
        feature_names=first.feature_names, values=values,
        base_value=float(bases.mean()) if len(bases) else 0.0,
        model_output=output, additivity_gap=max(fx.additivity_gap for fx in by_class),
    )


def explained_positions(n: int, *, max_rows: int, seed: int) -> np.ndarray:
    """Positions of the rows SHAP explains among ``n`` test rows: all, or a seeded sample of ``max_rows``."""
    if n <= max_rows:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=max_rows, replace=False))


PREDICT_CHUNK_ROWS = 100_000


def positive_probability(model: Any, X: Any, positive_label: Any) -> np.ndarray:
    """The model's probability of ``positive_label`` for each row of ``X``."""
    column = list(model.classes_).index(positive_label)
    return _in_row_chunks(lambda rows: np.asarray(model.predict_proba(rows)[:, column], dtype=np.float64), X)


def model_outputs(model: Any, X: Any, task: str, positive_label: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """(test_prob, test_output) as :class:`AuditContext` holds them, for ``task``."""
    if task == "binary":
        return positive_probability(model, X, positive_label), None
    if task == "regression":
        predicted = _in_row_chunks(lambda rows: np.asarray(model.predict(rows), dtype=np.float64).ravel(), X)
        return predicted, predicted
    proba = _in_row_chunks(lambda rows: np.asarray(model.predict_proba(rows), dtype=np.float64), X)
    return proba.max(axis=1), proba


def _in_row_chunks(compute: Callable[[Any], np.ndarray], X: Any) -> np.ndarray:
    """``compute`` over 100,000 rows at a time: the model's intermediate arrays (one-hot
    columns, per-class outputs) never grow with the data beyond that."""
    parts = [compute(X.iloc[start : start + PREDICT_CHUNK_ROWS]) for start in range(0, len(X), PREDICT_CHUNK_ROWS)]
    return np.concatenate(parts, axis=0) if parts else np.empty(0)
