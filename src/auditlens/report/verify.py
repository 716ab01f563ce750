"""``auditlens verify``: check a report PDF against the evidence it embeds and the inputs on disk.

The chain that is recomputed, from the PDF alone:

    sha256(embedded results.json) == manifest.results_sha256 == manifest.evidence["results.json"]
    report_id(results.json)       == manifest.report_id, shown on the first page and in the
                                     PDF's keywords
    embedded trials.csv           == manifest.evidence["trials.csv"] == trials table of results.json
    manifest inputs, seeds, timestamp == results.json's provenance
    --input FILE                  == the input of the same name (or the same digest) in the manifest
    --templates DIR               == the manifest's custom/* template digests
    digital signature (if any)    intact, valid, covering the whole file (pyHanko, extra [sign])

Without a signature this proves integrity against accident, not against forgery: it detects
damaged files, changed inputs and naive edits, but whoever rewrites the results *and* the
manifest consistently, and puts the new id in the first page's text layer (even invisibly),
passes every check. Only a signature (``auditlens sign``) covers the pages and every
embedded file together; an unsigned report's verification says so (:data:`UNSIGNED`).

Example:
    >>> outcome = verify_pdf(Path("out/german-credit/report.pdf"),
    ...                      inputs=[Path("samples/german-credit/german_credit.csv")])  # doctest: +SKIP
    >>> outcome.ok  # doctest: +SKIP
    True
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from auditlens import __version__
from auditlens._files import sha256_bytes, sha256_file
from auditlens.diff.verify import REQUIRED as DIFF_REQUIRED
from auditlens.diff.verify import check_diff_evidence
from auditlens.errors import EvidenceError, ResultsError
from auditlens.provenance import report_id
from auditlens.report.evidence import trials_csv
from auditlens.report.html import (
    BUNDLED_PREFIX,
    CUSTOM_PREFIX,
    check_templates_dir,
    template_digests,
)
from auditlens.report.sign import validate_signatures
from auditlens.results import AuditResult

__all__ = ["Check", "Verification", "embedded_files", "verify_pdf"]

REQUIRED = ("results.json", "manifest.json", "trials.csv")
UNSIGNED = (
    "none: an unsigned report proves integrity against accident, not against forgery (results, "
    "manifest and page text rewritten consistently pass every check above); sign it with "
    "'auditlens sign' to protect pages and evidence together"
)


@dataclass(frozen=True, slots=True)
class Check:
    """One verification step: ``ok`` False is a mismatch; ``note`` marks information only."""

    subject: str
    ok: bool
    detail: str
    note: bool = False

    def line(self) -> str:
        tag = "note" if self.note else ("ok" if self.ok else "MISMATCH")
        return f"{tag:8} {self.subject}: {self.detail}"


@dataclass
class Verification:
    path: Path
    report_id: str = ""
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def mismatches(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def add(self, subject: str, ok: bool, detail: str, *, note: bool = False) -> bool:
        self.checks.append(Check(subject, ok, detail, note))
        return ok


def embedded_files(path: Path) -> dict[str, list[bytes]]:
    """The embedded files of a PDF by name (a name may occur more than once)."""
    reader = _open(path)
    return {name: list(data) for name, data in reader.attachments.items()}


def verify_pdf(
    path: Path,
    *,
    inputs: Sequence[Path] = (),
    templates: Path | None = None,
    trust: Sequence[Path] = (),
) -> Verification:
    """Verify a report PDF (see the module docstring). Never raises for a mismatch.

    Args:
        path: the report PDF.
        inputs: files to compare with the inputs recorded in the manifest (data, spec).
        templates: the branding folder the report was rendered with, to compare.
        trust: certificates (PEM or DER) to trust as signers; without them a signature is
            checked for integrity and coverage only.

    Raises:
        EvidenceError: ``path`` or an input is missing or is not a readable PDF.
    """
    for item in inputs:
        if not Path(item).is_file():
            raise EvidenceError(f"--input: expected an existing file; got {str(item)!r}")
    reader = _open(path)
    out = Verification(Path(path))
    try:
        attachments = {name: list(data) for name, data in reader.attachments.items()}
    except Exception as exc:  # a damaged name tree
        out.add("attachments", False, f"cannot read the embedded files ({type(exc).__name__}: {exc})")
        return out
    kind = _manifest_kind(attachments)
    # A change report (auditlens diff) has its own evidence; pages, inputs and signature as here.
    required = DIFF_REQUIRED if kind == "diff" else REQUIRED
    for name in required:
        count = len(attachments.get(name, []))
        if count != 1:
            out.add(name, False, "not embedded" if count == 0 else f"embedded {count} times; expected once")
    extra = sorted(set(attachments) - set(required))
    if extra:
        out.add("attachments", False, "unexpected embedded file(s): " + ", ".join(extra))
    if "manifest.json" not in attachments:
        out.add("report", False, "no embedded manifest.json: not an auditlens report PDF")
        return out
    try:
        manifest = json.loads(attachments["manifest.json"][0])
        if not isinstance(manifest, dict):
            raise ValueError(f"expected a JSON object; got {type(manifest).__name__}")
    except (ValueError, RecursionError) as exc:
        detail = "nested too deeply to read" if isinstance(exc, RecursionError) else exc
        out.add("manifest.json", False, f"not a valid manifest ({detail})")
        return out
    out.report_id = str(manifest.get("report_id", ""))
    if manifest.get("scope") != "embedded":
        out.add("manifest.json", False, f"scope must be 'embedded'; got {manifest.get('scope')!r}")

    result = None
    if kind == "diff":
        check_diff_evidence(out, attachments, manifest)
    elif "results.json" in attachments:
        result = _check_results(out, attachments["results.json"][0], manifest)
    if "trials.csv" in attachments and kind != "diff":
        _check_trials(out, attachments["trials.csv"][0], manifest, result)
    _check_pages(out, reader, manifest)
    for item in inputs:
        _check_input(out, Path(item), manifest)
    _check_templates(out, manifest, templates)
    _check_signatures(out, reader, Path(path), trust)
    return out


# --------------------------------------------------------------------------- checks


def _check_results(out: Verification, data: bytes, manifest: dict[str, Any]) -> Any:
    digest = sha256_bytes(data)
    recorded = manifest.get("results_sha256")
    listed = (manifest.get("evidence") or {}).get("results.json")
    if digest == recorded == listed:
        out.add("results.json", True, f"sha256 {digest[:16]}… matches the manifest")
    else:
        out.add("results.json", False, f"sha256 {digest[:16]}… does not match the manifest ({str(recorded)[:16]}…)")
    rid = report_id(data)
    out.add("report id", rid == manifest.get("report_id"),
            f"{rid} derived from results.json" + ("" if rid == manifest.get("report_id") else f"; manifest says {manifest.get('report_id')!r}"))
    try:
        result = AuditResult.from_json(data, source="embedded results.json")
    except ResultsError as exc:
        out.add("results.json", False, str(exc))
        return None
    prov = result.provenance
    recorded_inputs = {i.role: {"name": i.name, "sha256": i.sha256} for i in prov.inputs}
    problems = []
    if manifest.get("inputs") != recorded_inputs:
        problems.append("inputs")
    if manifest.get("seeds") != prov.seeds:
        problems.append("seeds")
    if manifest.get("timestamp") != prov.timestamp:
        problems.append("timestamp")
    if problems:
        out.add("manifest.json", False, f"{', '.join(problems)} differ from results.json's provenance")
    else:
        out.add("manifest.json", True, f"inputs, seeds and timestamp ({prov.timestamp}) agree with results.json")
    return result


def _check_trials(out: Verification, data: bytes, manifest: dict[str, Any], result: Any) -> None:
    listed = (manifest.get("evidence") or {}).get("trials.csv")
    if sha256_bytes(data) != listed:
        out.add("trials.csv", False, f"sha256 {sha256_bytes(data)[:16]}… does not match the manifest ({str(listed)[:16]}…)")
    elif result is not None and trials_csv(result) != data:
        out.add("trials.csv", False, "differs from the trials recorded in results.json")
    else:
        out.add("trials.csv", True, "matches the manifest" + (" and results.json" if result is not None else ""))


def _check_pages(out: Verification, reader: Any, manifest: dict[str, Any]) -> None:
    """The visible pages and the metadata name the same report id as the evidence."""
    rid = str(manifest.get("report_id", ""))
    try:
        first = reader.pages[0].extract_text() or ""
        keywords = str((reader.metadata or {}).get("/Keywords", ""))
    except Exception as exc:
        out.add("pages", False, f"cannot read the first page ({type(exc).__name__}: {exc})")
        return
    found = [where for where, text in (("first page", " ".join(first.split())), ("keywords", keywords)) if rid and rid in text]
    out.add("pages", len(found) == 2,
            f"report id {rid} on the first page and in the document keywords" if len(found) == 2
            else f"report id {rid!r} missing from: " + ", ".join(w for w in ("first page", "keywords") if w not in found))
    pdfa = _pdfa_part(reader)
    out.add("PDF/A", pdfa is not None, f"identifies as PDF/A-{pdfa}" if pdfa else "no PDF/A identification in the XMP metadata",
            note=pdfa is not None)


def _check_input(out: Verification, path: Path, manifest: dict[str, Any]) -> None:
    recorded = manifest.get("inputs") or {}
    digest = sha256_file(path)
    by_name = [(role, r) for role, r in recorded.items() if isinstance(r, dict) and r.get("name") == path.name]
    by_hash = [(role, r) for role, r in recorded.items() if isinstance(r, dict) and r.get("sha256") == digest]
    subject = f"input {path.name}"
    if by_name:
        # Two inputs may share a name (a change report compares two report.pdf files).
        role, rec = next((item for item in by_name if item[1].get("sha256") == digest), by_name[0])
        if rec.get("sha256") == digest:
            out.add(subject, True, f"sha256 {digest[:16]}… matches the recorded {role} file")
        else:
            out.add(subject, False, f"sha256 {digest[:16]}… differs from the recorded {role} file {rec.get('name')!r} ({str(rec.get('sha256'))[:16]}…)")
    elif by_hash:
        role, rec = by_hash[0]
        out.add(subject, True, f"sha256 matches the recorded {role} file {rec.get('name')!r} (renamed)")
    else:
        known = ", ".join(f"{role} {r.get('name')!r}" for role, r in recorded.items() if isinstance(r, dict))
        out.add(subject, False, f"sha256 {digest[:16]}… is not among the recorded inputs ({known or 'none'})")


def _check_templates(out: Verification, manifest: dict[str, Any], templates: Path | None) -> None:
    recorded = manifest.get("templates") or {}
    custom = {k: v for k, v in recorded.items() if k.startswith(f"{CUSTOM_PREFIX}/")}
    if templates is not None:
        folder = check_templates_dir(templates)
        have = {k: v for k, v in template_digests(folder).items() if k.startswith(f"{CUSTOM_PREFIX}/")}
        if have == custom:
            out.add("templates", True, f"{len(have)} file(s) in {folder.name}/ match the manifest")
        else:
            differ = sorted(k.split("/", 1)[1] for k in set(have) | set(custom) if have.get(k) != custom.get(k))
            out.add("templates", False, f"{folder.name}/ differs from the templates recorded: {', '.join(differ)}")
    elif custom:
        out.add("templates", True, f"rendered with {len(custom)} custom template file(s); pass --templates DIR to check them", note=True)
    made_with = (manifest.get("renderer") or {}).get("auditlens")
    if made_with == __version__:
        bundled = {k: v for k, v in template_digests().items() if k.startswith(f"{BUNDLED_PREFIX}/")}
        same = bundled == {k: v for k, v in recorded.items() if k.startswith(f"{BUNDLED_PREFIX}/")}
        out.add("templates", True, f"bundled templates {'match' if same else 'differ from'} the installed auditlens {__version__}", note=True)


def _check_signatures(out: Verification, reader: Any, path: Path, trust: Sequence[Path]) -> None:
    try:
        fields = reader.get_fields() or {}
    except Exception:
        fields = {}
    signed = [name for name, f in fields.items() if f.get("/FT") == "/Sig" and f.get("/V") is not None]
    if not signed:
        if trust:
            out.add("signature", False, "--trust given but the PDF is not signed")
        else:
            out.add("signature", True, UNSIGNED, note=True)
        return
    for subject, ok, detail in validate_signatures(path, trust=trust):
        out.add(subject, ok, detail)


# --------------------------------------------------------------------------- helpers


def _manifest_kind(attachments: dict[str, list[bytes]]) -> str:
    """``"diff"`` for a change report's manifest, ``"audit"`` otherwise (also when unreadable)."""
    try:
        manifest = json.loads(attachments["manifest.json"][0])
    except (KeyError, IndexError, ValueError, RecursionError):  # the audit checks then name the problem
        return "audit"
    return "diff" if isinstance(manifest, dict) and manifest.get("kind") == "diff" else "audit"


def _open(path: Path) -> Any:
    path = Path(path)
    if not path.is_file():
        raise EvidenceError(f"report: expected an existing PDF file; got {str(path)!r}")
    with open(path, "rb") as handle:
        if handle.read(5) != b"%PDF-":
            raise EvidenceError(f"report: expected a PDF file; {str(path)!r} does not start with %PDF-")
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            raise EvidenceError(f"report: expected an unencrypted PDF; {str(path)!r} is encrypted")
        _ = len(reader.pages)
        return reader
    except EvidenceError:
        raise
    except Exception as exc:
        detail = " ".join(str(exc).split())
        raise EvidenceError(f"report: cannot read {str(path)!r} as a PDF ({type(exc).__name__}: {detail})") from None


def _pdfa_part(reader: Any) -> str | None:
    try:
        meta = reader.trailer["/Root"].get("/Metadata")
        xml = meta.get_object().get_data().decode("utf-8", "replace") if meta is not None else ""
    except Exception:
        return None
    part = re.search(r"pdfaid:part(?:>|=\")\s*(\d)", xml)
    conformance = re.search(r"pdfaid:conformance(?:>|=\")\s*([ABUFE])", xml, re.I)
    if part is None:
        return None
    return part.group(1) + (conformance.group(1).lower() if conformance else "")
