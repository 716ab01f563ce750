"""Where the report serves each documentation requirement: the regulatory appendix.

Three frameworks, each item mapped to the report sections that document it and to the spec's
free-text ``[compliance]`` fields that complete it (the things no measurement can supply, such
as human oversight or post-market monitoring). An item whose field is empty is listed plainly
as "not provided"; an item the tool only partly covers says what is missing.

- EU AI Act (Regulation (EU) 2024/1689), Annex IV: technical documentation.
- US Federal Reserve / OCC SR 11-7: supervisory guidance on model risk management.
- Model cards (Mitchell et al., "Model Cards for Model Reporting", FAT* 2019).

The report supports compliance work; it does not by itself make anyone compliant.

Example:
    >>> from auditlens.results import ComplianceInfo
    >>> rows = mapping(ComplianceInfo(human_oversight="A credit officer reviews every case."))
    >>> [r.item for r in rows if r.framework == "EU AI Act Annex IV"][:3]
    ['1(a)', '1(c)', '2(b)']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Sequence

    from auditlens.results import ComplianceInfo, Finding

__all__ = [
    "CHECKS_BY_ITEM", "FRAMEWORKS", "GOVERNANCE", "REQUIREMENTS", "MappingRow", "Requirement", "bearing",
    "governance", "mapping",
]

# The spec's [compliance] fields: label in the report, and the items each serves.
GOVERNANCE: dict[str, tuple[str, str]] = {
    "provider": ("Provider", "Annex IV 1(a); model card: model details"),
    "design_rationale": ("Design choices and rationale", "Annex IV 2(b); SR 11-7 conceptual soundness"),
    "data_provenance": ("Data provenance and preparation", "Annex IV 2(d); SR 11-7 data quality; model card: training data"),
    "human_oversight": ("Human oversight", "Annex IV 2(e), 3; Article 14"),
    "metrics_rationale": ("Choice of performance metrics", "Annex IV 4; model card: metrics"),
    "foreseeable_risks": ("Foreseeable risks and unintended outcomes", "Annex IV 3"),
    "ethical_considerations": ("Ethical considerations", "model card: ethical considerations"),
    "risk_management": ("Risk management", "Annex IV 5; Article 9; SR 11-7 governance"),
    "cybersecurity": ("Cybersecurity", "Annex IV 2(h)"),
    "lifecycle_changes": ("Lifecycle changes and previous versions", "Annex IV 1(a), 1(c), 6"),
    "standards": ("Standards applied", "Annex IV 7"),
    "post_market_monitoring": ("Post-market and ongoing monitoring", "Annex IV 9; Article 72; SR 11-7 ongoing monitoring"),
}

FRAMEWORKS: dict[str, str] = {
    "EU AI Act Annex IV": "Regulation (EU) 2024/1689, Annex IV (technical documentation of high-risk AI systems).",
    "SR 11-7": "Board of Governors of the Federal Reserve System and OCC, SR 11-7 / OCC 2011-12, Supervisory Guidance on Model Risk Management (2011).",
    "Model card": "Mitchell et al., Model Cards for Model Reporting, FAT* 2019.",
}

GROUP_SCOPE = (
    "Per-group metrics cover only the attributes declared in data.protected_attributes and the "
    "intersections listed in groups.intersections, at one decision threshold."
)


@dataclass(frozen=True, slots=True)
class Requirement:
    framework: str
    item: str
    text: str
    sections: tuple[str, ...]  # report section ids that document it
    fields: tuple[str, ...] = ()  # [compliance] fields that complete it
    gap: str = ""  # what the tool cannot provide, stated every time


@dataclass(frozen=True, slots=True)
class MappingRow:
    framework: str
    item: str
    text: str
    sections: tuple[str, ...]
    status: Literal["covered", "partial", "missing"]
    status_text: str


_A = "EU AI Act Annex IV"
_S = "SR 11-7"
_M = "Model card"

REQUIREMENTS: tuple[Requirement, ...] = (
    Requirement(_A, "1(a)", "Intended purpose; name of the provider; version of the system and its relation to previous versions.",
                ("summary", "intended-use"), ("provider", "lifecycle_changes")),
    Requirement(_A, "1(c)", "Versions of relevant software or firmware; requirements related to version updates.",
                ("reproducibility",), ("lifecycle_changes",)),
    Requirement(_A, "2(b)", "Design specifications: general logic, key design choices and assumptions, what the system is designed to optimise for and the relevance of the different parameters.",
                ("tuning", "hyperparameter-importance", "feature-effects"), ("design_rationale",)),
    Requirement(_A, "2(d)", "Data requirements: training data sets, their provenance, scope and main characteristics; how the data was obtained, selected, labelled and cleaned.",
                ("data",), ("data_provenance",)),
    Requirement(_A, "2(e)", "Human oversight measures (Article 14), including technical measures that help deployers interpret the outputs (Article 13(3)(d)).",
                ("feature-effects", "decision-review"), ("human_oversight",)),
    Requirement(_A, "2(g)", "Validation and testing procedures and data; metrics for accuracy, robustness and potentially discriminatory impacts; test logs and reports dated and signed by the responsible persons.",
                ("tuning", "performance", "groups", "data", "reproducibility", "sign-off"), (),
                "Robustness metrics are not computed by this version of auditlens; potentially "
                "discriminatory impacts are measured per declared protected attribute (Groups). Dated "
                "signatures: the sign-off table, and a digital signature when the PDF is signed with "
                "'auditlens sign'."),
    Requirement(_A, "2(h)", "Cybersecurity measures put in place.", (), ("cybersecurity",)),
    Requirement(_A, "3", "Capabilities and limitations in performance, including accuracy for specific persons or groups and overall; foreseeable unintended outcomes and risks; human oversight; input data specifications.",
                ("performance", "groups", "intended-use", "data"), ("foreseeable_risks", "human_oversight"), GROUP_SCOPE),
    Requirement(_A, "4", "Appropriateness of the performance metrics for the system.", ("performance",), ("metrics_rationale",)),
    Requirement(_A, "5", "The risk-management system (Article 9).", (), ("risk_management",)),
    Requirement(_A, "6", "Relevant changes made to the system through its lifecycle.", ("reproducibility",), ("lifecycle_changes",)),
    Requirement(_A, "7", "Harmonised standards or other specifications applied.", (), ("standards",)),
    Requirement(_A, "9", "The system that evaluates performance in the post-market phase, including the post-market monitoring plan (Article 72).",
                (), ("post_market_monitoring",)),
    Requirement(_S, "Documentation", "Detailed enough that parties unfamiliar with the model understand how it operates, its limitations and key assumptions.",
                ("summary", "intended-use", "tuning", "reproducibility"), ("design_rationale",)),
    Requirement(_S, "Conceptual soundness", "Quality of the model's design and construction; evidence for the choices made.",
                ("tuning", "hyperparameter-importance"), ("design_rationale",)),
    Requirement(_S, "Data quality and relevance", "The data used to develop the model: its quality and relevance.", ("data",), ("data_provenance",)),
    Requirement(_S, "Sensitivity analysis", "How outputs and performance respond to inputs and settings.",
                ("hyperparameter-importance", "feature-effects")),
    Requirement(_S, "Outcomes analysis", "Comparison of model outputs with actual outcomes (back-testing, calibration).",
                ("performance", "decision-review")),
    Requirement(_S, "Limitations and assumptions", "Known limitations, out-of-scope uses and key assumptions.", ("intended-use",)),
    Requirement(_S, "Ongoing monitoring", "Monitoring that the model keeps performing as intended after deployment.", (), ("post_market_monitoring",)),
    Requirement(_S, "Governance and effective challenge", "Independent review, approval and the controls around the model.",
                ("sign-off",), ("risk_management",)),
    Requirement(_M, "Model details", "Developer, date, version, model type, training algorithm and parameters, contact.",
                ("summary", "tuning", "reproducibility"), ("provider",)),
    Requirement(_M, "Intended use", "Primary uses and users; out-of-scope uses.", ("intended-use",)),
    Requirement(_M, "Factors", "Groups, instrumentation and environments relevant to performance.", ("data", "groups"), (), GROUP_SCOPE),
    Requirement(_M, "Metrics", "Performance measures, decision thresholds, variation approaches.", ("performance", "hyperparameter-importance"), ("metrics_rationale",)),
    Requirement(_M, "Evaluation data", "Data used for evaluation and why.", ("data", "performance")),
    Requirement(_M, "Training data", "Data used for training.", ("data",), ("data_provenance",)),
    Requirement(_M, "Quantitative analyses", "Unitary and intersectional results, with confidence intervals.", ("performance", "groups"), (),
                "Unitary results per protected attribute with bootstrap confidence intervals; intersectional results only for the intersections the spec lists (groups.intersections)."),
    Requirement(_M, "Ethical considerations", "Sensitive data, risks and harms, mitigations.", ("data",), ("ethical_considerations",)),
    Requirement(_M, "Caveats and recommendations", "Further concerns and recommendations.", ("intended-use",)),
)


# Which findings bear on which item: a check id, or a family prefix ending in ".".
CHECKS_BY_ITEM: dict[tuple[str, str], tuple[str, ...]] = {
    (_A, "2(b)"): ("importance.",),
    (_A, "2(d)"): ("data.",),
    (_A, "2(g)"): ("performance.", "groups.", "effects.near_perfect", "effects.additivity_gap", "data.shared_rows"),
    (_A, "2(h)"): ("provenance.pickle_allowed", "provenance.trusted_types"),
    (_A, "3"): ("performance.class_recall_floor", "performance.degenerate_threshold", "groups."),
    (_S, "Documentation"): ("provenance.not_provided", "provenance.params_contradict_best"),
    (_S, "Conceptual soundness"): ("importance.", "effects.dominant_feature", "effects.protected_input"),
    (_S, "Data quality and relevance"): ("data.",),
    (_S, "Sensitivity analysis"): ("importance.poor_surrogate", "importance.not_above_chance"),
    (_S, "Outcomes analysis"): ("performance.", "effects.near_perfect"),
    (_M, "Quantitative analyses"): ("groups.",),
    (_M, "Ethical considerations"): ("effects.protected_input", "groups.four_fifths"),
}


def bearing(req: Requirement, findings: Sequence[Finding]) -> list[Finding]:
    """The findings whose check bears on a requirement (most severe first, as given)."""
    keys = CHECKS_BY_ITEM.get((req.framework, req.item), ())
    return [f for f in findings if any(f.id == k or (k.endswith(".") and f.id.startswith(k)) for k in keys)]


def governance(compliance: ComplianceInfo) -> tuple[tuple[str, str, str], ...]:
    """(label, items served, the owner's text or "not provided") for each [compliance] field."""
    rows = []
    for name, (label, serves) in GOVERNANCE.items():
        text = getattr(compliance, name).strip()
        rows.append((label, serves, text or "not provided"))
    return tuple(rows)


# Requirements about training data, which an audit of a fitted model file never sees.
TRAINING_DATA_ITEMS = {(_A, "2(d)"), (_M, "Training data")}
TRAINING_DATA_GAP = (
    "The Data section describes the held-out file the fitted model was evaluated on; its "
    "training data was not given to auditlens (describe it in compliance.data_provenance)."
)


def mapping(
    compliance: ComplianceInfo, *, evaluated_on_file: bool = False, findings: Sequence[Finding] = ()
) -> tuple[MappingRow, ...]:
    """Every requirement with the sections that document it and its status in this report.

    ``evaluated_on_file``: the audit read a fitted model and its held-out data only, so the
    training-data items are at best partly documented. ``findings``: the audit's findings; those
    bearing on an item (:data:`CHECKS_BY_ITEM`) are cited in its status text.
    """
    rows = []
    for req in REQUIREMENTS:
        provided = [f for f in req.fields if getattr(compliance, f).strip()]
        missing = [f for f in req.fields if f not in provided]
        sections = req.sections + (("governance",) if provided else ())
        notes = []
        if missing:
            notes.append("not provided: " + ", ".join(f"compliance.{f}" for f in missing))
        if req.gap:
            notes.append(req.gap)
        if evaluated_on_file and (req.framework, req.item) in TRAINING_DATA_ITEMS:
            notes.append(TRAINING_DATA_GAP)
        if not sections:
            status: Literal["covered", "partial", "missing"] = "missing"
            text = "Not provided (spec field " + ", ".join(f"compliance.{f}" for f in missing) + ")."
        elif notes:
            status = "partial"
            text = "Partly. " + " ".join(n[0].upper() + n[1:].rstrip(".") + "." for n in notes)
        else:
            status = "covered"
            text = "Covered."
        cited = bearing(req, findings)
        if cited:
            text += " Findings bearing on it: " + "; ".join(
                f"{f.id}{' (' + f.subject + ')' if f.subject else ''}, {f.severity}" for f in cited
            ) + " (see Findings)."
            sections = ("findings", *sections)
        rows.append(MappingRow(req.framework, req.item, req.text, sections, status, text))
    return tuple(rows)
