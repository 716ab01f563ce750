"""Shared fixtures: the real german-credit sample and pipelines fitted on it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

CSV = Path(__file__).resolve().parents[2] / "samples" / "german-credit" / "german_credit.csv"
LABEL = "creditability"


@pytest.fixture(scope="session")
def credit() -> tuple[pd.DataFrame, pd.Series]:
    df = pd.read_csv(CSV)
    return df.drop(columns=[LABEL]), df[LABEL]


@pytest.fixture(scope="session")
def columns(credit) -> tuple[list[str], list[str]]:
    X, _ = credit
    categorical = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    numeric = [c for c in X.columns if c not in categorical]
    return numeric, categorical


@pytest.fixture(scope="session")
def make_pipeline(credit, columns):
    """Fit Pipeline([preprocess, model]) on the first ``rows`` rows of german credit."""
    numeric, categorical = columns
    X, y = credit

    def make(model, *, rows: int | None = None, scale: bool = True) -> Pipeline:
        pre = ColumnTransformer(
            [
                ("num", StandardScaler() if scale else "passthrough", numeric),
                ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
            ]
        )
        n = len(X) if rows is None else rows
        return Pipeline([("preprocess", pre), ("model", model)]).fit(X.iloc[:n], y.iloc[:n])

    return make


@pytest.fixture(scope="session")
def planted_interaction():
    """Data whose label is an a × colour interaction plus a weak main effect of b: ``make(n)``."""
    import numpy as np

    def make(n: int = 600) -> tuple[pd.DataFrame, np.ndarray]:
        rng = np.random.default_rng(0)
        X = pd.DataFrame({
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "noise": rng.normal(size=n),
            "colour": rng.choice(["red", "green", "blue"], n),
        })
        sign = np.where(X["colour"] == "red", 1.0, -1.0)
        y = (2.0 * X["a"] * sign + 0.3 * X["b"] + 0.3 * rng.normal(size=n) > 0).astype(int).to_numpy()
        return X, y

    return make
