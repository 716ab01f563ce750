"""The German credit sample end to end (12 trials, 3 folds): every output, opened and inspected."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import jsonschema
import pikepdf
import pytest
from pypdf import PdfReader

from auditlens._files import sha256_file
from auditlens.cli import main
from auditlens.report.view import SECTIONS
from auditlens.results import AuditResult, json_schema, shipped_schema_path


def test_outputs_exist(small_run: Path) -> None:
    names = sorted(p.name for p in small_run.iterdir())
    assert names == ["manifest.json", "report.html", "report.pdf", "results.json", "study.db"]
    assert not list(small_run.parent.glob(".*partial*"))


def test_html_has_every_section_and_is_self_contained(small_run: Path) -> None:
    html = (small_run / "report.html").read_text()
    for section in SECTIONS:
        assert f'<section id="{section.id}">' in html
        assert f"<h2>{section.title}</h2>" in html
    assert "<script" not in html.lower()
    assert 'lang="en"' in html and "<title>Credit risk scoring model" in html
    assert "Content-Security-Policy" in html
    urls = set(re.findall(r"(?:https?|file|ftp)://[^\s\"'<>)]+", html))
    namespaces = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    # the only URLs are SVG namespaces and the data's DOI in the text of the report
    assert urls <= namespaces | {u for u in urls if u.startswith("https://doi.org/")}
    assert html.count("<svg") >= 8


def test_pdf_is_pdfa3b_with_every_heading(small_run: Path) -> None:
    with pikepdf.open(small_run / "report.pdf") as pdf:
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "3"
        assert meta["pdfaid:conformance"] == "B"
        assert len(pdf.pages) >= 8
    text = "\n".join(page.extract_text() for page in PdfReader(small_run / "report.pdf").pages)
    flat = " ".join(text.split())
    for section in SECTIONS:
        assert section.title in flat, section.title
    assert re.search(r"Page 1 of \d+", flat)


def test_results_round_trip_and_validate(small_run: Path) -> None:
    raw = (small_run / "results.json").read_text()
    result = AuditResult.from_json(raw)
    assert result.to_json() == raw
    assert json.loads(shipped_schema_path().read_text()) == json_schema()
    jsonschema.validate(json.loads(raw), json.loads(shipped_schema_path().read_text()))
    assert result.schema_version == "1.2"
    assert result.tuning.n_trials == 12
    assert result.feature_effects.features[0] == "status_of_existing_checking_account"
    assert len(result.feature_effects.features) == 20
    assert result.feature_effects.additivity_gap < 1e-6
    assert abs(sum(e.importance for e in result.importance.main_effects)) <= 1.0 + 1e-9
    fx = result.feature_effects
    assert len(fx.mean_abs_ci_low) == len(fx.features) == len(fx.mean_abs_ci_high)
    assert all(lo <= m <= hi for lo, m, hi in zip(fx.mean_abs_ci_low, fx.mean_abs, fx.mean_abs_ci_high))
    assert [d.row_id for d in fx.decisions] and all(len(d.shap_values) == 20 for d in fx.decisions)
    groups = result.groups
    assert groups is not None and groups.n_boot == 200
    assert [a.attribute for a in groups.attributes] == ["personal_status_and_sex", "age_in_years", "foreign_worker"]
    age = groups.attributes[1]
    assert age.kind == "numeric" and age.edges == [25.0, 35.0, 50.0] and age.shap_features[-1] == "age_in_years"
    for a in groups.attributes:
        assert sum(g.n for g in a.groups) == result.performance.n
        assert sum(g.n_explained for g in a.groups) == result.feature_effects.n_explained


def test_study_db_is_the_tuning_run(small_run: Path) -> None:
    import optuna

    study = optuna.load_study(study_name="german-credit-risk", storage=f"sqlite:///{small_run / 'study.db'}")
    assert len(study.trials) == 12
    result = AuditResult.load(small_run / "results.json")
    assert result.tuning.best_value == pytest.approx(study.best_value)
    assert result.tuning.best_params == study.best_params
    with sqlite3.connect(small_run / "study.db") as conn:
        assert conn.execute("select count(*) from trials").fetchone()[0] == 12


def test_manifest_hashes_match_files(small_run: Path) -> None:
    manifest = json.loads((small_run / "manifest.json").read_text())
    for name in ("results.json", "report.html", "report.pdf"):
        assert manifest["outputs"][name] == sha256_file(small_run / name)
    assert manifest["inputs"]["study"]["sha256"] == sha256_file(small_run / "study.db")
    assert manifest["inputs"]["data"]["sha256"] == "2c0bae00275c028fc853a1ea72cc7a68002c3f6876c41300c5c948711540c8c6"
    assert manifest["results_sha256"] == sha256_file(small_run / "results.json")
    assert manifest["timestamp"] == "2026-11-26T12:00:00Z" and manifest["timestamp_source"] == "spec"
    assert set(manifest["timings_seconds"]) >= {"tuning", "importance", "predict", "shap", "html", "pdf"}


def test_render_from_results_alone_gives_same_html(small_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "rendered"
    assert main(["render", str(small_run / "results.json"), "--out", str(out), "--format", "html", "--quiet"]) == 0
    assert (out / "report.html").read_bytes() == (small_run / "report.html").read_bytes()


@pytest.mark.long  # minutes of work: see pyproject.toml
def test_same_inputs_same_bytes_in_a_fresh_process(small_run: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    spec = small_run.parent / "audit.toml"
    again = tmp_path / "again"
    done = subprocess.run(
        [sys.executable, "-m", "auditlens.cli", "run", str(spec), "--out", str(again), "--quiet"],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr
    for name in ("results.json", "report.html", "report.pdf"):
        assert (again / name).read_bytes() == (small_run / name).read_bytes(), name
