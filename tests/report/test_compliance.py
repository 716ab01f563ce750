"""The regulatory mapping and the [compliance] spec section, from spec to view."""

from __future__ import annotations

from pathlib import Path

import pytest
from sample_helpers import sample_spec_text, write_spec

from auditlens.errors import SpecError
from auditlens.report.compliance import GOVERNANCE, REQUIREMENTS, mapping
from auditlens.report.html import render_html
from auditlens.report.view import SECTION_BY_ID, build_view
from auditlens.results import AuditResult, ComplianceInfo
from auditlens.spec import ComplianceSection, load_spec


def test_fields_agree_between_spec_result_and_report() -> None:
    assert list(ComplianceSection.model_fields) == list(ComplianceInfo.model_fields) == list(GOVERNANCE)


def test_required_items_are_mapped_to_real_sections() -> None:
    annex = {r.item for r in REQUIREMENTS if r.framework == "EU AI Act Annex IV"}
    assert {"1(a)", "1(c)", "2(b)", "2(d)", "2(e)", "2(g)", "3", "6"} <= annex
    assert {r.framework for r in REQUIREMENTS} == {"EU AI Act Annex IV", "SR 11-7", "Model card"}
    for r in REQUIREMENTS:
        assert set(r.sections) <= set(SECTION_BY_ID), r
        assert set(r.fields) <= set(GOVERNANCE), r
        assert r.sections or r.fields, r


def test_status_follows_the_owner_statements() -> None:
    empty = {(r.framework, r.item): r for r in mapping(ComplianceInfo())}
    assert empty[("EU AI Act Annex IV", "9")].status == "missing"
    assert empty[("EU AI Act Annex IV", "9")].status_text == "Not provided (spec field compliance.post_market_monitoring)."
    assert empty[("EU AI Act Annex IV", "2(e)")].status == "partial"
    assert empty[("SR 11-7", "Outcomes analysis")].status == "covered"
    full = {(r.framework, r.item): r for r in mapping(ComplianceInfo(**{k: "stated" for k in GOVERNANCE}))}
    assert full[("EU AI Act Annex IV", "9")].status == "covered"
    assert full[("EU AI Act Annex IV", "9")].sections == ("governance",)
    assert full[("EU AI Act Annex IV", "2(e)")].status == "covered"
    # What the tool cannot measure stays a stated gap, whatever the owner writes.
    assert full[("EU AI Act Annex IV", "3")].status == "partial"
    assert "groups.intersections" in full[("EU AI Act Annex IV", "3")].status_text


def test_spec_compliance_section(tmp_path: Path) -> None:
    spec = load_spec(write_spec(tmp_path, sample_spec_text()))
    assert spec.compliance.human_oversight.startswith("The score supports a credit officer")
    assert spec.compliance.cybersecurity == ""
    bad = write_spec(tmp_path, sample_spec_text() + "\n[compliance.extra]\n", name="bad.toml")
    with pytest.raises(SpecError):
        load_spec(bad)
    typo = write_spec(tmp_path, sample_spec_text().replace("human_oversight =", "human_oversite ="), name="typo.toml")
    with pytest.raises(SpecError, match=r"^compliance\.human_oversite: unknown field"):
        load_spec(typo)
    wrong = write_spec(tmp_path, sample_spec_text().replace('provider = "Sample Bank', 'provider = ["Sample Bank').replace(
        '(sample organisation)."', '(sample organisation)."]'), name="wrong.toml")
    with pytest.raises(SpecError, match=r"^compliance\.provider: Input should be a valid string; got \["):
        load_spec(wrong)


def test_view_and_html(small_run: Path) -> None:
    result = AuditResult.load(small_run / "results.json")
    view = build_view(result, report_id="AL-TEST")
    labels = {label: text for label, _, text in view.governance}
    assert labels["Human oversight"].startswith("The score supports a credit officer")
    assert labels["Cybersecurity"] == "not provided"
    assert [g.framework for g in view.regulatory] == ["EU AI Act Annex IV", "SR 11-7", "Model card"]
    html = render_html(view)
    assert '<td class="status-missing">Not provided (spec field compliance.cybersecurity).</td>' in html
    assert '<a href="#governance">Governance</a>' in html
    # Old results (written before [compliance] existed) still load and render "not provided".
    legacy = result.model_dump(mode="json")
    legacy.pop("compliance")
    import json

    old = AuditResult.from_json(json.dumps(legacy))
    assert old.compliance == ComplianceInfo()
