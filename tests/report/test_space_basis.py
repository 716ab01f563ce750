"""The report states why each range and scale of a trial table's space was chosen.

A wrong guess of a parameter's scale changes every importance (issue 13), so when the space
was inferred from a trial table's values, results.json keeps each parameter's reason and the
Tuning section shows it; a declared space (a spec, an Optuna study) keeps the plain table.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from auditlens.report.view.tuning import space_table
from auditlens.results import SpaceParam
from auditlens.stages.subject import tuning_summary
from auditlens.trials.table_file import read_trial_file


def _table_file(tmp_path: Path) -> Path:
    rng = np.random.default_rng(5)
    n = 300
    rows = {
        "dropout": rng.uniform(0.0, 0.6, n),  # uniform on its own scale
        "learning_rate": np.exp(rng.uniform(np.log(1e-4), np.log(1e-1), n)),  # log-uniform
    }
    path = tmp_path / "trials.csv"
    lines = ["dropout,learning_rate,value"]
    lines += [f"{float(d)!r},{float(lr)!r},{float(-abs(np.log10(lr) + 2.5) + d)!r}" for d, lr in zip(rows["dropout"], rows["learning_rate"], strict=True)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_inferred_space_keeps_its_reasons_and_the_report_shows_them(tmp_path: Path) -> None:
    table = read_trial_file(_table_file(tmp_path))
    summary = tuning_summary(
        table, estimator="model.skops", estimator_class="test", fixed_params={}, metric="value",
        cv_folds=None, sampler="unknown", sampler_seed=None, study_name="", storage_file="",
        origin="existing",
    )
    space = {p.name: p for p in summary.space}
    assert not space["dropout"].log and space["learning_rate"].log
    for p in space.values():
        assert p.basis.startswith("inferred: bounds observed;"), p.basis
    shown = space_table(summary.space)
    assert shown.header == ("Hyperparameter", "Search space", "Why this range and scale")
    rows = {r[0]: r for r in shown.rows}
    assert rows["learning_rate"][2] == space["learning_rate"].basis.removeprefix("inferred: ")
    assert rows["learning_rate"][1].endswith(", log") and not rows["dropout"][1].endswith(", log")
    written = json.loads(summary.model_dump_json())
    assert [p["basis"] for p in written["space"]] == [space["dropout"].basis, space["learning_rate"].basis]


def test_a_declared_space_keeps_the_plain_table_and_writes_no_basis() -> None:
    declared = SpaceParam(name="lr", kind="float", low=0.001, high=1.0, log=True)
    assert "basis" not in json.loads(declared.model_dump_json())
    shown = space_table([declared])
    assert shown.header == ("Hyperparameter", "Search space")
    assert shown.rows == (("lr", "float [0.001, 1], log"),)


def test_a_mixed_space_says_which_parameters_were_declared(tmp_path: Path) -> None:
    space = tmp_path / "space.toml"
    space.write_text('[dropout]\ntype = "float"\nlow = 0.0\nhigh = 0.6\n')
    table = read_trial_file(_table_file(tmp_path), space_file=space)
    summary = tuning_summary(
        table, estimator="model.skops", estimator_class="test", fixed_params={}, metric="value",
        cv_folds=None, sampler="unknown", sampler_seed=None, study_name="", storage_file="",
        origin="existing",
    )
    basis = {p.name: p.basis for p in summary.space}
    assert basis["dropout"] == "declared in --space" and basis["learning_rate"].startswith("inferred:")
    rows = {r[0]: r for r in space_table(summary.space).rows}
    assert rows["dropout"][2] == "declared in --space"
