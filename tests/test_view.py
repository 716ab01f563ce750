"""The view model and the HTML built from it, from a real results.json."""

from __future__ import annotations

from pathlib import Path

from auditlens.report.html import render_html
from auditlens.report.view import SECTIONS, build_view
from auditlens.results import AuditResult


def test_view_formats_and_orders(small_run: Path) -> None:
    result = AuditResult.load(small_run / "results.json")
    view = build_view(result, report_id="AL-TEST")
    assert [s.id for s in view.sections] == [s.id for s in SECTIONS]
    importances = [float(r[1].rstrip("%")) for r in view.importance.table.rows if r[1].endswith("%")]
    assert importances == sorted(importances, reverse=True)
    assert len(view.importance.marginals) == len(result.importance.marginals)
    assert len(view.review.decisions) == 5
    assert dict(view.data.facts)["sha256"] == result.data.sha256
    assert view.effects.table.rows[0][1] == result.feature_effects.features[
        max(range(20), key=lambda i: result.feature_effects.mean_abs[i])
    ]


def test_user_text_is_escaped(small_run: Path) -> None:
    result = AuditResult.load(small_run / "results.json")
    hostile = "<script>alert(1)</script> {{ 7*7 }}"
    audit = result.audit.model_copy(update={"title": hostile, "intended_use": '<img src="file:///etc/passwd">'})
    html = render_html(build_view(result.model_copy(update={"audit": audit}), report_id="AL-X"))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }}" in html
    assert '<img src="file:///etc/passwd">' not in html
