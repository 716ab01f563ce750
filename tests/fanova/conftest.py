"""Shared fixtures for the fANOVA tests: the Ishigami function and its Sobol indices."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

# First-order and the only non-zero second-order Sobol index of Ishigami (a=7, b=0.1).
ISHIGAMI_SOBOL: dict[object, float] = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0, ("x1", "x3"): 0.2437}


def ishigami_unit(unit: np.ndarray) -> np.ndarray:
    """Ishigami on the unit cube: x = 2*pi*u - pi; columns beyond the third are ignored."""
    x = np.asarray(unit)[:, :3] * 2 * np.pi - np.pi
    return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_sample(n: int, d: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``n`` uniform trials of Ishigami with ``d - 3`` irrelevant extra parameters."""
    X = np.random.default_rng(seed).random((n, d))
    return X, ishigami_unit(X), [f"x{i + 1}" for i in range(d)]


@pytest.fixture(scope="session")
def ishigami() -> Callable[[np.ndarray], np.ndarray]:
    return ishigami_unit


@pytest.fixture(scope="session")
def ishigami_data() -> Callable[..., tuple[np.ndarray, np.ndarray, list[str]]]:
    return ishigami_sample


@pytest.fixture(scope="session")
def ishigami_truth() -> dict[object, float]:
    return dict(ISHIGAMI_SOBOL)
