"""Conditional parameters: inactive cells get a reserved value of their own, nothing imputed."""

from __future__ import annotations

import numpy as np
import optuna
import pytest

from auditlens.errors import TrialsError
from auditlens.fanova import decompose, reserve_inactive
from auditlens.trials.optuna_study import load_optuna_study


def test_reserve_inactive_layout() -> None:
    X = np.array([[0.0, 1.0], [np.nan, 0.5], [1.0, 0.0], [0.5, np.nan]])
    Xr, w = reserve_inactive(X)
    assert w.tolist() == [0.25, 0.25]
    assert Xr[:, 0].tolist() == [0.25, 0.125, 1.0, 0.625]
    assert Xr[3, 1] == 0.125 and np.isnan(X[3, 1])  # the input is left alone
    assert np.all((Xr >= 0) & (Xr <= 1))
    all_nan, w2 = reserve_inactive(np.array([[np.nan], [np.nan]]))
    assert w2.tolist() == [0.0] and all_nan[:, 0].tolist() == [0.5, 0.5]


def _conditional_study(tmp_path) -> str:  # type: ignore[no-untyped-def]
    """A real Optuna study: 'kind' chooses which of two floats is active."""
    storage = f"sqlite:///{tmp_path / 'cond.db'}"
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        study_name="cond", storage=storage, sampler=optuna.samplers.RandomSampler(seed=0)
    )

    def objective(trial: optuna.Trial) -> float:
        if trial.suggest_categorical("kind", ["a", "b"]) == "a":
            return 4.0 * trial.suggest_float("xa", 0.0, 1.0)
        return 2.0 + 0.2 * trial.suggest_float("xb", 0.0, 1.0) + 0.0 * trial.suggest_float(
            "unused", 0.0, 1.0
        )

    study.optimize(objective, n_trials=400)
    return storage


def test_conditional_optuna_study(tmp_path) -> None:  # type: ignore[no-untyped-def]
    table = load_optuna_study(_conditional_study(tmp_path), "cond")
    with pytest.raises(TrialsError, match="x[ab]: inactive \\(empty\\) in .* inactive='nan'"):
        table.encoded()
    X, y = table.encoded(inactive="nan")
    names = list(table.space.names)
    kind, xa = names.index("kind"), names.index("xa")
    inactive = np.isnan(X)
    assert not inactive[:, kind].any()
    assert np.array_equal(inactive[:, xa], X[:, kind] > 0.5)  # xa is off exactly when kind=b
    with pytest.raises(TrialsError, match="inactive='reserve'"):
        decompose(X, y, names=names)

    res = decompose(X, y, names=names, inactive="reserve", n_stages=100)
    w = res.settings["inactive"]
    assert set(w) == {"xa", "xb", "unused"}  # type: ignore[arg-type]
    assert w["xa"] == pytest.approx(inactive[:, xa].mean())  # type: ignore[index]
    # Everything that matters is kind/xa: xa's own value and whether it is on at all
    # (which the trees may attribute to kind, to xa's reserved cell, or to their pair).
    share = {e.params: e.importance for e in (*res.main_effects, *res.pairwise)}
    assert share[("xa",)] > 0.5
    ka = share.get(("kind", "xa"), share.get(("xa", "kind"), 0.0))
    assert share[("kind",)] + share[("xa",)] + ka > 0.85
    assert share[("xb",)] < 0.03
    # The xa marginal is over active values only, on the original grid, and is linear there.
    curve = res.marginals["xa"]
    assert curve.grid[0] == 0.0 and curve.grid[-1] == 1.0
    slope = np.polyfit(curve.grid, curve.mean, 1)[0]
    assert slope > 0 and np.corrcoef(curve.grid, curve.mean)[0, 1] > 0.98
