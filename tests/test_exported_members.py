from __future__ import annotations

import auditlens


def test_public_api_is_pinned() -> None:
    assert auditlens.__all__ == sorted(auditlens.__all__)
    assert auditlens.__all__ == [
        "AnalysisError", "AuditError", "AuditResult", "AuditSpec", "DataError", "EvidenceError", "ModelError", "RenderError",
        "ResultsError", "SpecError", "TrialsError", "__version__", "load_spec", "run_audit",
        "write_report",
    ]
    for name in auditlens.__all__:
        assert getattr(auditlens, name) is not None


def test_errors_refine_builtins() -> None:
    assert issubclass(auditlens.SpecError, ValueError) and issubclass(auditlens.SpecError, auditlens.AuditError)
    assert issubclass(auditlens.DataError, ValueError)
    assert issubclass(auditlens.ModelError, ValueError) and issubclass(auditlens.ModelError, auditlens.AuditError)
    assert issubclass(auditlens.AnalysisError, RuntimeError)
    assert issubclass(auditlens.RenderError, RuntimeError)
