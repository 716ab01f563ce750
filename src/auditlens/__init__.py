"""auditlens: explainability and audit reports for tuned models.

Example:
    >>> import auditlens
    >>> spec = auditlens.load_spec("samples/german-credit/audit.toml")  # doctest: +SKIP
    >>> spec.tuning.trials  # doctest: +SKIP
    60
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

from auditlens.errors import (
    AnalysisError,
    AuditError,
    DataError,
    EvidenceError,
    ModelError,
    RenderError,
    ResultsError,
    SpecError,
    TrialsError,
)
if TYPE_CHECKING:
    from auditlens.pipeline import run_audit
    from auditlens.report import write_report
    from auditlens.results import AuditResult
    from auditlens.spec import AuditSpec, load_spec

# Everything but the errors loads on first use, so `import auditlens`, `auditlens --help` and
# `auditlens importance` (which needs neither the spec nor the result models: pydantic) stay fast.
_LAZY = {
    "AuditResult": "auditlens.results",
    "AuditSpec": "auditlens.spec",
    "load_spec": "auditlens.spec",
    "run_audit": "auditlens.pipeline",
    "write_report": "auditlens.report",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'auditlens' has no attribute {name!r}")


__all__ = [
    "AnalysisError",
    "AuditError",
    "AuditResult",
    "AuditSpec",
    "DataError",
    "EvidenceError",
    "ModelError",
    "RenderError",
    "ResultsError",
    "SpecError",
    "TrialsError",
    "__version__",
    "load_spec",
    "run_audit",
    "write_report",
]
