"""An additivity gap above the tolerance stops `auditlens run` with one line and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from sample_helpers import sample_spec_text, write_spec

from auditlens.cli import main
from auditlens.explain import DEFAULT_TOLERANCE


def test_additivity_failure_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # No real model misses 1e-6 here, so demand the impossible: any gap fails.
    import auditlens.explain._shap as shap_stage

    monkeypatch.setattr(shap_stage, "DEFAULT_TOLERANCE", {**DEFAULT_TOLERANCE, "tree": -1.0})
    spec = write_spec(tmp_path, sample_spec_text(trials="6", cv_folds="2", formats='["json"]'))
    out = tmp_path / "out"
    assert main(["run", str(spec), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("auditlens: error: SHAP additivity gap must be <= -1 (tree explainer, log-odds). Got ")
    assert not out.exists()
