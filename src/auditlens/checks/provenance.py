"""Checks on where the model came from and what its documentation leaves out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from auditlens.checks._core import Check, Context, check

if TYPE_CHECKING:
    from auditlens.results import AuditResult, Finding

CHECKS: list[Check] = []
# The warning a 1.0 results file carries instead of ModelFileInfo.param_mismatches.
MISMATCH_WARNING = "parameters differ from the best trial"
# Values `auditlens analyze` puts in documentation fields nobody supplied.
NOT_STATED = "not stated"


@check(CHECKS, "provenance.pickle_allowed", "medium", "the model was loaded with pickle allowed (code from the file ran)")
def pickle_allowed(result: AuditResult, ctx: Context) -> list[Finding]:
    model = result.model_file
    if model is None or model.format not in ("pickle", "joblib"):
        return []
    return [ctx.finding(
        f"The model file {model.name} was loaded with {model.format}, which runs code from the file; its "
        "contents could not be checked before loading.",
        measured={"format": model.format, "sha256": model.sha256}, section="tuning",
        recommendation="Save the model with skops (skops.io.dump) and audit that file instead.",
    )]


@check(CHECKS, "provenance.trusted_types", "low", "types in the model file were trusted by the user beyond the allowlist")
def trusted_types(result: AuditResult, ctx: Context) -> list[Finding]:
    model = result.model_file
    if model is None or not model.trusted_by_user:
        return []
    return [ctx.finding(
        f"{len(model.trusted_by_user)} type(s) in {model.name} were trusted by the user beyond scikit-learn's "
        f"allowlist: {', '.join(model.trusted_by_user)}.",
        measured={"types": ", ".join(model.trusted_by_user)}, section="tuning",
        recommendation="Record who reviewed these types and why they are safe to load.",
    )]


@check(CHECKS, "provenance.params_contradict_best", "high",
       "the loaded model's parameters contradict the tuning run's best trial")
def params_contradict_best(result: AuditResult, ctx: Context) -> list[Finding]:
    model = result.model_file
    if model is None:
        return []
    differ = list(model.param_mismatches) or [w for w in model.warnings if MISMATCH_WARNING in w]
    if not differ:
        return []
    return [ctx.finding(
        f"The audited model is not the tuning run's best configuration: {'; '.join(differ)}. The tuning and "
        "importance sections describe a search that did not produce this model.",
        measured={"differences": "; ".join(differ)}, section="tuning",
        recommendation="Audit the model the run selected, or the run that produced this model.",
    )]


@check(CHECKS, "provenance.not_provided", "low", "documentation fields left 'not provided'")
def not_provided(result: AuditResult, ctx: Context) -> list[Finding]:
    missing = [f"compliance.{name}" for name, value in result.compliance.model_dump().items() if not str(value).strip()]
    audit = result.audit
    for name in ("owner", "model_version", "intended_use"):
        if getattr(audit, name).strip().lower().startswith(NOT_STATED):
            missing.insert(0, f"audit.{name}")
    missing += [f"audit.{n}" for n in ("out_of_scope_uses", "known_limitations", "sign_off") if not getattr(audit, n)]
    if not missing:
        return []
    return [ctx.finding(
        f"{len(missing)} documentation field{'s' if len(missing) != 1 else ''} not provided: {', '.join(missing)}. "
        "The regulatory appendix lists the items they serve as incomplete.",
        measured={"fields": ", ".join(missing), "count": len(missing)}, section="governance",
        recommendation="Fill these fields in the audit spec; no measurement can supply them.",
    )]
