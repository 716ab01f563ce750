"""The Findings section, page 1's counts and the key findings' honesty, from real results."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader

from auditlens.checks import evaluate
from auditlens.report.view.findings import counts_text
from auditlens.report.html import render_html
from auditlens.report.view import SECTION_BY_ID, SECTIONS, build_view
from auditlens.results import AuditResult

SEVERITY_ORDER = ["high", "medium", "low", "info"]


def _result(small_run: Path) -> AuditResult:
    return AuditResult.load(small_run / "results.json")


def test_findings_section_follows_the_summary_most_severe_first(small_run: Path) -> None:
    result = _result(small_run)
    assert [s.id for s in SECTIONS[:2]] == ["summary", "findings"]
    view = build_view(result, report_id="AL-TEST")
    items = view.findings.items
    assert len(items) == len(result.findings) > 0
    ranks = [SEVERITY_ORDER.index(i.severity) for i in items]
    assert ranks == sorted(ranks)
    assert all(i.evidence is SECTION_BY_ID[f.section] for i, f in zip(items, result.findings))
    html = render_html(view)
    for f in result.findings:
        assert f'href="#{f.section}"' in html
    assert html.index('id="summary"') < html.index('id="findings"') < html.index('id="intended-use"')


def test_page_one_states_the_counts(small_run: Path) -> None:
    result = _result(small_run)
    counts = counts_text(result.findings)
    first = " ".join(PdfReader(small_run / "report.pdf").pages[0].extract_text().split())
    assert f"Findings: {counts}" in first


def test_key_findings_do_not_name_a_most_important_hyperparameter_when_inconclusive(small_run: Path) -> None:
    result = _result(small_run)
    poor = result.model_copy(update={"importance": result.importance.model_copy(update={"surrogate_r2": 0.1})})
    poor = poor.model_copy(update={"findings": evaluate(poor)})
    keys = build_view(poor, report_id="AL-TEST").summary.key_findings
    assert not any(k.startswith("Most important hyperparameter") for k in keys)
    assert any("inconclusive" in k for k in keys)
    # A good fit with an importance the permutation null flags: the key findings name it (issue 13:
    # only importances distinguishable from chance are named).
    imp = result.importance
    top = imp.main_effects[0].model_copy(update={"distinguishable": True})
    good_imp = imp.model_copy(update={"surrogate_r2": 0.9, "main_effects": [top, *imp.main_effects[1:]]})
    good = result.model_copy(update={"importance": good_imp})
    good = good.model_copy(update={"findings": evaluate(good)})
    keys = build_view(good, report_id="AL-TEST").summary.key_findings
    if imp.chance is None:
        assert any(k.startswith("Most important hyperparameter") for k in keys)
    else:
        assert any(k.startswith("Hyperparameter importance distinguishable from chance") and top.params[0] in k
                   for k in keys)


def test_a_1_0_results_file_gets_findings_evaluated_at_rendering(small_run: Path) -> None:
    result = _result(small_run)
    old = result.model_copy(update={"schema_version": "1.0", "findings": [], "check_settings": {}})
    view = build_view(old, report_id="AL-TEST")
    assert [i.check for i in view.findings.items] == [
        f.id + (f" ({f.subject})" if f.subject else "") for f in evaluate(old)
    ]
    assert "predate the checks" in view.findings.intro


def test_regulatory_appendix_cites_bearing_findings(small_run: Path) -> None:
    result = _result(small_run)
    view = build_view(result, report_id="AL-TEST")
    annex = next(g for g in view.regulatory if g.framework == "EU AI Act Annex IV")
    g_item = next(e for e in annex.entries if e.item == "2(g)")
    group_findings = [f for f in result.findings if f.id.startswith("groups.")]
    assert group_findings and "Findings bearing on it" in g_item.status_text
    assert all(f.id in g_item.status_text for f in group_findings)
    assert SECTION_BY_ID["findings"] in g_item.where
