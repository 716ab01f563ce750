"""The evidence a report carries: the trial table as CSV and the embedded manifest.

Everything here is derived from an AuditResult (plus the templates and the HTML rendered from
it), so ``auditlens render results.json`` embeds the same evidence as ``auditlens run``.

The manifest cannot hash the PDF that contains it. So there are two manifests:

- the *embedded* one (``manifest.json`` inside ``report.pdf``, ``"scope": "embedded"``) hashes
  the inputs (as recorded in results.json), ``results.json``, ``trials.csv``, the HTML the PDF
  was rendered from and the templates; it holds no wall-clock timings, so it — and the PDF —
  are byte-identical across runs with a fixed timestamp;
- the *full* one (``manifest.json`` beside the report, ``"scope": "full"``) is the embedded
  one plus the Optuna study's hash (the study database records wall-clock trial times, so it
  differs run to run), the hash of every output file including ``report.pdf``, the digest of
  the embedded manifest, and the stage timings.

``auditlens verify`` recomputes the embedded chain from the PDF alone; a signature
(``auditlens sign``) covers the pages and the attachments together.

Example:
    >>> from auditlens.results import AuditResult
    >>> result = AuditResult.load("out/german-credit/results.json")  # doctest: +SKIP
    >>> trials_csv(result).splitlines()[0]  # doctest: +SKIP
    b'number,state,value,learning_rate,...'
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from auditlens._files import sha256_bytes
from auditlens.provenance import package_versions, report_id

if TYPE_CHECKING:
    from auditlens.results import AuditResult

__all__ = [
    "EMBEDDED_FILES",
    "MANIFEST_VERSION",
    "RENDERER_PACKAGES",
    "embedded_manifest",
    "manifest_bytes",
    "trials_csv",
]

MANIFEST_VERSION = "1.0"

# The files embedded in the PDF (PDF/A-3 associated files), with what they are.
EMBEDDED_FILES: dict[str, tuple[str, str]] = {
    "results.json": ("application/json", "Audit results (AuditResult, JSON Schema in auditlens/schema)"),
    "manifest.json": ("application/json", "Provenance manifest: sha256 of inputs, results, trial table, HTML, templates"),
    "trials.csv": ("text/csv", "Every tuning trial: number, state, objective value, hyperparameters"),
}

# What shapes the rendered report (as opposed to the numbers, recorded in results.json).
RENDERER_PACKAGES = ("auditlens", "jinja2", "weasyprint", "pydyf", "fonttools", "matplotlib")

# Spreadsheet programs run cells starting with these as formulas ("CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

NOTE = (
    "Embedded in report.pdf, this manifest cannot contain the PDF's own sha256: manifest.json "
    "beside the report (scope 'full') adds it, the study database and the timings. "
    "Check with: auditlens verify report.pdf --input DATA_FILE"
)


def trials_csv(result: AuditResult) -> bytes:
    """Every trial of the tuning run as CSV: ``number,state,value,<hyperparameters...>``.

    Floats are written with ``repr`` (exact round trip); a missing value is an empty cell.
    Text cells that a spreadsheet would run as a formula get a leading ``'``.
    """
    names = [p.name for p in result.tuning.space]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([_cell(v) for v in ("number", "state", "value", *names)])
    for trial in result.tuning.trials:
        writer.writerow(
            [trial.number, _cell(trial.state), _cell(trial.value)]
            + [_cell(trial.params.get(name)) for name in names]
        )
    return buffer.getvalue().encode("utf-8")


def embedded_manifest(
    result: AuditResult,
    *,
    results_json: bytes,
    evidence: Mapping[str, bytes],
    templates: Mapping[str, str],
) -> dict[str, Any]:
    """The manifest embedded in the PDF (see the module docstring): deterministic.

    Args:
        result: the audit result.
        results_json: its serialised bytes (``result.to_json()``), as written and embedded.
        evidence: other files derived from it, by name (``trials.csv``, ``report.html``).
        templates: sha256 of each template used, by name (see :func:`template_digests`).
    """
    prov = result.provenance
    return {
        "manifest_version": MANIFEST_VERSION,
        "scope": "embedded",
        "report_id": report_id(results_json),
        "timestamp": prov.timestamp,
        "timestamp_source": prov.timestamp_source,
        "results_sha256": sha256_bytes(results_json),
        "inputs": {i.role: {"name": i.name, "sha256": i.sha256} for i in prov.inputs},
        "evidence": {
            "results.json": sha256_bytes(results_json),
            **{name: sha256_bytes(data) for name, data in sorted(evidence.items())},
        },
        "templates": dict(sorted(templates.items())),
        "seeds": dict(prov.seeds),
        "python": prov.python,
        "platform": prov.platform,
        "packages": dict(prov.packages),
        "renderer": package_versions(RENDERER_PACKAGES),
        "note": NOTE,
    }


def manifest_bytes(manifest: Mapping[str, Any]) -> bytes:
    """The canonical serialisation (sorted keys, indent 1, trailing newline)."""
    return (json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
