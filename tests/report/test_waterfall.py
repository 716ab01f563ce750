"""The decision waterfall chart and the decision-review / groups parts of the view model."""

from __future__ import annotations

import re
from pathlib import Path

from auditlens.report import charts
from auditlens.report.html import render_html
from auditlens.report.view import build_view
from auditlens.results import AuditResult


def test_waterfall_is_accessible_deterministic_text() -> None:
    args = (["status = A11", "duration = 48", "purpose = <car>"], [0.5, 0.3, -0.2])
    svg = charts.waterfall(*args, rest=0.1, base=-1.0, output=-0.3, scale="log-odds", alt="Row 7")
    assert svg.startswith("<svg") and 'role="img"' in svg and 'aria-label="Row 7"' in svg
    assert charts.waterfall(*args, rest=0.1, base=-1.0, output=-0.3, scale="log-odds", alt="Row 7") == svg
    text = " ".join(re.findall(r">([^<>]+)<", svg))
    for label in ("status = A11", "duration = 48", "purpose = &lt;car&gt;", "all other features",
                  "+0.500", "-0.200", "base -1.000", "output -0.300", "model output (log-odds)"):
        assert label in text, label
    assert "<script" not in svg and "<car>" not in svg


def test_view_has_waterfalls_groups_and_intervals(small_run: Path) -> None:
    result = AuditResult.load(small_run / "results.json")
    view = build_view(result, report_id="AL-TEST")
    fx = result.feature_effects
    for d, decision in zip(view.review.decisions, fx.decisions, strict=True):
        assert d.waterfall.svg.startswith("<svg")
        assert len(d.table.rows) == len(fx.features)  # every input as given
        assert d.table.header == ("Feature", "Value as given", "SHAP")
        assert len(d.sentences) == len(decision.contributions)
    assert view.effects.table.header[-1] == "95% CI"
    assert [g.attribute for g in view.groups.groups] == [a.attribute for a in result.groups.attributes]
    age = view.groups.groups[1]
    assert age.metrics.header[1:] == ("< 25", "25 to < 35", "35 to < 50", ">= 50")
    assert [r[0] for r in age.metrics.rows] == [
        "test rows", "of which positive", "ROC AUC", "accuracy",
        "true positive rate", "false positive rate", "selection rate",
    ]
    assert age.shap.rows[-1][0] == "age_in_years"
    assert view.effects.interactions.rows and " × " in view.effects.interactions.rows[0][0]
    html = render_html(view)
    assert '<section id="groups">' in html and "Equalized-odds difference" in html
    assert html.count('class="decision"') == len(fx.decisions)
    # Results written before these fields existed still render (no groups, old decisions).
    legacy = result.model_dump(mode="json")
    legacy.pop("groups")
    for d in legacy["feature_effects"]["decisions"]:
        for key in ("inputs", "shap_values", "split"):
            d.pop(key)
    for key in ("mean_abs_ci_low", "mean_abs_ci_high", "mean_abs_ci_method", "review_selection",
                "interaction_pairs", "interaction_note"):
        legacy["feature_effects"].pop(key)
    import json

    old = AuditResult.from_json(json.dumps(legacy))
    old_view = build_view(old, report_id="AL-OLD")
    assert old_view.groups.groups == () and old_view.effects.table.header[-1] == "mean |SHAP|"
    assert "written by an earlier version of auditlens" in render_html(old_view)
