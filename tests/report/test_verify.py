"""`auditlens verify` on the sample report: what passes, and each kind of tampering it catches."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pikepdf
import pytest
from pdf_helpers import replace_attachment
from sample_helpers import SAMPLE_DATA

from auditlens.cli import main
from auditlens.provenance import report_id
from auditlens.report.evidence import manifest_bytes


def run_verify(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["verify", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_sample_report_verifies(small_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = small_run.parent / "audit.toml"
    code, out, err = run_verify(capsys, str(small_run / "report.pdf"), "--input", str(SAMPLE_DATA), "--input", str(spec))
    assert code == 0, out + err
    rid = json.loads((small_run / "manifest.json").read_text())["report_id"]
    assert out.splitlines()[-1].startswith(f"auditlens: verified report.pdf: report {rid}, ")
    assert "ok       input german_credit.csv: sha256" in out
    assert "ok       input audit.toml: sha256" in out
    assert "MISMATCH" not in out and err == ""


def test_one_flipped_byte_in_the_data_fails(small_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = bytearray(SAMPLE_DATA.read_bytes())
    data[100] ^= 0x01
    flipped = tmp_path / SAMPLE_DATA.name
    flipped.write_bytes(bytes(data))
    code, out, err = run_verify(capsys, str(small_run / "report.pdf"), "--input", str(flipped))
    assert code == 1
    [line] = [line for line in out.splitlines() if line.startswith("MISMATCH")]
    assert line.startswith("MISMATCH input german_credit.csv: sha256 ")
    assert "differs from the recorded data file 'german_credit.csv'" in line
    assert err.strip() == "auditlens: report.pdf FAILED verification: 1 mismatch"


def test_unknown_input_fails(small_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    code, out, _ = run_verify(capsys, str(small_run / "report.pdf"), "--input", str(other))
    assert code == 1
    assert "MISMATCH input other.csv: sha256 " in out and "is not among the recorded inputs (data 'german_credit.csv'" in out


def test_edited_embedded_results_fail(small_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    original = (small_run / "results.json").read_bytes()
    edited = original.replace(b'"model_version": "1.0.0"', b'"model_version": "1.0.1"', 1)
    assert edited != original
    tampered = tmp_path / "report.pdf"
    replace_attachment(small_run / "report.pdf", tampered, {"results.json": edited})
    code, out, _ = run_verify(capsys, str(tampered))
    assert code == 1
    mismatches = [line for line in out.splitlines() if line.startswith("MISMATCH")]
    assert any(line.startswith("MISMATCH results.json: sha256 ") and "does not match the manifest" in line for line in mismatches)
    assert any(line.startswith("MISMATCH report id: ") for line in mismatches)


def test_consistent_rewrite_is_caught_by_the_pages(small_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Results and manifest rewritten to agree: the pages still show the old report id."""
    original = (small_run / "results.json").read_bytes()
    edited = original.replace(b'"model_version": "1.0.0"', b'"model_version": "9.9.9"', 1)
    with pikepdf.open(small_run / "report.pdf") as pdf:
        manifest = json.loads(pdf.attachments["manifest.json"].get_file().read_bytes())
    from auditlens._files import sha256_bytes

    manifest.update(report_id=report_id(edited), results_sha256=sha256_bytes(edited))
    manifest["evidence"]["results.json"] = sha256_bytes(edited)
    tampered = tmp_path / "report.pdf"
    replace_attachment(small_run / "report.pdf", tampered, {"results.json": edited, "manifest.json": manifest_bytes(manifest)})
    code, out, _ = run_verify(capsys, str(tampered))
    assert code == 1
    mismatches = [line for line in out.splitlines() if line.startswith("MISMATCH")]
    assert len(mismatches) == 1 and mismatches[0].startswith(f"MISMATCH pages: report id '{report_id(edited)}' missing from: first page, keywords")


def test_extra_attachment_fails(small_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tampered = tmp_path / "report.pdf"
    with pikepdf.open(small_run / "report.pdf") as pdf:
        pdf.attachments["notes.txt"] = pikepdf.AttachedFileSpec(pdf, b"hello", filename="notes.txt")
        pdf.save(tampered)
    code, out, _ = run_verify(capsys, str(tampered))
    assert code == 1
    assert "MISMATCH attachments: unexpected embedded file(s): notes.txt" in out


def test_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], small_run: Path) -> None:
    code, _, err = run_verify(capsys, str(tmp_path / "missing.pdf"))
    assert code == 2
    assert err.strip() == f"auditlens: error: report: expected an existing PDF file; got '{tmp_path / 'missing.pdf'}'"
    text = tmp_path / "notes.pdf"
    text.write_text("not a pdf")
    code, _, err = run_verify(capsys, str(text))
    assert code == 2 and err.strip().endswith("does not start with %PDF-")
    code, _, err = run_verify(capsys, str(small_run / "report.pdf"), "--input", str(tmp_path / "nope.csv"))
    assert code == 2 and err.strip() == f"auditlens: error: --input: expected an existing file; got '{tmp_path / 'nope.csv'}'"


def test_plain_pdf_is_not_an_auditlens_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.save(tmp_path / "plain.pdf")
    code, out, _ = run_verify(capsys, str(tmp_path / "plain.pdf"))
    assert code == 1
    assert "MISMATCH report: no embedded manifest.json: not an auditlens report PDF" in out


def test_render_from_results_alone_embeds_the_same_evidence(small_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`render` (no model, no data) gives a PDF that verifies against the original data."""
    shutil.copy(small_run / "results.json", tmp_path / "results.json")
    assert main(["render", str(tmp_path / "results.json"), "--format", "pdf", "--quiet"]) == 0
    code, out, _ = run_verify(capsys, str(tmp_path / "report.pdf"), "--input", str(SAMPLE_DATA))
    assert code == 0, out
    with pikepdf.open(tmp_path / "report.pdf") as a, pikepdf.open(small_run / "report.pdf") as b:
        for name in ("results.json", "manifest.json", "trials.csv"):
            assert a.attachments[name].get_file().read_bytes() == b.attachments[name].get_file().read_bytes(), name
    # Same environment, same inputs: the very same bytes as the run wrote.
    assert (tmp_path / "report.pdf").read_bytes() == (small_run / "report.pdf").read_bytes()
