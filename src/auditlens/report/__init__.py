"""Reports from an AuditResult: view model, HTML (Jinja), PDF/A-3b (WeasyPrint), evidence.

Nothing here imports shap, Optuna or the model, so ``auditlens render results.json`` works on
a machine that only has the results file. The PDF embeds ``results.json``, ``trials.csv`` and
``manifest.json`` (see :mod:`auditlens.report.evidence`), all derived from the result, the
templates and the HTML, so a PDF rendered from results.json alone carries the same evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditlens._files import atomic_write_bytes
from auditlens.provenance import report_id
from auditlens.results import AuditResult

__all__ = ["RenderedReport", "render_report", "write_report"]


@dataclass(frozen=True)
class RenderedReport:
    """What :func:`render_report` wrote.

    Attributes:
        files: written files by name (``results.json``, ``report.html``, ``report.pdf``).
        report_id: the report id (from the results' digest).
        manifest: the embedded manifest (also when no PDF was written: the same content).
        manifest_json: its bytes, as embedded in the PDF.
    """

    files: dict[str, Path]
    report_id: str
    manifest: dict[str, Any] = field(default_factory=dict)
    manifest_json: bytes = b""


def write_report(
    result: AuditResult,
    folder: Path,
    *,
    formats: Sequence[str] = ("html", "pdf"),
    templates: Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Path]:
    """Write ``results.json`` and the requested formats (``html``, ``pdf``) into ``folder``.

    Returns the written files by name. Each file is written atomically. ``templates`` is a
    branding folder (see :mod:`auditlens.report.html`).

    Example:
        >>> result = AuditResult.load("out/german-credit/results.json")  # doctest: +SKIP
        >>> write_report(result, Path("out/again"), formats=["html"])  # doctest: +SKIP
    """
    return render_report(result, folder, formats=formats, templates=templates, progress=progress).files


def render_report(
    result: AuditResult,
    folder: Path,
    *,
    formats: Sequence[str] = ("html", "pdf"),
    templates: Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> RenderedReport:
    """Like :func:`write_report`, and also return the report id and the embedded manifest."""
    # Imported on use (a package __init__): it runs for every submodule, and `auditlens verify`
    # and `auditlens sign` must not pay for matplotlib and WeasyPrint, which only rendering needs.
    from auditlens.report.evidence import (
        EMBEDDED_FILES,
        embedded_manifest,
        manifest_bytes,
        trials_csv,
    )
    from auditlens.report.html import check_templates_dir, render_html, template_digests
    from auditlens.report.view import build_view

    report = progress or (lambda stage, done, total: None)
    if templates is not None:
        templates = check_templates_dir(templates)
    folder.mkdir(parents=True, exist_ok=True)
    results_json = result.to_json().encode("utf-8")
    rid = report_id(results_json)
    written: dict[str, Path] = {}
    atomic_write_bytes(folder / "results.json", results_json)
    written["results.json"] = folder / "results.json"
    trials = trials_csv(result)
    if not {"html", "pdf"} & set(formats):
        manifest = embedded_manifest(
            result, results_json=results_json, evidence={"trials.csv": trials}, templates={}
        )
        return RenderedReport(written, rid, manifest, manifest_bytes(manifest))
    report("html", 0, 1)
    view = build_view(result, report_id=rid)
    html = render_html(view, templates=templates)
    report("html", 1, 1)
    manifest = embedded_manifest(
        result,
        results_json=results_json,
        evidence={"trials.csv": trials, "report.html": html.encode("utf-8")},
        templates=template_digests(templates),
    )
    manifest_json = manifest_bytes(manifest)
    if "html" in formats:
        atomic_write_bytes(folder / "report.html", html.encode("utf-8"))
        written["report.html"] = folder / "report.html"
    if "pdf" in formats:
        from auditlens.report.pdf import PdfAttachment, PdfMetadata, render_pdf

        report("pdf", 0, 1)
        created = datetime.strptime(result.provenance.timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=UTC
        )
        from auditlens.report.text import neutralise_bidi

        metadata = PdfMetadata(
            title=neutralise_bidi(result.audit.title),
            author=neutralise_bidi(result.audit.owner),
            subject=neutralise_bidi(f"Audit report {rid} for {result.audit.model_name} {result.audit.model_version}"),
            keywords=("model audit", "fANOVA", "SHAP", rid),
            created=created,
            language=view.lang,
        )
        payloads = {"results.json": results_json, "manifest.json": manifest_json, "trials.csv": trials}
        attachments = [
            PdfAttachment(name=name, data=data, mime_type=EMBEDDED_FILES[name][0],
                          description=EMBEDDED_FILES[name][1], relationship="Source")
            for name, data in payloads.items()
        ]
        render_pdf(html, folder / "report.pdf", metadata=metadata, attachments=attachments, tagged=True)
        written["report.pdf"] = folder / "report.pdf"
        report("pdf", 1, 1)
    return RenderedReport(written, rid, manifest, manifest_json)
