"""Small real inputs for the stage tests: 300 rows of the German credit sample, a real fitted
scikit-learn model and a real trial table, so each stage runs alone in well under a second."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sample_helpers import SAMPLE_DATA

from auditlens.dataset import load_dataset
from auditlens.models import build_pipeline
from auditlens.space import CategoricalParam, FloatParam, SearchSpace
from auditlens.spec import ExplainSection
from auditlens.stages.context import AuditContext, build_context
from auditlens.stages.subject import Subject, tuning_summary
from auditlens.trials.table import TrialTable

PROTECTED = ("personal_status_and_sex", "age_in_years")


def make_trials(n: int = 40, seed: int = 0) -> TrialTable:
    """A tuning run whose objective depends on ``lr`` alone (``kind`` is irrelevant)."""
    rng = np.random.default_rng(seed)
    lr = rng.uniform(0.0, 1.0, n)
    kind = rng.choice(["a", "b"], n)
    values = 1.0 - (lr - 0.3) ** 2
    space = SearchSpace((FloatParam("lr", 0.0, 1.0), CategoricalParam("kind", ("a", "b"))))
    return TrialTable(
        space=space, numbers=tuple(range(n)),
        params={"lr": tuple(float(v) for v in lr), "kind": tuple(str(v) for v in kind)},
        values=values, states=("COMPLETE",) * n, objective="value", direction="maximize",
        source="trial table (test)",
    )


@pytest.fixture(scope="session")
def credit_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("stages") / "credit.csv"
    pd.read_csv(SAMPLE_DATA).iloc[:300].to_csv(path, index=False)
    return path


def make_subject(credit_file: Path, estimator: str = "hist_gradient_boosting") -> Subject:
    dataset = load_dataset(
        credit_file, target="creditability", positive_class="bad", test_fraction=0.3, split_seed=0,
        protected_attributes=PROTECTED,
    )
    params = {"max_iter": 30} if estimator == "hist_gradient_boosting" else {}
    model = build_pipeline(
        estimator, numeric=dataset.numeric, categorical=dataset.categorical, params=params, seed=0
    ).fit(dataset.X_train, dataset.y_train)
    trials = make_trials()
    tuning = tuning_summary(
        trials, estimator=estimator, estimator_class="test", fixed_params={}, metric="roc_auc",
        cv_folds=3, sampler="test", sampler_seed=0, study_name="test", storage_file="study.db",
        origin="tuned",
    )
    return Subject(
        dataset=dataset, trials=trials, model=model, positive_label=1, existing=False,
        protected=PROTECTED, tuning=tuning, inputs=(),
    )


@pytest.fixture(scope="session")
def subject(credit_file: Path) -> Subject:
    return make_subject(credit_file)


@pytest.fixture(scope="session")
def ctx(subject: Subject) -> AuditContext:
    """Every one of the 90 test rows explained."""
    return build_context(subject, ExplainSection(background_size=30))


@pytest.fixture(scope="session")
def sampled_ctx(subject: Subject) -> AuditContext:
    """Only 20 of the 90 test rows explained (a seeded sample)."""
    return build_context(subject, ExplainSection(background_size=30, max_rows=20, seed=3))
