"""The record-keeping sections: governance, reproducibility and evidence, sign-off, regulatory map."""

from __future__ import annotations

from dataclasses import dataclass

from auditlens._files import sha256_bytes
from auditlens.report.compliance import FRAMEWORKS, mapping
from auditlens.report.evidence import EMBEDDED_FILES, trials_csv
from auditlens.report.view.base import SECTION_BY_ID, Facts, Section, Table
from auditlens.report.view.findings import report_findings
from auditlens.report.view.importance import surrogate_settings
from auditlens.results import AuditResult


@dataclass(frozen=True, slots=True)
class ReproducibilityView:
    facts: Facts
    inputs: Table
    evidence: Table
    surrogate_settings: Table  # of the importance analysis: too long for its section
    packages: Table


@dataclass(frozen=True, slots=True)
class MappingEntry:
    item: str
    text: str
    where: tuple[Section, ...]
    status: str  # covered / partial / missing: a CSS class
    status_text: str


@dataclass(frozen=True, slots=True)
class MappingGroup:
    framework: str
    source: str
    entries: tuple[MappingEntry, ...]
    counts: str


def reproducibility_view(result: AuditResult) -> ReproducibilityView:
    prov = result.provenance
    results_sha256 = sha256_bytes(result.to_json().encode("utf-8"))
    return ReproducibilityView(
        facts=(
            ("auditlens", prov.auditlens_version),
            ("Python", f"{prov.python} on {prov.platform}"),
            ("Seeds", ", ".join(f"{k}={v}" for k, v in prov.seeds.items())),
            ("Timestamp", f"{prov.timestamp} (source: {prov.timestamp_source})"),
            ("Schema", f"results.json schema_version {result.schema_version}"),
        ),
        inputs=Table(("Role", "File", "sha256"), tuple((i.role, i.name, i.sha256) for i in prov.inputs)),
        evidence=Table(
            ("File embedded in the PDF", "Content", "sha256"),
            (
                ("results.json", EMBEDDED_FILES["results.json"][1], results_sha256),
                ("trials.csv", EMBEDDED_FILES["trials.csv"][1], sha256_bytes(trials_csv(result))),
                ("manifest.json", EMBEDDED_FILES["manifest.json"][1], "listed in manifest.json beside the report"),
            ),
        ),
        surrogate_settings=surrogate_settings(result),
        packages=Table(("Package", "Version"), tuple(prov.packages.items())),
    )


def sign_off_table(result: AuditResult) -> Table:
    """One empty signature line per person named in the spec."""
    return Table(("Name", "Role", "Signature", "Date"), tuple((s.name, s.role, "", "") for s in result.audit.sign_off))


def regulatory_view(result: AuditResult) -> tuple[MappingGroup, ...]:
    """Each framework's items, where this report documents them, and a tally of their status."""
    rows = mapping(result.compliance, evaluated_on_file=result.data.evaluation == "file",
                   findings=report_findings(result))
    groups = []
    for framework, source in FRAMEWORKS.items():
        entries = tuple(
            MappingEntry(r.item, r.text, tuple(SECTION_BY_ID[s] for s in r.sections), r.status, r.status_text)
            for r in rows
            if r.framework == framework
        )
        tally = {k: sum(e.status == k for e in entries) for k in ("covered", "partial", "missing")}
        counts = f"{tally['covered']} covered, {tally['partial']} partly covered, {tally['missing']} not provided"
        groups.append(MappingGroup(framework, source, entries, counts))
    return tuple(groups)
