"""Write the change report: diff.json, diff.html and diff.pdf (PDF/A-3b), with the audit's machinery.

The PDF embeds both audits' results.json, diff.json and an embedded manifest (``"kind":
"diff"``) of their digests and of the HTML and templates, so ``auditlens verify diff.pdf``
recomputes the whole chain and the comparison itself from the PDF alone
(:mod:`auditlens.diff.verify`). The change report's id is :func:`auditlens.provenance.report_id`
of diff.json: same two results, same id, same bytes.

Its timestamp is an input: ``SOURCE_DATE_EPOCH`` when set, else the NEW audit's timestamp
(the later of the two), never the clock, so rendering the same pair twice gives the same files.

Example:
    >>> rendered = render_diff(old, new, Path("out/diff"), inputs={})  # doctest: +SKIP
    >>> sorted(rendered.files)  # doctest: +SKIP
    ['diff.html', 'diff.json', 'diff.pdf']
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditlens import __version__
from auditlens._files import atomic_write_bytes, sha256_bytes
from auditlens.diff.compare import compare
from auditlens.diff.result import DIFF_SCHEMA_VERSION
from auditlens.provenance import package_versions, report_id
from auditlens.report.evidence import RENDERER_PACKAGES, manifest_bytes

if TYPE_CHECKING:
    from auditlens.results import AuditResult

__all__ = ["EMBEDDED_FILES", "RenderedDiff", "diff_timestamp", "render_diff"]

TEMPLATE = "diff.html.j2"
MANIFEST_VERSION = "1.0"
EMBEDDED_FILES: dict[str, tuple[str, str]] = {
    "old-results.json": ("application/json", "OLD audit's results (AuditResult), as embedded in its report"),
    "new-results.json": ("application/json", "NEW audit's results (AuditResult), as embedded in its report"),
    "diff.json": ("application/json", "The comparison (DiffResult, JSON Schema auditlens/schema/diff.schema.json)"),
    "manifest.json": ("application/json", "Manifest: sha256 of the embedded files, the HTML and the templates"),
}
NOTE = (
    "Embedded in diff.pdf, this manifest cannot contain the PDF's own sha256: manifest.json beside "
    "the change report (scope 'full') adds it. Check with: auditlens verify diff.pdf --input OLD --input NEW"
)


@dataclass(frozen=True)
class RenderedDiff:
    files: dict[str, Path]
    report_id: str
    manifest: dict[str, Any] = field(default_factory=dict)
    manifest_json: bytes = b""


def diff_timestamp(old: AuditResult, new: AuditResult, *, environ: Mapping[str, str] | None = None) -> tuple[str, str]:
    """The change report's timestamp and its source (see the module docstring)."""
    from auditlens.provenance import format_timestamp, resolve_timestamp

    environ = os.environ if environ is None else environ
    if environ.get("SOURCE_DATE_EPOCH"):
        moment, source = resolve_timestamp(None, environ=environ)
        return format_timestamp(moment), source
    return max(old.provenance.timestamp, new.provenance.timestamp), "later audit's timestamp"


def render_diff(
    old: AuditResult,
    new: AuditResult,
    folder: Path,
    *,
    inputs: Mapping[str, tuple[str, str]],
    formats: Sequence[str] = ("html", "pdf", "json"),
    templates: Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> RenderedDiff:
    """Compare ``old`` with ``new`` and write the requested formats into ``folder``.

    Args:
        inputs: the files compared, by role (``old``, ``new``): (file name, sha256).
        formats: among ``json`` (diff.json), ``html``, ``pdf``.
        templates: a branding folder holding ``diff.html.j2``.
    """
    from auditlens.report.html import check_templates_dir, render_html, template_digests

    report = progress or (lambda stage, done, total: None)
    if templates is not None:
        templates = check_templates_dir(templates, template=TEMPLATE)
    diff = compare(old, new)
    diff_json = diff.to_json().encode("utf-8")
    rid = report_id(diff_json)
    payloads = {
        "old-results.json": old.to_json().encode("utf-8"),
        "new-results.json": new.to_json().encode("utf-8"),
        "diff.json": diff_json,
    }
    timestamp, source = diff_timestamp(old, new)
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    if "json" in formats:
        atomic_write_bytes(folder / "diff.json", diff_json)
        written["diff.json"] = folder / "diff.json"
    html = ""
    if {"html", "pdf"} & set(formats):
        report("html", 0, 1)
        html = render_html(_view(diff, rid, timestamp, payloads), templates=templates, template=TEMPLATE)
        report("html", 1, 1)
    evidence = {name: sha256_bytes(data) for name, data in payloads.items()}
    if html:
        evidence["diff.html"] = sha256_bytes(html.encode("utf-8"))
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "kind": "diff",
        "scope": "embedded",
        "report_id": rid,
        "diff_schema_version": DIFF_SCHEMA_VERSION,
        "old_report_id": diff.identity.old_report_id,
        "new_report_id": diff.identity.new_report_id,
        "timestamp": timestamp,
        "timestamp_source": source,
        "inputs": {role: {"name": name, "sha256": digest} for role, (name, digest) in sorted(inputs.items())},
        "evidence": dict(sorted(evidence.items())),
        "templates": dict(sorted(template_digests(templates).items())) if html else {},
        "renderer": package_versions(RENDERER_PACKAGES),
        "note": NOTE,
    }
    manifest_json = manifest_bytes(manifest)
    if "html" in formats:
        atomic_write_bytes(folder / "diff.html", html.encode("utf-8"))
        written["diff.html"] = folder / "diff.html"
    if "pdf" in formats:
        report("pdf", 0, 1)
        _write_pdf(folder / "diff.pdf", html, rid, timestamp, new, {**payloads, "manifest.json": manifest_json})
        written["diff.pdf"] = folder / "diff.pdf"
        report("pdf", 1, 1)
    return RenderedDiff(written, rid, manifest, manifest_json)


def _view(diff: Any, rid: str, timestamp: str, payloads: Mapping[str, bytes]) -> Any:
    from auditlens.diff.view import build_diff_view
    from auditlens.report.view import Table

    evidence = Table(("File embedded in the PDF", "Content", "sha256"), tuple(
        (name, EMBEDDED_FILES[name][1], sha256_bytes(data)) for name, data in payloads.items()
    ) + (("manifest.json", EMBEDDED_FILES["manifest.json"][1], "listed in manifest.json beside the report"),))
    return build_diff_view(diff, report_id=rid, timestamp=timestamp, evidence=evidence, version=__version__)


def _write_pdf(path: Path, html: str, rid: str, timestamp: str, new: AuditResult, payloads: Mapping[str, bytes]) -> None:
    from auditlens.report.pdf import PdfAttachment, PdfMetadata, render_pdf

    created = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    metadata = PdfMetadata(
        title=f"What changed: {new.audit.model_name}",
        author=new.audit.owner,
        subject=f"Change report {rid} between two audits of {new.audit.model_name}",
        keywords=("model audit", "change report", rid),
        created=created,
    )
    attachments = [
        PdfAttachment(name=name, data=data, mime_type=EMBEDDED_FILES[name][0],
                      description=EMBEDDED_FILES[name][1], relationship="Source")
        for name, data in payloads.items()
    ]
    render_pdf(html, path, metadata=metadata, attachments=attachments, tagged=True)
