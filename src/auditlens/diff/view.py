"""The change report's view model: a DiffResult turned into what diff.html.j2 shows.

Numbers are formatted and charts drawn here, once per section, so HTML and PDF show the same
thing and tests check the view rather than pixels. The summary paragraph names only what
changed beyond noise (or changed at all, for facts without noise); it never ranks or judges
what the audits did not measure.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from auditlens.diff import charts
from auditlens.diff.result import Change, DiffResult
from auditlens.diff.stats import Z95
from auditlens.diff.summary import summary_paragraph
from auditlens.report.view import Chart, Section, Table

SECTIONS = (
    Section("summary", "Summary"),
    Section("identity", "Identity"),
    Section("data", "Data"),
    Section("tuning", "Tuning"),
    Section("hyperparameter-importance", "Hyperparameter importance"),
    Section("feature-effects", "Feature effects"),
    Section("performance", "Held-out performance and groups"),
    Section("findings", "Findings"),
    Section("evidence", "Evidence"),
)
STATUS_TEXT = {"same": "same", "changed": "changed", "added": "added", "removed": "removed"}
HALF_WIDTH = 3.4


@dataclass(frozen=True, slots=True)
class DiffView:
    report_id: str
    title: str
    subtitle: str
    timestamp: str
    lang: str
    version: str
    footer: str
    sections: tuple[Section, ...]
    summary: str
    ids: tuple[tuple[str, str], ...]
    identity: Table
    signers: Table
    inputs: Table
    packages: Table
    data: Table
    class_balance: Table
    columns_changed: tuple[str, ...]
    drift: Table
    drift_note: str
    tuning: Table
    space: Table
    best_params: Table
    importance: Table
    importance_chart: Chart | None
    importance_notes: tuple[str, ...]
    effects_facts: Table
    effects: Table
    effects_chart: Chart | None
    overlays: tuple[Chart, ...]
    effects_note: str
    performance_facts: Table
    metrics: Table
    metrics_note: str
    disparities: Table
    group_changes: Table
    groups_note: str
    findings: tuple[tuple[str, Table], ...] | None
    evidence: Table


def build_diff_view(diff: DiffResult, *, report_id: str, timestamp: str, evidence: Table, version: str) -> DiffView:
    """Format every number and draw every chart of the change report."""
    ident = diff.identity
    importance_chart, effects_chart = _importance_chart(diff), _effects_chart(diff)
    return DiffView(
        report_id=report_id,
        title="What changed between two audits",
        subtitle=f"{ident.old_report_id} → {ident.new_report_id}",
        timestamp=timestamp,
        lang="en",
        version=version,
        footer=f"{report_id} · change report {ident.old_report_id} → {ident.new_report_id}",
        sections=tuple(s for s in SECTIONS if s.id != "findings" or diff.findings is not None),
        summary=summary_paragraph(diff),
        ids=(("OLD", ident.old_report_id + f" (results sha256 {diff.old_sha256[:16]}…)"),
             ("NEW", ident.new_report_id + f" (results sha256 {diff.new_sha256[:16]}…)")),
        identity=_changes(ident.facts),
        signers=_signers(ident.old_signers, ident.new_signers),
        inputs=Table(("Role", "OLD", "NEW", "Same file?"), tuple(
            (i.role, _file(i.old_name, i.old_sha256), _file(i.new_name, i.new_sha256),
             {"same": "same", "changed": "different"}.get(i.status, i.status))
            for i in ident.inputs)),
        packages=_changes(ident.packages, item="Package"),
        **_data_fields(diff),
        tuning=_changes(diff.tuning.facts),
        space=Table(("Hyperparameter", "OLD space", "NEW space", ""), tuple(
            (s.name, s.old or "—", s.new or "—", STATUS_TEXT[s.status]) for s in diff.tuning.space)),
        best_params=_changes(diff.tuning.best_params, item="Hyperparameter"),
        **_importance_fields(diff),
        importance_chart=importance_chart,
        **_effects_fields(diff),
        effects_chart=effects_chart,
        **_performance_fields(diff),
        findings=_findings(diff),
        evidence=evidence,
    )


# --------------------------------------------------------------------------- sections


def _data_fields(diff: DiffResult) -> dict[str, object]:
    d = diff.data
    changed = [f"Columns {verb} in NEW: {', '.join(names)}."
               for verb, names in (("added", d.columns_added), ("removed", d.columns_removed)) if names]
    facts = [Change(field="data file", old=d.old_file, new=d.new_file,
                    status="same" if d.same_file else "changed"), *d.facts]
    share = ("positive share", _share(d.old_positive), _share(d.new_positive),
             "beyond noise" if d.positive_beyond_noise else "within noise")
    balance = Table(("Class", "OLD rows", "NEW rows", ""),
                    tuple((c.field, c.old or "—", c.new or "—", STATUS_TEXT[c.status]) for c in d.class_counts) + (share,))
    drift = Table(("Column", "PSI", "Noise level (95%)", "Rule of thumb", "Beyond noise?"), tuple(
        (c.name + (f" ({c.note})" if c.note else ""), _opt(c.psi, ".4f"), _opt(c.noise95, ".4f"), c.band or "—",
         _yes_no(c.beyond_noise))
        for c in d.drift), numeric=(1, 2))
    return {
        "data": _changes(facts), "class_balance": balance, "columns_changed": tuple(changed),
        "drift": drift, "drift_note": d.psi_note,
    }


def _importance_fields(diff: DiffResult) -> dict[str, object]:
    imp = diff.importance
    table = Table(("Hyperparameter", "Rank", "OLD share ± se", "NEW share ± se", "Change (noise)", "Beyond noise?"), tuple(
        (c.param, _ranks(c.old_rank, c.new_rank), _pm(c.old, c.old_std), _pm(c.new, c.new_std),
         _change_cell(c.difference, c.noise95), _yes_no(c.beyond_noise))
        for c in imp.changes), numeric=(2, 3, 4))
    within = [c.param for c in imp.changes if c.beyond_noise is False]
    notes = [
        f"Uncertainty (OLD): {imp.uncertainty[0]}." if imp.uncertainty[0] else "",
        f"Uncertainty (NEW): {imp.uncertainty[1]}." if imp.uncertainty[1] and imp.uncertainty[1] != imp.uncertainty[0] else "",
        f"Within noise (the change is smaller than 1.96 combined standard errors): {', '.join(within)}." if within else "",
        f"Surrogate fit R²: OLD {_opt(imp.old_r2, '.2f')}, NEW {_opt(imp.new_r2, '.2f')}.",
        imp.note,
    ]
    return {"importance": table, "importance_notes": tuple(n for n in notes if n)}


def _importance_chart(diff: DiffResult) -> Chart | None:
    rows = diff.importance.changes
    if not rows:
        return None
    svg = charts.paired_intervals(
        [c.param for c in rows],
        [_share_interval(c.old, c.old_std) for c in rows],
        [_share_interval(c.new, c.new_std) for c in rows],
        xlabel="Share of variance in the tuning objective",
        alt="fANOVA main effect of each hyperparameter in OLD and NEW, with ± 1.96 standard errors.",
    )
    return Chart(Markup(svg), "Main effects, OLD (grey squares) and NEW (blue dots), ± 1.96 standard errors "
                 "(cut at 0 and 1, the range of a share).")


def _share_interval(value: float | None, std: float | None) -> tuple[float, float, float] | None:
    if value is None:
        return None
    half = Z95 * (std or 0.0)
    return value, max(value - half, 0.0), min(value + half, 1.0)


def _effects_fields(diff: DiffResult) -> dict[str, object]:
    fx = diff.effects
    table = Table(("Feature", "Rank", "OLD mean |SHAP| [95% CI]", "NEW mean |SHAP| [95% CI]", "Overlap?"), tuple(
        (c.feature, _ranks(c.old_rank, c.new_rank), _ci(c.old, c.old_low, c.old_high),
         _ci(c.new, c.new_low, c.new_high), {True: "yes", False: "NO", None: "—"}[c.overlap])
        for c in fx.changes))
    overlays = tuple(
        Chart(Markup(charts.dependence_overlay(
            o, width=HALF_WIDTH,
            alt=f"Mean SHAP value of {o.feature} per {'category' if o.categorical else 'value bin'}, OLD and NEW.")),
            f"{o.feature}: mean SHAP value per {'category' if o.categorical else 'bin (quantiles of both audits pooled)'} "
            "over the stored rows; OLD grey dashed, NEW blue.")
        for o in fx.overlays
    )
    return {"effects_facts": _changes(fx.facts), "effects": table, "overlays": overlays, "effects_note": fx.note}


def _effects_chart(diff: DiffResult) -> Chart | None:
    rows = [c for c in diff.effects.changes if c.old_low is not None or c.new_low is not None][:12]
    if not rows or not diff.effects.comparable:
        return None
    svg = charts.paired_intervals(
        [c.feature for c in rows],
        [None if c.old is None or c.old_low is None else (c.old, c.old_low, c.old_high or c.old) for c in rows],
        [None if c.new is None or c.new_low is None else (c.new, c.new_low, c.new_high or c.new) for c in rows],
        xlabel="mean |SHAP value|",
        alt="Mean absolute SHAP value of the top features in OLD and NEW with 95% bootstrap intervals.",
    )
    return Chart(Markup(svg), "Mean |SHAP| of the top features (NEW ranking), OLD grey and NEW blue, 95% bootstrap intervals.")


def _performance_fields(diff: DiffResult) -> dict[str, object]:
    p = diff.performance
    metrics = Table(("Metric", "OLD [95% CI]", "NEW [95% CI]", "Interval", "Beyond noise?"), tuple(
        (m.metric, _ci(m.old, m.old_low, m.old_high, ".3f"), _ci(m.new, m.new_low, m.new_high, ".3f"),
         m.method, _yes_no(m.beyond_noise)) for m in p.metrics))
    note = ("Both audits scored the same held-out rows: the two estimates are correlated, so treating them as "
            "independent (as here) calls fewer changes beyond noise than a paired test would.") if p.same_rows else (
            "The audits scored different held-out rows; the estimates are treated as independent.")
    disparities = Table(("Attribute", "Measure", "OLD [95% CI]", "NEW [95% CI]", "Threshold", "Crossed?"), tuple(
        (d.attribute, d.measure, _ci(d.old, d.old_low, d.old_high, ".3f"), _ci(d.new, d.new_low, d.new_high, ".3f"),
         f"{d.direction} {d.threshold}", _crossed(d.crossed, d.interval_past))
        for d in p.disparities))
    moved = [g for g in p.group_changes if g.overlap is False]
    group_changes = Table(("Attribute", "Group", "Metric", "OLD [95% CI]", "NEW [95% CI]"), tuple(
        (g.attribute, g.group, g.metric, _ci(g.old, g.old_low, g.old_high, ".3f"), _ci(g.new, g.new_low, g.new_high, ".3f"))
        for g in moved))
    compared = sum(g.overlap is not None for g in p.group_changes)
    groups_note = p.groups_note or (
        f"{len(moved)} of the {compared} group metrics with intervals in both audits changed beyond noise "
        "(their 95% intervals no longer overlap)" + (":" if moved else "."))
    return {
        "performance_facts": _changes(p.facts), "metrics": metrics, "metrics_note": note,
        "disparities": disparities, "group_changes": group_changes, "groups_note": groups_note,
    }


def _findings(diff: DiffResult) -> tuple[tuple[str, Table], ...] | None:
    f = diff.findings
    if f is None:
        return None
    return tuple(
        (title, Table(("Finding", "Severity", "Statement"), tuple((r.id, r.severity, r.text) for r in refs)))
        for title, refs in (("New in NEW", f.new), ("Resolved since OLD", f.resolved), ("Unchanged", f.unchanged))
    )


# --------------------------------------------------------------------------- formatting


def _changes(changes: list[Change], *, item: str = "Item") -> Table:
    return Table((item, "OLD", "NEW", ""), tuple(
        (c.field, _shown(c.old), _shown(c.new), STATUS_TEXT[c.status]) for c in changes))


def _signers(old: list[str], new: list[str]) -> Table:
    rows = max(len(old), len(new))
    return Table(("Signed off in OLD", "Signed off in NEW"), tuple(
        (old[i] if i < len(old) else "—", new[i] if i < len(new) else "—") for i in range(rows)))


def _shown(text: str) -> str:
    """A recorded value as shown: floats to 6 significant digits, "" as a dash."""
    if not text:
        return "—"
    try:
        value = float(text)
    except ValueError:
        return text
    return text if value.is_integer() and "." not in text else f"{value:.6g}"


def _file(name: str, sha256: str) -> str:
    return f"{name} ({sha256[:12]}…)" if name else "—"


def _share(p: object) -> str:
    return f"{p.value:.3f} [{p.low:.3f}, {p.high:.3f}] ({p.count} of {p.n})"  # type: ignore[attr-defined]


def _opt(value: float | int | None, fmt: str) -> str:
    return "—" if value is None else format(value, fmt)


def _ranks(old: int | None, new: int | None) -> str:
    if old == new:
        return _opt(old, "d")
    return f"{_opt(old, 'd')} → {_opt(new, 'd')}"


def _change_cell(difference: float | None, noise: float | None) -> str:
    if difference is None:
        return "—"
    return f"{100 * difference:+.1f} pp (± {100 * (noise or 0):.1f})"


def _pm(value: float | None, std: float | None) -> str:
    if value is None:
        return "—"
    return f"{100 * value:.1f}% ± {100 * (std or 0):.1f}%"


def _ci(value: float | None, low: float | None, high: float | None, fmt: str = ".4f") -> str:
    if value is None:
        return "—"
    if low is None or high is None:
        return format(value, fmt)
    return f"{value:{fmt}} [{low:{fmt}}, {high:{fmt}}]"


def _crossed(crossed: str | None, interval_past: bool | None) -> str:
    if crossed is None:
        return "no"
    if crossed == "better":
        return "yes, now within it"
    sure = {True: " (whole interval)", False: " (point only)", None: ""}[interval_past]
    return "YES, now past it" + sure


def _yes_no(flag: bool | None) -> str:
    return {True: "YES", False: "no", None: "—"}[flag]
