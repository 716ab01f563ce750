"""The Findings section: what the checks judged, most severe first, each linked to its evidence.

Results written before the checks existed (schema 1.0) carry no findings: the checks are then
evaluated here from the same evidence, as ``auditlens check`` would, and the section says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from auditlens.checks import count_by_severity, evaluate
from auditlens.checks.importance import MAKES_RANKING_INCONCLUSIVE
from auditlens.formatting import general
from auditlens.report.view.base import SECTION_BY_ID, Section
from auditlens.results import AuditResult, Finding, Scalar


@dataclass(frozen=True, slots=True)
class FindingItem:
    severity: str  # high / medium / low / info: also a CSS class
    check: str  # the check's id, with what it is about
    sentence: str
    measured: str
    threshold: str
    recommendation: str
    evidence: Section  # the report section holding the evidence (a link target)


@dataclass(frozen=True, slots=True)
class FindingsView:
    counts: str  # "1 high, 3 medium, 6 low, 0 info": on page 1
    intro: str
    items: tuple[FindingItem, ...]


def report_findings(result: AuditResult) -> list[Finding]:
    """The findings the report shows: as recorded, or evaluated now for a 1.0 results file."""
    if result.schema_version == "1.0" and not result.findings:
        return evaluate(result, result.check_settings)
    return list(result.findings)


def ranking_inconclusive(findings: list[Finding]) -> bool:
    """True when a finding makes the importance ranking inconclusive (no 'most important')."""
    return any(f.id in MAKES_RANKING_INCONCLUSIVE for f in findings)


def _value(v: Scalar) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return general(v, 4)
    return str(v)


def _pairs(values: Mapping[str, Scalar]) -> str:
    return "; ".join(f"{k.replace('_', ' ')} {_value(v)}" for k, v in values.items())


def counts_text(findings: list[Finding]) -> str:
    return ", ".join(f"{n} {s}" for s, n in count_by_severity(findings).items())


def findings_view(result: AuditResult) -> FindingsView:
    """The section's view: each finding links to the section holding its evidence."""
    findings = report_findings(result)
    settings = result.check_settings
    policy = (
        "the catalogue's default thresholds" if not settings
        else "the catalogue's defaults with these [checks] settings: "
        + "; ".join(f"{cid} " + ", ".join(f"{k} = {_value(v)}" for k, v in s.items()) for cid, s in settings.items())
    )
    if not findings:
        intro = f"No check found anything at its threshold ({policy})."
    else:
        intro = (f"{len(findings)} findings ({counts_text(findings)}), most severe first, judged with {policy}. "
                 "Where a check compares an estimate with a threshold, its severity is one step lower when only the "
                 "point estimate crosses the threshold, not its whole 95% interval. The checks read only the evidence "
                 "in this report: 'auditlens check report.pdf' re-evaluates them without the model or the data.")
    if result.schema_version == "1.0":
        intro += " These results predate the checks (schema 1.0): the findings were evaluated when the report was rendered."
    items = tuple(
        FindingItem(
            severity=f.severity,
            check=f.id + (f" ({f.subject})" if f.subject else ""),
            sentence=f.sentence,
            measured=_pairs(f.measured),
            threshold=_pairs(f.threshold) or "presence (no threshold)",
            recommendation=f.recommendation,
            evidence=SECTION_BY_ID.get(f.section, SECTION_BY_ID["summary"]),
        )
        for f in findings
    )
    return FindingsView(counts=counts_text(findings), intro=intro, items=items)
