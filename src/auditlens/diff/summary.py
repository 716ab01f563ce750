"""The one paragraph at the top of the change report: what changed that a reviewer must look at.

Each sentence comes from one section of the DiffResult and names only differences that are
beyond noise (measured quantities) or differences at all (recorded facts such as the data file
or the search space). What stayed within noise is summed up in one closing sentence, so the
paragraph never presents noise as a change.

Example:
    >>> from auditlens.diff.compare import compare  # doctest: +SKIP
    >>> summary_paragraph(compare(old, old))  # doctest: +SKIP
    'OLD and NEW hold identical results: nothing changed.'
"""

from __future__ import annotations

from auditlens.diff.result import DiffResult

MAX_NAMES = 4


def summary_paragraph(diff: DiffResult) -> str:
    if diff.old_sha256 == diff.new_sha256:
        return "OLD and NEW hold identical results: nothing changed."
    parts = [s for s in (_identity(diff), _data(diff), _tuning(diff), _importance(diff),
                         _effects(diff), _performance(diff), _findings(diff)) if s]
    quiet = [name for name, said in (
        ("data", _data(diff)), ("tuning", _tuning(diff)), ("hyperparameter importance", _importance(diff)),
        ("feature effects", _effects(diff)), ("held-out performance and groups", _performance(diff)),
    ) if not said]
    if quiet:
        parts.append(f"No change beyond noise in {_names(quiet, limit=len(quiet))}.")
    return " ".join(parts)


def _identity(diff: DiffResult) -> str:
    changed = [c.field for c in diff.identity.facts if c.status != "same" and c.field not in ("timestamp",)]
    inputs = [i.role for i in diff.identity.inputs if i.status != "same"]
    bits = []
    if changed:
        bits.append(f"recorded {_names(changed)} changed")
    if inputs:
        bits.append(f"different input files ({_names(inputs)})")
    if diff.identity.packages:
        bits.append(f"{len(diff.identity.packages)} package version(s) changed")
    return ("Identity: " + "; ".join(bits) + ".") if bits else ""


def _data(diff: DiffResult) -> str:
    d = diff.data
    bits = []
    if not d.same_file:
        bits.append(f"the data file differs ({d.old_file} → {d.new_file})")
    drifted = [c.name for c in d.drift if c.beyond_noise]
    if drifted:
        bits.append(f"population shift beyond noise in {_names(drifted)}")
    if d.columns_added or d.columns_removed:
        bits.append(f"{len(d.columns_added)} column(s) added, {len(d.columns_removed)} removed")
    if d.positive_beyond_noise:
        bits.append(f"the positive share moved from {d.old_positive.value:.3f} to {d.new_positive.value:.3f}")
    setup = [c.field for c in d.facts if c.status != "same"]
    if setup:
        bits.append(f"{_names(setup)} changed")
    return ("Data: " + "; ".join(bits) + ".") if bits else ""


def _tuning(diff: DiffResult) -> str:
    t = diff.tuning
    space = [s.name for s in t.space if s.status != "same"]
    facts = [c.field for c in t.facts if c.status != "same" and c.field not in ("best value", "best trial")]
    bits = []
    if space:
        bits.append(f"the search space changed for {_names(space)}")
    if facts:
        bits.append(f"{_names(facts)} changed")
    if t.old_best_value != t.new_best_value:
        bits.append(f"best value {t.old_best_value:.4f} → {t.new_best_value:.4f}"
                    + (" (no interval: not judged)" if t.comparable else " (different metrics: not comparable)"))
    return ("Tuning: " + "; ".join(bits) + ".") if bits else ""


def _importance(diff: DiffResult) -> str:
    moved = [c.param for c in diff.importance.changes if c.beyond_noise]
    only = [c.param for c in diff.importance.changes if c.status in ("added", "removed")]
    bits = []
    if moved:
        bits.append(f"beyond noise for {_names(moved)}")
    if only:
        bits.append(f"measured in one audit only: {_names(only)}")
    if not bits:
        return ""
    return "Hyperparameter importance changed " + "; ".join(bits) + "."


def _effects(diff: DiffResult) -> str:
    fx = diff.effects
    apart = [c.feature for c in fx.changes if c.overlap is False]
    top = [c for c in fx.changes if c.new_rank == 1]
    old_top = [c for c in fx.changes if c.old_rank == 1]
    bits = []
    if top and old_top and top[0].feature != old_top[0].feature:
        bits.append(f"the top feature is now {top[0].feature} (was {old_top[0].feature})")
    if apart:
        bits.append(f"mean |SHAP| intervals no longer overlap for {_names(apart)}")
    if not fx.comparable:
        bits.append("SHAP values are on different scales")
    return ("Feature effects: " + "; ".join(bits) + ".") if bits else ""


def _performance(diff: DiffResult) -> str:
    p = diff.performance
    moved = [f"{m.metric} {m.old:.3f} → {m.new:.3f}" for m in p.metrics if m.beyond_noise and m.old is not None and m.new is not None]
    worse = [f"{d.attribute} {d.measure}" for d in p.disparities if d.crossed == "worse"]
    better = [f"{d.attribute} {d.measure}" for d in p.disparities if d.crossed == "better"]
    groups = sum(g.overlap is False for g in p.group_changes)
    bits = []
    if moved:
        bits.append("beyond noise: " + _names(moved))
    if worse:
        bits.append(f"now past its threshold: {_names(worse)}")
    if better:
        bits.append(f"now within its threshold: {_names(better)}")
    if groups:
        bits.append(f"{groups} group metric(s) moved beyond noise")
    return ("Held-out performance — " + "; ".join(bits) + ".") if bits else ""


def _findings(diff: DiffResult) -> str:
    f = diff.findings
    if f is None or not (f.new or f.resolved):
        return ""
    return f"Findings: {len(f.new)} new, {len(f.resolved)} resolved, {len(f.unchanged)} unchanged."


def _names(items: list[str], *, limit: int = MAX_NAMES) -> str:
    shown = items[:limit]
    rest = len(items) - len(shown)
    text = ", ".join(shown)
    return text + (f" and {rest} more" if rest else "")
