"""`auditlens check`, `--fail-on` and `[checks]`: the release gate, through the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sample_helpers import sample_spec_text, write_spec

from auditlens.cli import main
from auditlens.results import AuditResult


def _check_json(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict]:
    code = main(["check", str(path), "--json", *extra])
    return code, json.loads(capsys.readouterr().out)


def test_check_on_the_pdf_gives_the_runs_findings(small_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recorded = json.loads((small_run / "results.json").read_text())["findings"]
    assert recorded, "the sample has findings"
    code, out = _check_json(small_run / "report.pdf", capsys)
    assert code == 0 and out["findings"] == recorded and out["same_as_recorded"] is True
    code, out = _check_json(small_run / "results.json", capsys)
    assert out["findings"] == recorded


def test_fail_on_and_a_policy_file(small_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = AuditResult.load(small_run / "results.json")
    worst = result.findings[0].severity  # most severe first
    gate = worst if worst != "info" else "low"
    assert main(["check", str(small_run / "report.pdf"), "--fail-on", gate]) == 3
    err = capsys.readouterr().err
    assert f"--fail-on {gate}" in err and result.findings[0].id in err
    # A policy that disables every check that fired: the gate passes.
    policy = tmp_path / "policy.toml"
    ids = sorted({f.id for f in result.findings})
    policy.write_text("[checks]\ndisable = [" + ", ".join(f'"{i}"' for i in ids) + "]\n")
    assert main(["check", str(small_run / "report.pdf"), "--fail-on", "low", "--checks", str(policy)]) == 0
    capsys.readouterr()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[checks]\ndisable = ["groups.four_fifth"]\n', "checks.disable: unknown check 'groups.four_fifth'"),
        ("[checks.groups.four_fifths]\nmin_ratio = 1.5\n",
         "checks.groups.four_fifths.min_ratio: expected a number in [0, 1]; got 1.5"),
        ('[checks."performance.optimism"]\nseverity = "critical"\n',
         "checks.performance.optimism.severity: expected one of high, medium, low, info; got 'critical'"),
        ("[checks.data.class_imbalance]\nratio = 0.2\n", "checks.data.class_imbalance.ratio: unknown setting"),
    ],
)
def test_bad_policy_is_exit_2_naming_the_field(
    small_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(text)
    assert main(["check", str(small_run / "results.json"), "--checks", str(policy)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_spec_checks_section_is_validated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write_spec(tmp_path, sample_spec_text() + '\n[checks.groups.nonexistent]\nmin_ratio = 0.5\n')
    assert main(["run", str(spec), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert "checks.groups.nonexistent: unknown check 'groups.nonexistent'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_run_fail_on_writes_the_outputs_then_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A policy making the sample's 30% minority class a high finding: run exits 3, outputs kept;
    `auditlens check` re-applies the recorded policy and finds the same."""
    text = sample_spec_text(trials="4", cv_folds="2", formats='["json"]', bootstrap="20")
    text += '\n[checks.data.class_imbalance]\nmin_share = 0.4\nseverity = "high"\n'
    spec = write_spec(tmp_path, text)
    out = tmp_path / "out"
    assert main(["run", str(spec), "--out", str(out), "--fail-on", "high"]) == 3
    err = capsys.readouterr().err
    result = AuditResult.load(out / "results.json")
    high = [f for f in result.findings if f.severity == "high"]
    assert re.search(rf"findings: {len(high)} high, \d+ medium", err) and "data.class_imbalance" in err
    assert result.check_settings == {"data.class_imbalance": {"min_share": 0.4, "severity": "high"}}
    imbalance = next(f for f in high if f.id == "data.class_imbalance")
    assert imbalance.threshold == {"min_share": 0.4} and imbalance.measured["share"] == 0.3
    assert main(["check", str(out / "results.json"), "--fail-on", "high", "--json"]) == 3
    assert json.loads(capsys.readouterr().out)["same_as_recorded"] is True
