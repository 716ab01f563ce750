"""The Optuna adapter on a real study in SQLite."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import optuna
import pytest

from auditlens.errors import TrialsError
from auditlens.space import CategoricalParam, FloatParam, IntParam
from auditlens.trials.optuna_study import load_optuna_study
from cli_helpers import raises_shown, shown


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
    with raises_shown(TrialsError, match=r"^study: no study named 'demo2' in the storage; studies are demo$"):
        load_optuna_study(storage, "demo2")


def test_missing_or_unreachable_storage(tmp_path: Path) -> None:
    with raises_shown(TrialsError, match=r"^--storage: SQLite file '.*nope\.db' does not exist$"):
        load_optuna_study(f"sqlite:///{tmp_path / 'nope.db'}", "demo")
    assert not (tmp_path / "nope.db").exists()
    not_a_db = tmp_path / "notes.db"
    not_a_db.write_text("just text, not SQLite")
    with pytest.raises(TrialsError) as info:
        load_optuna_study(f"sqlite:///{not_a_db}", "demo")
    assert shown(info.value) == "--storage: notes.db is not a SQLite database (file is not a database)"
    assert not_a_db.read_text() == "just text, not SQLite"  # never written to


def _multi_objective_study(path: Path, *, names: bool) -> str:
    storage = f"sqlite:///{path}"
    study = optuna.create_study(study_name="multi", storage=storage, directions=["maximize", "minimize"],
                                sampler=optuna.samplers.RandomSampler(seed=2))
    if names:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ExperimentalWarning
            study.set_metric_names(["accuracy", "latency"])
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def objective(trial: optuna.Trial) -> tuple[float, float]:
        depth = trial.suggest_int("depth", 2, 10, step=2)
        rate = trial.suggest_float("rate", 0.0, 1.0, step=0.25)
        return rate - depth / 10, depth * 3.0

    study.optimize(objective, n_trials=12)
    return storage


def test_multi_objective_by_index_or_name(tmp_path: Path) -> None:
    storage = _multi_objective_study(tmp_path / "m.db", names=True)
    with pytest.raises(TrialsError) as err:
        load_optuna_study(storage, "multi")
    assert shown(err.value) == ("--objective: study 'multi' has 2 objectives (0 'accuracy' (maximize); "
                              "1 'latency' (minimize)); choose one by index or name")
    by_name = load_optuna_study(storage, "multi", objective="latency")
    by_index = load_optuna_study(storage, "multi", objective=1)
    by_digit = load_optuna_study(storage, "multi", objective="1")
    for table in (by_name, by_index, by_digit):
        assert table.objective == "latency" and table.direction == "minimize"
        assert np.array_equal(table.values, 3.0 * np.array(table.params["depth"], dtype=float))
    first = load_optuna_study(storage, "multi", objective=0)
    assert first.objective == "accuracy" and first.direction == "maximize"
    assert first.source == ("optuna study 'multi' (objective 0 of 2: accuracy); "
                            "steps not modelled: depth step 2, rate step 0.25")
    assert first.space["depth"] == IntParam("depth", 2, 10) and first.space["rate"] == FloatParam("rate", 0.0, 1.0)
    with pytest.raises(TrialsError) as err:
        load_optuna_study(storage, "multi", objective="f1")
    assert shown(err.value) == ("--objective: study 'multi' has no objective named 'f1'; objectives are "
                              "0 'accuracy' (maximize); 1 'latency' (minimize)")
    with pytest.raises(TrialsError) as err:
        load_optuna_study(storage, "multi", objective=2)
    assert shown(err.value) == ("--objective: study 'multi' has 2 objectives (0 'accuracy' (maximize); "
                              "1 'latency' (minimize)); got index 2")


def test_multi_objective_without_names(tmp_path: Path) -> None:
    storage = _multi_objective_study(tmp_path / "m.db", names=False)
    with pytest.raises(TrialsError) as err:
        load_optuna_study(storage, "multi")
    assert shown(err.value) == ("--objective: study 'multi' has 2 objectives (0 (maximize); 1 (minimize)); "
                              "choose one by index or name")
    assert load_optuna_study(storage, "multi", objective="1").objective == "values[1]"


def test_single_objective_label_and_index(tmp_path: Path) -> None:
    storage = _make_study(tmp_path / "s.db")
    assert load_optuna_study(storage, "demo").objective == "value"
    assert load_optuna_study(storage, "demo", objective="roc_auc").objective == "roc_auc"  # a label
    assert load_optuna_study(storage, "demo", objective=0).objective == "value"
    with pytest.raises(TrialsError) as err:
        load_optuna_study(storage, "demo", objective=1)
    assert shown(err.value) == "--objective: study 'demo' has 1 objective (0 (minimize)); got index 1"


def test_fast_reader_equals_optuna_api(tmp_path: Path) -> None:
    """The direct SQL read gives exactly what Optuna's get_all_trials gives (pruned, running too)."""
    from optuna.trial import TrialState

    from auditlens.trials import optuna_study

    storage = _make_study(tmp_path / "s.db")
    study = optuna.load_study(study_name="demo", storage=storage)
    pruned = study.ask()
    pruned.suggest_float("x", 1e-3, 1.0, log=True)
    pruned.report(0.5, 0)
    study.tell(pruned, state=TrialState.PRUNED)
    running = study.ask()
    running.suggest_int("n", 1, 5)
    rdb = optuna_study.open_storage(storage)
    study_id = rdb.get_study_id_from_name("demo")
    fast = optuna_study._read_trials_sql(rdb, study_id, 0)
    slow = optuna_study._read_trials_frozen(rdb, study_id, 0)
    assert fast[0] == slow[0] and fast[1] == slow[1] and fast[3] == slow[3] and fast[4] == slow[4]
    assert np.array_equal(fast[2], slow[2], equal_nan=True)
    table = load_optuna_study(storage, "demo")
    assert table.state_counts() == {"COMPLETE": 7, "FAIL": 1, "PRUNED": 1, "RUNNING": 1}
    assert table.params["kind"][-1] is None and table.params["n"][-1] is not None


def test_unreachable_server_fails_fast(tmp_path: Path) -> None:
    import time

    start = time.perf_counter()
    with pytest.raises(TrialsError) as err:
        load_optuna_study("postgresql://nobody@127.0.0.1:1/x", "demo")
    assert time.perf_counter() - start < 10
    message = shown(err.value)
    assert message.startswith("--storage: cannot open 'postgresql://nobody@127.0.0.1:1/x': ")
    assert "\n" not in message and len(message) > len("--storage: cannot open 'postgresql://nobody@127.0.0.1:1/x': ")
