"""Scale inference from the values a sampler left: uniform vs log-uniform, N = 30 to 5,000."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from auditlens.trials.scale import infer_scale
from auditlens.trials.table_file import read_trial_file

Draw = Callable[[np.random.Generator, int], np.ndarray]


def _int_log(low: int, high: int) -> Draw:  # as Optuna draws a log int: log-uniform, rounded
    return lambda r, n: np.round(np.exp(r.uniform(np.log(low - 0.5), np.log(high + 0.5), n)))


# (draws, integer, truly log). "Clearly" log-uniform: a range of at least one decade.
CASES: dict[str, tuple[Draw, bool, bool]] = {
    "uniform [0, 1]": (lambda r, n: r.uniform(0, 1, n), False, False),
    "uniform [0.1, 1]": (lambda r, n: r.uniform(0.1, 1, n), False, False),
    "uniform [1e-3, 10]": (lambda r, n: r.uniform(1e-3, 10, n), False, False),
    "uniform int [1, 300]": (lambda r, n: r.integers(1, 301, n).astype(float), True, False),
    "uniform int [0, 10]": (lambda r, n: r.integers(0, 11, n).astype(float), True, False),
    "log-uniform [1, 10]": (lambda r, n: 10 ** r.uniform(0, 1, n), False, True),
    "log-uniform [1e-3, 1]": (lambda r, n: 10 ** r.uniform(-3, 0, n), False, True),
    "log-uniform [1e-6, 10]": (lambda r, n: 10 ** r.uniform(-6, 1, n), False, True),
    "log-uniform int [2, 64]": (_int_log(2, 64), True, True),
    "log-uniform int [20, 300]": (_int_log(20, 300), True, True),
}
REPEATS = 50


def _error_rate(case: str, n: int) -> float:
    draw, integer, log = CASES[case]
    rng = np.random.default_rng([n, len(case)])
    wrong = sum(infer_scale(draw(rng, n), integer=integer).log != log for _ in range(REPEATS))
    return wrong / REPEATS


ONE_DECADE = "log-uniform [1, 10]"  # the narrowest log range: uniform and log overlap most


@pytest.mark.parametrize("n", [100, 300, 1000, 5000])
@pytest.mark.parametrize("case", [c for c in CASES if c != ONE_DECADE])
def test_no_misclassification_from_100_trials(case: str, n: int) -> None:
    assert _error_rate(case, n) == 0.0


@pytest.mark.parametrize("n", [150, 300, 1000, 5000])
def test_one_decade_log_range_from_150_trials(n: int) -> None:
    assert _error_rate(ONE_DECADE, n) == 0.0


def test_one_decade_log_range_at_100_trials_errs_rarely() -> None:
    # Measured over 4,000 draws: 0.2% taken as linear at N = 100 (0 at N = 150).
    rng = np.random.default_rng(100)
    wrong = sum(not infer_scale(10 ** rng.uniform(0, 1, 100), integer=False).log for _ in range(1000))
    assert wrong <= 10


@pytest.mark.parametrize("n", [30, 50])
def test_few_trials_err_only_on_narrow_log_ranges(n: int) -> None:
    # Measured (benchmarks/README.md): below 100 trials a one-decade log range is often taken
    # as linear (ambiguous -> linear), 20-25% at N = 30; wide ranges and uniform draws are right.
    for case in CASES:
        rate = _error_rate(case, n)
        if case in ("log-uniform [1, 10]", "log-uniform int [20, 300]"):
            assert rate <= 0.3, (case, rate)
        else:
            assert rate <= 0.05, (case, rate)


def test_ambiguous_evidence_is_said_and_taken_linear() -> None:
    narrow = np.random.default_rng(0).uniform(0.5, 1.0, 30)
    evidence = infer_scale(narrow, integer=False)
    assert not evidence.log and evidence.reason.startswith("ambiguous")
    assert infer_scale(np.array([-1.0, 0.5, 2.0, 3.0, 9.0]), integer=False).reason.startswith(
        "values <= 0"
    )


def test_table_file_says_which_scale_and_why(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    n = 300
    frame = pd.DataFrame({
        "dropout": rng.uniform(0, 1, n),  # spans decades, drawn uniformly: linear
        "lr": 10 ** rng.uniform(-5, -1, n),
        "value": rng.normal(size=n),
    })
    frame.to_csv(tmp_path / "t.csv", index=False)
    table = read_trial_file(tmp_path / "t.csv")
    assert not table.space["dropout"].log and table.space["lr"].log  # type: ignore[union-attr]
    assert "uniform on the linear scale" in table.space_notes["dropout"]
    assert "uniform on the log scale" in table.space_notes["lr"]
    (tmp_path / "s.toml").write_text('[dropout]\ntype = "float"\nlow = 0.0\nhigh = 1.0\nlog = false\n')
    overridden = read_trial_file(tmp_path / "t.csv", space_file=tmp_path / "s.toml")
    assert overridden.space_notes["dropout"] == "declared in --space"
