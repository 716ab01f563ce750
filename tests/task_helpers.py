"""Regression and multiclass models on the two task samples (diabetes, wine), fitted and saved
with skops the way a team hands over a model tuned elsewhere (tests/tasks).

A helper module, not a conftest.py: tests/stages imports names `from conftest`, and a second
conftest module on the path would shadow it."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


@dataclass(frozen=True)
class Handover:
    """A fitted model file, its tuning run (cv_results_ as CSV) and held-out rows."""

    model: Path
    trials: Path
    holdout: Path
    target: str
    frame: pd.DataFrame


def _handover(folder: Path, name: str, estimator, grid: dict, frame: pd.DataFrame, target: str, scoring: str,
              stratify: bool) -> Handover:
    import skops.io as sio
    from sklearn.model_selection import GridSearchCV, train_test_split

    train, test = train_test_split(frame, test_size=0.3, random_state=0, stratify=frame[target] if stratify else None)
    search = GridSearchCV(estimator, grid, cv=3, scoring=scoring).fit(train.drop(columns=target), train[target])
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(search.cv_results_).to_csv(folder / f"{name}_cv.csv", index=False)
    sio.dump(search.best_estimator_, folder / f"{name}.skops")
    test.to_csv(folder / f"{name}_holdout.csv", index=False)
    return Handover(folder / f"{name}.skops", folder / f"{name}_cv.csv", folder / f"{name}_holdout.csv", target, test)


def diabetes() -> pd.DataFrame:
    frame = pd.read_csv(SAMPLES / "diabetes" / "diabetes.csv")
    return frame.assign(sex=(frame["sex"] == "sex 2").astype(int))  # a bare regressor needs numbers


def wine() -> pd.DataFrame:
    return pd.read_csv(SAMPLES / "wine" / "wine.csv")


@pytest.fixture(scope="session")
def regressor(tmp_path_factory: pytest.TempPathFactory) -> Handover:
    from sklearn.ensemble import HistGradientBoostingRegressor

    return _handover(
        tmp_path_factory.mktemp("regressor"), "reg", HistGradientBoostingRegressor(random_state=0),
        {"learning_rate": [0.03, 0.1], "max_leaf_nodes": [4, 15]}, diabetes(), "progression",
        "neg_root_mean_squared_error", stratify=False,
    )


@pytest.fixture(scope="session")
def multiclass(tmp_path_factory: pytest.TempPathFactory) -> Handover:
    from sklearn.ensemble import RandomForestClassifier

    return _handover(
        tmp_path_factory.mktemp("multiclass"), "mc", RandomForestClassifier(n_estimators=40, random_state=0),
        {"max_depth": [2, 6], "min_samples_leaf": [1, 5]}, wine(), "cultivar", "neg_log_loss", stratify=True,
    )


def copy_sample(name: str, folder: Path, **replace: str) -> Path:
    """The sample's audit.toml and data in ``folder``, with lines starting ``key =`` replaced."""
    shutil.copy(next((SAMPLES / name).glob("*.csv")), folder)
    lines = (SAMPLES / name / "audit.toml").read_text(encoding="utf-8").splitlines()
    for key, value in replace.items():
        lines = [f"{key} = {value}" if line.startswith(f"{key} =") else line for line in lines]
    spec = folder / "audit.toml"
    spec.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return spec
