"""Reading OLD and NEW: a report PDF (verified first, evidence read from its embedded files) or a results.json.

A PDF that fails verification is not compared: :func:`read_audit` returns its
:class:`~auditlens.report.verify.Verification` and no result, and the command exits 1 naming
each mismatch. A change report PDF given as OLD or NEW is bad input (exit 2).

Example:
    >>> audit = read_audit(Path("out/german-credit/report.pdf"), role="OLD")  # doctest: +SKIP
    >>> audit.result.audit.model_name  # doctest: +SKIP
    'german-credit-risk'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from auditlens._files import sha256_file
from auditlens.errors import ResultsError

if TYPE_CHECKING:
    from auditlens.report.verify import Verification
    from auditlens.results import AuditResult

__all__ = ["Audit", "read_audit"]


@dataclass(frozen=True, slots=True)
class Audit:
    """One side of the comparison: the file given, its digest, and its result (None if refused)."""

    path: Path
    sha256: str
    result: AuditResult | None
    verification: Verification | None = None  # for a PDF


def read_audit(path: Path, *, role: str) -> Audit:
    """Read ``path`` as a report PDF or a results.json (see the module docstring).

    Raises:
        ResultsError: the file is missing, unreadable, or not an audit (exit 2).
    """
    from auditlens.results import AuditResult

    path = Path(path)
    if not path.is_file():
        raise ResultsError(f"{role}: expected a report PDF or a results.json file; got {str(path)!r}, which "
                           + ("is a folder" if path.is_dir() else "does not exist"))
    with open(path, "rb") as handle:
        is_pdf = handle.read(5) == b"%PDF-"
    digest = sha256_file(path)
    if not is_pdf:
        return Audit(path, digest, AuditResult.load(path))
    from auditlens.report.verify import embedded_files, verify_pdf

    files = embedded_files(path)
    if "diff.json" in files:
        raise ResultsError(f"{role}: expected an audit report; {path.name!r} is a change report (auditlens diff)")
    outcome = verify_pdf(path)
    if not outcome.ok:
        return Audit(path, digest, None, outcome)
    result = AuditResult.from_json(files["results.json"][0], source=f"{role} {path.name}: embedded results.json")
    return Audit(path, digest, result, outcome)
