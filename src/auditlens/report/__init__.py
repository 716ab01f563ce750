"""Reports from an AuditResult: view model, HTML (Jinja), PDF/A-3b (WeasyPrint).

Nothing here imports shap, Optuna or the model, so ``auditlens render results.json`` works on
a machine that only has the results file.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from auditlens._files import atomic_write_bytes
from auditlens.provenance import report_id
from auditlens.results import AuditResult

__all__ = ["write_report"]


def write_report(
    result: AuditResult,
    folder: Path,
    *,
    formats: Sequence[str] = ("html", "pdf"),
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Path]:
    """Write ``results.json`` and the requested formats (``html``, ``pdf``) into ``folder``.

    Returns the written files by name. Each file is written atomically.

    Example:
        >>> result = AuditResult.load("out/german-credit/results.json")  # doctest: +SKIP
        >>> write_report(result, Path("out/again"), formats=["html"])  # doctest: +SKIP
    """
    from auditlens.report.html import render_html
    from auditlens.report.view import build_view

    report = progress or (lambda stage, done, total: None)
    folder.mkdir(parents=True, exist_ok=True)
    results_json = result.to_json().encode("utf-8")
    rid = report_id(results_json)
    written: dict[str, Path] = {}
    atomic_write_bytes(folder / "results.json", results_json)
    written["results.json"] = folder / "results.json"
    if not {"html", "pdf"} & set(formats):
        return written
    report("html", 0, 1)
    view = build_view(result, report_id=rid)
    html = render_html(view)
    report("html", 1, 1)
    if "html" in formats:
        atomic_write_bytes(folder / "report.html", html.encode("utf-8"))
        written["report.html"] = folder / "report.html"
    if "pdf" in formats:
        from auditlens.report.pdf import PdfMetadata, render_pdf

        report("pdf", 0, 1)
        created = datetime.strptime(result.provenance.timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=UTC
        )
        metadata = PdfMetadata(
            title=result.audit.title,
            author=result.audit.owner,
            subject=f"Audit report {rid} for {result.audit.model_name} {result.audit.model_version}",
            keywords=("model audit", "fANOVA", "SHAP", rid),
            created=created,
            language=view.lang,
        )
        render_pdf(html, folder / "report.pdf", metadata=metadata)
        written["report.pdf"] = folder / "report.pdf"
        report("pdf", 1, 1)
    return written
