"""`auditlens importance` on real trial tables: a CSV of Ishigami trials and a real Optuna study."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest

from auditlens.cli import main


def _ishigami_csv(path: Path, n: int = 600, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-np.pi, np.pi, (n, 3))
    y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    frame = pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "x3": x[:, 2], "nuisance": rng.uniform(0, 1, n),
                          "kind": rng.choice(["a", "b", "c"], n), "loss": y})
    frame.to_csv(path, index=False)
    return path


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "auditlens.cli", "importance", *args],
                          capture_output=True, text=True, timeout=300)


def test_json_output_is_ranked(tmp_path: Path) -> None:
    trials = _ishigami_csv(tmp_path / "trials.csv")
    done = _run(str(trials), "--objective", "loss", "--direction", "minimize", "--pairs", "3", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["n_trials"] == 600
    assert report["cutoff"] is None and report["conditional"] == {}
    mains = report["main_effects"]
    assert [m["importance"] for m in mains] == sorted((m["importance"] for m in mains), reverse=True)
    assert {m["param"] for m in mains[:2]} == {"x1", "x2"}
    assert len(report["pairwise"]) == 3 and set(report["pairwise"][0]["params"]) == {"x1", "x3"}
    assert 0.5 < report["surrogate"]["r2"] <= 1.0
    for m in mains:
        if m["param"] in ("nuisance", "kind"):
            assert m["importance"] < 0.02


@pytest.mark.long  # minutes of work: see pyproject.toml
def test_human_table_and_determinism(tmp_path: Path) -> None:
    trials = _ishigami_csv(tmp_path / "trials.csv")
    first = _run(str(trials), "--objective", "loss", "--seed", "3")
    second = _run(str(trials), "--objective", "loss", "--seed", "3")
    assert first.returncode == 0 and first.stdout == second.stdout
    assert "rank  hyperparameter" in first.stdout and "x1 × x3" in first.stdout


def test_optuna_study_source(tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name="quad", storage=storage, sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: (t.suggest_float("x", -3, 3) - 1) ** 2 + 0.01 * t.suggest_int("k", 0, 4), n_trials=80)
    done = _run("--storage", storage, "--study", "quad", "--json", "--permutations", "0")  # the null: tested apart
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["main_effects"][0]["param"] == "x" and report["main_effects"][0]["importance"] > 0.9
    missing = _run("--storage", storage, "--study", "qaud")
    assert missing.returncode == 2
    assert missing.stderr.strip() == "auditlens: error: study: no study named 'qaud' in the storage; studies are quad"


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("", (), "TRIALS: trials.csv is empty"),
        ("a,b\n1,2\n2,3\n", ("--objective", "value"), "--objective: column 'value' not in trials.csv; columns are a, b"),
        ("a,value\n1,\n2,\n", (), "value: every objective value in trials.csv is empty or NaN"),
        ("a,value\n1,0.5\n", (), "TRIALS: fANOVA needs at least 2 completed trials; got 1"),
    ],
)
def test_bad_tables_exit_2(tmp_path: Path, content: str, args: tuple[str, ...], message: str) -> None:
    path = tmp_path / "trials.csv"
    path.write_text(content)
    done = _run(str(path), *args)
    assert done.returncode == 2
    assert done.stderr.strip() == f"auditlens: error: {message}"


def test_same_configuration_everywhere(tmp_path: Path) -> None:
    path = tmp_path / "trials.csv"
    path.write_text("a,b,value\n1,x,0.5\n1,x,0.7\n1,x,0.6\n")
    done = _run(str(path))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("auditlens: error: ") and len(done.stderr.strip().splitlines()) == 1


def test_needs_exactly_one_source(tmp_path: Path) -> None:
    assert main(["importance"]) == 2
    assert main(["importance", str(tmp_path / "x.csv"), "--storage", "sqlite:///x.db", "--study", "s"]) == 2


def test_cutoff_restricts_to_the_best_trials(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    a, b = rng.random(400), rng.random(400)
    path = tmp_path / "trials.csv"
    pd.DataFrame({"a": a, "b": b, "loss": 10.0 * (a > 0.5) + b}).to_csv(path, index=False)
    done = _run(str(path), "--direction", "minimize", "--cutoff", "0.4", "--json", "--permutations", "0")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    cut = report["cutoff"]
    assert cut["quantile"] == 0.4 and cut["lower"] is None and 0.6 < cut["upper"] < 0.95
    assert cut["n_trials_inside"] == 160
    share = {m["param"]: m["importance"] for m in report["main_effects"]}
    assert share["b"] > 0.1 and share["a"] < 0.9
    human = _run(str(path), "--direction", "minimize", "--cutoff", "0.4", "--permutations", "0")
    assert "cutoff: best 40% of trials (loss <= " in human.stdout
    bad = _run(str(path), "--cutoff", "1.5")
    assert bad.returncode == 2 and "--cutoff must be a fraction in (0, 1); got 1.5" in bad.stderr


@pytest.mark.long  # minutes of work: see pyproject.toml
def test_conditional_parameters_from_a_table(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    n = 300
    kind = rng.choice(["a", "b"], n)
    xa, xb = rng.random(n), rng.random(n)
    frame = pd.DataFrame({"kind": kind, "xa": np.where(kind == "a", xa, np.nan),
                          "xb": np.where(kind == "b", xb, np.nan),
                          "loss": np.where(kind == "a", 4 * xa, 2 + 0.2 * xb)})
    frame.to_csv(tmp_path / "c.csv", index=False)
    done = _run(str(tmp_path / "c.csv"), "--json", "--pairs", "2")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert set(report["conditional"]) == {"xa", "xb"}
    assert report["conditional"]["xa"] == pytest.approx(float(np.mean(kind == "b")))
    share = {m["param"]: m["importance"] for m in report["main_effects"]}
    assert share["xa"] > 0.5 and share["xb"] < 0.03
    human = _run(str(tmp_path / "c.csv"))
    assert "conditional: xa (inactive in" in human.stdout


def test_a_trial_table_loads_no_spec_models(tmp_path: Path) -> None:
    """`importance` of a table without --space never imports pydantic (the spec's models)."""
    trials = _ishigami_csv(tmp_path / "trials.csv", n=60)
    code = (
        "import sys\n"
        "from auditlens.cli import main\n"
        f"code = main(['importance', {str(trials)!r}, '--objective', 'loss', '--permutations', '0', '--json'])\n"
        "print(code, [m for m in ('pydantic', 'auditlens.spec') if m in sys.modules], file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stderr.strip().splitlines()[-1] == "0 []"
