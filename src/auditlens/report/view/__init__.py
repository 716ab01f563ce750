"""The view model: an AuditResult turned into what the templates show.

Numbers are formatted (by :mod:`auditlens.formatting`) and charts drawn here, once, so the HTML
and the PDF show the same thing and tests can check the view model rather than pixels.
Templates read nothing else. One module per report section, each with a frozen view and one
function ``<section>_view(result)`` that builds it from the result alone; :func:`build_view`
only composes them.

Example:
    >>> result = AuditResult.load("out/german-credit/results.json")  # doctest: +SKIP
    >>> build_view(result, report_id="AL-1").data.facts[0]  # doctest: +SKIP
    ('File', 'german_credit.csv')
"""

from __future__ import annotations

from dataclasses import dataclass

from auditlens.report.compliance import governance
from auditlens.report.view.base import SECTION_BY_ID, SECTIONS, Chart, Facts, Section, Table
from auditlens.report.view.data import DataView, data_view
from auditlens.report.view.effects import EffectsView, effects_view
from auditlens.report.view.findings import FindingItem, FindingsView, findings_view
from auditlens.report.view.groups import GroupsView, GroupView, groups_view
from auditlens.report.view.importance import ImportanceView, importance_view
from auditlens.report.view.performance import PerformanceView, performance_view
from auditlens.report.view.records import (
    MappingEntry,
    MappingGroup,
    ReproducibilityView,
    regulatory_view,
    reproducibility_view,
    sign_off_table,
)
from auditlens.report.view.review import Decision, ReviewView, review_view
from auditlens.report.view.summary import (
    IntendedUseView,
    SummaryView,
    intended_use_view,
    summary_view,
)
from auditlens.report.view.tuning import TuningView, tuning_view
from auditlens.results import AuditResult

__all__ = [
    "DISCLAIMER",
    "SECTIONS",
    "SECTION_BY_ID",
    "Chart",
    "DataView",
    "Decision",
    "EffectsView",
    "Facts",
    "FindingItem",
    "FindingsView",
    "GroupView",
    "GroupsView",
    "ImportanceView",
    "IntendedUseView",
    "MappingEntry",
    "MappingGroup",
    "PerformanceView",
    "ReportView",
    "ReproducibilityView",
    "ReviewView",
    "Section",
    "SummaryView",
    "Table",
    "TuningView",
    "build_view",
]

DISCLAIMER = (
    "This report documents a model and supports compliance work (EU AI Act Annex IV, SR 11-7, "
    "model cards). It does not by itself make the model or its owner compliant: that is a "
    "judgement for the responsible persons who sign it."
)


@dataclass(frozen=True, slots=True)
class ReportView:
    """The whole report: the page's head, then one view per section, in reading order."""

    report_id: str
    title: str
    author: str
    version: str
    lang: str
    subtitle: str
    timestamp: str
    footer: str
    sections: tuple[Section, ...]
    disclaimer: str
    summary: SummaryView
    findings: FindingsView
    intended_use: IntendedUseView
    data: DataView
    tuning: TuningView
    importance: ImportanceView
    effects: EffectsView
    review: ReviewView
    performance: PerformanceView
    groups: GroupsView
    governance: tuple[tuple[str, str, str], ...]  # (label, items served, the owner's text)
    reproducibility: ReproducibilityView
    sign_off: Table
    regulatory: tuple[MappingGroup, ...]


def build_view(result: AuditResult, *, report_id: str) -> ReportView:
    """Format every number and draw every chart the report shows."""
    audit = result.audit
    return ReportView(
        report_id=report_id,
        title=audit.title,
        author=audit.owner,
        version=result.provenance.auditlens_version,
        lang="en",
        subtitle=f"{audit.model_name} version {audit.model_version} · owner {audit.owner}",
        timestamp=result.provenance.timestamp,
        footer=f"{report_id} · {audit.model_name} {audit.model_version}",
        sections=SECTIONS,
        disclaimer=DISCLAIMER,
        summary=summary_view(result, report_id=report_id),
        findings=findings_view(result),
        intended_use=intended_use_view(result),
        data=data_view(result),
        tuning=tuning_view(result),
        importance=importance_view(result),
        effects=effects_view(result),
        review=review_view(result),
        performance=performance_view(result),
        groups=groups_view(result),
        governance=governance(result.compliance),
        reproducibility=reproducibility_view(result),
        sign_off=sign_off_table(result),
        regulatory=regulatory_view(result),
    )

