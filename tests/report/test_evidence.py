"""The sample report's PDF as an archive: PDF/A-3b, embedded evidence, outline, metadata."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pikepdf
import pytest

from auditlens._files import sha256_bytes, sha256_file
from auditlens.report.evidence import EMBEDDED_FILES, trials_csv
from auditlens.report.view import SECTIONS
from auditlens.results import AuditResult


def test_embedded_files_are_the_evidence(small_run: Path) -> None:
    result = AuditResult.load(small_run / "results.json")
    with pikepdf.open(small_run / "report.pdf") as pdf:
        assert sorted(pdf.attachments) == sorted(EMBEDDED_FILES)
        files = {name: pdf.attachments[name].get_file().read_bytes() for name in pdf.attachments}
        for name, (mime, description) in EMBEDDED_FILES.items():
            spec = pdf.attachments[name]
            assert spec.description == description
            assert spec.obj.AFRelationship == pikepdf.Name.Source
            stream = spec.obj.EF.F
            assert stream.Subtype == pikepdf.Name("/" + mime)
            # Dated from the run's timestamp (2026-11-26T12:00:00Z), never the clock.
            assert str(stream.Params.CreationDate) == "D:20261126120000Z"
            assert str(stream.Params.ModDate) == "D:20261126120000Z"
        assert len(pdf.Root.AF) == 3
    assert files["results.json"] == (small_run / "results.json").read_bytes()
    assert files["trials.csv"] == trials_csv(result)
    embedded = json.loads(files["manifest.json"])
    assert embedded["scope"] == "embedded"
    assert embedded["results_sha256"] == sha256_file(small_run / "results.json")
    assert embedded["evidence"] == {
        "results.json": sha256_file(small_run / "results.json"),
        "trials.csv": sha256_bytes(files["trials.csv"]),
        "report.html": sha256_file(small_run / "report.html"),
    }
    assert embedded["inputs"]["data"]["sha256"] == result.data.sha256
    assert "study" not in embedded["inputs"]  # wall-clock trial times: only in the full manifest
    assert "timings_seconds" not in embedded
    assert {"auditlens/report.html.j2", "auditlens/style.css"} <= set(embedded["templates"])
    full = json.loads((small_run / "manifest.json").read_text())
    assert full["scope"] == "full"
    assert full["embedded_manifest_sha256"] == sha256_bytes(files["manifest.json"])
    assert full["outputs"]["report.pdf"] == sha256_file(small_run / "report.pdf")
    # The full manifest is the embedded one plus what the PDF cannot carry.
    added = {"scope", "inputs", "outputs", "embedded_manifest_sha256", "executable", "timings_seconds"}
    assert {k: v for k, v in full.items() if k not in added} == {k: v for k, v in embedded.items() if k not in added}
    assert full["inputs"]["data"] == embedded["inputs"]["data"]


def test_trials_csv_round_trips(small_run: Path) -> None:
    result = AuditResult.load(small_run / "results.json")
    rows = list(csv.DictReader(io.StringIO(trials_csv(result).decode())))
    assert len(rows) == result.tuning.n_trials == 12
    assert list(rows[0]) == ["number", "state", "value", *[p.name for p in result.tuning.space]]
    for row, trial in zip(rows, result.tuning.trials):
        assert int(row["number"]) == trial.number
        assert (float(row["value"]) if row["value"] else None) == trial.value
        for name, value in trial.params.items():
            assert row[name] == (repr(value) if isinstance(value, float) else str(value))


def test_pdfa3b_passes_pikepdf_validator(small_run: Path) -> None:
    pdfa = pytest.importorskip("pikepdf.pdfa", reason="pikepdf >= 10.18 with the [pdfa] extra validates PDF/A")
    report = pdfa.validate_written(small_run / "report.pdf", "3b")
    assert report.violations == (), report.summary()
    # What the allowlist validator cannot judge is listed, not passed: patterns and shadings
    # from the charts' colour bars. Nothing else may be unchecked.
    assert {f.rule for f in report.unsupported} <= {"pikepdf:schema-Resources"}, report.summary()


def test_outline_metadata_and_layout(small_run: Path) -> None:
    result = AuditResult.load(small_run / "results.json")
    manifest = json.loads((small_run / "manifest.json").read_text())
    rid = manifest["report_id"]
    with pikepdf.open(small_run / "report.pdf") as pdf:
        with pdf.open_outline() as outline:
            top = outline.root[0]
            titles = [item.title for item in top.children]
        info = pdf.docinfo
        assert str(info.Title) == result.audit.title
        assert str(info.Author) == result.audit.owner
        assert rid in str(info.Subject) and rid in str(info.Keywords)
        assert str(info.CreationDate) == "D:20261126120000Z"
        assert str(pdf.Root.Lang) == "en"
        # Tagged: a structure tree for screen readers, inside PDF/A-3b.
        assert "/StructTreeRoot" in pdf.Root and bool(pdf.Root.MarkInfo.Marked)
    assert top.title == result.audit.title
    assert titles == ["Contents", *[s.title for s in SECTIONS]]


def test_regulatory_appendix_in_the_sample(small_run: Path) -> None:
    from pypdf import PdfReader

    reader = PdfReader(small_run / "report.pdf")
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert "Appendix: regulatory mapping" in text
    for item in ("1(a)", "1(c)", "2(b)", "2(d)", "2(e)", "2(g)", "Outcomes analysis", "Quantitative analyses"):
        assert item in text, item
    # The sample spec states human oversight; it leaves cybersecurity out.
    assert "A credit officer" in text or "credit officer" in text
    assert "Not provided (spec field compliance.cybersecurity)" in text
    assert "does not by itself make the model or its owner compliant" in text


def test_html_accessibility_basics(small_run: Path) -> None:
    import re

    html = (small_run / "report.html").read_text()
    svgs = re.findall(r"<svg\b[^>]*>", html)
    assert len(svgs) >= 8
    for tag in svgs:
        label = re.search(r'aria-label="([^"]*)"', tag)
        assert 'role="img"' in tag and label and label.group(1).strip(), tag[:120]
    levels = [int(n) for n in re.findall(r"<h([1-6])\b", html)]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:])), "a heading level is skipped"


def test_report_modules_stay_light(small_run: Path) -> None:
    """verify (and everything report/ imports for it) never loads the model's libraries."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from auditlens.cli import main\n"
        f"code = main(['verify', {str(small_run / 'report.pdf')!r}, '--quiet'])\n"
        "import auditlens.report.view, auditlens.report.html, auditlens.report.evidence, auditlens.report.sign\n"
        "heavy = [m for m in ('shap', 'optuna', 'sklearn', 'weasyprint') if m in sys.modules]\n"
        "print(code, heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0 []"
