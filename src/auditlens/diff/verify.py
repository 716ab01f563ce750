"""Verifying a change report PDF: the evidence chain of ``auditlens diff``, from the PDF alone.

Called by :func:`auditlens.report.verify.verify_pdf` when the embedded manifest says
``"kind": "diff"``; the page, template, input and signature checks are the audit report's own.
The chain recomputed here:

    sha256(each embedded file)        == manifest.evidence[name]
    report_id(diff.json)              == manifest.report_id
    report_id(old-/new-results.json)  == manifest.old_report_id / new_report_id
    compare(old, new), serialised     == the embedded diff.json (the comparison is recomputed)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from auditlens._files import sha256_bytes

if TYPE_CHECKING:
    from auditlens.report.verify import Verification

REQUIRED = ("old-results.json", "new-results.json", "diff.json", "manifest.json")


def check_diff_evidence(out: Verification, attachments: dict[str, list[bytes]], manifest: dict[str, Any]) -> None:
    """Add the checks of the module docstring to ``out`` (never raises for a mismatch)."""
    from auditlens.provenance import report_id

    listed = manifest.get("evidence") or {}
    for name in REQUIRED[:-1]:
        if len(attachments.get(name, [])) != 1:
            continue  # reported by the caller's required-files check
        digest = sha256_bytes(attachments[name][0])
        ok = digest == listed.get(name)
        out.add(name, ok, f"sha256 {digest[:16]}… " + ("matches the manifest" if ok else f"does not match the manifest ({str(listed.get(name))[:16]}…)"))
    if len(attachments.get("diff.json", [])) == 1:
        rid = report_id(attachments["diff.json"][0])
        ok = rid == manifest.get("report_id")
        out.add("report id", ok, f"{rid} derived from diff.json" + ("" if ok else f"; manifest says {manifest.get('report_id')!r}"))
    results = {side: _result(out, attachments, side, manifest) for side in ("old", "new")}
    if results["old"] is not None and results["new"] is not None and len(attachments.get("diff.json", [])) == 1:
        _check_recomputed(out, results["old"], results["new"], attachments["diff.json"][0], manifest)


def _result(out: Verification, attachments: dict[str, list[bytes]], side: str, manifest: dict[str, Any]) -> Any:
    from auditlens.errors import ResultsError
    from auditlens.provenance import report_id
    from auditlens.results import AuditResult

    name = f"{side}-results.json"
    if len(attachments.get(name, [])) != 1:
        return None
    data = attachments[name][0]
    expected = manifest.get(f"{side}_report_id")
    if report_id(data) != expected:
        out.add(name, False, f"is report {report_id(data)}; the manifest says {expected!r}")
    try:
        return AuditResult.from_json(data, source=f"embedded {name}")
    except ResultsError as exc:
        out.add(name, False, str(exc))
        return None


def _check_recomputed(out: Verification, old: Any, new: Any, embedded: bytes, manifest: dict[str, Any]) -> None:
    from auditlens import __version__
    from auditlens.diff.compare import compare
    from auditlens.errors import ResultsError

    try:
        again = compare(old, new).to_json().encode("utf-8")
    except ResultsError as exc:
        out.add("diff.json", False, f"cannot be recomputed: {exc}")
        return
    made_with = (manifest.get("renderer") or {}).get("auditlens")
    if again == embedded:
        out.add("diff.json", True, "recomputed from the two embedded results: identical")
    elif made_with != __version__:
        out.add("diff.json", True, f"differs from a recomputation with auditlens {__version__} "
                f"(made with {made_with}); compare with that version", note=True)
    else:
        out.add("diff.json", False, "differs from the comparison recomputed from the two embedded results")
