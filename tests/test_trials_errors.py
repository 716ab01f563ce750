"""Bad tuning-run input through open_trials: one line, the exact message, a TrialsError."""

from __future__ import annotations

import time
from pathlib import Path

import optuna
import pytest

from auditlens.errors import TrialsError
from auditlens.trials.sources import open_trials
from cli_helpers import raises_shown, shown


@pytest.mark.parametrize(
    ("name", "content", "kwargs", "message"),
    [
        ("trials.csv", "", {}, "TRIALS: trials.csv is empty"),
        ("trials.jsonl", "", {}, "TRIALS: trials.jsonl is empty"),
        ("trials.csv", "a,b\n1,2\n2,3\n", {"objective": "acc"},
         "--objective: column 'acc' not in trials.csv; columns are a, b"),
        ("trials.csv", "a,value\n1,\n2,nan\n", {}, "value: every objective value in trials.csv is empty or NaN"),
        ("trials.csv", "a,value\n1,0.5\n2,\n", {},
         "TRIALS: fANOVA needs at least 2 completed trials; got 1 (1 FAIL excluded)"),
        ("trials.jsonl", '{"a": 1, "value": 0.5, "state": "COMPLETE"}\n{"a": 2, "value": 0.7, "state": "PRUNED"}\n', {},
         "TRIALS: fANOVA needs at least 2 completed trials; got 1 (1 PRUNED excluded)"),
        ("trials.csv", "a,b,value\n1,x,0.5\n1,x,0.7\n1,x,0.6\n2,y,\n", {},
         "TRIALS: all 3 completed trials have the same configuration; nothing varies, so there is nothing to decompose"),
        ("trials.xlsx", "x", {}, "TRIALS: expected a .csv, .parquet, .json or .jsonl file; got 'trials.xlsx'"),
        ("trials.csv", "a,value,state\n1,0.5,COMPLETE\n2,0.6,done\n", {},
         "state: expected one of COMPLETE, FAIL, PRUNED, RUNNING, WAITING; got 'done' in row 2 of trials.csv"),
        ("r.csv", ",param_C,params,mean_test_score\n0,1,{'C': 1},\n1,2,{'C': 2},\n", {},
         "mean_test_score: every score in r.csv is empty or NaN (every fit failed)"),
    ],
)
def test_bad_files(tmp_path: Path, name: str, content: str, kwargs: dict[str, str], message: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(TrialsError) as err:
        open_trials(trials_file=path, **kwargs)
    assert shown(err.value) == message


def _study(tmp_path: Path, n_trials: int) -> str:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    study = optuna.create_study(study_name="demo", storage=storage)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=n_trials)
    return storage


def test_bad_studies(tmp_path: Path) -> None:
    storage = _study(tmp_path, 1)
    with pytest.raises(TrialsError) as err:
        open_trials(storage=storage, study="demo")
    assert shown(err.value) == "study 'demo': fANOVA needs at least 2 completed trials; got 1"
    with pytest.raises(TrialsError) as err:
        open_trials(storage=storage, study="dmeo")
    assert shown(err.value) == "study: no study named 'dmeo' in the storage; studies are demo"
    with pytest.raises(TrialsError) as err:
        open_trials(storage=f"sqlite:///{tmp_path / 'nope.db'}", study="demo")
    assert shown(err.value) == f"--storage: SQLite file '{tmp_path / 'nope.db'}' does not exist"
    assert not (tmp_path / "nope.db").exists()


def test_unreachable_storage_is_one_fast_line() -> None:
    url = "postgresql://nobody@127.0.0.1:1/x"
    start = time.perf_counter()
    with pytest.raises(TrialsError) as err:
        open_trials(storage=url, study="x")
    assert time.perf_counter() - start < 10  # connection refused (or no driver): no retries, no hang
    message = shown(err.value)
    assert message.startswith(f"--storage: cannot open '{url}': ") and "\n" not in message


def test_source_combinations(tmp_path: Path) -> None:
    storage = _study(tmp_path, 3)
    cases = [
        ({}, "source: expected either TRIALS or --storage URL --study NAME; got neither"),
        ({"trials_file": "t.csv", "storage": storage, "study": "demo"},
         "source: expected either TRIALS or --storage URL --study NAME; got both"),
        ({"storage": storage}, "source: --storage and --study go together; got only --storage"),
        ({"study": "demo"}, "source: --storage and --study go together; got only --study"),
        ({"storage": storage, "study": "demo", "space_file": "s.toml"},
         "--space: applies to trial files only; an Optuna study records its own space"),
        ({"storage": storage, "study": "demo", "direction": "maximize"},
         "--direction: study 'demo' records value as minimize; got maximize"),
        ({"trials_file": "t.csv", "direction": "up"}, "--direction: expected maximize or minimize; got 'up'"),
    ]
    for kwargs, message in cases:
        with pytest.raises(TrialsError) as err:
            open_trials(**kwargs)  # type: ignore[arg-type]
        assert shown(err.value) == message
    assert len(open_trials(storage=storage, study="demo", direction="minimize")) == 3
