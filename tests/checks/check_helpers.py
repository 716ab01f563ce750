"""Purpose-built evidence: one part of a real AuditResult changed, everything else as measured."""

from __future__ import annotations

from typing import Any

from auditlens.checks import evaluate
from auditlens.results import AuditResult, Finding


def tweak(result: AuditResult, part: str, **fields: Any) -> AuditResult:
    """``result`` with ``fields`` of one part replaced (e.g. tweak(r, "performance", roc_auc=1.0))."""
    current = getattr(result, part)
    return result.model_copy(update={part: current.model_copy(update=fields)})


def fired(result: AuditResult, check_id: str, settings: dict[str, Any] | None = None) -> list[Finding]:
    return [f for f in evaluate(result, settings) if f.id == check_id]
