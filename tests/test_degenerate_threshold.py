"""A real model whose probabilities never reach 0.5 on German credit rows, audited by `analyze`.

A heavily regularised logistic regression (C = 1e-4) trained on the German credit data predicts
P(bad) of about 0.3 for every applicant: at the 0.5 threshold it never predicts 'bad'. The report
is written (it is the evidence) and `--fail-on high` exits 3 on the degenerate-threshold finding.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import skops.io as sio
from sample_helpers import ROOT, SAMPLE_DATA

from auditlens.cli import main
from auditlens.results import AuditResult

SEARCH = ROOT / "samples" / "sklearn-search"


def _timid_model(path: Path) -> Path:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    data = pd.read_csv(SAMPLE_DATA)
    X, y = data.drop(columns=["creditability"]), data["creditability"]
    numeric = list(X.select_dtypes(include="number").columns)
    categorical = [c for c in X.columns if c not in numeric]
    prep = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), categorical), ("num", StandardScaler(), numeric)])
    model = Pipeline([("prep", prep), ("clf", LogisticRegression(C=1e-4, max_iter=1000))]).fit(X, y)
    sio.dump(model, path)
    return path


@pytest.mark.long  # minutes of work: see pyproject.toml
def test_never_predicting_bad_is_a_high_finding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = _timid_model(tmp_path / "timid.skops")
    out = tmp_path / "out"
    code = main(["analyze", "--trials", str(SEARCH / "cv_results.csv"), "--model", str(model),
                 "--data", str(SEARCH / "holdout.csv"), "--target", "creditability",
                 "--positive-class", "bad", "--out", str(out), "--fail-on", "high"])
    err = capsys.readouterr().err
    assert code == 3, err
    assert "performance.degenerate_threshold" in err
    assert {p.name for p in out.iterdir()} >= {"report.pdf", "report.html", "results.json", "manifest.json"}
    result = AuditResult.load(out / "results.json")
    assert result.performance.confusion[0][1] == result.performance.confusion[1][1] == 0  # nothing predicted 'bad'
    first = result.findings[0]
    assert (first.id, first.severity) == ("performance.degenerate_threshold", "high")
    assert first.measured["predicted_positive"] == 0 and "'bad' for 0 of" in first.sentence
    recall = next(f for f in result.findings if f.id == "performance.class_recall_floor")
    assert recall.subject == "bad" and recall.measured["recall"] == 0.0 and recall.severity == "medium"
    # The same findings from the archived PDF alone.
    assert main(["check", str(out / "report.pdf"), "--fail-on", "high"]) == 3
