"""Data and provenance checks: triggered on purpose-built evidence, silent on the sample's."""

from __future__ import annotations

import numpy as np
import pandas as pd
from check_helpers import fired, tweak
from sample_helpers import SAMPLE_DATA

from auditlens.dataset import load_dataset, shared_rows
from auditlens.results import AuditResult, ComplianceInfo, ModelFileInfo


def _column(base: AuditResult, index: int, **fields: object) -> AuditResult:
    cols = list(base.data.column_summaries)
    cols[index] = cols[index].model_copy(update=fields)
    return tweak(base, "data", column_summaries=cols)


def test_missing_values(base: AuditResult) -> None:
    assert fired(base, "data.missing_values") == []
    (f,) = fired(_column(base, 0, missing=50), "data.missing_values")
    assert f.measured["largest_share"] == 50 / base.data.rows
    assert fired(_column(base, 0, missing=50), "data.missing_values", {"data.missing_values": {"max_share": 0.1}}) == []


def test_constant_and_near_unique_columns(base: AuditResult) -> None:
    assert fired(base, "data.constant_column") == [] and fired(base, "data.near_unique") == []
    (f,) = fired(_column(base, 0, distinct=1), "data.constant_column")
    assert base.data.column_summaries[0].name in f.sentence
    categorical = next(i for i, c in enumerate(base.data.column_summaries) if c.kind == "categorical")
    (f,) = fired(_column(base, categorical, distinct=base.data.rows), "data.near_unique")
    assert f.severity == "medium"
    # A continuous numeric column has nearly one value per row by nature: not an identifier.
    numeric = next(i for i, c in enumerate(base.data.column_summaries) if c.kind == "numeric")
    assert fired(_column(base, numeric, distinct=base.data.rows), "data.near_unique") == []


def test_class_imbalance(base: AuditResult) -> None:
    assert fired(base, "data.class_imbalance") == []
    (f,) = fired(tweak(base, "data", class_counts={"bad": 50, "good": 950}), "data.class_imbalance")
    assert f.measured["minority_class"] == "bad" and f.measured["share"] == 0.05


def test_shared_rows(base: AuditResult) -> None:
    assert base.data.shared_rows == 0 and fired(base, "data.shared_rows") == []
    assert fired(tweak(base, "data", shared_rows=None), "data.shared_rows") == []
    (f,) = fired(tweak(base, "data", shared_rows=5), "data.shared_rows")
    assert f.measured["share"] == 5 / base.data.test_rows


def test_shared_rows_counts_planted_duplicates(tmp_path) -> None:
    """German credit has no duplicate rows; copies of 7 rows planted in it are found once split."""
    frame = pd.read_csv(SAMPLE_DATA)
    clean = load_dataset(SAMPLE_DATA, target="creditability", positive_class="bad", test_fraction=0.25,
                         split_seed=42, protected_attributes=())
    assert shared_rows(clean) == 0
    path = tmp_path / "dup.csv"
    pd.concat([frame, frame.iloc[:200]]).to_csv(path, index=False)
    dup = load_dataset(path, target="creditability", positive_class="bad", test_fraction=0.25,
                       split_seed=42, protected_attributes=())
    train = set(map(tuple, dup.X_train.assign(y=dup.y_train).astype(str).to_numpy().tolist()))
    expected = sum(tuple(r) in train for r in dup.X_test.assign(y=dup.y_test).astype(str).to_numpy().tolist())
    assert expected > 0 and shared_rows(dup) == expected
    assert np.all(dup.X_test.index >= 0)


def _model_file(**fields: object) -> ModelFileInfo:
    values = {"name": "m.pkl", "sha256": "0" * 64, "format": "skops", "estimator_class": "Pipeline",
              "untrusted_types": [], "trusted_by_user": [], "warnings": []}
    return ModelFileInfo(**{**values, **fields})


def test_model_file_checks(base: AuditResult) -> None:
    for cid in ("provenance.pickle_allowed", "provenance.trusted_types", "provenance.params_contradict_best"):
        assert fired(base, cid) == []
        assert fired(base.model_copy(update={"model_file": _model_file()}), cid) == []
    (f,) = fired(base.model_copy(update={"model_file": _model_file(format="pickle")}), "provenance.pickle_allowed")
    assert f.severity == "medium"
    (f,) = fired(base.model_copy(update={"model_file": _model_file(trusted_by_user=["my.Type"])}), "provenance.trusted_types")
    assert "my.Type" in f.sentence
    (f,) = fired(base.model_copy(update={"model_file": _model_file(param_mismatches=["C: model 1, best trial 2"])}),
                 "provenance.params_contradict_best")
    assert f.severity == "high"
    # A 1.0 results file has only the warning sentence.
    old = _model_file(warnings=["The loaded model's parameters differ from the best trial of the tuning run (C: ...)"])
    assert fired(base.model_copy(update={"model_file": old}), "provenance.params_contradict_best")


def test_not_provided(base: AuditResult) -> None:
    (f,) = fired(base, "provenance.not_provided")
    empty = [n for n, v in base.compliance.model_dump().items() if not v]
    assert f.measured["count"] == len(empty) and all(f"compliance.{n}" in f.sentence for n in empty)
    full = ComplianceInfo(**{n: "stated" for n in ComplianceInfo.model_fields})
    assert fired(base.model_copy(update={"compliance": full}), "provenance.not_provided") == []
