"""`auditlens diff` on real audits of the German credit sample: against itself, against a run with
another split seed and a changed search space, and against tampered or incompatible inputs."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pikepdf
import pypdf
import pytest
from pdf_helpers import replace_attachment

from auditlens.cli import main
from auditlens.diff.render import EMBEDDED_FILES
from auditlens.diff.result import DiffResult, json_schema, load_diff, shipped_schema_path
from auditlens.report.verify import verify_pdf

pytestmark = [pytest.mark.slow, pytest.mark.long]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------- against itself


def test_self_diff_reports_no_change(self_diff: Path) -> None:
    diff = load_diff(self_diff / "diff.json")
    ident = diff.identity
    assert ident.old_report_id == ident.new_report_id
    assert all(c.status == "same" for c in ident.facts)
    assert all(i.status == "same" for i in ident.inputs) and ident.packages == []
    data = diff.data
    assert data.same_file and all(c.status == "same" for c in data.facts)
    assert not data.positive_beyond_noise and not data.columns_added and not data.columns_removed
    assert data.psi_available and data.drift
    assert all(c.psi == 0.0 and c.beyond_noise is False and c.band == "stable" for c in data.drift)
    assert all(c.status == "same" for c in diff.tuning.facts + diff.tuning.best_params)
    assert all(s.status == "same" for s in diff.tuning.space)
    imp = diff.importance
    assert not imp.ranking_changed
    assert all(c.status == "same" and c.difference == 0.0 and c.beyond_noise is False for c in imp.changes)
    fx = diff.effects
    assert fx.comparable and not fx.ranking_changed
    assert all(c.status == "same" and c.overlap is True for c in fx.changes)
    assert fx.overlays and all(b.old_mean == b.new_mean for o in fx.overlays for b in o.bins)
    perf = diff.performance
    assert perf.same_rows
    assert all(m.old == m.new and m.beyond_noise in (False, None) for m in perf.metrics)
    assert all(d.crossed is None for d in perf.disparities)
    assert all(g.overlap in (True, None) for g in perf.group_changes)
    # Both audits ran the checks (issue 12): the same findings, none new or resolved.
    assert diff.findings is not None and diff.findings.unchanged
    assert not diff.findings.new and not diff.findings.resolved
    html = (self_diff / "diff.html").read_text()
    assert "OLD and NEW hold identical results: nothing changed." in html


# --------------------------------------------------------------------------- changed run


def test_changed_run_changes_the_expected_sections_only(pair_diff: Path) -> None:
    diff = load_diff(pair_diff / "diff.json")
    ident = {c.field: c.status for c in diff.identity.facts}
    assert ident["model version"] == "changed" and ident["timestamp"] == "changed"
    assert ident["model name"] == ident["estimator"] == ident["results schema"] == "same"
    inputs = {i.role: i.status for i in diff.identity.inputs}
    assert inputs == {"data": "same", "spec": "changed"}
    # Data: the same file, so nothing drifts; only the split seed differs.
    data = diff.data
    assert data.same_file
    assert {c.field for c in data.facts if c.status != "same"} == {"split seed"}
    assert all(c.psi == 0.0 and not c.beyond_noise for c in data.drift)
    assert not data.positive_beyond_noise
    # Tuning: exactly the two hyperparameters whose space was edited.
    space = {s.name: s.status for s in diff.tuning.space}
    assert {n for n, st in space.items() if st != "same"} == {"max_leaf_nodes", "l2_regularization"}
    edited = {s.name: (s.old, s.new) for s in diff.tuning.space}
    assert edited["max_leaf_nodes"] == ("int [2, 64], log", "int [4, 32], log")
    assert edited["l2_regularization"] == ("float [1e-06, 10], log", "float [1e-06, 1], log")
    assert diff.tuning.comparable
    # Held-out rows differ (another split seed): the comparison says so.
    perf = diff.performance
    assert not perf.same_rows
    assert {c.field for c in perf.facts if c.status != "same"} <= {"positives"}
    # Every "beyond noise" is backed by its numbers.
    for m in perf.metrics:
        if m.beyond_noise:
            assert m.old_low is not None and m.new_low is not None and m.old != m.new
    for c in diff.importance.changes:
        if c.beyond_noise is not None:
            assert c.beyond_noise == (abs(c.difference) > c.noise95)  # type: ignore[arg-type]
    for e in diff.effects.changes:
        if e.overlap is False:
            assert e.old_high < e.new_low or e.new_high < e.old_low  # type: ignore[operator]


def test_summary_names_the_changed_sections(pair_diff: Path) -> None:
    html = (pair_diff / "diff.html").read_text()
    summary = html.split('<p class="summary">', 1)[1].split("</p>", 1)[0]
    assert "split seed changed" in summary
    assert "the search space changed for max_leaf_nodes, l2_regularization" in summary
    assert "population shift" not in summary  # the same data file


# --------------------------------------------------------------------------- the change report PDF


def test_diff_pdf_is_pdfa3b_with_both_results_and_a_manifest(pair_diff: Path, small_run: Path, changed_run: Path) -> None:
    with pikepdf.open(pair_diff / "diff.pdf") as pdf:
        meta = pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False)
        assert meta["pdfaid:part"] == "3"
        assert meta["pdfaid:conformance"] == "B"
        assert meta["xmp:CreateDate"] == "2026-11-30T12:00:00Z"  # the later audit's timestamp
        assert sorted(pdf.attachments) == sorted(EMBEDDED_FILES)
        for name in EMBEDDED_FILES:
            filespec = pdf.attachments[name].obj
            assert filespec.AFRelationship == pikepdf.Name.Source
            assert filespec.EF.F.Subtype == pikepdf.Name("/application/json")
        assert len(pdf.Root.AF) == len(EMBEDDED_FILES)
        embedded = {name: pdf.attachments[name].get_file().read_bytes() for name in EMBEDDED_FILES}
    assert embedded["old-results.json"] == (small_run / "results.json").read_bytes()
    assert embedded["new-results.json"] == (changed_run / "results.json").read_bytes()
    assert embedded["diff.json"] == (pair_diff / "diff.json").read_bytes()
    manifest = json.loads(embedded["manifest.json"])
    assert manifest["kind"] == "diff" and manifest["scope"] == "embedded"
    assert set(manifest["inputs"]) == {"old", "new"}
    full = json.loads((pair_diff / "manifest.json").read_text())
    assert full["scope"] == "full" and set(full["outputs"]) == {"diff.json", "diff.html", "diff.pdf"}


def test_diff_pdf_verifies_and_names_its_id_on_page_one(pair_diff: Path, small_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "verify", str(pair_diff / "diff.pdf"), "--input", str(small_run / "report.pdf"))
    assert code == 0, out
    assert "ok       diff.json: recomputed from the two embedded results: identical" in out
    rid = verify_pdf(pair_diff / "diff.pdf").report_id
    first = " ".join((pypdf.PdfReader(pair_diff / "diff.pdf").pages[0].extract_text() or "").split())
    assert rid in first and "What changed between two audits" in first


def test_diff_json_matches_the_shipped_schema(pair_diff: Path) -> None:
    shipped = json.loads(shipped_schema_path().read_text())
    assert shipped == json_schema()
    jsonschema.validate(json.loads((pair_diff / "diff.json").read_text()), shipped)
    text = (pair_diff / "diff.json").read_text()
    assert DiffResult.model_validate_json(text).to_json() == text


def test_same_inputs_same_bytes(small_run: Path, changed_run: Path, pair_diff: Path, tmp_path: Path) -> None:
    # From the results.json files this time: the same comparison, the same diff.json and HTML.
    out = tmp_path / "again"
    assert main(["diff", str(small_run / "results.json"), str(changed_run / "results.json"),
                 "--out", str(out), "--format", "html,json", "--quiet"]) == 0
    assert (out / "diff.json").read_bytes() == (pair_diff / "diff.json").read_bytes()
    assert (out / "diff.html").read_bytes() == (pair_diff / "diff.html").read_bytes()
    assert not (out / "diff.pdf").exists()


def test_edited_diff_json_fails_verification(pair_diff: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from auditlens.provenance import report_id
    from auditlens.report.evidence import manifest_bytes

    original = (pair_diff / "diff.json").read_bytes()
    edited = original.replace(b'"same_file": true', b'"same_file": false', 1)
    assert edited != original
    with pikepdf.open(pair_diff / "diff.pdf") as pdf:
        manifest = json.loads(pdf.attachments["manifest.json"].get_file().read_bytes())
    # A consistent rewrite of diff.json and the manifest: caught by recomputing the comparison.
    from auditlens._files import sha256_bytes

    manifest["evidence"]["diff.json"] = sha256_bytes(edited)
    manifest["report_id"] = report_id(edited)
    tampered = tmp_path / "diff.pdf"
    replace_attachment(pair_diff / "diff.pdf", tampered, {"diff.json": edited, "manifest.json": manifest_bytes(manifest)})
    code, out, _ = run(capsys, "verify", str(tampered))
    assert code == 1
    assert "MISMATCH diff.json: differs from the comparison recomputed from the two embedded results" in out


# --------------------------------------------------------------------------- refused inputs


def test_tampered_report_is_refused_with_exit_1(small_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    original = (small_run / "results.json").read_bytes()
    edited = original.replace(b'"model_version": "1.0.0"', b'"model_version": "1.0.1"', 1)
    assert edited != original
    tampered = tmp_path / "report.pdf"
    replace_attachment(small_run / "report.pdf", tampered, {"results.json": edited})
    out_dir = tmp_path / "diff"
    code, out, err = run(capsys, "diff", str(small_run / "report.pdf"), str(tampered), "--out", str(out_dir))
    assert code == 1
    assert any(line.startswith("MISMATCH results.json: sha256 ") for line in out.splitlines())
    assert "NEW report.pdf FAILED verification; refusing to compare; nothing was written" in err
    assert not out_dir.exists()
    assert not list(tmp_path.glob(".diff.partial-*"))


def test_different_task_is_refused_with_exit_2(small_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "results.json"
    text = (small_run / "results.json").read_text()
    other.write_text(text.replace('"positive_class": "bad"', '"positive_class": "good"'))
    code, _, err = run(capsys, "diff", str(small_run / "results.json"), str(other), "--out", str(tmp_path / "d"))
    assert code == 2
    assert err.strip() == (
        "auditlens: error: data.positive_class: expected the same task in OLD and NEW (they audit "
        "different models' questions); got 'bad' and 'good'"
    )
    assert not (tmp_path / "d").exists()


def test_unknown_schema_version_and_missing_file_exit_2(small_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    future = tmp_path / "future.json"
    future.write_text(json.dumps({**json.loads((small_run / "results.json").read_text()), "schema_version": "2.0"}))
    code, _, err = run(capsys, "diff", str(small_run / "results.json"), str(future), "--out", str(tmp_path / "d"))
    assert code == 2 and "schema_version must be '1.0' or '1.1' or '1.2'; got '2.0'" in err
    code, _, err = run(capsys, "diff", str(tmp_path / "nope.pdf"), str(future), "--out", str(tmp_path / "d"))
    assert code == 2 and "OLD: expected a report PDF or a results.json file" in err
    code, _, err = run(capsys, "diff", str(future), str(future), "--format", "docx")
    assert code == 2 and "--format: expected a comma-separated list of html, pdf, json; got 'docx'" in err


def test_change_report_is_not_accepted_as_an_audit(pair_diff: Path, small_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "diff", str(pair_diff / "diff.pdf"), str(small_run / "report.pdf"), "--out", str(tmp_path / "d"))
    assert code == 2 and "is a change report" in err


def test_results_without_histograms_say_psi_is_unavailable(small_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = json.loads((small_run / "results.json").read_text())
    raw["schema_version"] = "1.0"
    for column in raw["data"]["column_summaries"]:
        del column["histogram"]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(raw))
    out = tmp_path / "d"
    assert main(["diff", str(old), str(small_run / "results.json"), "--out", str(out), "--format", "json,html", "--quiet"]) == 0
    diff = load_diff(out / "diff.json")
    assert not diff.data.psi_available
    assert all(c.psi is None and c.note == "no histogram stored in OLD" for c in diff.data.drift)
    assert diff.data.psi_note.startswith("Population stability is unavailable: OLD (results.json schema 1.0)")
    assert "population shift" not in (out / "diff.html").read_text()


def test_branding_folder_for_the_change_report(small_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    brand = tmp_path / "brand"
    brand.mkdir()
    (brand / "diff.html.j2").write_text(
        '{% extends "auditlens/diff.html.j2" %}{% block logo %}<p class="brand">Sample Bank</p>{% endblock %}'
    )
    results = str(small_run / "results.json")
    out = tmp_path / "d"
    assert main(["diff", results, results, "--out", str(out), "--format", "html", "--templates", str(brand), "--quiet"]) == 0
    assert '<p class="brand">Sample Bank</p>' in (out / "diff.html").read_text()
    manifest = json.loads((out / "manifest.json").read_text())
    assert "custom/diff.html.j2" in manifest["templates"]
    (brand / "diff.html.j2").unlink()
    (brand / "report.html.j2").write_text("{% extends 'auditlens/report.html.j2' %}")
    code, _, err = run(capsys, "diff", results, results, "--out", str(tmp_path / "e"), "--templates", str(brand))
    assert code == 2 and "--templates: expected a folder containing diff.html.j2" in err


def test_an_audit_folder_is_not_overwritten(small_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = str(small_run / "results.json")
    before = sorted(p.name for p in small_run.iterdir())
    code, _, err = run(capsys, "diff", results, results, "--out", str(small_run))
    assert code == 2 and "--out: expected a folder for the change report" in err
    assert sorted(p.name for p in small_run.iterdir()) == before
