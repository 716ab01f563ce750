"""``auditlens sign``: a digital signature on a report PDF, with pyHanko (extra ``[sign]``).

The signature is added as an incremental update: the original bytes stay as they are and the
signature covers them all, pages and embedded evidence together. It is invisible (a widget with
a zero-size rectangle and the print flag set, as PDF/A requires) and PAdES-style
(``ETSI.CAdES.detached``, SHA-256), with no network access (no timestamp authority, no
revocation fetching).

PDF/A-3b survives the update as long as the PDF version stays 1.7: pyHanko declares PDF 2.0
for Ed25519/Ed448 keys, SHA-3 digests and ECDSA on the ISO 32002 curves (P-256, ...), which
PDF/A-3 forbids (ISO 19005-3 6.1.2). So :func:`sign_pdf` refuses, before writing anything,
when the signed file would not be PDF 1.7: use an RSA key.

Signing time comes from the clock, so a signed PDF is not byte-reproducible (the report
inside it is: the unsigned revision is the reproducible PDF, byte for byte).

Example:
    >>> sign_pdf(Path("report.pdf"), key=Path("validator.p12"), passphrase=b"...")  # doctest: +SKIP
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from auditlens._files import atomic_write_bytes
from auditlens._imports import try_import
from auditlens.errors import EvidenceError

INSTALL_HINT = "pip install 'auditlens[sign]'"

with try_import(extra="sign") as _pyhanko:
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils import incremental_writer
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import fields, signers
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

__all__ = ["SignOutcome", "sign_pdf", "validate_signatures"]


@dataclass(frozen=True, slots=True)
class SignOutcome:
    path: Path
    field_name: str
    signer: str


def sign_pdf(
    path: Path,
    *,
    key: Path,
    passphrase: bytes | None = None,
    out: Path | None = None,
    reason: str | None = None,
    location: str | None = None,
) -> SignOutcome:
    """Sign ``path`` with the key and certificate in a PKCS#12 file; write ``out`` (default: in place).

    Raises:
        EvidenceError: pyHanko is missing, the PDF or key cannot be read, or the signed
            file would no longer be PDF/A (see the module docstring). Nothing is written then.
    """
    if not _pyhanko.is_successful():
        raise EvidenceError(f"sign: pyHanko is not installed ({INSTALL_HINT})")
    path, key = Path(path), Path(key)
    if not path.is_file():
        raise EvidenceError(f"report: expected an existing PDF file; got {str(path)!r}")
    if not key.is_file():
        raise EvidenceError(f"--key: expected an existing PKCS#12 (.p12/.pfx) file; got {str(key)!r}")
    try:
        signer = signers.SimpleSigner.load_pkcs12_data(key.read_bytes(), other_certs=[], passphrase=passphrase)
    except (ValueError, TypeError):
        hint = "wrong passphrase?" if passphrase else "if it is encrypted, give the passphrase with --passphrase-env VAR"
        raise EvidenceError(f"--key: expected a PKCS#12 file with a private key and certificate; cannot open {key.name} ({hint})") from None
    subject = signer.signing_cert.subject.human_friendly
    data = path.read_bytes()
    if not data.startswith(b"%PDF-"):
        raise EvidenceError(f"report: expected a PDF file; {str(path)!r} does not start with %PDF-")
    output = io.BytesIO()
    with _quiet():
        try:
            writer = incremental_writer.IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
            existing = {name for name, *_ in fields.enumerate_sig_fields(writer.prev)}
            number = 1
            while f"auditlens-signature-{number}" in existing:
                number += 1
            field_name = f"auditlens-signature-{number}"
            meta = signers.PdfSignatureMetadata(
                field_name=field_name,
                reason=reason,
                location=location,
                md_algorithm="sha256",
                subfilter=fields.SigSeedSubFilter.PADES,
            )
            signers.sign_pdf(writer, meta, signer=signer, output=output)
        except EvidenceError:
            raise
        except Exception as exc:
            detail = " ".join(str(exc).split())
            raise EvidenceError(f"report: cannot sign {path.name} ({type(exc).__name__}: {detail})") from None
    version = tuple(writer.output_version)
    if version > (1, 7):
        raise EvidenceError(
            f"--key: {key.name} holds a key for which pyHanko declares PDF {version[0]}.{version[1]}, "
            "which PDF/A-3 forbids; expected an RSA key (nothing was written)"
        )
    atomic_write_bytes(out if out is not None else path, output.getvalue())
    return SignOutcome(Path(out if out is not None else path), field_name, subject)


def validate_signatures(path: Path, *, trust: Sequence[Path] = ()) -> list[tuple[str, bool, str]]:
    """(subject, ok, detail) for each signature of ``path``.

    A signature is ok when it is intact, cryptographically valid and covers the whole file
    (nothing was appended after it). With ``trust`` certificates, the signer must also chain
    to one of them; without, the signer's name is reported but not vouched for.
    """
    if not _pyhanko.is_successful():
        return [("signature", False, f"the PDF is signed, but pyHanko is needed to validate it ({INSTALL_HINT})")]

    roots = []
    for item in trust:
        try:
            roots.append(load_cert_from_pemder(str(item)))
        except Exception:
            raise EvidenceError(f"--trust: expected a PEM or DER certificate file; got {str(item)!r}") from None
    results = []
    with _quiet(), open(path, "rb") as handle:
        reader = PdfFileReader(handle, strict=False)
        for sig in reader.embedded_signatures:
            subject = f"signature {sig.field_name}"
            # Only the given roots (never the operating system's list), and no network access.
            context = ValidationContext(trust_roots=roots, allow_fetching=False)
            try:
                status = validate_pdf_signature(sig, context)
            except Exception as exc:  # pyHanko's SignatureValidationError is a ValueError; be robust to others
                results.append((subject, False, f"cannot be validated ({' '.join(str(exc).split())})"))
                continue
            signer = status.signing_cert.subject.human_friendly if status.signing_cert else "unknown signer"
            when = status.signer_reported_dt.strftime("%Y-%m-%dT%H:%M:%SZ") if status.signer_reported_dt else "no signing time"
            coverage = status.coverage.name if status.coverage else "UNKNOWN"
            level = status.modification_level.name if status.modification_level else "UNKNOWN"
            # Later revisions may only add signatures (a second signer: pyHanko's FORM_FILLING).
            whole = coverage == "ENTIRE_FILE"
            only_signatures = coverage == "ENTIRE_REVISION" and level in ("NONE", "LTA_UPDATES", "FORM_FILLING")
            problems = []
            if not status.intact:
                problems.append("the signed bytes were changed")
            elif not status.valid:
                problems.append("the signature value is not valid")
            if status.intact and not (whole or only_signatures):
                problems.append(f"the file was changed after signing (coverage {coverage}, modifications {level})")
            if roots and not status.trusted:
                problems.append("the signer does not chain to a --trust certificate")
            if problems:
                results.append((subject, False, f"by {signer}: " + "; ".join(problems)))
            else:
                trusted = "trusted (chains to a --trust certificate)" if roots else "signer not checked against a trust anchor (use --trust CERT)"
                scope = "covers the whole file" if whole else "later revisions only add signatures"
                results.append((subject, True, f"by {signer} at {when}: intact, {scope}; {trusted}"))
    return results


@contextmanager
def _quiet() -> Iterator[None]:
    """pyHanko logs expected failures (e.g. an untrusted self-signed signer) with tracebacks."""
    loggers = [logging.getLogger(name) for name in ("pyhanko", "pyhanko_certvalidator")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)
