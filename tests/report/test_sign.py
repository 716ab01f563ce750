"""`auditlens sign` with a self-signed key, and `verify` of the signed file (needs pyHanko)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pikepdf
import pytest

pytest.importorskip("pyhanko", reason="pyHanko is not installed: signing is the optional [sign] extra")

from cryptography import x509  # noqa: E402  (pyHanko depends on cryptography)
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, rsa  # noqa: E402
from cryptography.hazmat.primitives.serialization import pkcs12  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

from auditlens.cli import main  # noqa: E402

PASSPHRASE = "correct horse battery staple"


def make_key(folder: Path, *, kind: str = "rsa", name: str = "A. Validator") -> tuple[Path, Path]:
    """A self-signed certificate and its key as PKCS#12 (passphrase protected) and PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048) if kind == "rsa" else ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Sample Bank")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .sign(key, hashes.SHA256())
    )
    p12 = folder / f"{kind}.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(
        b"validator", key, cert, None, serialization.BestAvailableEncryption(PASSPHRASE.encode())))
    pem = folder / f"{kind}.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return p12, pem


@pytest.fixture(scope="module")
def signed(small_run: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    folder = tmp_path_factory.mktemp("signed")
    p12, pem = make_key(folder)
    target = folder / "report.pdf"
    shutil.copy(small_run / "report.pdf", target)
    mp = pytest.MonkeyPatch()
    mp.setenv("AUDITLENS_TEST_PASS", PASSPHRASE)
    try:
        assert main(["sign", str(target), "--key", str(p12), "--passphrase-env", "AUDITLENS_TEST_PASS",
                     "--reason", "Reviewed and approved", "--quiet"]) == 0
    finally:
        mp.undo()
    return target, pem, small_run / "report.pdf"


def test_signed_report_verifies(signed: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    target, pem, _ = signed
    assert main(["verify", str(target)]) == 0
    out = capsys.readouterr().out
    [line] = [x for x in out.splitlines() if x.startswith("ok       signature ")]
    assert line.startswith("ok       signature auditlens-signature-1: by ")
    assert "A. Validator" in line and "intact, covers the whole file; signer not checked against a trust anchor" in line
    assert main(["verify", str(target), "--trust", str(pem)]) == 0
    assert "trusted (chains to a --trust certificate)" in capsys.readouterr().out


def test_untrusted_signer_fails_with_trust(signed: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target, _, _ = signed
    _, other = make_key(tmp_path, name="Somebody Else")
    assert main(["verify", str(target), "--trust", str(other)]) == 1
    assert "the signer does not chain to a --trust certificate" in capsys.readouterr().out


def test_signing_is_an_incremental_update_that_keeps_pdfa(signed: tuple[Path, Path, Path]) -> None:
    target, _, original = signed
    before, after = original.read_bytes(), target.read_bytes()
    assert after.startswith(before)  # the reproducible report is the first revision, untouched
    with pikepdf.open(target) as pdf:
        assert pdf.pdf_version == "1.7" and "/Version" not in pdf.Root  # PDF/A-3 forbids 2.0
        meta = pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False)
        assert meta["pdfaid:part"] == "3" and meta["pdfaid:conformance"] == "B"
        assert sorted(pdf.attachments) == ["manifest.json", "results.json", "trials.csv"]
        [field] = pdf.Root.AcroForm.Fields
        assert field.FT == pikepdf.Name.Sig and field.V.SubFilter == pikepdf.Name("/ETSI.CAdES.detached")
        # An invisible widget that PDF/A accepts: print flag on, hidden/noview off, zero-size rectangle.
        flags = int(field.F)
        assert flags & 4 and not flags & (1 | 2 | 32 | 256)
        assert [float(v) for v in field.Rect] == [0, 0, 0, 0]
        assert "/NeedAppearances" not in pdf.Root.AcroForm
    pdfa = pytest.importorskip("pikepdf.pdfa", reason="pikepdf >= 10.18 with the [pdfa] extra validates PDF/A")
    report = pdfa.validate_written(target, "3b")
    assert report.violations == (), report.summary()


def mini_report(small_run: Path, out: Path) -> Path:
    """A one-page PDF carrying the sample's real evidence: verifies like a report, signs fast.

    pyHanko's diff analysis of earlier revisions takes ~30 s on the 30-page tagged sample
    (~4,000 objects); on one page it is instant.
    """
    from datetime import UTC, datetime

    from auditlens.provenance import report_id
    from auditlens.report.evidence import EMBEDDED_FILES, embedded_manifest, manifest_bytes, trials_csv
    from auditlens.report.pdf import PdfAttachment, PdfMetadata, render_pdf
    from auditlens.results import AuditResult

    data = (small_run / "results.json").read_bytes()
    result = AuditResult.from_json(data)
    rid = report_id(data)
    html = f"<html lang='en'><body><h1>Audit {rid}</h1></body></html>"
    files = {"results.json": data, "trials.csv": trials_csv(result)}
    files["manifest.json"] = manifest_bytes(embedded_manifest(
        result, results_json=data, evidence={"trials.csv": files["trials.csv"]}, templates={}))
    render_pdf(html, out, metadata=PdfMetadata(title="Audit", author="t", keywords=(rid,),
                                               created=datetime(2026, 1, 1, tzinfo=UTC)),
               attachments=[PdfAttachment(name=n, data=d, mime_type=EMBEDDED_FILES[n][0], description=EMBEDDED_FILES[n][1])
                            for n, d in files.items()])
    return out


def test_second_signer(small_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Validator, then owner: the first signature stays valid, the second covers everything."""
    target = mini_report(small_run, tmp_path / "report.pdf")
    (tmp_path / "validator").mkdir()
    validator_p12, validator_pem = make_key(tmp_path / "validator")
    owner_p12, owner_pem = make_key(tmp_path, name="B. Owner")
    monkeypatch.setenv("AUDITLENS_TEST_PASS", PASSPHRASE)
    for key in (validator_p12, owner_p12):
        assert main(["sign", str(target), "--key", str(key), "--passphrase-env", "AUDITLENS_TEST_PASS", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["verify", str(target), "--trust", str(validator_pem), "--trust", str(owner_pem)]) == 0
    out = capsys.readouterr().out
    assert "ok       signature auditlens-signature-1: by " in out and "later revisions only add signatures; trusted" in out
    assert "ok       signature auditlens-signature-2: by " in out and "B. Owner" in out and "covers the whole file; trusted" in out


def test_tampering_after_signing_fails(signed: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target, _, _ = signed
    data = bytearray(target.read_bytes())
    # A byte of the page content (a digit of the first page's text is compressed, so flip a
    # byte in the first stream's data), well inside the signed byte range.
    start = data.index(b"stream\n") + 20
    data[start] ^= 0x01
    tampered = tmp_path / "report.pdf"
    tampered.write_bytes(bytes(data))
    code = main(["verify", str(tampered)])
    out = capsys.readouterr().out
    assert code == 1
    assert "MISMATCH signature auditlens-signature-1: by " in out and "the signed bytes were changed" in out


def test_sign_refuses_bad_keys_and_unverified_reports(small_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.pdf"
    shutil.copy(small_run / "report.pdf", target)
    before = target.read_bytes()
    p12, _ = make_key(tmp_path)
    # No passphrase for an encrypted key.
    assert main(["sign", str(target), "--key", str(p12)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("auditlens: error: --key: expected a PKCS#12 file with a private key and certificate; "
                   "cannot open rsa.p12 (if it is encrypted, give the passphrase with --passphrase-env VAR)")
    # A passphrase variable that is not set.
    assert main(["sign", str(target), "--key", str(p12), "--passphrase-env", "AUDITLENS_UNSET_VAR"]) == 2
    assert capsys.readouterr().err.strip() == "auditlens: error: --passphrase-env: environment variable 'AUDITLENS_UNSET_VAR' is not set"
    # An EC key: pyHanko would declare PDF 2.0, which breaks PDF/A-3b.
    ec_p12, _ = make_key(tmp_path, kind="ec")
    monkeypatch.setenv("AUDITLENS_TEST_PASS", PASSPHRASE)
    assert main(["sign", str(target), "--key", str(ec_p12), "--passphrase-env", "AUDITLENS_TEST_PASS"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("auditlens: error: --key: ec.p12 holds a key for which pyHanko declares PDF 2.0, which PDF/A-3 forbids")
    assert target.read_bytes() == before
    # A report whose evidence does not verify is not signed.
    with pikepdf.open(small_run / "report.pdf") as pdf:
        pdf.attachments["trials.csv"] = pikepdf.AttachedFileSpec(pdf, b"number\n", filename="trials.csv")
        pdf.save(tmp_path / "bad.pdf")
    bad = (tmp_path / "bad.pdf").read_bytes()
    assert main(["sign", str(tmp_path / "bad.pdf"), "--key", str(p12), "--passphrase-env", "AUDITLENS_TEST_PASS"]) == 1
    assert "refusing to sign bad.pdf: it does not verify; nothing was written" in capsys.readouterr().err
    assert (tmp_path / "bad.pdf").read_bytes() == bad
    assert list(tmp_path.glob(".*tmp")) == []
