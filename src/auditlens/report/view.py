"""The view model: an AuditResult turned into what the templates show.

Numbers are formatted and charts drawn here, once, so the HTML and the PDF show the same
thing and tests can check the view model rather than pixels. Templates read nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from markupsafe import Markup

from auditlens._files import sha256_bytes
from auditlens.report import charts
from auditlens.report.compliance import FRAMEWORKS, governance, mapping
from auditlens.report.evidence import EMBEDDED_FILES, trials_csv
from auditlens.report.findings_view import FindingsView, findings_view, ranking_inconclusive, report_findings
from auditlens.results import AttributeGroupsSummary, AuditResult, EffectEntry, ImportanceSummary, TuningSummary

DISCLAIMER = (
    "This report documents a model and supports compliance work (EU AI Act Annex IV, SR 11-7, "
    "model cards). It does not by itself make the model or its owner compliant: that is a "
    "judgement for the responsible persons who sign it."
)

METRIC_NAMES = {
    "roc_auc": "ROC AUC",
    "accuracy": "accuracy",
    "balanced_accuracy": "balanced accuracy",
    "average_precision": "average precision",
    "neg_log_loss": "negative log loss",
    "neg_brier_score": "negative Brier score",
}


# Charts shown two to a row are drawn at half the text width, so their text stays legible.
HALF_WIDTH_IN = 3.4


@dataclass(frozen=True, slots=True)
class Section:
    id: str
    title: str


SECTIONS = (
    Section("summary", "Summary"),
    Section("findings", "Findings"),
    Section("intended-use", "Intended use and limitations"),
    Section("data", "Data"),
    Section("tuning", "Tuning"),
    Section("hyperparameter-importance", "Hyperparameter importance"),
    Section("feature-effects", "Feature effects"),
    Section("decision-review", "Decision review"),
    Section("performance", "Held-out performance"),
    Section("groups", "Groups"),
    Section("governance", "Governance"),
    Section("reproducibility", "Reproducibility and evidence"),
    Section("sign-off", "Sign-off"),
    Section("regulatory-mapping", "Appendix: regulatory mapping"),
)
SECTION_BY_ID = {s.id: s for s in SECTIONS}


@dataclass(frozen=True, slots=True)
class Chart:
    svg: Markup
    caption: str


@dataclass(frozen=True, slots=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[int, ...] = ()  # column indexes aligned right


@dataclass(frozen=True, slots=True)
class Decision:
    title: str
    facts: tuple[tuple[str, str], ...]
    table: Table
    sentences: tuple[str, ...]
    waterfall: Chart


@dataclass(frozen=True, slots=True)
class GroupView:
    attribute: str
    facts: tuple[tuple[str, str], ...]
    metrics: Table
    shap: Table


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


@dataclass(frozen=True, slots=True)
class ReportView:
    report_id: str
    title: str
    author: str
    version: str
    lang: str
    subtitle: str
    timestamp: str
    sections: tuple[Section, ...]
    disclaimer: str
    summary: tuple[tuple[str, str], ...]
    key_findings: tuple[str, ...]
    findings: FindingsView
    intended_use: str
    out_of_scope: tuple[str, ...]
    limitations: tuple[str, ...]
    data_facts: tuple[tuple[str, str], ...]
    data_columns: Table
    tuning_facts: tuple[tuple[str, str], ...]
    search_space: Table
    best_config: Table
    history_chart: Chart
    importance_facts: tuple[tuple[str, str], ...]
    importance_warnings: tuple[str, ...]
    importance_table: Table
    importance_chart: Chart
    pairwise_table: Table
    marginal_charts: tuple[Chart, ...]
    effects_facts: tuple[tuple[str, str], ...]
    effects_table: Table
    interaction_table: Table
    interaction_note: str
    mean_abs_chart: Chart
    beeswarm_chart: Chart
    dependence_charts: tuple[Chart, ...]
    decisions: tuple[Decision, ...]
    decision_scale: str
    decision_selection: str
    performance_facts: tuple[tuple[str, str], ...]
    confusion: Table
    roc_chart: Chart
    calibration_chart: Chart
    groups_facts: tuple[tuple[str, str], ...]
    groups: tuple[GroupView, ...]
    groups_note: str
    governance: tuple[tuple[str, str, str], ...]
    regulatory: tuple[MappingGroup, ...]
    reproducibility_facts: tuple[tuple[str, str], ...]
    inputs_table: Table
    evidence_table: Table
    packages_table: Table
    sign_off: Table
    footer: str = field(default="")
    surrogate_settings: Table = field(default_factory=lambda: Table(("Setting", "Value"), ()))
    held_out: str = field(default="test split")  # what the held-out metrics were measured on


def _study_fact(tuning: TuningSummary) -> tuple[str, str]:
    if "://" not in tuning.storage_file:  # the study.db auditlens wrote beside the report
        return ("Study", f"{tuning.study_name!s} in {tuning.storage_file} (kept with this report as evidence)")
    return ("Study", f"{tuning.study_name!s} in {tuning.storage_file} (a shared database; its trials are embedded in this report)")


def _workers_fact(tuning: TuningSummary) -> tuple[tuple[str, str], ...]:
    """Parallel tuning: what it does to reproducibility, said where the sampler is."""
    if tuning.workers <= 1:
        return ()
    return ((
        "Workers",
        (f"{tuning.workers} tuning processes shared the study. Parallel TPE is not reproducible trial by "
         "trial: which configurations a worker proposes depends on which trials had finished, which "
         "depends on timing. What is reproducible is this audit of the finished study: the same study "
         "gives the same report, byte for byte."),
    ),)


_POOR_FIT = 0.5  # R² below which the importance stage warns that the surrogate fits poorly


def _importance_findings(imp: ImportanceSummary, metric: str) -> list[str]:
    """Key findings name only importances distinguishable from chance; else say none is, and why."""
    if not imp.main_effects:
        return []
    if imp.chance is None:  # no permutation null (results written before it existed, or off)
        top = imp.main_effects[0]
        return [(f"Most important hyperparameter: {top.params[0]} "
                 f"({_pct(top.importance)} ± {_pct(top.std)} of the variance in {metric}).")]
    above = [e for e in (*imp.main_effects, *imp.pairwise) if e.distinguishable]
    if above:
        named = "; ".join(f"{' × '.join(e.params)} {_pct(e.importance)} ± {_pct(e.std)}" for e in above)
        return [(f"Hyperparameter importance distinguishable from chance ({imp.chance.n_permutations} "
                 f"permutations of {metric}): {named}.")]
    why = []
    if imp.n_trials_used < 100:
        why.append(f"only {imp.n_trials_used} trials")
    if imp.surrogate_r2 is None or imp.surrogate_r2 < _POOR_FIT:
        fit = "unavailable" if imp.surrogate_r2 is None else f"R² {imp.surrogate_r2:.2f}"
        why.append(f"the surrogate explains little of {metric} ({fit}: a noisy objective or a poor fit)")
    reason = "; ".join(why) if why else "the differences between configurations are within what random objective values give"
    return [(f"No hyperparameter's importance is distinguishable from chance ({imp.chance.n_permutations} "
             f"permutations of {metric}): {reason}.")]


def _importance_coverage(imp: ImportanceSummary) -> tuple[tuple[str, str], ...]:
    """What the shares are shares of, and the chance level."""
    rows = []
    if imp.shares is not None:
        sh = imp.shares
        parts = [f"{_pct(sh.main_effects)} in main effects"]
        if sh.pairs is not None and sh.higher_order is not None:
            parts += [f"{_pct(sh.pairs)} in pairs", f"{_pct(sh.higher_order)} in higher-order interactions"]
        text = "of the surrogate's variance, " + ", ".join(parts)
        if sh.unexplained is not None:
            text += f"; the surrogate leaves {_pct(sh.unexplained)} of the objective's variance unexplained (1 − R²)"
        rows.append(("What the shares cover", text))
    if imp.chance is not None:
        if imp.chance.level is None:
            level = "not reachable with this many permutations"
        elif imp.chance.level >= 1.0:
            level = ("above 100%: fits to permuted objective values vary more than this fit, so no "
                     "importance can be told from chance")
        else:
            level = _pct(imp.chance.level)
        rows.append(("Chance level", f"{level}: {imp.chance.method}"))
    return tuple(rows)


def _importance_rows(label: str, effects: Sequence[EffectEntry], imp: ImportanceSummary) -> Table:
    """Importance, ± std and, with the permutation null, its 95th percentile and the flag."""
    if imp.chance is None:
        return Table((label, "Importance", "± std"),
                     tuple((" × ".join(e.params), _pct(e.importance), _pct(e.std)) for e in effects), numeric=(1, 2))
    return Table(
        (label, "Importance", "± std", "Null 95%", "Above chance"),
        tuple((" × ".join(e.params), _pct(e.importance), _pct(e.std),
               "—" if e.null_p95 is None else _pct(e.null_p95), "yes" if e.distinguishable else "no")
              for e in effects),
        numeric=(1, 2, 3),
    )


def _with_excluded(table: Table, excluded: Sequence[str]) -> Table:
    blanks = ("—",) * (len(table.header) - 2)
    return Table(table.header, table.rows + tuple((p, "excluded (constant)", *blanks) for p in excluded), table.numeric)


def _tuning_facts(result: AuditResult, metric: str) -> tuple[tuple[str, str], ...]:
    """How the tuning run was produced: by auditlens, or read from an existing run."""
    tuning, model_file = result.tuning, result.model_file
    states = ", ".join(f"{n} {s.lower()}" for s, n in sorted(tuning.state_counts.items())) or (
        f"{tuning.n_complete} complete, {tuning.n_failed} failed"
    )
    trials = f"{tuning.n_trials} ({states})"
    if tuning.n_duplicates:
        trials += f"; {tuning.n_duplicates} repeated configurations kept (they show the objective's noise)"
    best = ("Best trial", f"#{tuning.best_number}: {metric} = {tuning.best_value:.4f}")
    if tuning.origin != "existing":
        return (
            ("Estimator", f"{tuning.estimator_class} ({tuning.estimator})"),
            ("Fixed parameters", ", ".join(f"{k}={v!r}" for k, v in tuning.fixed_params.items()) or "none"),
            ("Objective", f"{metric}, mean over {tuning.cv_folds} stratified folds of the training split ({tuning.direction})"),
            ("Sampler", f"{tuning.sampler}, seed {tuning.sampler_seed}"),
            ("Trials", trials),
            _study_fact(tuning),
            *_workers_fact(tuning),
            best,
        )
    facts = [
        ("Model", f"{tuning.estimator_class}, loaded from {tuning.estimator}"),
        ("Tuning run", f"{tuning.source} (read, not re-run)"),
        ("Objective", f"{metric} as recorded in the run ({tuning.direction})"),
        ("Trials", trials),
        best,
    ]
    if not tuning.source.startswith("optuna study"):
        # A file records values, not distributions: the table below shows what was inferred.
        facts.append(("Search space", ("inferred from the values tried (observed range; linear or log "
                      "scale as the values look uniformly drawn, linear when ambiguous), unless declared "
                      "in [tuning.space]")))
    if model_file is not None:
        trusted = ", ".join(model_file.trusted_by_user) or "none"
        facts.append(("Model file", f"{model_file.name} ({model_file.format}), sha256 {model_file.sha256}; types trusted by the owner beyond the scikit-learn allowlist: {trusted}"))
        facts.extend(("Warning", w) for w in model_file.warnings)
    return tuple(facts)


def build_view(result: AuditResult, *, report_id: str) -> ReportView:
    """Format every number and draw every chart the report shows."""
    results_sha256 = sha256_bytes(result.to_json().encode("utf-8"))
    audit, data, tuning, imp, fx, perf, prov = (
        result.audit, result.data, result.tuning, result.importance,
        result.feature_effects, result.performance, result.provenance,
    )
    metric = METRIC_NAMES.get(tuning.metric, tuning.metric)
    top_feature = fx.features[int(np.argmax(fx.mean_abs))] if fx.features else "—"

    existing = tuning.origin == "existing"
    held_out = "held-out file" if data.evaluation == "file" else "test split"
    findings = [
        (f"Best {metric} recorded in the tuning run: {tuning.best_value:.4f} "
         if existing else f"Best {metric} in {tuning.cv_folds}-fold cross-validation: {tuning.best_value:.4f} ")
        + f"(trial {tuning.best_number} of {tuning.n_trials}).",
        f"Held-out ROC AUC {perf.roc_auc:.3f}, accuracy {perf.accuracy:.3f} on {perf.n} "
        + (f"rows of {data.file_name}." if existing else "test rows."),
    ]
    if result.model_file is not None:
        findings.extend(result.model_file.warnings)
    judged = report_findings(result)
    findings_section = findings_view(result, sections=SECTION_BY_ID)
    if imp.main_effects and ranking_inconclusive(judged):
        findings.append("No hyperparameter is named the most important: a check marks the importances "
                        "inconclusive (see Findings).")
    else:
        findings.extend(_importance_findings(imp, metric))
    findings.append(f"Feature with the largest mean |SHAP|: {top_feature}.")
    findings.extend(imp.warnings)

    # ---- tuning
    trial_values = [t.value if t.value is not None else float("nan") for t in tuning.trials]
    history = charts.optimisation_history(
        [t.number for t in tuning.trials], trial_values, direction=tuning.direction, metric=metric,
        alt=(f"{metric} of each of the {tuning.n_trials} trials as recorded in the run" if existing
             else f"Cross-validated {metric} of each of the {tuning.n_trials} trials") + ", with the best value so far.",
    )

    # ---- importance
    mains = imp.main_effects
    importance_chart = charts.importance_bar(
        [e.params[0] for e in mains], [e.importance for e in mains], [e.std for e in mains],
        alt="Share of the variance in the tuning objective explained by each hyperparameter alone.",
        xlabel=f"Share of variance in {metric}",
        level=imp.chance.level if imp.chance is not None and (imp.chance.level or 2.0) < 1.0 else None,
    )
    marginal_charts = []
    for curve in imp.marginals:
        marginal_charts.append(
            Chart(
                Markup(charts.marginal_curve(
                    curve.x, curve.mean, curve.std, param=curve.param, log_scale=curve.log_scale,
                    categories=curve.labels, ylabel=f"predicted {metric}",
                    alt=f"Marginal {metric} over {curve.param}: the surrogate's mean prediction with a ± 1 std band.",
                    width=HALF_WIDTH_IN,
                )),
                f"Marginal of {curve.param}: predicted {metric} with the other hyperparameters averaged out (band: ± 1 std, as under Uncertainty).",
            )
        )

    # ---- feature effects
    values = np.asarray(fx.values, dtype=float).reshape(len(fx.values), len(fx.features))
    order = np.argsort(-np.asarray(fx.mean_abs), kind="stable")
    ranked = [fx.features[i] for i in order]
    colour = _colour_values(fx.rows, fx.features, fx.numeric_features)
    scale = fx.output_scale
    mean_abs_chart = charts.mean_abs_bar(
        ranked, [fx.mean_abs[i] for i in order],
        alt=f"Mean absolute SHAP value per feature ({scale} scale), largest first.",
        xlabel=f"mean |SHAP value| ({scale})",
    )
    beeswarm_chart = charts.beeswarm(
        ranked, values[:, order], colour[:, order],
        alt=f"SHAP values of the explained rows for each feature ({scale}), coloured by the feature's value.",
        seed=0,
    )
    dependence_charts = []
    for entry in fx.dependence:
        j = fx.features.index(entry.feature)
        categorical = entry.feature not in fx.numeric_features
        x = [row[j] for row in fx.rows]
        colour_by = None
        colour_label = None
        if entry.colour_by is not None:
            colour_by = colour[:, fx.features.index(entry.colour_by)]
            colour_label = entry.colour_by
        dependence_charts.append(
            Chart(
                Markup(charts.dependence(
                    [str(v) for v in x] if categorical else [float(v) for v in x],
                    values[:, j], feature=entry.feature, categorical=categorical,
                    colour_values=colour_by, colour_label=colour_label,
                    alt=f"SHAP value of {entry.feature} against its value.", seed=0,
                    width=HALF_WIDTH_IN,
                )),
                f"Dependence of the prediction on {entry.feature}"
                + (f", coloured by {entry.colour_by}" if entry.colour_by else "")
                + (f" ({len(fx.values):,} stored of {fx.n_explained:,} explained rows, see Rows explained)."
                   if fx.stored_positions else "."),
            )
        )
    decisions = tuple(_decision(d, fx.output_scale, fx.positive_class, fx.features) for d in fx.decisions)

    # ---- performance
    (tn, fp), (fn, tp) = perf.confusion
    confusion = Table(
        ("", f"predicted {perf.negative_class}", f"predicted {perf.positive_class}"),
        (
            (f"actual {perf.negative_class}", str(tn), str(fp)),
            (f"actual {perf.positive_class}", str(fn), str(tp)),
        ),
        numeric=(1, 2),
    )

    return ReportView(
        report_id=report_id,
        title=audit.title,
        author=audit.owner,
        version=prov.auditlens_version,
        lang="en",
        subtitle=f"{audit.model_name} version {audit.model_version} · owner {audit.owner}",
        timestamp=prov.timestamp,
        sections=SECTIONS,
        disclaimer=DISCLAIMER,
        summary=(
            ("Model", f"{audit.model_name} {audit.model_version} ({tuning.estimator_class})"),
            ("Owner", audit.owner),
            ("Report id", report_id),
            ("Report timestamp", f"{prov.timestamp} (source: {prov.timestamp_source})"),
            ("Data", f"{data.file_name}: {data.rows:,} rows, target {data.target!s}, positive class {data.positive_class!s}"),
            ("Tuning", f"{tuning.n_trials} trials ({tuning.n_complete} complete), {metric}, "
             + (f"read from the {tuning.source}" if existing else f"{tuning.cv_folds}-fold CV")),
            ("Findings", findings_section.counts + " (see Findings)"),
        ),
        key_findings=tuple(findings),
        findings=findings_section,
        intended_use=audit.intended_use,
        out_of_scope=tuple(audit.out_of_scope_uses) or ("not provided",),
        limitations=tuple(audit.known_limitations) or ("not provided",),
        data_facts=(
            ("File", data.file_name),
            ("sha256", data.sha256),
            ("Rows × columns", f"{data.rows:,} × {data.columns}"),
            ("Target", f"{data.target} (positive class: {data.positive_class})"),
            ("Class balance", ", ".join(f"{k}: {v:,} ({v / data.rows:.0%})" for k, v in data.class_counts.items())),
            ("Split", f"none: the fitted model is evaluated on all {data.test_rows:,} rows of this file (held-out data supplied by the owner)"
             if data.evaluation == "file" else
             f"stratified, {data.train_rows:,} train / {data.test_rows:,} test (test fraction {data.test_fraction}, seed {data.split_seed})"),
            ("Protected attributes", ", ".join(data.protected_attributes) or "none declared"),
        ),
        data_columns=Table(
            ("Column", "Type", "Distinct", "Missing", "Summary"),
            tuple((c.name, c.kind, str(c.distinct), str(c.missing), c.summary) for c in data.column_summaries),
            numeric=(2, 3),
        ),
        tuning_facts=_tuning_facts(result, metric),
        search_space=Table(("Hyperparameter", "Search space"), tuple((p.name, p.description) for p in tuning.space)),
        best_config=Table(("Hyperparameter", "Best value"), tuple((k, _value(v)) for k, v in tuning.best_params.items())),
        history_chart=Chart(Markup(history), f"Optimisation history: {metric} per trial and the best so far."),
        importance_facts=(
            ("Method", imp.method),
            ("Estimator", imp.estimator),
            ("Uncertainty", imp.uncertainty_method),
            ("Trials used", f"{imp.n_trials_used} ({imp.n_trials_excluded} failed trials excluded)"),
            ("Surrogate fit", ("unavailable" if imp.surrogate_r2 is None else f"R² {imp.surrogate_r2:.3f}")
             + (f" ({imp.surrogate_fit_method})" if imp.surrogate_fit_method else "")),
            *_importance_coverage(imp),
            ("Surrogate settings", "listed in the evidence appendix (Reproducibility and evidence)"),
        ),
        importance_warnings=tuple(imp.warnings),
        importance_table=_with_excluded(_importance_rows("Hyperparameter", mains, imp), imp.excluded_params),
        importance_chart=Chart(Markup(importance_chart), ("Main-effect importance: each hyperparameter's own share of the variance (error bars: ± 1 std)"
                               + ("; dashed line: the chance level." if imp.chance is not None and imp.chance.level is not None else "."))),
        pairwise_table=_importance_rows("Interaction", imp.pairwise, imp),
        marginal_charts=tuple(marginal_charts),
        effects_facts=(
            ("Explainer", f"SHAP {fx.explainer} explainer"),
            ("Output scale", f"{fx.output_scale} of the positive class '{fx.positive_class}'"),
            ("Background", f"{fx.background_size} rows of the {'data file' if data.evaluation == 'file' else 'training split'}, drawn uniformly without replacement by numpy.random.default_rng({fx.background_seed}) (sha256 of the rows as CSV {fx.background_sha256[:16]}…)"),
            ("Rows explained", f"{fx.n_explained:,} ({'rows of the data file' if data.evaluation == 'file' else 'test split'})"
             + (f". {fx.stored_note}" if fx.stored_note else "")),
            ("Base value", f"{fx.base_value:.4f}"),
            ("Additivity gap", f"{fx.additivity_gap:.2e} = max |sum(SHAP) + base − model output| over the explained rows"),
        ) + ((("Interval of mean |SHAP|", fx.mean_abs_ci_method),) if fx.mean_abs_ci_method else ()),
        effects_table=_effects_table(fx, order),
        interaction_table=Table(
            ("Interaction", f"mean |SHAP interaction| ({fx.output_scale})"),
            tuple((" × ".join(p.features), f"{p.mean_abs:.4f}") for p in fx.interaction_pairs),
            numeric=(1,),
        ),
        interaction_note=fx.interaction_note,
        mean_abs_chart=Chart(Markup(mean_abs_chart), "Global feature importance: mean |SHAP value| per original column (one-hot columns summed)."),
        beeswarm_chart=Chart(
            Markup(beeswarm_chart),
            "Beeswarm: each dot is one explained row"
            + (f" (of the {len(fx.values):,} stored of {fx.n_explained:,}, see Rows explained)" if fx.stored_positions else "")
            + "; colour is the feature's value (grey: categorical).",
        ),
        dependence_charts=tuple(dependence_charts),
        decisions=decisions,
        decision_scale=f"{fx.output_scale} of '{fx.positive_class}'",
        decision_selection=fx.review_selection or "test rows, highest predicted probability of the positive class first",
        performance_facts=(
            ("Split", f"{perf.split} ({perf.n} rows, {perf.positives} '{perf.positive_class}')"),
            ("ROC AUC", f"{perf.roc_auc:.4f}"),
            ("Accuracy", f"{perf.accuracy:.4f} at threshold {perf.threshold}"),
            ("Balanced accuracy", f"{perf.balanced_accuracy:.4f}"),
            ("Brier score", f"{perf.brier:.4f}"),
            ("Log loss", f"{perf.log_loss:.4f}"),
        ),
        confusion=confusion,
        roc_chart=Chart(
            Markup(charts.roc_curve(perf.roc_fpr, perf.roc_tpr, auc=perf.roc_auc, alt=f"ROC curve on the {held_out}, AUC {perf.roc_auc:.3f}.")),
            f"ROC curve on the {held_out} (AUC {perf.roc_auc:.3f}).",
        ),
        calibration_chart=Chart(
            Markup(charts.calibration(perf.calibration_pred, perf.calibration_true, perf.calibration_count, alt="Calibration: observed rate of the positive class against the mean predicted probability per bin.")),
            f"Calibration on the {held_out} (10 equal-width bins).",
        ),
        groups_facts=_groups_facts(result),
        groups=_groups(result),
        groups_note=(
            "" if result.groups is not None
            else "Per-group metrics were not computed: these results were written by an earlier "
            "version of auditlens." if data.protected_attributes
            else "No protected attributes were declared (data.protected_attributes is empty), so no "
            "per-group metrics were computed."
        ),
        reproducibility_facts=(
            ("auditlens", prov.auditlens_version),
            ("Python", f"{prov.python} on {prov.platform}"),
            ("Seeds", ", ".join(f"{k}={v}" for k, v in prov.seeds.items())),
            ("Timestamp", f"{prov.timestamp} (source: {prov.timestamp_source})"),
            ("Schema", f"results.json schema_version {result.schema_version}"),
        ),
        governance=governance(result.compliance),
        regulatory=_regulatory(result),
        inputs_table=Table(("Role", "File", "sha256"), tuple((i.role, i.name, i.sha256) for i in prov.inputs)),
        surrogate_settings=Table(("Setting", "Value"), tuple((k, str(v)) for k, v in imp.surrogate_settings.items())),
        evidence_table=Table(
            ("File embedded in the PDF", "Content", "sha256"),
            (
                ("results.json", EMBEDDED_FILES["results.json"][1], results_sha256),
                ("trials.csv", EMBEDDED_FILES["trials.csv"][1], sha256_bytes(trials_csv(result))),
                ("manifest.json", EMBEDDED_FILES["manifest.json"][1], "listed in manifest.json beside the report"),
            ),
        ),
        packages_table=Table(("Package", "Version"), tuple(prov.packages.items())),
        sign_off=Table(("Name", "Role", "Signature", "Date"), tuple((s.name, s.role, "", "") for s in audit.sign_off)),
        footer=f"{report_id} · {audit.model_name} {audit.model_version}",
        held_out=held_out,
    )


def _interval_notes(a: AttributeGroupsSummary) -> tuple[tuple[str, str], ...]:
    """Why an interval is missing from the table below (e.g. an AUC from 3 positives)."""
    notes = [f"'{g.group}' {metric.replace('_', ' ')}: {note}" for g in a.groups for metric, note in g.ci_notes.items()]
    return (("Intervals not shown", "; ".join(notes)),) if notes else ()


def _regulatory(result: AuditResult) -> tuple[MappingGroup, ...]:
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


def _effects_table(fx, order) -> Table:  # type: ignore[no-untyped-def]
    if len(fx.mean_abs_ci_low) == len(fx.features) == len(fx.mean_abs_ci_high):
        return Table(
            ("Rank", "Feature", "mean |SHAP|", "95% CI"),
            tuple(
                (str(r + 1), fx.features[i], f"{fx.mean_abs[i]:.4f}", f"[{fx.mean_abs_ci_low[i]:.4f}, {fx.mean_abs_ci_high[i]:.4f}]")
                for r, i in enumerate(order)
            ),
            numeric=(0, 2, 3),
        )
    return Table(
        ("Rank", "Feature", "mean |SHAP|"),
        tuple((str(r + 1), fx.features[i], f"{fx.mean_abs[i]:.4f}") for r, i in enumerate(order)),
        numeric=(0, 2),
    )


def _groups_facts(result: AuditResult) -> tuple[tuple[str, str], ...]:
    g = result.groups
    if g is None:
        return ()
    return (
        ("Method", g.method),
        ("Decision threshold", f"predicted '{result.performance.positive_class}' when P >= {g.threshold}"),
        ("Confidence intervals", g.ci_method),
        ("mean |SHAP|", f"{g.shap_scale} scale, over the explained test rows of each group"),
    )


def _ci_cell(value: float | None, low: float | None, high: float | None) -> str:
    if value is None:
        return "n/a"
    if low is None or high is None:
        return f"{value:.3f}"
    return f"{value:.3f} [{low:.3f}, {high:.3f}]"


def _opt(value: float | None, fmt: str = ".3f") -> str:
    return "n/a" if value is None else format(value, fmt)


def _groups(result: AuditResult) -> tuple[GroupView, ...]:
    from auditlens.groups import GROUP_METRICS

    if result.groups is None:
        return ()
    views = []
    for a in result.groups.attributes:
        dp_ci = a.demographic_parity_difference_ci
        dp = _opt(a.demographic_parity_difference)
        if len(dp_ci) == 2 and None not in dp_ci:
            dp += f" [{dp_ci[0]:.3f}, {dp_ci[1]:.3f}]"
        if a.kind == "intersection":
            kind = ("intersection of " + " and ".join(a.members) + ": one group per combination present, each "
                    "attribute grouped as in its own section; estimates and intervals from groups of a few rows "
                    "are unreliable, even where the interval looks narrow")
        elif a.kind == "categorical":
            kind = "categorical (one group per value)"
        else:
            kind = "numeric, banded at " + ", ".join(f"{e:g}" for e in a.edges) + " (band [a, b) holds a <= x < b)"
        facts = (
            ("Grouping", kind),
            ("Demographic parity difference", dp + " (largest minus smallest selection rate)"),
            ("Demographic parity ratio", _opt(a.demographic_parity_ratio) + " (smallest over largest selection rate)"),
            ("Equalized-odds difference", _opt(a.equalized_odds_difference) + " (larger of the TPR and FPR differences)"),
        ) + _interval_notes(a)
        metrics = Table(
            ("",) + tuple(g.group for g in a.groups),
            (
                ("test rows",) + tuple(str(g.n) for g in a.groups),
                ("of which positive",) + tuple(str(g.positives) for g in a.groups),
            )
            + tuple(
                (label,) + tuple(_ci_cell(g.metrics.get(m), g.ci_low.get(m), g.ci_high.get(m)) for g in a.groups)
                for m, label in GROUP_METRICS.items()
            ),
            numeric=tuple(range(1, 1 + len(a.groups))),
        )
        shap = Table(
            ("Feature",) + tuple(f"{g.group} ({g.n_explained} rows)" for g in a.groups),
            tuple(
                (f,) + tuple(f"{g.mean_abs_shap[k]:.4f}" if g.mean_abs_shap else "n/a" for g in a.groups)
                for k, f in enumerate(a.shap_features)
            ),
            numeric=tuple(range(1, 1 + len(a.groups))),
        )
        views.append(GroupView(a.attribute, facts, metrics, shap))
    return tuple(views)


def _decision(d, scale: str, positive: str, features: list[str]) -> Decision:  # type: ignore[no-untyped-def]
    sentences = []
    for c in d.contributions:
        verb = "raised" if c.shap > 0 else "lowered"
        sentences.append(
            f"{c.feature} = {c.value} {verb} the predicted {scale} of '{positive}' by {abs(c.shap):.3f}."
        )
    if d.inputs and len(d.shap_values) == len(features):
        # every input as given, largest |SHAP| first
        order = np.argsort(-np.abs(np.asarray(d.shap_values)), kind="stable")
        rows = [(features[j], _input(d.inputs.get(features[j])), f"{d.shap_values[j]:+.4f}") for j in order]
    else:  # results written before the inputs were recorded
        rows = [(c.feature, c.value, f"{c.shap:+.4f}") for c in d.contributions]
        rows.append(("all other features", "", f"{d.rest:+.4f}"))
    shown = len(d.contributions)
    chart = charts.waterfall(
        [f"{c.feature} = {c.value}" for c in d.contributions], [c.shap for c in d.contributions],
        rest=d.rest, base=d.base_value, output=d.model_output, scale=scale,
        rest_label=f"{max(len(features) - shown, 0)} other features",
        alt=f"Waterfall of row {d.row_id}: from the base value {d.base_value:.3f} through the {shown} largest contributions and the rest to the output {d.model_output:.3f} ({scale}).",
    )
    return Decision(
        title=f"Row {d.row_id}: predicted '{d.predicted}' (P('{positive}') = {d.probability:.3f})",
        facts=(
            ("Split", d.split),
            ("Actual label", d.actual or "unknown"),
            ("Base value", f"{d.base_value:.4f} ({scale})"),
            ("Model output", f"{d.model_output:.4f} ({scale})"),
        ),
        table=Table(("Feature", "Value as given", "SHAP"), tuple(rows), numeric=(2,)),
        sentences=tuple(sentences),
        waterfall=Chart(Markup(chart), f"Row {d.row_id}: SHAP waterfall ({scale}), base value at the bottom, model output at the top."),
    )


def _input(value: object) -> str:
    if value is None:
        return "missing"
    if isinstance(value, float):
        return f"{value:,.6g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _colour_values(rows, features, numeric) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Per-feature rank in [0, 1] for numeric features (robust to outliers); NaN otherwise."""
    n, k = len(rows), len(features)
    out = np.full((n, k), np.nan)
    for j, name in enumerate(features):
        if name not in numeric:
            continue
        column = np.array([np.nan if r[j] is None else float(r[j]) for r in rows])
        finite = np.isfinite(column)
        if finite.sum() < 2:
            continue
        ranks = column[finite].argsort(kind="stable").argsort(kind="stable")
        out[finite, j] = ranks / max(finite.sum() - 1, 1)
    return out


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _value(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)
