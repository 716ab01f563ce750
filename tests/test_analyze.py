"""`auditlens analyze` and specs with [model] path: auditing an existing model and tuning run.

Uses the shipped scikit-learn search sample (samples/sklearn-search: cv_results.csv, model.skops,
holdout.csv, made by make_sample.py) and a real Optuna study built here.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sample_helpers import ROOT

from auditlens.cli import main

SAMPLE = ROOT / "samples" / "sklearn-search"
RESULTS, MODEL, HOLDOUT = SAMPLE / "cv_results.csv", SAMPLE / "model.skops", SAMPLE / "holdout.csv"


def _analyze(*args: str, out: Path) -> list[str]:
    return ["analyze", *args, "--out", str(out), "--quiet"]


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sklearn-search") / "out"
    assert main(["run", str(SAMPLE / "audit.toml"), "--out", str(out), "--quiet"]) == 0
    return out


def test_sample_spec_audits_the_shipped_search_without_retuning(sample_run: Path) -> None:
    result = json.loads((sample_run / "results.json").read_text())
    tuning = result["tuning"]
    search = pd.read_csv(RESULTS)
    assert tuning["origin"] == "existing"
    assert tuning["n_trials"] == len(search) == 60
    assert tuning["best_value"] == pytest.approx(search["mean_test_score"].max(), abs=0)
    assert tuning["state_counts"] == {"COMPLETE": 60}
    # clf__max_depth was searched in one of the two distributions only: inactive elsewhere.
    depth = [t["params"]["clf__max_depth"] for t in tuning["trials"]]
    assert depth.count(None) == int(search["param_clf__max_depth"].isna().sum()) > 0
    assert "clf__max_depth" in [e["params"][0] for e in result["importance"]["main_effects"]]
    # Every row of holdout.csv is evaluated; nothing is split off.
    holdout = pd.read_csv(HOLDOUT)
    assert result["data"]["evaluation"] == "file"
    assert result["performance"]["n"] == result["data"]["test_rows"] == len(holdout)
    assert result["model_file"]["format"] == "skops"
    assert result["model_file"]["estimator_class"] == "Pipeline(ColumnTransformer → HistGradientBoostingClassifier)"
    roles = {i["role"]: i["name"] for i in result["provenance"]["inputs"]}
    assert roles == {"data": "holdout.csv", "model": "model.skops", "trials": "cv_results.csv", "spec": "audit.toml"}
    # Held-out ROC AUC equals scikit-learn's on the loaded model (positive class "bad").
    import skops.io as sio
    from sklearn.metrics import roc_auc_score

    model = sio.load(MODEL, trusted=sio.get_untrusted_types(file=MODEL))
    X = holdout.drop(columns=["creditability"])
    prob = model.predict_proba(X)[:, list(model.classes_).index("bad")]
    assert result["performance"]["roc_auc"] == pytest.approx(roc_auc_score(holdout["creditability"] == "bad", prob), abs=1e-12)
    fx = result["feature_effects"]
    assert fx["explainer"] == "tree" and fx["additivity_gap"] < 1e-6


def test_sample_report_verifies_against_its_inputs(sample_run: Path) -> None:
    args = ["verify", str(sample_run / "report.pdf"), "--quiet"]
    for name in ("holdout.csv", "model.skops", "cv_results.csv", "audit.toml"):
        args += ["--input", str(SAMPLE / name)]
    assert main(args) == 0


@pytest.mark.long  # a whole audit with PDF (50 s); the sample fixture above covers `run` on the same files
def test_analyze_without_a_spec(tmp_path: Path) -> None:
    out = tmp_path / "quick"
    code = main(_analyze("--trials", str(RESULTS), "--model", str(MODEL), "--data", str(HOLDOUT),
                         "--target", "creditability", out=out))
    assert code == 0
    result = json.loads((out / "results.json").read_text())
    assert result["data"]["positive_class"] == "good"  # the model's classes_[1] by default
    assert result["model_file"]["warnings"] == []  # the model is the search's best configuration
    assert result["audit"]["model_name"] == "model"
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "report.html", "report.pdf", "results.json"]


@pytest.mark.long  # minutes of work: see pyproject.toml
def test_analyze_an_optuna_study_and_a_pickle_only_when_allowed(tmp_path: Path) -> None:
    import optuna
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    holdout = pd.read_csv(HOLDOUT)
    X = holdout.select_dtypes("number").iloc[:150]
    y = holdout["creditability"].iloc[:150]
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    study = optuna.create_study(study_name="lr", storage=storage, direction="maximize",
                                sampler=optuna.samplers.RandomSampler(seed=0))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study.optimize(lambda t: cross_val_score(
        LogisticRegression(C=t.suggest_float("C", 1e-3, 10, log=True), max_iter=5000), X, y, cv=3,
        scoring="roc_auc").mean(), n_trials=8)
    model = LogisticRegression(C=study.best_params["C"], max_iter=5000).fit(X, y)
    data = tmp_path / "eval.csv"
    holdout.iloc[150:][[*X.columns, "creditability"]].to_csv(data, index=False)
    pkl = tmp_path / "model.pkl"
    pkl.write_bytes(pickle.dumps(model))
    args = ("--storage", storage, "--study", "lr", "--model", str(pkl), "--data", str(data),
            "--target", "creditability", "--positive-class", "bad")
    assert main(_analyze(*args, out=tmp_path / "refused")) == 2
    assert not (tmp_path / "refused").exists()
    out = tmp_path / "allowed"
    assert main(_analyze(*args, "--allow-pickle", out=out)) == 0
    result = json.loads((out / "results.json").read_text())
    assert result["tuning"]["n_trials"] == 8 and result["tuning"]["source"].startswith("optuna study 'lr'")
    assert result["model_file"]["format"] == "pickle" and result["model_file"]["warnings"]
    assert result["feature_effects"]["explainer"] == "linear"
    assert result["model_file"]["warnings"][0] in (out / "report.html").read_text()


class _Payload:
    """Unpickling this creates a file: proof that a refused pickle never runs."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # noqa: ANN204
        return (open, (str(self.marker), "w"))


def test_a_pickle_that_would_run_code_is_refused_in_a_real_process(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    for name in ("model.pkl", "model.joblib"):
        path = tmp_path / name
        path.write_bytes(pickle.dumps(_Payload(marker)))
        result = subprocess.run(
            [sys.executable, "-m", "auditlens.cli", *_analyze(
                "--trials", str(RESULTS), "--model", str(path), "--data", str(HOLDOUT),
                "--target", "creditability", out=tmp_path / "out")],
            capture_output=True, text=True, timeout=300,
        )
        assert result.returncode == 2
        assert result.stderr == (
            f"auditlens: error: --model: {name} is a pickle file, which runs code when loaded; convert it to "
            "skops (skops.io.dump) or set --allow-pickle if you trust its origin\n"
        )
        assert not marker.exists()
        assert not (tmp_path / "out").exists()


def _bad_inputs(tmp: Path) -> list[tuple[list[str], str]]:
    """(analyze arguments, the exact error line) for each kind of bad input the issue lists."""
    search = pd.read_csv(RESULTS)
    holdout = pd.read_csv(HOLDOUT)
    (tmp / "empty.csv").write_text("")
    search.drop(columns=["mean_test_score"]).to_csv(tmp / "no_objective.csv", index=False)
    pd.DataFrame({"a": [1, 2, 3], "value": [np.nan] * 3}).to_csv(tmp / "all_nan.csv", index=False)
    pd.DataFrame({"a": [1], "value": [0.5]}).to_csv(tmp / "single.csv", index=False)
    pd.DataFrame({"a": [1, 1, 1], "b": ["x"] * 3, "value": [0.5, 0.6, 0.7]}).to_csv(tmp / "same.csv", index=False)
    (tmp / "trials.xlsx").write_text("x")
    (tmp / "corrupt.skops").write_bytes(b"PK\x03\x04garbage" * 10)
    holdout.drop(columns=["duration_in_month"]).assign(extra=1).to_csv(tmp / "mismatch.csv", index=False)
    holdout.drop(columns=["creditability"]).to_csv(tmp / "no_target.csv", index=False)
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = f"sqlite:///{tmp / 'studies.db'}"
    optuna.create_study(study_name="first", storage=storage)
    optuna.create_study(study_name="second", storage=storage)
    model, data = ["--model", str(MODEL)], ["--data", str(HOLDOUT), "--target", "creditability"]
    trials = ["--trials", str(RESULTS)]
    return [
        (["--trials", str(tmp / "empty.csv"), *model, *data], "--trials: empty.csv is empty"),
        (["--trials", str(tmp / "no_objective.csv"), *model, *data],
         "--objective: no objective column given and none of value, objective, score, loss is in no_objective.csv; "
         "columns are " + ", ".join(c for c in search.columns if c != "mean_test_score")),
        (["--trials", str(tmp / "all_nan.csv"), *model, *data], "value: every objective value in all_nan.csv is empty or NaN"),
        (["--trials", str(tmp / "single.csv"), *model, *data], "--trials: fANOVA needs at least 2 completed trials; got 1"),
        (["--trials", str(tmp / "same.csv"), *model, *data],
         "--trials: all 3 completed trials have the same configuration; nothing varies, so there is nothing to decompose"),
        (["--storage", storage, "--study", "thrid", *model, *data],
         "--study: no study named 'thrid' in the storage; studies are first, second"),
        (["--storage", f"sqlite:///{tmp / 'missing' / 'x.db'}", "--study", "x", *model, *data],
         f"--storage: SQLite file '{tmp / 'missing' / 'x.db'}' does not exist"),
        (["--trials", str(tmp / "trials.xlsx"), *model, *data],
         "--trials: expected a .csv, .parquet, .json or .jsonl file; got 'trials.xlsx'"),
        ([*trials, "--model", str(tmp / "corrupt.skops"), *data],
         "--model: corrupt.skops is not a skops file (not a zip archive); save the model with skops.io.dump"),
        ([*trials, *model, "--data", str(tmp / "mismatch.csv"), "--target", "creditability"],
         "--data: mismatch.csv does not match the model's features: missing duration_in_month; unexpected extra"),
        ([*trials, *model, "--data", str(tmp / "no_target.csv"), "--target", "creditability"],
         "--target: column 'creditability' not in no_target.csv; columns are "
         + ", ".join(c for c in holdout.columns if c != "creditability")),
        ([*trials, *model, *data, "--positive-class", "yes"],
         "--positive-class: 'yes' is not a label of 'creditability'; labels are 'bad', 'good'"),
    ]


def test_bad_inputs_exit_2_with_one_exact_line_and_no_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = _bad_inputs(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    for args, message in cases:
        out = tmp_path / "out"
        code = main(_analyze(*args, out=out))
        err = capsys.readouterr().err
        assert (code, err) == (2, f"auditlens: error: {message}\n"), args
        assert sorted(p.name for p in tmp_path.iterdir()) == before  # no output, no staging folder


def test_unreachable_database_fails_fast_with_one_line(tmp_path: Path) -> None:
    import time

    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "auditlens.cli", *_analyze(
            "--storage", "postgresql://nobody@127.0.0.1:1/audit", "--study", "x", "--model", str(MODEL),
            "--data", str(HOLDOUT), "--target", "creditability", out=tmp_path / "out")],
        capture_output=True, text=True, timeout=120,
    )
    assert time.perf_counter() - start < 30
    assert result.returncode == 2
    assert result.stderr.startswith("auditlens: error: --storage: cannot open 'postgresql://nobody@127.0.0.1:1/audit': ")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.long  # minutes of work: see pyproject.toml
def test_stored_rows_keep_a_sample_of_per_row_values_and_every_aggregate(sample_run: Path, tmp_path: Path) -> None:
    text = (SAMPLE / "audit.toml").read_text()
    for name in ("holdout.csv", "model.skops", "cv_results.csv"):
        text = text.replace(f'"{name}"', f'"{(SAMPLE / name).as_posix()}"')
    spec = tmp_path / "audit.toml"
    spec.write_text(text + "\n[explain]\nstored_rows = 100\n")
    assert main(["run", str(spec), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    full = json.loads((sample_run / "results.json").read_text())["feature_effects"]
    part = json.loads((tmp_path / "out" / "results.json").read_text())["feature_effects"]
    positions = part["stored_positions"]
    assert len(positions) == len(part["values"]) == len(part["rows"]) == 100
    assert positions == sorted(set(positions)) and full["stored_positions"] == []
    assert part["values"] == [full["values"][i] for i in positions]
    assert part["rows"] == [full["rows"][i] for i in positions]
    # Aggregates still use all 250 explained rows.
    assert part["n_explained"] == full["n_explained"] == 250
    assert part["mean_abs"] == full["mean_abs"] and part["additivity_gap"] == full["additivity_gap"]
    assert part["mean_abs_ci_low"] == full["mean_abs_ci_low"]
    assert "stored for 100 of the 250 explained rows" in part["stored_note"]
    groups = [json.loads((d / "results.json").read_text())["groups"] for d in (sample_run, tmp_path / "out")]
    assert groups[0] == groups[1]


def test_intersectional_groups_match_a_direct_count(sample_run: Path) -> None:
    result = json.loads((sample_run / "results.json").read_text())
    by_name = {a["attribute"]: a for a in result["groups"]["attributes"]}
    inter = by_name["foreign_worker × age_in_years"]
    assert inter["kind"] == "intersection" and inter["members"] == ["foreign_worker", "age_in_years"]
    holdout = pd.read_csv(HOLDOUT)
    band = pd.cut(holdout["age_in_years"], [-np.inf, 25, 35, 50, np.inf], right=False,
                  labels=["< 25", "25 to < 35", "35 to < 50", ">= 50"]).astype(str)
    label = holdout["foreign_worker"].astype(str) + " × " + band
    counts = label.value_counts()
    assert {g["group"]: g["n"] for g in inter["groups"]} == counts.to_dict()
    # Each group's accuracy is the accuracy of the model on exactly those rows.
    import skops.io as sio

    model = sio.load(MODEL, trusted=sio.get_untrusted_types(file=MODEL))
    prob = model.predict_proba(holdout.drop(columns=["creditability"]))[:, list(model.classes_).index("bad")]
    correct = (prob >= 0.5) == (holdout["creditability"] == "bad").to_numpy()
    for g in inter["groups"]:
        assert g["metrics"]["accuracy"] == pytest.approx(correct[(label == g["group"]).to_numpy()].mean(), abs=1e-12)


def test_a_model_that_is_not_the_best_trial_is_flagged(tmp_path: Path) -> None:
    import skops.io as sio

    from auditlens.stages.subject import best_config_mismatch as _best_config_mismatch
    from auditlens.trials.sources import open_trials

    model = sio.load(MODEL, trusted=sio.get_untrusted_types(file=MODEL))
    assert _best_config_mismatch(open_trials(trials_file=RESULTS), model) == []
    search = pd.read_csv(RESULTS)
    best = int(search["mean_test_score"].idxmax())
    search.loc[best, "param_clf__max_iter"] = 7
    search.loc[best, "params"] = search.loc[best, "params"].replace(
        f"'clf__max_iter': {model.get_params()['clf__max_iter']}", "'clf__max_iter': 7")
    search.to_csv(tmp_path / "edited.csv", index=False)
    assert _best_config_mismatch(open_trials(trials_file=tmp_path / "edited.csv"), model) == [
        "The loaded model's parameters differ from the best trial of the tuning run "
        f"(clf__max_iter: model {model.get_params()['clf__max_iter']}, best trial 7): "
        "the best configuration shown is not the audited model's."
    ]


def test_storage_that_is_not_an_optuna_database_is_refused_unchanged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import hashlib
    import sqlite3

    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE foo (x INTEGER)")
    before = hashlib.sha256(other.read_bytes()).hexdigest()
    args = ["--storage", f"sqlite:///{other}?timeout=10", "--study", "s", "--model", str(MODEL),
            "--data", str(HOLDOUT), "--target", "creditability"]
    assert main(_analyze(*args, out=tmp_path / "out")) == 2
    assert capsys.readouterr().err == (
        "auditlens: error: --storage: other.db is not an Optuna database (no alembic_version, studies, trials, "
        "version_info table); expected the SQLite file of an Optuna study\n"
    )
    assert hashlib.sha256(other.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]


def test_passwords_stay_out_of_messages() -> None:
    from auditlens.trials.optuna_study import redact_url

    assert redact_url("postgresql://audit:s3cret@db.internal:5432/optuna") == "postgresql://audit:***@db.internal:5432/optuna"
    assert redact_url("sqlite:///study.db") == "sqlite:///study.db"
    assert redact_url("postgresql://audit@db/optuna?password=s3cret&sslmode=require") == (
        "postgresql://audit@db/optuna?password=***&sslmode=require"
    )
    assert redact_url("mysql+pymysql://u:p%40ss@h/db") == "mysql+pymysql://u:***@h/db"
    # Not parseable by SQLAlchemy (bad port): masked by hand, never printed as given.
    assert redact_url("postgresql://admin:hunter2@db:54x2/optuna") == "postgresql://admin:***@db:54x2/optuna"
    assert redact_url("postgresql//admin:hunter2@db/x") == "(storage URL hidden)"
    assert redact_url("postgresql://u@h/db?sslpassword=k&sslmode=require") == "postgresql://u@h/db?sslmode=require&sslpassword=***"


def test_omitted_positive_class_that_the_data_does_not_have(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    holdout = pd.read_csv(HOLDOUT)
    holdout["creditability"] = (holdout["creditability"] == "bad").astype(int)
    holdout.to_csv(tmp_path / "relabelled.csv", index=False)
    args = ["--trials", str(RESULTS), "--model", str(MODEL), "--data", str(tmp_path / "relabelled.csv"),
            "--target", "creditability"]
    assert main(_analyze(*args, out=tmp_path / "out")) == 2
    assert capsys.readouterr().err == (
        "auditlens: error: --positive-class: not given, and the model's classes 'bad', 'good' are not the "
        "labels of 'creditability' (0, 1); name the positive class\n"
    )


def test_spec_run_errors_name_spec_fields(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (SAMPLE / "audit.toml").read_text()
    for name in ("holdout.csv", "model.skops", "cv_results.csv"):
        text = text.replace(f'"{name}"', f'"{(SAMPLE / name).as_posix()}"')
    spec = tmp_path / "audit.toml"
    spec.write_text(text.replace('objective = "mean_test_score"', 'objective = "mean_test_auc"'))
    assert main(["run", str(spec), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("auditlens: error: tuning.objective: ") and err.count("\n") == 1, err
    from auditlens.errors import TrialsError

    assert str(TrialsError("not a column", field="space.lr").spelled({"space": "tuning.space"})) == "tuning.space.lr: not a column"
    assert str(TrialsError("x", field="tuning.results").spelled({"tuning": "--trials", "tuning.results": "--trials"})) == "--trials: x"
