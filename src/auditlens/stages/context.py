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

from auditlens.explain import FeatureEffects, explain_model

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
        model: the fitted classifier (a Pipeline or bare estimator).
        positive_label: the positive class as the model knows it (an entry of ``classes_``).
        existing: True for a fitted model judged on a held-out file (no split, no refit).
        protected: the protected attributes (``data.protected_attributes``), columns of the data.
        test_prob: held-out probability of the positive class, one per test row.
        explained: positions (iloc) in the test split of the rows SHAP explains, sorted.
        shap: the SHAP values of those rows (``shap.values`` is explained × features).
        shap_seed, shap_background: the explainer settings, to explain further rows alike.
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

    @property
    def shap_values(self) -> np.ndarray:
        """SHAP values of the explained rows as a float64 array (explained rows × features)."""
        return np.asarray(self.shap.values, dtype=np.float64).reshape(len(self.explained), len(self.shap.feature_names))

    @property
    def X_explained(self) -> pd.DataFrame:
        """The explained rows (original columns), in the order of ``shap.values``."""
        return self.dataset.X_test.iloc[self.explained]

    def explain_rows(self, X: pd.DataFrame) -> FeatureEffects:
        """SHAP values of other rows with the same explainer, background and seed."""
        return explain_model(
            self.model, self.dataset.X_train, X, positive_class=self.positive_label,
            seed=self.shap_seed, max_background=self.shap_background,
        )


def build_context(
    subject: Subject, settings: ExplainSection, *, progress: Callable[[int, int], None] | None = None
) -> AuditContext:
    """Compute the held-out probabilities, draw the explained rows and explain them, once."""
    dataset, model = subject.dataset, subject.model
    explained = explained_positions(len(dataset.X_test), max_rows=settings.max_rows, seed=settings.seed)
    shap = explain_model(
        model,
        dataset.X_train,
        dataset.X_test.iloc[explained],
        positive_class=subject.positive_label,
        seed=settings.seed,
        max_background=settings.background_size,
        n_jobs=settings.n_jobs,
        progress=progress,
    )
    return AuditContext(
        dataset=dataset,
        trials=subject.trials,
        model=model,
        positive_label=subject.positive_label,
        existing=subject.existing,
        protected=subject.protected,
        test_prob=positive_probability(model, dataset.X_test, subject.positive_label),
        explained=explained,
        shap=shap,
        shap_seed=settings.seed,
        shap_background=settings.background_size,
    )


def explained_positions(n: int, *, max_rows: int, seed: int) -> np.ndarray:
    """Positions of the rows SHAP explains among ``n`` test rows: all, or a seeded sample of ``max_rows``."""
    if n <= max_rows:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=max_rows, replace=False))


def positive_probability(model: Any, X: Any, positive_label: Any) -> np.ndarray:
    """The model's probability of ``positive_label`` for each row of ``X``."""
    classes = list(model.classes_)
    return np.asarray(model.predict_proba(X)[:, classes.index(positive_label)], dtype=np.float64)
