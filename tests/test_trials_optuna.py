"""The Optuna adapter on a real study in SQLite."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import optuna
import pytest

from auditlens.errors import TrialsError
from auditlens.space import CategoricalParam, FloatParam, IntParam
from auditlens.trials.optuna_study import load_optuna_study


def _make_study(path: Path) -> str:
    storage = f"sqlite:///{path}"
    study = optuna.create_study(study_name="demo", storage=storage, direction="minimize",
                                sampler=optuna.samplers.RandomSampler(seed=1))

    def objective(trial: optuna.Trial) -> float:
        x = trial.suggest_float("x", 1e-3, 1.0, log=True)
        n = trial.suggest_int("n", 1, 5)
        kind = trial.suggest_categorical("kind", ["a", "b"])
        if trial.number == 3:
            raise ValueError("boom")  # a failed trial
        return x + n + (kind == "b")

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study.optimize(objective, n_trials=8, catch=(ValueError,))
    return storage


def test_reads_space_values_and_failures(tmp_path: Path) -> None:
    storage = _make_study(tmp_path / "s.db")
    table = load_optuna_study(storage, "demo")
    assert len(table) == 8 and table.direction == "minimize"
    assert table.space["x"] == FloatParam("x", 1e-3, 1.0, log=True)
    assert table.space["n"] == IntParam("n", 1, 5)
    assert table.space["kind"] == CategoricalParam("kind", ("a", "b"))
    assert table.states[3] == "FAIL" and np.isnan(table.values[3])
    assert int(table.completed.sum()) == 7
    best = table.best_index()
    assert table.values[best] == np.nanmin(table.values)


def test_unknown_study_lists_names(tmp_path: Path) -> None:
    storage = _make_study(tmp_path / "s.db")
    with pytest.raises(TrialsError, match=r"^study: no study named 'demo2' in the storage; studies are demo$"):
        load_optuna_study(storage, "demo2")


def test_missing_or_unreachable_storage(tmp_path: Path) -> None:
    with pytest.raises(TrialsError, match=r"^--storage: SQLite file '.*nope\.db' does not exist$"):
        load_optuna_study(f"sqlite:///{tmp_path / 'nope.db'}", "demo")
    assert not (tmp_path / "nope.db").exists()
    not_a_db = tmp_path / "notes.db"
    not_a_db.write_text("just text, not SQLite")
    with pytest.raises(TrialsError, match=r"^--storage: cannot open 'sqlite:///.*notes\.db': "):
        load_optuna_study(f"sqlite:///{not_a_db}", "demo")
