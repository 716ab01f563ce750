"""A worker killed before its trial's first heartbeat: Optuna's own check never fails that
trial; ours does, and queues it again. On a real Optuna RDB storage (SQLite, heartbeat on)."""

from __future__ import annotations

import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from auditlens.tuning_workers import fail_lost_trials, open_tuning_storage


pytestmark = pytest.mark.filterwarnings("ignore:Heartbeat of storage", "ignore::optuna.exceptions.ExperimentalWarning")


def _study(path: Path) -> tuple[optuna.Study, optuna.storages.RDBStorage]:
    storage = open_tuning_storage(f"sqlite:///{path}", heartbeat=1)  # grace period 2 s
    return optuna.create_study(study_name="lost", storage=storage), storage


def test_a_trial_without_a_heartbeat_is_failed_after_the_grace_period_and_queued_again(tmp_path: Path) -> None:
    study, storage = _study(tmp_path / "study.db")
    lost = study.ask()  # RUNNING with no heartbeat: its worker died before the thread wrote one
    lost.suggest_float("x", 0.0, 1.0)
    time.sleep(2.5)
    optuna.storages.fail_stale_trials(study)  # Optuna alone leaves it RUNNING for ever
    assert study.trials[0].state == TrialState.RUNNING
    young = study.ask()  # started within the grace period: its worker may be alive
    assert fail_lost_trials(study, storage) == [lost._trial_id]
    trials = study.get_trials(deepcopy=False)
    assert [t.state for t in trials] == [TrialState.FAIL, TrialState.RUNNING, TrialState.WAITING]
    copy = trials[2]
    assert copy.system_attrs["failed_trial"] == lost.number and copy.params == trials[0].params
    assert young.number == 1 and fail_lost_trials(study, storage) == []  # nothing twice; the young one is left


def test_a_trial_with_a_fresh_heartbeat_is_left_alone(tmp_path: Path) -> None:
    study, storage = _study(tmp_path / "study.db")
    trial = study.ask()
    storage.record_heartbeat(trial._trial_id)
    time.sleep(2.5)
    storage.record_heartbeat(trial._trial_id)  # its worker is alive, however old the trial
    assert fail_lost_trials(study, storage) == []
    assert study.trials[0].state == TrialState.RUNNING
