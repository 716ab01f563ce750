"""Decision review: the [review] selection, the safe filter, and what a reviewed decision holds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sample_helpers import SAMPLE_DATA, sample_spec_text, write_spec

from auditlens.cli import main
from auditlens.errors import DataError
from auditlens.review import check_filter, filter_rows, order_by_strategy, positions_of

FRAME = pd.DataFrame(
    {
        "age": [22, 40, 19, 33],
        "job": ["a", "b", "a", "c"],
        "predicted": ["bad", "bad", "good", "bad"],
        "probability": [0.7, 0.55, 0.2, 0.9],
    }
)


@pytest.mark.parametrize(
    ("expr", "rows"),
    [
        ('predicted == "bad" and age < 25', [0]),
        ("age >= 22 and age <= 33", [0, 3]),
        ("20 < age < 35", [0, 3]),
        ('job in ["b", "c"] or probability < 0.3', [1, 2, 3]),
        ('not (job == "a")', [1, 3]),
        ('job not in ("a",)', [1, 3]),
        ("age > -1 and age != 40", [0, 2, 3]),
    ],
)
def test_filter_selects(expr: str, rows: list[int]) -> None:
    assert np.flatnonzero(filter_rows(FRAME, expr).to_numpy()).tolist() == rows


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("__import__('os').system('true')", "got Call"),
        ("age.__class__ == 1", "got Attribute"),
        ("age + 1 > 3", "got BinOp"),
        ("FRAME[0] == 1", "got Subscript"),
        ("lambda: 1", "got Lambda"),
        ("@x == 1", "syntax error"),
        ("age", "got Name"),
        ("", "empty expression"),
    ],
)
def test_filter_rejects_anything_but_comparisons(expr: str, message: str) -> None:
    with pytest.raises(DataError, match=r"^review\.filter: expected a comparison expression") as info:
        filter_rows(FRAME, expr)
    assert message in str(info.value) and "\n" not in str(info.value)
    if message not in ("got Name",):  # a bare name is structurally fine, rejected on the data
        with pytest.raises(DataError):
            check_filter(expr)


def test_filter_unknown_name_and_types() -> None:
    with pytest.raises(DataError, match=r"unknown name 'salary'.*names are age, job, predicted, probability"):
        filter_rows(FRAME, "salary > 3")
    with pytest.raises(DataError, match="cannot compare"):
        filter_rows(FRAME, "job < 3")


def test_strategies_and_rows() -> None:
    p = np.array([0.2, 0.9, 0.5, 0.6])
    assert order_by_strategy(p, "highest_risk").tolist() == [1, 3, 2, 0]
    assert order_by_strategy(p, "most_uncertain").tolist() == [2, 3, 0, 1]
    one = order_by_strategy(p, "random", seed=4)
    assert one.tolist() == order_by_strategy(p, "random", seed=4).tolist()
    assert sorted(one.tolist()) == [0, 1, 2, 3]
    assert positions_of(pd.Index([10, 3, 7]), [7, 10], source="x.csv").tolist() == [2, 0]
    with pytest.raises(DataError, match=r"^review\.rows: row ids must be row numbers of x\.csv \(0 to 2\); got \[99\]"):
        positions_of(pd.Index([10, 3, 7]), [99], source="x.csv")


def _quick(tmp_path: Path, review: str) -> Path:
    text = sample_spec_text(trials="6", cv_folds="2", formats='["json"]')
    sample_review = '[review]\nstrategy = "highest_risk"\nlimit = 5\n'
    assert sample_review in text
    text = text.replace(sample_review, "[review]\n" + review + "\n")
    return write_spec(tmp_path, text)


def test_filter_selecting_no_rows_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _quick(tmp_path, "filter = 'age_in_years < 0'")
    out = tmp_path / "out"
    assert main(["run", str(spec), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "auditlens: error: review.filter: selects no rows of the test split (250 rows): "
        "'age_in_years < 0'; loosen it or use review.strategy alone"
    )
    assert not out.exists()


def test_unsafe_filter_is_rejected_before_running(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _quick(tmp_path, "filter = \"__import__('os').getcwd() == 1\"")
    assert main(["run", str(spec), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("auditlens: error: review.filter: expected a comparison expression") and "got Call" in err


def test_review_by_row_ids_records_inputs_and_shap(tmp_path: Path) -> None:
    spec = _quick(tmp_path, "rows = [0, 999, 5]\ntop_features = 4")
    out = tmp_path / "out"
    assert main(["run", str(spec), "--out", str(out), "--quiet"]) == 0
    fx = json.loads((out / "results.json").read_text())["feature_effects"]
    data = pd.read_csv(SAMPLE_DATA)
    decisions = fx["decisions"]
    assert [d["row_id"] for d in decisions] == ["0", "999", "5"]
    assert fx["review_selection"].startswith("rows 0, 999, 5 of the data file")
    for d in decisions:
        row = data.iloc[int(d["row_id"])]
        assert d["inputs"] == {f: (row[f].item() if hasattr(row[f], "item") else row[f]) for f in fx["features"]}
        assert d["actual"] == row["creditability"]
        assert d["split"] in ("train", "test")
        assert len(d["contributions"]) == 4
        # additivity of the full row, and the waterfall's parts add up to the same output
        assert sum(d["shap_values"]) + d["base_value"] == pytest.approx(d["model_output"], abs=1e-6)
        shown = sum(c["shap"] for c in d["contributions"])
        assert shown + d["rest"] + d["base_value"] == pytest.approx(d["model_output"], abs=1e-6)


def test_review_by_filter_keeps_to_the_filter(tmp_path: Path) -> None:
    spec = _quick(tmp_path, "filter = 'age_in_years < 30 and probability > 0.2'\nstrategy = \"most_uncertain\"\nlimit = 3")
    out = tmp_path / "out"
    assert main(["run", str(spec), "--out", str(out), "--quiet"]) == 0
    fx = json.loads((out / "results.json").read_text())["feature_effects"]
    decisions = fx["decisions"]
    assert len(decisions) == 3 and fx["review_selection"].startswith("test rows where age_in_years < 30")
    distance = [abs(d["probability"] - 0.5) for d in decisions]
    assert distance == sorted(distance)
    for d in decisions:
        assert d["inputs"]["age_in_years"] < 30 and d["probability"] > 0.2 and d["split"] == "test"
