"""Tuning workers on a real PostgreSQL study: kill one mid-run, join from another process,
fail fast on a bad URL, never show the password."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import optuna
import psutil
import pytest
from postgres_server import postgres_url  # noqa: F401  # the fixture
from sample_helpers import sample_spec_text, write_spec
from sqlalchemy.engine import make_url

from auditlens.cli import main

pytestmark = [pytest.mark.slow, pytest.mark.long]


def _spec(folder: Path, name: str, *, trials: int) -> Path:
    """The German credit sample, small: few trials, 2 folds, JSON only, light SHAP."""
    text = sample_spec_text(
        trials=str(trials), cv_folds="2", model_name=f'"{name}"', formats='["json"]', bootstrap="20"
    )
    text = text.replace("[tuning]\n", "[tuning]\nheartbeat_interval = 1\n")
    text = text.replace("[explain]\n", "[explain]\nmax_rows = 50\nbootstrap = 20\ninteraction_rows = 0\n")
    return write_spec(folder, text)


def _trials(url: str, name: str) -> list[optuna.trial.FrozenTrial]:
    storage = optuna.storages.RDBStorage(url, skip_table_creation=True)
    return optuna.load_study(study_name=name, storage=storage).get_trials(deepcopy=False)


def _workers_of(pid: int) -> list[psutil.Process]:
    """The tuning worker processes `auditlens run` spawned (not multiprocessing's tracker)."""
    children = psutil.Process(pid).children(recursive=False)
    return [c for c in children if "resource_tracker" not in " ".join(c.cmdline())]


def test_killed_worker_leaves_no_trial_running_and_the_audit_reads_the_study(
    tmp_path: Path, postgres_url: str  # noqa: F811
) -> None:
    name = f"kill-{uuid.uuid4().hex[:8]}"
    spec = _spec(tmp_path, name, trials=16)
    out = tmp_path / "out"
    run = subprocess.Popen(
        [sys.executable, "-m", "auditlens.cli", "run", str(spec), "--out", str(out), "--quiet",
         "--storage", postgres_url, "--workers", "2"],
        stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 240
        victim = None
        storage = None
        while victim is None and time.monotonic() < deadline and run.poll() is None:
            time.sleep(0.2)
            try:
                storage = storage or optuna.storages.RDBStorage(postgres_url, skip_table_creation=True)
                trials = optuna.load_study(study_name=name, storage=storage).get_trials(deepcopy=False)
            except Exception:  # noqa: BLE001, S112  # tables or study not created yet
                continue
            workers = {p.pid for p in _workers_of(run.pid)}
            busy = [t.user_attrs.get("auditlens_pid") for t in trials if t.state.name == "RUNNING"]
            # Kill a worker while it is inside a trial, after the study has some results.
            if sum(t.state.name == "COMPLETE" for t in trials) >= 2 and len(workers) == 2:
                victim = next((pid for pid in busy if pid in workers), None)
                if victim is not None:
                    os.kill(victim, signal.SIGKILL)
        assert victim is not None, "the run never reached two finished trials with two workers"
        _, err = run.communicate(timeout=400)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0, err
    trials = _trials(postgres_url, name)
    states = [t.state.name for t in trials]
    assert "RUNNING" not in states and "WAITING" not in states
    assert states.count("FAIL") >= 1  # the killed worker's trial, failed by the heartbeat ...
    retried = [t for t in trials if "failed_trial" in t.system_attrs]
    assert len(retried) == states.count("FAIL")  # ... and run again by the survivor
    assert states.count("COMPLETE") >= 16
    result = json.loads((out / "results.json").read_text())
    tuning = result["tuning"]
    assert tuning["n_trials"] == len(trials) and tuning["state_counts"]["COMPLETE"] == states.count("COMPLETE")
    assert tuning["workers"] == 2
    assert "***" in tuning["storage_file"] and make_url(postgres_url).password not in json.dumps(result)


def test_a_joining_worker_then_the_audit_of_the_finished_study_is_byte_reproducible(
    tmp_path: Path, postgres_url: str  # noqa: F811
) -> None:
    name = f"join-{uuid.uuid4().hex[:8]}"
    spec = _spec(tmp_path, name, trials=6)
    assert main(["tune-worker", str(spec), "--storage", postgres_url, "--worker", "7"]) == 0
    trials = _trials(postgres_url, name)
    assert sum(t.state.name == "COMPLETE" for t in trials) == 6
    assert {t.user_attrs["auditlens_worker"] for t in trials} == {7}
    # `run` on the finished study adds no trial: it audits what the workers left, twice alike.
    outputs = []
    for k in range(2):
        out = tmp_path / f"out{k}"
        assert main(["run", str(spec), "--out", str(out), "--quiet", "--storage", postgres_url]) == 0
        outputs.append((out / "results.json").read_bytes())
    assert len(_trials(postgres_url, name)) == len(trials)
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0])["tuning"]["workers"] == 1


@pytest.mark.parametrize("problem", ["wrong password", "nothing listening"])
def test_bad_storage_is_exit_2_fast_without_the_password(
    tmp_path: Path, postgres_url: str, problem: str, capsys: pytest.CaptureFixture[str]  # noqa: F811
) -> None:
    real = make_url(postgres_url)
    secret = "s3cret-Pa55"
    if problem == "wrong password":
        bad = real.set(password=secret)
    else:
        with __import__("socket").socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        bad = real.set(password=secret, port=port)
    url = bad.render_as_string(hide_password=False)
    spec = _spec(tmp_path, f"bad-{uuid.uuid4().hex[:8]}", trials=4)
    start = time.monotonic()
    code = main(["run", str(spec), "--out", str(tmp_path / "out"), "--quiet", "--storage", url, "--workers", "2"])
    elapsed = time.monotonic() - start
    err = capsys.readouterr().err
    assert code == 2
    assert elapsed < 15
    assert secret not in err
    assert "tuning.storage" in err and bad.render_as_string(hide_password=True).replace("%2A", "*") in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
