"""scikit-learn search results (cv_results_ saved as CSV) from real, tiny searches."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import loguniform, randint
from sklearn.datasets import make_classification
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, HalvingRandomSearchCV, RandomizedSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from auditlens.errors import TrialsError
from auditlens.space import CategoricalParam, FloatParam, IntParam
from auditlens.trials.sklearn_search import read_search_results
from auditlens.trials.sources import open_trials
from auditlens.trials.table_file import read_trial_file
from cli_helpers import raises_shown, shown

X, Y = make_classification(n_samples=90, n_features=4, random_state=0)


def _save(search: object, path: Path, **kwargs: object) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # FitFailedWarning for the deliberately failing fit
        search.fit(X, Y)  # type: ignore[attr-defined]
    pd.DataFrame(search.cv_results_).to_csv(path, **kwargs)  # type: ignore[attr-defined]
    return path


@pytest.fixture(scope="module")
def grid_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A list of grids over a Pipeline: gamma only in the rbf grid; C = -1 fails to fit."""
    pipe = Pipeline([("scale", StandardScaler()), ("svc", SVC())])
    grid = [
        {"svc__kernel": ["linear"], "svc__C": [0.01, 1.0, -1.0]},
        {"svc__kernel": ["rbf"], "svc__C": [0.01, 1.0], "svc__gamma": ["scale", 0.1]},
    ]
    search = GridSearchCV(pipe, grid, cv=3, error_score=np.nan)
    return _save(search, tmp_path_factory.mktemp("grid") / "cv_results.csv")


def test_grid_of_a_pipeline_with_conditional_grid_and_failure(grid_csv: Path) -> None:
    table = read_search_results(grid_csv)
    assert table.space.names == ("svc__C", "svc__kernel", "svc__gamma")  # prefixed names kept
    assert table.objective == "mean_test_score" and table.direction == "maximize"
    assert len(table) == 7 and table.state_counts() == {"COMPLETE": 6, "FAIL": 1}
    failed = table.states.index("FAIL")
    assert table.params["svc__C"][failed] == -1.0 and np.isnan(table.values[failed])
    linear = [i for i, k in enumerate(table.params["svc__kernel"]) if k == "linear"]
    assert all(table.params["svc__gamma"][i] is None for i in linear)  # inactive, not imputed
    # 'scale' and 0.1 in one column: categorical, as the values read in the table
    assert table.space["svc__gamma"] == CategoricalParam("svc__gamma", ("scale", "0.1"))
    X_, _ = table.encoded(inactive="nan")
    assert X_.shape == (6, 3) and np.isnan(X_[:, 2]).sum() == 2
    assert table.source == "scikit-learn search results cv_results.csv"


def test_none_and_bool_choices_are_categorical(tmp_path: Path) -> None:
    search = GridSearchCV(LogisticRegression(max_iter=200),
                          {"C": [0.01, 10.0], "class_weight": [None, "balanced"], "fit_intercept": [True, False]}, cv=3)
    path = _save(search, tmp_path / "lr.csv", index=False)
    table = read_search_results(path)
    # pandas writes None as an empty cell; the params column tells it from "not in the grid"
    assert table.space["class_weight"] == CategoricalParam("class_weight", ("None", "balanced"))
    assert table.space["fit_intercept"] == CategoricalParam("fit_intercept", (True, False))
    assert table.space["C"] == FloatParam("C", 0.01, 10.0, log=True)
    assert None not in table.params["class_weight"]
    assert table.n_duplicate_configurations() == 0
    best = table.best_index()
    assert table.values[best] == pytest.approx(search.best_score_)
    assert {n: table.params[n][best] for n in table.space.names} == {
        k: ("None" if v is None else v) for k, v in search.best_params_.items()}


def test_multi_metric_needs_a_scorer(tmp_path: Path) -> None:
    space = {"max_depth": [None, 2, 4], "min_samples_leaf": randint(1, 10),
             "ccp_alpha": loguniform(1e-4, 1e-1), "criterion": ["gini", "entropy"]}
    search = RandomizedSearchCV(DecisionTreeClassifier(random_state=0), space, n_iter=6, cv=3, random_state=0,
                                scoring=["accuracy", "roc_auc"], refit="accuracy")
    path = _save(search, tmp_path / "multi.csv")
    with pytest.raises(TrialsError) as err:
        read_search_results(path)
    assert shown(err.value) == ("--objective: multi.csv is a multi-metric scikit-learn search (no mean_test_score); "
                              "choose a scorer: accuracy, roc_auc")
    with pytest.raises(TrialsError) as err:
        read_search_results(path, scorer="f1")
    assert shown(err.value) == "--objective: scorer 'f1' not in multi.csv; scorers are accuracy, roc_auc"
    table = read_search_results(path, scorer="roc_auc")
    assert table.objective == "mean_test_roc_auc"
    assert np.allclose(table.values, search.cv_results_["mean_test_roc_auc"])
    assert read_search_results(path, scorer="mean_test_accuracy").objective == "mean_test_accuracy"
    assert isinstance(table.space["min_samples_leaf"], IntParam)
    assert table.space["max_depth"].kind == "categorical"  # None, 2, 4: strings "None", "2", "4"
    assert set(table.params["max_depth"]) <= {"None", "2", "4"}
    # the generic reader and the dispatcher route a cv_results_ table here
    routed = read_trial_file(path, objective="roc_auc")
    assert routed.space == table.space and np.array_equal(routed.values, table.values)
    assert open_trials(trials_file=path, objective="accuracy").objective == "mean_test_accuracy"


def test_halving_keeps_each_candidate_once(tmp_path: Path) -> None:
    space = {"max_depth": [2, 3, 4, 6], "min_samples_leaf": randint(1, 20)}
    search = HalvingRandomSearchCV(DecisionTreeClassifier(random_state=0), space, n_candidates=9, cv=3,
                                   random_state=0, min_resources=30, factor=2)
    path = _save(search, tmp_path / "halving.csv")
    results = search.cv_results_
    first_iter = int(np.sum(results["iter"] == 0))
    first = read_search_results(path)  # default: one budget for every candidate
    assert len(first) == first_iter == 9
    assert np.allclose(first.values, results["mean_test_score"][results["iter"] == 0])
    later = len(results["iter"]) - 9
    assert first.source == ("scikit-learn halving search results halving.csv (successive halving: first "
                            f"iteration only, all 9 candidates at n_resources=30; {later} later evaluations "
                            "at larger budgets left out)")
    highest = read_search_results(path, halving="highest")
    assert len(highest) == 9 and "each of 9 candidates once, at the highest budget it reached" in highest.source
    assert first.params == highest.params  # the same candidates, in the same order
    # the survivors carry their last evaluation: scikit-learn's winner has its final score
    winner = [i for i in range(9) if {n: highest.params[n][i] for n in highest.space.names} == search.best_params_]
    assert highest.values[winner[-1]] == pytest.approx(search.best_score_)
    with pytest.raises(ValueError, match="'halving' must be"):
        read_search_results(path, halving="all")  # type: ignore[arg-type]


def test_jsonl_and_parquet_of_cv_results_match_csv(tmp_path: Path) -> None:
    search = GridSearchCV(DecisionTreeClassifier(random_state=0),
                          {"max_depth": [2, 4], "criterion": ["gini", "entropy"]}, cv=3)
    csv = _save(search, tmp_path / "r.csv")
    frame = pd.DataFrame(search.cv_results_)
    frame.to_json(tmp_path / "r.jsonl", orient="records", lines=True)
    frame.drop(columns=["params"]).astype({"param_max_depth": int, "param_criterion": str}).to_parquet(tmp_path / "r.parquet")
    tables = [read_trial_file(tmp_path / name) for name in ("r.csv", "r.jsonl", "r.parquet")]
    for other in tables[1:]:
        assert other.space == tables[0].space and other.params == tables[0].params
        assert np.allclose(other.values, tables[0].values)
    assert tables[0].source == f"scikit-learn search results {csv.name}"
