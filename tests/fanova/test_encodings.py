"""Issue 3 correctness: encodings do not change the answer; D=20 beats Optuna's estimator."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from auditlens.fanova import decompose
from auditlens.trials.table_file import read_trial_file


def _shares(res, keys):  # type: ignore[no-untyped-def]
    return {k: res.importance(*((k,) if isinstance(k, str) else k)).importance for k in keys}


def test_log_scaled_and_categorical_nuisance_parameters_change_nothing(
    tmp_path: Path,
    ishigami,  # type: ignore[no-untyped-def]
    ishigami_truth,  # type: ignore[no-untyped-def]
) -> None:
    """Ishigami + 5 irrelevant parameters, N=1,500, through a trial file: x1 is given on a
    log scale (1e-3 to 1e1, inferred as log because it spans four decades) and one
    irrelevant parameter is a categorical with three choices. The unit-cube encoding of x1
    is the same as the plain run's, so the answer is the same; the categorical nuisance
    gets nothing."""
    rng = np.random.default_rng(5)
    n = 1500
    U = rng.random((n, 8))
    choices = np.array(["relu", "tanh", "gelu"])
    kind = choices[(U[:, 7] * 3).astype(int)]
    U[:, 7] = ((U[:, 7] * 3).astype(int) + 0.5) / 3  # what the categorical encodes to
    y = ishigami(U)
    frame = pd.DataFrame({f"x{i + 1}": U[:, i] for i in range(7)})
    frame["x1"] = 10.0 ** (-3.0 + 4.0 * U[:, 0])  # log-scaled, 1e-3 .. 1e1
    frame["act"] = kind
    frame["loss"] = y
    # The file's observed range would be the bounds; pin the space as the tuner's.
    frame.to_csv(tmp_path / "t.csv", index=False)
    (tmp_path / "space.toml").write_text(
        '[x1]\ntype = "float"\nlow = 0.001\nhigh = 10.0\nlog = true\n'
        '[act]\ntype = "categorical"\nchoices = ["relu", "tanh", "gelu"]\n'
        + "".join(f'[x{i}]\ntype = "float"\nlow = 0.0\nhigh = 1.0\n' for i in range(2, 8))
    )
    table = read_trial_file(tmp_path / "t.csv", direction="minimize", space_file=tmp_path / "space.toml")
    X, yy = table.encoded()
    names = list(table.space.names)
    order = [names.index(c) for c in [*(f"x{i + 1}" for i in range(7)), "act"]]
    assert np.allclose(X[:, order], U, atol=1e-12)  # same unit cube, columns aside

    assert np.array_equal(yy, y)
    # Same trials in the same unit cube: the engine cannot tell the difference, so the
    # answer is the plain D=8 one (test_ishigami.py), checked here against the truth.
    res = decompose(X, yy, names=names, seed=0)
    keys = list(ishigami_truth)
    got = _shares(res, keys)
    tolerance = {"x1": 0.03, "x2": 0.03, "x3": 0.03, ("x1", "x3"): 0.05}
    for k in keys:
        assert abs(got[k] - ishigami_truth[k]) <= tolerance[k], (k, got[k])
    assert res.importance("act").importance < 0.01
    assert max(res.importance(f"x{i}").importance for i in range(4, 8)) < 0.01


def test_d20_beats_the_per_tree_estimator_on_the_same_trials(ishigami_data, ishigami_truth) -> None:  # type: ignore[no-untyped-def]
    """Ishigami + 17 irrelevant parameters, N=1,000 (seed 0). The paper's per-tree estimator
    on a 64-tree forest (what Optuna's FanovaImportanceEvaluator computes; equal to it to
    1e-12 in test_optuna_oracle.py) gives S2 = 0.28-0.34 here (truth 0.442); the default
    gets within 0.05 of every index and closer than the per-tree estimator on S2."""
    X, y, names = ishigami_data(1000, d=20, seed=0)
    res = decompose(X, y, names=names, seed=0)
    per_tree = decompose(X, y, names=names, surrogate="random_forest", estimator="per_tree", seed=0)
    ours, theirs = _shares(res, ishigami_truth), _shares(per_tree, ishigami_truth)
    assert theirs["x2"] < 0.36  # the bias Optuna shows
    for k, truth in ishigami_truth.items():
        assert abs(ours[k] - truth) <= 0.05, (k, ours[k])
    assert abs(ours["x2"] - 0.4424) < abs(theirs["x2"] - 0.4424) - 0.05
    assert max(res.importance(n).importance for n in names[3:]) < 0.01
