"""Whole audits of a regressor and a multiclass model: `run` on the two samples (small budgets),
`analyze` of skops files tuned elsewhere, the report read back, bad input refused in one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from task_helpers import Handover, copy_sample, multiclass, regressor  # noqa: F401 (fixtures)

from auditlens.cli import main
from auditlens.results import AuditResult

pytestmark = [pytest.mark.slow, pytest.mark.long]
# The console script the README's install puts beside this interpreter: what a user runs.
AUDITLENS = str(Path(sys.executable).parent / "auditlens")


@pytest.fixture(scope="module")
def regression_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("diabetes")
    spec = copy_sample("diabetes", folder, trials="10", cv_folds="3")
    assert main(["run", str(spec), "--out", str(folder / "out"), "--quiet"]) == 0
    return folder / "out"


@pytest.fixture(scope="module")
def multiclass_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wine")
    spec = copy_sample("wine", folder, trials="8", cv_folds="3")
    assert main(["run", str(spec), "--out", str(folder / "out"), "--quiet"]) == 0
    return folder / "out"


def _pdf_text(pdf: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(pdf).pages)


def test_regression_run_reports_in_the_targets_units(regression_run: Path) -> None:
    result = AuditResult.load(regression_run / "results.json")
    assert result.task == "regression" and result.performance is None
    perf = result.regression_performance
    assert perf.rmse_ci[0] <= perf.rmse <= perf.rmse_ci[1] and perf.n == result.data.test_rows
    fx = result.feature_effects
    assert fx.output_scale == "raw" and fx.positive_class == ""
    # Additivity on the stated scale: each stored row adds up to the prediction.
    for d in fx.decisions:
        assert abs(sum(d.shap_values) + d.base_value - d.model_output) <= 1e-6 * max(1.0, abs(d.model_output))
        assert d.probability is None and float(d.predicted) == pytest.approx(d.model_output, rel=1e-3)
    assert result.groups is not None and {a.attribute for a in result.groups.attributes} == {"sex", "age"}
    assert all(a.gaps for a in result.groups.attributes)
    text = _pdf_text(regression_run / "report.pdf")
    assert "RMSE" in text and "residual" in text.lower()
    assert "positive class" not in text.lower() and "ROC" not in text


def test_multiclass_run_explains_each_class(multiclass_run: Path) -> None:
    result = AuditResult.load(multiclass_run / "results.json")
    assert result.task == "multiclass" and result.performance is None
    perf = result.multiclass_performance
    assert perf.classes == ["cultivar_1", "cultivar_2", "cultivar_3"]
    assert np.asarray(perf.confusion).sum() == perf.n == result.data.test_rows
    fx = result.feature_effects
    assert fx.classes == perf.classes and len(fx.class_mean_abs) == 3
    for d in fx.decisions:
        assert d.predicted in perf.classes and d.runner_up in perf.classes and d.runner_up != d.predicted
        assert d.probability >= d.runner_up_probability
        assert abs(sum(d.shap_values) + d.base_value - d.model_output) <= 1e-6
    text = _pdf_text(multiclass_run / "report.pdf")
    assert "cultivar_3" in text and "runner-up" in text.lower()
    assert "positive class" not in text.lower()


@pytest.mark.parametrize("which", ["regression_run", "multiclass_run"])
def test_render_from_json_is_identical(which: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    run: Path = request.getfixturevalue(which)
    assert main(["render", str(run / "results.json"), "--out", str(tmp_path), "--format", "html", "--quiet"]) == 0
    assert (tmp_path / "report.html").read_bytes() == (run / "report.html").read_bytes()
    assert main(["verify", str(run / "report.pdf"), "--quiet"]) == 0  # its embedded evidence checks out


def _analyze(h: Handover, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [AUDITLENS, "analyze", "--trials", str(h.trials), "--model", str(h.model),
               "--data", str(h.holdout), "--target", h.target, "--out", str(out), "--quiet", *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("kind", ["regressor", "multiclass"])
def test_analyze_a_skops_model(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    h: Handover = request.getfixturevalue(kind)
    done = _analyze(h, tmp_path / "out")
    assert done.returncode in (0, 3), done.stderr  # 3: findings at --fail-on (none set: 0)
    result = AuditResult.load(tmp_path / "out" / "results.json")
    assert result.task == ("regression" if kind == "regressor" else "multiclass")
    assert result.data.test_rows == len(h.frame) and (tmp_path / "out" / "report.pdf").stat().st_size > 0


def _one_line_exit_2(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    for word in words:
        assert word in lines[0]


def test_regression_target_given_to_a_classifier(multiclass: Handover, regressor: Handover, tmp_path: Path) -> None:
    wrong = Handover(multiclass.model, multiclass.trials, regressor.holdout, regressor.target, regressor.frame)
    _one_line_exit_2(_analyze(wrong, tmp_path / "out"), "--target", "not among the model's classes")
    assert not (tmp_path / "out").exists()


def test_class_label_absent_from_the_model(multiclass: Handover, tmp_path: Path) -> None:
    frame = multiclass.frame.copy()
    frame.loc[frame.index[0], "cultivar"] = "cultivar_9"
    frame.to_csv(tmp_path / "bad.csv", index=False)
    bad = Handover(multiclass.model, multiclass.trials, tmp_path / "bad.csv", "cultivar", frame)
    _one_line_exit_2(_analyze(bad, tmp_path / "out"), "'cultivar_9'", "--target")


def test_non_numeric_regression_target(regressor: Handover, multiclass: Handover, tmp_path: Path) -> None:
    wrong = Handover(regressor.model, regressor.trials, multiclass.holdout, "cultivar", multiclass.frame)
    _one_line_exit_2(_analyze(wrong, tmp_path / "out"), "--target", "numbers for a regression model")


def test_stated_task_contradicting_the_model(regressor: Handover, tmp_path: Path) -> None:
    _one_line_exit_2(_analyze(regressor, tmp_path / "out", "--task", "multiclass"), "--task", "HistGradientBoostingRegressor")


def test_spec_metric_of_another_task(tmp_path: Path) -> None:
    spec = copy_sample("diabetes", tmp_path, metric='"roc_auc"')
    done = subprocess.run([AUDITLENS, "run", str(spec), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=600)
    _one_line_exit_2(done, "tuning.metric", "regression")
    assert json.dumps(done.stderr).count("\\n") == 1


def test_diff_of_a_regression_audit_with_itself_and_with_a_multiclass_one(
    regression_run: Path, multiclass_run: Path, tmp_path: Path
) -> None:
    from auditlens.diff.result import load_diff

    assert main(["diff", str(regression_run / "report.pdf"), str(regression_run / "report.pdf"),
                 "--out", str(tmp_path / "same"), "--format", "json", "--quiet"]) == 0
    same = load_diff(tmp_path / "same" / "diff.json").performance
    assert {m.metric for m in same.metrics} == {"RMSE", "MAE", "R²", "mean residual"}
    assert all(m.old == m.new and m.beyond_noise is False for m in same.metrics)
    assert same.disparities == []
    # Different tasks answer different questions: refused in one line (exit 2), nothing written.
    assert main(["diff", str(regression_run / "report.pdf"), str(multiclass_run / "report.pdf"),
                 "--out", str(tmp_path / "other"), "--format", "json", "--quiet"]) == 2
    assert not (tmp_path / "other").exists()
