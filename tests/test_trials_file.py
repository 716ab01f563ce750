"""Trial tables from CSV / JSON / Parquet files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from auditlens.errors import SpecError, TrialsError
from auditlens.space import CategoricalParam, FloatParam, IntParam
from auditlens.trials.table_file import read_trial_file
from cli_helpers import raises_shown


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 40
    return pd.DataFrame({
        "number": np.arange(n),
        "lr": 10 ** rng.uniform(-4, 0, n),          # spans 4 decades -> log
        "dropout": rng.uniform(0.1, 0.5, n),         # linear float
        "layers": rng.integers(1, 6, n),             # int
        "optimizer": rng.choice(["adam", "sgd"], n),  # categorical
        "value": rng.normal(size=n),
    })


def test_infers_kinds_bounds_and_log(tmp_path: Path) -> None:
    frame = _frame()
    frame.loc[5, "value"] = np.nan  # a failed trial
    frame.to_csv(tmp_path / "t.csv", index=False)
    table = read_trial_file(tmp_path / "t.csv", direction="minimize")
    space = table.space
    assert space.names == ("lr", "dropout", "layers", "optimizer")  # 'number' is bookkeeping
    assert isinstance(space["lr"], FloatParam) and space["lr"].log
    assert isinstance(space["dropout"], FloatParam) and not space["dropout"].log
    assert isinstance(space["layers"], IntParam) and (space["layers"].low, space["layers"].high) == (1, 5)
    assert isinstance(space["optimizer"], CategoricalParam)
    assert set(space["optimizer"].choices) == {"adam", "sgd"}
    assert table.objective == "value" and table.direction == "minimize"
    assert int(table.completed.sum()) == 39 and table.states[5] == "FAIL"


def test_json_and_parquet_match_csv(tmp_path: Path) -> None:
    frame = _frame()
    frame.to_csv(tmp_path / "t.csv", index=False)
    frame.to_json(tmp_path / "t.json", orient="records")
    frame.to_parquet(tmp_path / "t.parquet")
    tables = [read_trial_file(tmp_path / name) for name in ("t.csv", "t.json", "t.parquet")]
    for other in tables[1:]:
        assert other.space.names == tables[0].space.names
        assert np.allclose(other.values, tables[0].values)
        assert other.params["optimizer"] == tables[0].params["optimizer"]


def test_space_override(tmp_path: Path) -> None:
    _frame().to_csv(tmp_path / "t.csv", index=False)
    (tmp_path / "space.toml").write_text(
        '[lr]\ntype = "float"\nlow = 1e-5\nhigh = 1.0\nlog = true\n'
        '[layers]\ntype = "categorical"\nchoices = [1, 2, 3, 4, 5]\n'
    )
    table = read_trial_file(tmp_path / "t.csv", space_file=tmp_path / "space.toml")
    assert table.space["lr"] == FloatParam("lr", 1e-5, 1.0, True)
    assert table.space["layers"] == CategoricalParam("layers", (1, 2, 3, 4, 5))
    (tmp_path / "bad.toml").write_text('[lr]\ntype = "float"\nlow = 0.5\nhigh = 1.0\n')
    with raises_shown(TrialsError, match=r"^lr: value .* in row 1 of t\.csv is outside the space \[0\.5, 1\.0\]$"):
        read_trial_file(tmp_path / "t.csv", space_file=tmp_path / "bad.toml")
    (tmp_path / "typo.toml").write_text('[lrr]\ntype = "float"\nlow = 0.5\nhigh = 1.0\n')
    with pytest.raises(SpecError, match=r"^space\.lrr: not a column of t\.csv; parameter columns are lr, dropout, layers, optimizer$"):
        read_trial_file(tmp_path / "t.csv", space_file=tmp_path / "typo.toml")


def test_bad_tables(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("")
    with raises_shown(TrialsError, match=r"^TRIALS: empty\.csv is empty$"):
        read_trial_file(tmp_path / "empty.csv")
    (tmp_path / "t.xlsx").write_text("x")
    with raises_shown(TrialsError, match=r"^TRIALS: expected a \.csv, \.parquet, \.json or \.jsonl file; got 't\.xlsx'$"):
        read_trial_file(tmp_path / "t.xlsx")
    (tmp_path / "noobj.csv").write_text("a,b\n1,2\n")
    with raises_shown(TrialsError, match=r"^--objective: no objective column given and none of value, objective, score, loss is in noobj\.csv; columns are a, b$"):
        read_trial_file(tmp_path / "noobj.csv")
    with raises_shown(TrialsError, match=r"^--objective: column 'acc' not in noobj\.csv; columns are a, b$"):
        read_trial_file(tmp_path / "noobj.csv", objective="acc")
    (tmp_path / "nan.csv").write_text("a,value\n1,\n2,nan\n")
    with raises_shown(TrialsError, match=r"^value: every objective value in nan\.csv is empty or NaN$"):
        read_trial_file(tmp_path / "nan.csv")
    (tmp_path / "text.csv").write_text("a,value\n1,0.5\n2,high\n")
    with raises_shown(TrialsError, match=r"^value: expected numbers in the objective column; got 'high' in row 2$"):
        read_trial_file(tmp_path / "text.csv")


def test_empty_cells_are_inactive_not_imputed(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text(
        "optimizer,momentum,lr,value\nsgd,0.9,0.1,1.0\nadam,,0.01,2.0\nsgd,0.5,0.001,3.0\nadam,,0.1,\n"
    )
    table = read_trial_file(tmp_path / "c.csv")
    assert table.params["momentum"][1] is None
    with raises_shown(TrialsError, match=r"^momentum: inactive \(empty\) in 1 of 3 completed trials"):
        table.encoded()
    X, y = table.encoded(inactive="nan")
    assert y.tolist() == [1.0, 2.0, 3.0]  # the failed trial is left out
    m = table.space.names.index("momentum")
    assert np.isnan(X[1, m]) and np.isfinite(np.delete(X, 1, axis=0)).all()
    assert np.isfinite(X[:, [j for j in range(X.shape[1]) if j != m]]).all()
    active = table.space["momentum"].encode(np.array([0.9, 0.5]))
    assert np.array_equal(X[[0, 2], m], active)
    with pytest.raises(ValueError, match="'inactive' must be"):
        table.encoded(inactive="zero")  # type: ignore[arg-type]
