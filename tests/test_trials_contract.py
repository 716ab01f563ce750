"""One contract for every source of a tuning run: Optuna, scikit-learn search, CSV, JSONL, Parquet.

Each source is built for real (an Optuna study in SQLite, a RandomizedSearchCV saved as CSV,
trial tables written by pandas), read through ``open_trials``, and checked the same way.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest

from auditlens.trials.sources import open_trials
from auditlens.trials.table import TrialTable


@dataclass
class Expected:
    states: dict[str, int]
    duplicates: int
    inactive: str  # a conditional parameter, inactive in some completed trials
    direction: str


def _optuna(tmp_path: Path) -> tuple[TrialTable, Expected]:
    from optuna.trial import TrialState

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    study = optuna.create_study(study_name="c", storage=storage, direction="minimize",
                                sampler=optuna.samplers.RandomSampler(seed=0))
    study.enqueue_trial({"x": 0.1, "n": 2, "kind": "b"})
    study.enqueue_trial({"x": 0.1, "n": 2, "kind": "b"})  # a duplicated configuration

    def objective(trial: optuna.Trial) -> float:
        x = trial.suggest_float("x", 1e-3, 1.0, log=True)
        n = trial.suggest_int("n", 1, 5)
        kind = trial.suggest_categorical("kind", ["a", "b"])
        m = trial.suggest_float("m", 0.0, 1.0) if kind == "a" else 0.0  # conditional
        if trial.number == 4:
            raise ValueError("boom")
        if trial.number == 5:
            raise optuna.TrialPruned()
        return x + n + m

    study.optimize(objective, n_trials=14, catch=(ValueError,))
    assert any(t.params.get("kind") == "a" for t in study.trials if t.state == TrialState.COMPLETE)
    table = open_trials(storage=storage, study="c")
    return table, Expected({"COMPLETE": 12, "FAIL": 1, "PRUNED": 1}, 1, "m", "minimize")


def _sklearn(tmp_path: Path) -> tuple[TrialTable, Expected]:
    from scipy.stats import randint
    from sklearn.datasets import make_classification
    from sklearn.model_selection import RandomizedSearchCV
    from sklearn.svm import SVC

    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    space = [{"kernel": ["linear"], "C": [-1.0, 0.5]},  # C = -1 fails to fit
             {"kernel": ["rbf"], "C": [0.5, 2.0], "gamma": randint(1, 3)}]
    search = RandomizedSearchCV(SVC(), space, n_iter=14, cv=2, random_state=3, error_score=np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X, y)
    path = tmp_path / "cv_results.csv"
    pd.DataFrame(search.cv_results_).to_csv(path)
    scores = np.asarray(search.cv_results_["mean_test_score"], dtype=float)
    failed = int(np.isnan(scores).sum())
    done = [repr(sorted(p.items())) for p, s in zip(search.cv_results_["params"], scores) if math.isfinite(s)]
    duplicates = len(done) - len(set(done))
    assert failed and duplicates  # the seed gives both, so the contract below is exercised
    return open_trials(trials_file=path), Expected({"COMPLETE": 14 - failed, "FAIL": failed}, duplicates,
                                                   "gamma", "maximize")


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 20
    kind = rng.choice(["a", "b"], n)
    frame = pd.DataFrame({
        "number": np.arange(100, 100 + n),
        "lr": 10 ** rng.uniform(-4, 0, n),
        "layers": rng.integers(1, 6, n),
        "kind": kind,
        "momentum": np.where(kind == "a", rng.uniform(0, 1, n), np.nan),  # conditional
        "loss": rng.normal(size=n),
        "state": ["COMPLETE"] * n,
    })
    frame.loc[3, ["state", "loss"]] = ["FAIL", np.nan]
    frame.loc[4, "state"] = "pruned"  # any case; its value is ignored
    frame.loc[5, ["state", "loss"]] = ["RUNNING", np.nan]
    frame.loc[7, "loss"] = np.nan  # COMPLETE without a value: counted as FAIL
    frame.loc[9, ["lr", "layers", "kind", "momentum"]] = frame.loc[8, ["lr", "layers", "kind", "momentum"]]
    frame.loc[6, "kind"] = "a"
    frame.loc[6, "momentum"] = 0.5
    return frame


EXPECTED_FILE = Expected({"COMPLETE": 16, "FAIL": 2, "PRUNED": 1, "RUNNING": 1}, 1, "momentum", "minimize")


def _csv(tmp_path: Path) -> tuple[TrialTable, Expected]:
    _frame().to_csv(tmp_path / "t.csv", index=False)
    return open_trials(trials_file=tmp_path / "t.csv", objective="loss", direction="minimize"), EXPECTED_FILE


def _jsonl(tmp_path: Path) -> tuple[TrialTable, Expected]:
    _frame().to_json(tmp_path / "t.jsonl", orient="records", lines=True)
    return open_trials(trials_file=tmp_path / "t.jsonl", objective="loss", direction="minimize"), EXPECTED_FILE


def _parquet(tmp_path: Path) -> tuple[TrialTable, Expected]:
    _frame().to_parquet(tmp_path / "t.parquet")
    return open_trials(trials_file=tmp_path / "t.parquet", objective="loss", direction="minimize"), EXPECTED_FILE


SOURCES: dict[str, Callable[[Path], tuple[TrialTable, Expected]]] = {
    "optuna": _optuna, "sklearn": _sklearn, "csv": _csv, "jsonl": _jsonl, "parquet": _parquet,
}


@pytest.mark.parametrize("source", list(SOURCES))
def test_contract(source: str, tmp_path: Path) -> None:
    table, expected = SOURCES[source](tmp_path)
    n = len(table)
    # one row per trial everywhere
    assert len(table.numbers) == len(table.values) == len(table.states) == n
    assert set(table.params) == set(table.space.names)
    assert all(len(column) == n for column in table.params.values())
    assert len(set(table.numbers)) == n
    # completed = finite objective = state COMPLETE; everything else excluded and counted
    assert np.array_equal(table.completed, np.isfinite(table.values))
    assert np.array_equal(table.completed, np.array([s == "COMPLETE" for s in table.states]))
    assert table.state_counts() == expected.states
    assert sum(table.state_counts().values()) == n
    # inactive parameters are None (never imputed), and encode as NaN on request
    column = table.params[expected.inactive]
    done = np.flatnonzero(table.completed)
    assert any(column[i] is None for i in done) and any(column[i] is not None for i in done)
    X, y = table.encoded(inactive="nan")
    j = table.space.names.index(expected.inactive)
    assert X.shape == (len(done), len(table.space)) and len(y) == len(done)
    assert np.array_equal(np.isnan(X[:, j]), np.array([column[i] is None for i in done]))
    active = [column[i] for i in done if column[i] is not None]
    assert np.allclose(X[~np.isnan(X[:, j]), j], table.space[expected.inactive].encode(active))
    assert np.all((X[~np.isnan(X)] > 0) & (X[~np.isnan(X)] < 1) | np.isclose(X[~np.isnan(X)], 0) | np.isclose(X[~np.isnan(X)], 1))
    # duplicates are kept and counted
    assert table.n_duplicate_configurations() == expected.duplicates
    assert table.direction == expected.direction
    best = table.best_index()
    assert table.completed[best]
    pick = np.nanmax if expected.direction == "maximize" else np.nanmin
    assert table.values[best] == pick(table.values)
    assert table.source
