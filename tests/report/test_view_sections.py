"""Each section's view, built straight from a stored results.json (no audit run needed).

The file is the German credit sample's results.json as main wrote it before schema 1.1
(tests/data/german-credit-1.0.results.json), so these tests also pin that a 1.0 file still
builds every section.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from auditlens._files import sha256_bytes
from auditlens.report.view import SECTIONS, build_view
from auditlens.report.view.data import column_text, data_view
from auditlens.report.view.effects import colour_values, effects_view
from auditlens.report.view.groups import groups_view
from auditlens.report.view.findings import ranking_inconclusive, report_findings
from auditlens.report.view.importance import importance_findings, importance_view
from auditlens.report.view.performance import performance_view
from auditlens.report.view.records import regulatory_view, reproducibility_view, sign_off_table
from auditlens.report.view.review import decision, review_view
from auditlens.report.view.summary import intended_use_view, key_findings, summary_view
from auditlens.report.view.tuning import space_text, tuning_view
from auditlens.results import AuditResult, ChanceSummary, ColumnSummary, shipped_schema_path

DATA = Path(__file__).resolve().parents[1] / "data"
RESULTS_1_0 = DATA / "german-credit-1.0.results.json"


@pytest.fixture(scope="module")
def result() -> AuditResult:
    assert json.loads(RESULTS_1_0.read_text())["schema_version"] == "1.0"
    return AuditResult.load(RESULTS_1_0)


def test_summary_states_best_value_and_top_parameter(result: AuditResult) -> None:
    view = summary_view(result, report_id="AL-1")
    facts = dict(view.facts)
    assert facts["Report id"] == "AL-1"
    assert facts["Data"].startswith("german_credit.csv: 1,000 rows, target")
    # best trial 12 of 60, ROC AUC 0.78861... in 4 decimals
    assert view.key_findings[0] == "Best ROC AUC in 5-fold cross-validation: 0.7886 (trial 12 of 60)."
    # The 1.0 file has no findings: they are evaluated at rendering, and on the sample's 60 noisy
    # trials a check marks the importances inconclusive, so page 1 names no most important one.
    assert ranking_inconclusive(report_findings(result))
    assert view.key_findings[2].startswith("No hyperparameter is named the most important")
    # Without the permutation null (a 1.0 file), the importance sentence names the top one in percent.
    top = result.importance.main_effects[0]
    assert importance_findings(result) == [
        f"Most important hyperparameter: {top.params[0]} ({100 * top.importance:.1f}% ± {100 * top.std:.1f}% "
        "of the variance in ROC AUC)."
    ]
    assert key_findings(result) == view.key_findings


def test_intended_use_says_not_provided_for_empty_lists(result: AuditResult) -> None:
    audit = result.audit.model_copy(update={"out_of_scope_uses": [], "known_limitations": []})
    view = intended_use_view(result.model_copy(update={"audit": audit}))
    assert view.out_of_scope == ("not provided",) and view.limitations == ("not provided",)


def test_data_facts_and_columns(result: AuditResult) -> None:
    view = data_view(result)
    facts = dict(view.facts)
    assert facts["Rows × columns"] == "1,000 × 21"
    assert facts["Class balance"] == "bad: 300 (30%), good: 700 (70%)"
    assert facts["Split"] == "stratified, 750 train / 250 test (test fraction 0.25, seed 42)"
    assert len(view.columns.rows) == len(result.data.column_summaries)
    assert view.columns.header[2:4] == ("Distinct", "Missing") and view.columns.numeric == (2, 3)


def test_data_split_of_an_existing_model(result: AuditResult) -> None:
    data = result.data.model_copy(update={"evaluation": "file", "train_rows": 0})
    facts = dict(data_view(result.model_copy(update={"data": data})).facts)
    assert facts["Split"].startswith("none: the fitted model is evaluated on all 250 rows")


def test_tuning_space_best_configuration_and_history(result: AuditResult) -> None:
    view = tuning_view(result)
    assert [r[0] for r in view.space.rows] == [p.name for p in result.tuning.space]
    best = dict(view.best.rows)
    assert best["learning_rate"] == "0.0318853"  # 0.0318853341602714 to 6 significant digits
    assert best["max_iter"] == "182"
    assert dict(view.facts)["Best trial"] == "#12: ROC AUC = 0.7886"
    assert view.history.svg.startswith("<svg")


def test_importance_table_sorted_and_percent(result: AuditResult) -> None:
    view = importance_view(result)
    mains = result.importance.main_effects
    assert len(view.table.rows) == len(mains) + len(result.importance.excluded_params)
    assert view.table.rows[0] == (mains[0].params[0], f"{100 * mains[0].importance:.1f}%", f"{100 * mains[0].std:.1f}%")
    assert len(view.marginals) == len(result.importance.marginals)
    assert dict(view.facts)["Surrogate fit"].startswith(f"R² {result.importance.surrogate_r2:.3f}")
    assert view.warnings == tuple(result.importance.warnings)


def test_importance_with_a_permutation_null(result: AuditResult) -> None:
    imp = result.importance
    mains = [e.model_copy(update={"null_p95": 0.25, "distinguishable": e.importance > 0.25}) for e in imp.main_effects]
    chance = ChanceSummary(n_permutations=39, seed=0, alpha=0.05, level=0.3, method="max-T")
    with_null = result.model_copy(update={"importance": imp.model_copy(
        update={"main_effects": mains, "chance": chance, "excluded_params": ["n_jobs"]})})
    view = importance_view(with_null)
    assert view.table.header == ("Hyperparameter", "Importance", "± std", "Null 95%", "Above chance")
    assert view.table.rows[0][3:] == ("25.0%", "yes") and view.table.rows[-1] == ("n_jobs", "excluded (constant)", "—", "—", "—")
    assert dict(view.facts)["Chance level"] == "30.0%: max-T"
    assert "chance level" in view.chart.svg and view.chart.caption.endswith("dashed line: the chance level.")
    # A level at or above 100% cannot be drawn on a chart of shares: no line, and no caption for one.
    unreachable = chance.model_copy(update={"level": 1.167})
    above = importance_view(with_null.model_copy(update={"importance": with_null.importance.model_copy(update={"chance": unreachable})}))
    assert "chance level" not in above.chart.svg and above.chart.caption.endswith("(error bars: ± 1 std).")
    assert dict(above.facts)["Chance level"].startswith("above 100%")


def test_an_effect_above_chance_with_a_wide_interval_is_not_given_a_size(result: AuditResult) -> None:
    imp = result.importance
    first, second, *rest = imp.main_effects
    mains = [first.model_copy(update={"importance": 0.456, "std": 0.05, "null_p95": 0.2, "distinguishable": True}),
             second.model_copy(update={"importance": 0.249, "std": 0.396, "null_p95": 0.2, "distinguishable": True}),
             *(e.model_copy(update={"null_p95": 0.2, "distinguishable": False}) for e in rest)]
    chance = ChanceSummary(n_permutations=39, seed=0, alpha=0.05, level=0.2, method="max-T")
    (finding,) = importance_findings(result.model_copy(update={"importance": imp.model_copy(
        update={"main_effects": mains, "chance": chance})}))
    assert f"{first.params[0]} 45.6% ± 5.0%; {second.params[0]} 24.9% ± 39.6%." in finding
    assert finding.endswith(f" For {second.params[0]} the evidence supports that the effect exists, not its size: "
                            "± 2 std reaches 0.")
    precise = [e.model_copy(update={"std": 0.01}) for e in mains]
    (finding,) = importance_findings(result.model_copy(update={"importance": imp.model_copy(
        update={"main_effects": precise, "chance": chance})}))
    assert "evidence supports" not in finding


def test_no_importance_above_chance_says_how_noisy_the_folds_are(result: AuditResult) -> None:
    imp = result.importance
    mains = [e.model_copy(update={"null_p95": 0.9, "distinguishable": False}) for e in imp.main_effects]
    chance = ChanceSummary(n_permutations=39, seed=0, alpha=0.05, level=0.95, method="max-T")
    quiet = result.model_copy(update={"importance": imp.model_copy(update={"main_effects": mains, "chance": chance})})
    (finding,) = importance_findings(quiet)
    assert finding.startswith("No hyperparameter's importance is distinguishable from chance")
    assert "folds" not in finding  # a 1.0 file: the folds' noise was not recorded
    values = [t.value for t in quiet.tuning.trials if t.value is not None]
    between = float(np.std(values, ddof=1))

    def with_noise(sd: float) -> AuditResult:
        return quiet.model_copy(update={"tuning": quiet.tuning.model_copy(update={"fold_noise_sd": sd})})

    (finding,) = importance_findings(with_noise(0.8 * between))
    assert (f"the noise of the CV folds alone moves a trial's mean ROC AUC by an sd of {0.8 * between:.2g}, "
            f"against an sd of {between:.2g} between the trials") in finding
    (finding,) = importance_findings(with_noise(0.3 * between))  # small beside the spread: not a reason
    assert "folds" not in finding
    assert dict(tuning_view(with_noise(0.3 * between)).facts)["Noise across folds"].startswith(
        f"sd of a trial's mean ROC AUC that is noise of its 5 folds: {0.3 * between:.2g} (configuration × fold")


def test_effects_ranking_and_intervals(result: AuditResult) -> None:
    fx = result.feature_effects
    view = effects_view(result)
    expected = [fx.features[i] for i in np.argsort(-np.asarray(fx.mean_abs), kind="stable")]
    assert [r[1] for r in view.table.rows] == expected
    first = fx.features.index(expected[0])
    assert view.table.rows[0][3] == f"[{fx.mean_abs_ci_low[first]:.4f}, {fx.mean_abs_ci_high[first]:.4f}]"
    assert len(view.dependence_charts) == len(fx.dependence)
    assert dict(view.facts)["Additivity gap"].startswith(f"{fx.additivity_gap:.2e} = max")


def test_colour_values_are_ranks_in_unit_interval() -> None:
    rows = [[3.0, "a"], [1.0, "b"], [None, "c"], [2.0, "a"]]
    out = colour_values(rows, ["x", "cat"], ["x"])
    assert out[:, 0].tolist()[:2] == [1.0, 0.0] and np.isnan(out[2, 0]) and out[3, 0] == 0.5
    assert np.isnan(out[:, 1]).all()


def test_review_sentences_follow_the_sign(result: AuditResult) -> None:
    view = review_view(result)
    fx = result.feature_effects
    assert len(view.decisions) == len(fx.decisions) == 5
    first, stored = view.decisions[0], fx.decisions[0]
    for sentence, c in zip(first.sentences, stored.contributions, strict=True):
        verb = "raised" if c.shap > 0 else "lowered"
        assert sentence == f"{c.feature} = {c.value} {verb} the predicted {fx.output_scale} of '{fx.positive_class}' by {abs(c.shap):.3f}."
    assert first.table.rows[0][2] == f"{max(stored.shap_values, key=abs):+.4f}"
    assert len(first.table.rows) == len(fx.features)


def test_performance_confusion_adds_up(result: AuditResult) -> None:
    view = performance_view(result)
    cells = [int(c) for row in view.confusion.rows for c in row[1:]]
    assert sum(cells) == result.performance.n == 250
    assert view.confusion.rows[0] == ("actual good", "154", "21")
    assert dict(view.facts)["ROC AUC"] == f"{result.performance.roc_auc:.4f}"


def test_groups_tables_and_missing_groups(result: AuditResult) -> None:
    view = groups_view(result)
    assert [g.attribute for g in view.groups] == ["personal_status_and_sex", "age_in_years", "foreign_worker"]
    age = view.groups[1]
    assert dict(age.facts)["Grouping"].startswith("numeric, banded at 25, 35, 50 ")
    assert age.metrics.header[1:] == ("< 25", "25 to < 35", "35 to < 50", ">= 50")
    none = groups_view(result.model_copy(update={"groups": None}))
    assert none.groups == () and "earlier version of auditlens" in none.note


def test_records_sections(result: AuditResult) -> None:
    repro = reproducibility_view(result)
    assert repro.evidence.rows[0][2] == sha256_bytes(result.to_json().encode("utf-8"))
    assert sign_off_table(result).rows == (("A. Validator", "Model validator", "", ""), ("B. Owner", "Model owner", "", ""))
    assert [g.framework for g in regulatory_view(result)] == ["EU AI Act Annex IV", "SR 11-7", "Model card"]


def test_build_view_composes_every_section(result: AuditResult) -> None:
    view = build_view(result, report_id="AL-2")
    assert view.sections == SECTIONS and view.footer.startswith("AL-2 · ")
    assert view.data == data_view(result) and view.groups == groups_view(result)


def test_a_1_0_file_round_trips_and_validates(result: AuditResult) -> None:
    raw = RESULTS_1_0.read_text()
    assert result.schema_version == "1.0" and result.to_json() == raw  # same bytes, same report id
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(json.loads(raw), json.loads(shipped_schema_path().read_text()))


def test_1_1_numbers_give_the_text_1_0_stored(result: AuditResult) -> None:
    # The 1.0 file stored text; a 1.1 file stores the numbers and the view writes the same text.
    numeric = ColumnSummary(name="duration_in_month", kind="numeric", missing=0, distinct=33, min=4.0, median=18.0, max=72.0)
    top = ColumnSummary(name="purpose", kind="categorical", missing=0, distinct=10, most_frequent="radio/television",
                        most_frequent_count=280)
    stored = {c.name: c.summary for c in result.data.column_summaries}
    assert column_text(numeric, 1000) == stored["duration_in_month"] == "min 4, median 18, max 72"
    assert column_text(top, 1000) == stored["purpose"] == "most frequent: radio/television (28%)"
    assert column_text(numeric.model_copy(update={"min": 0.5, "max": None}), 10) == "min 0.5, median 18, max n/a"
    for p in result.tuning.space:
        assert space_text(p.model_copy(update={"description": ""})) == p.description
    assert "description" not in json.loads(result.tuning.space[0].model_copy(update={"description": ""}).model_dump_json())


def test_1_1_contribution_values_are_the_inputs(result: AuditResult) -> None:
    fx = result.feature_effects
    stored = fx.decisions[0]
    raw = stored.model_copy(update={"contributions": [
        c.model_copy(update={"value": stored.inputs[c.feature]}) for c in stored.contributions]})
    old, new = (decision(d, fx.output_scale, fx.positive_class, fx.features) for d in (stored, raw))
    assert new.sentences == old.sentences  # e.g. "credit_amount = 7,119 lowered ..." from 7119
    assert any(isinstance(c.value, int) for c in raw.contributions)


def test_rendering_a_1_0_file_keeps_it_and_verifies(tmp_path: Path) -> None:
    from auditlens.cli import main

    out = tmp_path / "out"
    assert main(["render", str(RESULTS_1_0), "--out", str(out), "--quiet"]) == 0
    assert (out / "results.json").read_bytes() == RESULTS_1_0.read_bytes()
    assert main(["verify", str(out / "report.pdf"), "--quiet"]) == 0
