"""Issue 11, the report side: template symlinks (3), a consistent forgery (4), re-rendered
results (5), unreadable evidence (12), bidi controls and 200,000-character fields (14)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pikepdf
import pytest
from pdf_helpers import replace_attachment

from auditlens.cli import main

BIDI = "\u202e"


def _verify(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["verify", *args])
    out, err = capsys.readouterr()
    return code, out + err


def _edited_results(small_run: Path, folder: Path, **audit: object) -> Path:
    """The run's results.json with [audit] fields changed by hand, beside a copy of its manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    data = json.loads((small_run / "results.json").read_text())
    data["audit"].update(audit)
    (folder / "results.json").write_text(json.dumps(data, ensure_ascii=False))
    shutil.copy(small_run / "manifest.json", folder / "manifest.json")
    return folder / "results.json"


def test_03_include_through_a_symlink_is_refused(small_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:the secret")
    branding = tmp_path / "branding"
    branding.mkdir()
    (branding / "leak.html").symlink_to(secret)
    (branding / "report.html.j2").write_text(
        '{% extends "auditlens/report.html.j2" %}{% block logo %}{% include "leak.html" %}{% endblock %}'
    )
    out = tmp_path / "out"
    code = main(["render", str(small_run / "results.json"), "--out", str(out), "--templates", str(branding),
                 "--format", "html", "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err == (f"auditlens: error: template 'leak.html': expected a file inside {branding.resolve()}; "
                   "'leak.html' is a symlink (links are not followed)")
    assert not out.exists()


@pytest.mark.long  # minutes of work: see pyproject.toml
def test_04_verify_says_an_unsigned_report_does_not_prove_against_forgery(
    small_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The forgery of the issue: evidence rewritten consistently, the new id as invisible text on
    page 1, the old id still on the visible page. It passes every check, and verify says that it can."""
    forged_results = _edited_results(small_run, tmp_path / "forged", model_version="9.9.9")
    assert main(["render", str(forged_results), "--out", str(tmp_path / "forged-out"), "--format", "pdf", "--quiet"]) == 0
    new_id = json.loads((tmp_path / "forged-out" / "manifest.json").read_text())["report_id"]
    old_id = json.loads((small_run / "manifest.json").read_text())["report_id"]
    with pikepdf.open(tmp_path / "forged-out" / "report.pdf") as donor:
        evidence = {n: donor.attachments[n].get_file().read_bytes() for n in ("results.json", "manifest.json", "trials.csv")}
    forgery = tmp_path / "forgery.pdf"
    replace_attachment(small_run / "report.pdf", forgery, evidence)
    with pikepdf.open(forgery, allow_overwriting_input=True) as pdf:
        page = pdf.pages[0]
        font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                    BaseFont=pikepdf.Name.Helvetica))
        page.Resources.Font[pikepdf.Name("/Forged")] = font
        page.contents_add(pdf.make_stream(f"BT /Forged 1 Tf 3 Tr 10 10 Td ({new_id}) Tj ET".encode()))
        pdf.docinfo[pikepdf.Name.Keywords] = str(pdf.docinfo[pikepdf.Name.Keywords]).replace(old_id, new_id)
        pdf.save(forgery)
    code, out = _verify(capsys, str(forgery))
    assert code == 0, out  # the forgery passes: an unsigned PDF cannot tell
    assert ("note     signature: none: an unsigned report proves integrity against accident, not against forgery"
            in out)
    assert out.splitlines()[-1].endswith("; unsigned: integrity against accident, not forgery)")


def test_05_render_records_that_results_were_edited(small_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edited = _edited_results(small_run, tmp_path / "run", model_version="6.6.6")
    # In the run's folder: refused, nothing written.
    assert main(["render", str(edited), "--format", "html"]) == 2
    assert capsys.readouterr().err.strip() == (
        "auditlens: error: results.json: expected the results the run's manifest.json beside it describes; they "
        "differ (edited after the run?); render into a new folder with --out, which records that it was made from "
        "results alone"
    )
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["manifest.json", "results.json"]
    # Elsewhere: rendered, and its manifest says from what.
    assert main(["render", str(edited), "--out", str(tmp_path / "elsewhere"), "--format", "html", "--quiet"]) == 0
    manifest = json.loads((tmp_path / "elsewhere" / "manifest.json").read_text())
    assert manifest["scope"] == "render" and manifest["run_manifest"] == "differs"
    assert manifest["made_from"] == "results.json alone (auditlens render): no model, data or tuning run was read"
    assert set(manifest["outputs"]) == {"results.json", "report.html"}
    # The run's own results, elsewhere: matches.
    assert main(["render", str(small_run / "results.json"), "--out", str(tmp_path / "same"), "--format", "html", "--quiet"]) == 0
    assert json.loads((tmp_path / "same" / "manifest.json").read_text())["run_manifest"] == "matches"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("results.json", b'{"schema_version": "1.0", "x": "\xff"}', "MISMATCH results.json: embedded results.json: not valid JSON (expected UTF-8; byte 32 is not)"),
        ("results.json", b"[" * 100_000 + b"]" * 100_000, "MISMATCH results.json: embedded results.json: not valid results (nested too deeply to read)"),
        ("manifest.json", b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}", "MISMATCH manifest.json: not a valid manifest (nested too deeply to read)"),
    ],
    ids=["results-invalid-utf8", "results-deep", "manifest-deep"],
)
def test_12_verify_turns_unreadable_evidence_into_mismatch_lines(
    small_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes, expected: str
) -> None:
    broken = tmp_path / "broken.pdf"
    replace_attachment(small_run / "report.pdf", broken, {name: content})
    code, out = _verify(capsys, str(broken))
    assert code == 1 and "Traceback" not in out
    assert expected in out.splitlines(), out


@pytest.mark.long  # minutes of work: see pyproject.toml
def test_14_bidi_controls_are_shown_and_long_fields_stay_on_the_page(
    small_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import pypdfium2 as pdfium

    results = _edited_results(small_run, tmp_path / "in", model_name=f"credit{BIDI}model", intended_use="x" * 200_000)
    out = tmp_path / "out"
    assert main(["render", str(results), "--out", str(out), "--quiet"]) == 0
    html = (out / "report.html").read_text()
    assert BIDI not in html and "credit[U+202E]model" in html
    assert "x" * 10_000 + "… [190,000 more characters not shown; the full text is in results.json]" in html
    document = pdfium.PdfDocument(str(out / "report.pdf"))
    text, outside = "", 0
    for page in document:
        width, height = page.get_size()
        chars = page.get_textpage()
        text += chars.get_text_range()
        for i in range(chars.count_chars()):
            left, bottom, right, top = chars.get_charbox(i)
            if chars.get_text_range(i, 1) == "x":
                outside += right > width + 0.5 or left < -0.5
    assert BIDI not in text and "credit[U+202E]model" in text
    assert "190,000 more characters not shown" in " ".join(text.split())
    assert outside == 0 and text.count("x") >= 10_000  # wrapped, not clipped: every 'x' is on its page
    with pikepdf.open(out / "report.pdf") as pdf:
        assert BIDI not in str(pdf.docinfo.get(pikepdf.Name.Subject, ""))
