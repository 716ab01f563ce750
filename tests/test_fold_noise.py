"""tuning.fold_noise: the configuration x fold interaction of a real study's fold scores.

Scores are planted as configuration effect + fold difficulty (shared by every trial) + noise
of known sd; the folds' shared difficulty must cancel, and the noise of a trial's mean over k
folds is sd / sqrt(k).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import optuna

from auditlens.tuning import fold_noise


def _study(tmp_path: Path, scores: np.ndarray, name: str = "s") -> str:
    url = f"sqlite:///{tmp_path / 'study.db'}"
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(storage=url, study_name=name, direction="maximize")
    for row in scores:
        trial = optuna.trial.create_trial(
            params={"x": float(row.mean())}, distributions={"x": optuna.distributions.FloatDistribution(-10, 10)},
            value=float(row.mean()), user_attrs={"cv_scores": [float(v) for v in row]},
        )
        study.add_trial(trial)
    return url


def test_shared_fold_difficulty_cancels_and_the_interaction_remains(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    n, k, sd = 400, 5, 0.02
    config = rng.normal(scale=0.05, size=(n, 1))
    fold = np.array([[0.0, 0.08, -0.05, 0.03, -0.06]])  # large, and the same for every trial
    scores = 0.75 + config + fold + rng.normal(scale=sd, size=(n, k))
    got = fold_noise(_study(tmp_path, scores), "s")
    assert got is not None
    assert abs(got - sd / math.sqrt(k)) < 0.05 * sd / math.sqrt(k)  # 400 x 5 scores: within 5%
    # the per-trial fold sd, which the report first showed, is mostly the shared difficulty
    assert float(np.median(scores.std(axis=1))) > 4 * got


def test_no_fold_scores_gives_none(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'plain.db'}"
    study = optuna.create_study(storage=url, study_name="p")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=4)
    assert fold_noise(url, "p") is None
    assert fold_noise(_study(tmp_path, np.ones((2, 5)), name="two"), "two") is None  # fewer than 3 trials
