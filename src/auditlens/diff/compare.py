"""Compare two audits: two AuditResults in, one DiffResult out. Numbers only, nothing drawn.

Every "changed" here is a difference between what the two audits recorded; every "beyond noise"
compares a difference with the uncertainty both audits measured (or that their stored counts
imply, for held-out metrics), and says ``None`` when there is none to compare with. Sections of
the audit one side did not measure stay empty with a note: a difference is never invented.

Two audits are comparable when they audit the same task (binary classification of the same
target column with the same positive class) and their results.json schemas share a major
version; otherwise :func:`compare` raises :class:`DiffError` (exit 2).

Example:
    >>> from auditlens.results import AuditResult
    >>> old = AuditResult.load("out/german-credit/results.json")  # doctest: +SKIP
    >>> compare(old, old).identity.old_report_id  # doctest: +SKIP
    'AL-...'
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from auditlens._files import sha256_bytes
from auditlens.diff._common import change, status, union
from auditlens.diff.effects import effects_diff
from auditlens.diff.performance import performance_diff
from auditlens.diff.result import (
    ColumnDrift,
    DataDiff,
    DiffResult,
    FindingRef,
    FindingsDiff,
    IdentityDiff,
    ImportanceChange,
    ImportanceDiff,
    InputChange,
    SpaceChange,
    TuningDiff,
)
from auditlens.diff.stats import Z95, wilson
from auditlens.drift import psi
from auditlens.errors import ResultsError
from auditlens.provenance import report_id

if TYPE_CHECKING:
    from auditlens.results import AuditResult, SpaceParam

__all__ = ["DiffError", "compare"]


class DiffError(ResultsError):
    """The two results cannot be compared (different tasks, incompatible schema versions)."""


def compare(old: AuditResult, new: AuditResult) -> DiffResult:
    """What changed from ``old`` to ``new`` (see the module docstring).

    Raises:
        DiffError: the audits are of different tasks or of incompatible schema versions.
    """
    check_comparable(old, new)
    old_json, new_json = old.to_json().encode("utf-8"), new.to_json().encode("utf-8")
    return DiffResult(
        old_sha256=sha256_bytes(old_json),
        new_sha256=sha256_bytes(new_json),
        identity=_identity(old, new, report_id(old_json), report_id(new_json)),
        data=_data(old, new),
        tuning=_tuning(old, new),
        importance=_importance(old, new),
        effects=effects_diff(old.feature_effects, new.feature_effects),
        performance=performance_diff(old, new),
        findings=_findings(old, new),
    )


def check_comparable(old: AuditResult, new: AuditResult) -> None:
    """Raise DiffError naming the first field that makes the two audits incomparable."""
    majors = (old.schema_version.split(".")[0], new.schema_version.split(".")[0])
    if majors[0] != majors[1]:
        raise DiffError(
            f"schema_version: expected the same major version in OLD and NEW; "
            f"got {old.schema_version!r} and {new.schema_version!r}"
        )
    for name, a, b in (
        ("task", getattr(old, "task", None), getattr(new, "task", None)),
        ("data.target", old.data.target, new.data.target),
        ("data.positive_class", old.data.positive_class, new.data.positive_class),
    ):
        if a != b:
            raise DiffError(
                f"{name}: expected the same task in OLD and NEW (they audit different models' "
                f"questions); got {a!r} and {b!r}"
            )


# --------------------------------------------------------------------------- identity


def _identity(old: AuditResult, new: AuditResult, old_id: str, new_id: str) -> IdentityDiff:
    o, n = old.audit, new.audit
    facts = [
        change("title", o.title, n.title),
        change("model name", o.model_name, n.model_name),
        change("model version", o.model_version, n.model_version),
        change("owner", o.owner, n.owner),
        change("timestamp", old.provenance.timestamp, new.provenance.timestamp),
        change("results schema", old.schema_version, new.schema_version),
        change("auditlens", old.provenance.auditlens_version, new.provenance.auditlens_version),
        change("estimator", old.tuning.estimator_class, new.tuning.estimator_class),
        change("model file", _model_file(old), _model_file(new)),
    ]
    old_inputs = {i.role: i for i in old.provenance.inputs}
    new_inputs = {i.role: i for i in new.provenance.inputs}
    inputs = []
    for role in union(old_inputs, new_inputs):
        a, b = old_inputs.get(role), new_inputs.get(role)
        inputs.append(InputChange(
            role=role,
            old_name=a.name if a else "", old_sha256=a.sha256 if a else "",
            new_name=b.name if b else "", new_sha256=b.sha256 if b else "",
            status=status(a.sha256 if a else None, b.sha256 if b else None),
        ))
    old_pkg, new_pkg = old.provenance.packages, new.provenance.packages
    packages = [change(name, old_pkg.get(name, ""), new_pkg.get(name, "")) for name in union(old_pkg, new_pkg)]
    return IdentityDiff(
        old_report_id=old_id,
        new_report_id=new_id,
        facts=facts,
        old_signers=[f"{s.name} ({s.role})" for s in o.sign_off],
        new_signers=[f"{s.name} ({s.role})" for s in n.sign_off],
        inputs=inputs,
        packages=[p for p in packages if p.status != "same"],
    )


def _model_file(result: AuditResult) -> str:
    info = result.model_file
    return "" if info is None else f"{info.name} (sha256 {info.sha256[:16]}…)"


# --------------------------------------------------------------------------- data


def _data(old: AuditResult, new: AuditResult) -> DataDiff:
    o, n = old.data, new.data
    facts = [
        change("rows", o.rows, n.rows),
        change("columns", o.columns, n.columns),
        change("evaluation", o.evaluation, n.evaluation),
        change("training rows", o.train_rows, n.train_rows),
        change("held-out rows", o.test_rows, n.test_rows),
        change("test fraction", o.test_fraction, n.test_fraction),
        change("split seed", o.split_seed, n.split_seed),
        change("protected attributes", ", ".join(o.protected_attributes), ", ".join(n.protected_attributes)),
    ]
    old_pos, new_pos = (wilson(d.class_counts.get(d.positive_class, 0), sum(d.class_counts.values())) for d in (o, n))
    # Two independent shares: beyond noise when the difference exceeds 1.96 combined SEs.
    se = math.sqrt(_share_var(old_pos.value, old_pos.n) + _share_var(new_pos.value, new_pos.n))
    old_cols = {c.name: c for c in o.column_summaries}
    new_cols = {c.name: c for c in n.column_summaries}
    common = [name for name in old_cols if name in new_cols]
    drift = [_column_drift(old_cols[name], new_cols[name]) for name in common]
    available = any(d.psi is not None for d in drift)
    return DataDiff(
        old_file=o.file_name,
        new_file=n.file_name,
        same_file=o.sha256 == n.sha256,
        facts=facts,
        old_positive=old_pos,
        new_positive=new_pos,
        positive_beyond_noise=abs(new_pos.value - old_pos.value) > Z95 * se,
        class_counts=[change(c, o.class_counts.get(c, ""), n.class_counts.get(c, "")) for c in union(o.class_counts, n.class_counts)],
        columns_added=[name for name in new_cols if name not in old_cols],
        columns_removed=[name for name in old_cols if name not in new_cols],
        drift=drift,
        psi_available=available,
        psi_note=_psi_note(old, new, drift),
    )


def _share_var(p: float, n: int) -> float:
    return p * (1 - p) / n if n else 0.0


def _column_drift(old: Any, new: Any) -> ColumnDrift:
    base = {"name": old.name, "old_kind": old.kind, "new_kind": new.kind}
    if old.histogram is None or new.histogram is None:
        which = " and ".join(w for w, c in (("OLD", old), ("NEW", new)) if c.histogram is None)
        return ColumnDrift(**base, psi=None, noise95=None, note=f"no histogram stored in {which}")
    index = psi(old.histogram, new.histogram)
    if index is None:
        return ColumnDrift(**base, psi=None, noise95=None, note="the column changed kind or has no values")
    return ColumnDrift(
        **base, psi=index.value, noise95=index.noise95, bins=index.bins, exact=index.exact,
        beyond_noise=index.beyond_noise, band=index.band,  # type: ignore[arg-type]
        note="" if index.exact else "new counts re-binned onto the old bins",
    )


def _psi_note(old: AuditResult, new: AuditResult, drift: list[ColumnDrift]) -> str:
    missing = [w for w, r in (("OLD", old), ("NEW", new)) if not any(c.histogram for c in r.data.column_summaries)]
    if missing:
        return (f"Population stability is unavailable: {' and '.join(missing)} (results.json schema "
                f"{old.schema_version if 'OLD' in missing else new.schema_version}) stores no column histograms.")
    if not drift:
        return "No column is in both audits."
    return ""


# --------------------------------------------------------------------------- tuning


def _tuning(old: AuditResult, new: AuditResult) -> TuningDiff:
    o, n = old.tuning, new.tuning
    facts = [
        change("estimator", o.estimator, n.estimator),
        change("metric", o.metric, n.metric),
        change("direction", o.direction, n.direction),
        change("cross-validation folds", o.cv_folds, n.cv_folds),
        change("sampler", f"{o.sampler} (seed {o.sampler_seed})", f"{n.sampler} (seed {n.sampler_seed})"),
        change("trials", o.n_trials, n.n_trials),
        change("complete trials", o.n_complete, n.n_complete),
        change("failed trials", o.n_failed, n.n_failed),
        change("best trial", o.best_number, n.best_number),
        change("best value", o.best_value, n.best_value),
    ]
    old_space = {p.name: describe_param(p) for p in o.space}
    new_space = {p.name: describe_param(p) for p in n.space}
    space = [
        SpaceChange(name=name, old=old_space.get(name, ""), new=new_space.get(name, ""),
                    status=status(old_space.get(name), new_space.get(name)))
        for name in union(old_space, new_space)
    ]
    best = [change(name, o.best_params.get(name, ""), n.best_params.get(name, "")) for name in union(o.best_params, n.best_params)]
    return TuningDiff(
        facts=facts,
        space=space,
        best_params=best,
        old_best_value=o.best_value,
        new_best_value=n.best_value,
        comparable=(o.metric, o.direction) == (n.metric, n.direction),
    )


def describe_param(p: SpaceParam) -> str:
    """A search-space dimension as one line (from its numbers, not a stored display string)."""
    if p.kind == "categorical":
        return "categorical {" + ", ".join(repr(c) for c in (p.choices or [])) + "}"
    low, high = (_number(v) for v in (p.low, p.high))
    return f"{p.kind} [{low}, {high}]" + (", log" if p.log else "")


# --------------------------------------------------------------------------- importance


def _importance(old: AuditResult, new: AuditResult) -> ImportanceDiff:
    o, n = old.importance, new.importance
    old_main = {e.params[0]: e for e in o.main_effects if len(e.params) == 1}
    new_main = {e.params[0]: e for e in n.main_effects if len(e.params) == 1}
    old_rank, new_rank = _ranks(old_main), _ranks(new_main)
    changes = []
    for name in union(old_main, new_main):
        a, b = old_main.get(name), new_main.get(name)
        difference = noise = beyond = None
        if a is not None and b is not None:
            difference = b.importance - a.importance
            noise = Z95 * math.hypot(a.std, b.std)
            beyond = abs(difference) > noise
        changes.append(ImportanceChange(
            param=name, old_rank=old_rank.get(name), new_rank=new_rank.get(name),
            old=a.importance if a else None, old_std=a.std if a else None,
            new=b.importance if b else None, new_std=b.std if b else None,
            difference=difference, noise95=noise, beyond_noise=beyond,
            status=status(_key(a), _key(b)),
        ))
    changes.sort(key=lambda c: (c.new_rank is None, c.new_rank or 0, c.old_rank or 0))
    common = [c.param for c in changes if c.old_rank is not None and c.new_rank is not None]
    return ImportanceDiff(
        uncertainty=[o.uncertainty_method, n.uncertainty_method],
        ranking_changed=sorted(common, key=lambda p: old_rank[p]) != sorted(common, key=lambda p: new_rank[p])
        or set(old_main) != set(new_main),
        changes=changes,
        old_r2=o.surrogate_r2,
        new_r2=n.surrogate_r2,
        note="" if o.method == n.method else f"different methods: {o.method!r} and {n.method!r}",
    )


def _key(entry: Any) -> tuple[float, float] | None:
    return None if entry is None else (entry.importance, entry.std)


def _ranks(entries: Mapping[str, Any]) -> dict[str, int]:
    order = sorted(entries, key=lambda k: (-entries[k].importance, k))
    return {name: i + 1 for i, name in enumerate(order)}


# --------------------------------------------------------------------------- findings


def _findings(old: AuditResult, new: AuditResult) -> FindingsDiff | None:
    """New, resolved and unchanged findings, when both audits ran the checks (None otherwise)."""
    if not (_checked(old) and _checked(new)):
        return None
    old_by, new_by = _finding_refs(old.findings), _finding_refs(new.findings)  # type: ignore[attr-defined]
    return FindingsDiff(
        new=[new_by[k] for k in new_by if k not in old_by],
        resolved=[old_by[k] for k in old_by if k not in new_by],
        unchanged=[new_by[k] for k in new_by if k in old_by],
    )


def _checked(result: AuditResult) -> bool:
    """Whether the audit ran the checks: it has findings, or the settings the checks ran with."""
    return bool(getattr(result, "findings", None)) or bool(getattr(result, "check_settings", None))


def _finding_refs(findings: Iterable[Any]) -> dict[tuple[str, str], FindingRef]:
    refs: dict[tuple[str, str], FindingRef] = {}
    for f in findings:
        subject = str(getattr(f, "subject", "") or "")
        refs[(str(f.id), subject)] = FindingRef(
            id=str(f.id) + (f" ({subject})" if subject else ""),
            severity=str(getattr(f, "severity", "")),
            text=str(getattr(f, "sentence", getattr(f, "text", ""))),
        )
    return refs


# --------------------------------------------------------------------------- helpers


def _number(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
