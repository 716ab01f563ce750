"""The exceptions auditlens raises.

Every error is an :class:`AuditError`; each subclass also inherits the builtin it
refines, so callers may catch either::

    AuditError
    ├── SpecError(AuditError, ValueError)          bad audit spec (TOML) field
    ├── DataError(AuditError, ValueError)          bad data file or column
    ├── ModelError(AuditError, ValueError)         model file that cannot be loaded safely or is not a usable classifier
    ├── TrialsError(AuditError, ValueError)        unusable tuning run / trial table
    ├── AnalysisError(AuditError, RuntimeError)    an analysis could not produce a trustworthy number
    ├── ResultsError(AuditError, ValueError)       results.json that does not match the schema
    ├── RenderError(AuditError, RuntimeError)      the report could not be rendered
    ├── EvidenceError(AuditError, ValueError)      a report PDF, key or file to verify/sign is unusable
    └── OutputError(AuditError, OSError)           the output folder cannot be created or written

Messages name the field, what was expected and what was received, on one line, because
the CLI prints them as they are.
"""

from __future__ import annotations

from collections.abc import Mapping


class AuditError(Exception):
    """Base class of every error auditlens raises on purpose."""


class SpecError(AuditError, ValueError):
    """A field of the audit spec is missing, mistyped or out of range."""


class DataError(AuditError, ValueError):
    """The data file cannot be read or does not have the expected columns/labels."""


class ModelError(AuditError, ValueError):
    """A model file cannot be loaded (missing, corrupt, untrusted types, pickle not allowed)
    or does not hold a fitted binary classifier with ``predict_proba``."""


class TrialsError(AuditError, ValueError):
    """The tuning run cannot be analysed (no trials, missing objective, ...)."""


class AnalysisError(AuditError, RuntimeError):
    """An analysis stage failed a correctness check (e.g. SHAP additivity)."""


class ResultsError(AuditError, ValueError):
    """A results file does not match the AuditResult schema."""


class RenderError(AuditError, RuntimeError):
    """The HTML or PDF report could not be rendered."""


class EvidenceError(AuditError, ValueError):
    """A file given to ``verify`` or ``sign`` cannot be used (missing, not a PDF, bad key).

    A report that is readable but does not match its evidence is not an error: verification
    returns its mismatches (exit code 1).
    """


class OutputError(AuditError, OSError):
    """The output destination cannot be created or written (a file, read-only, no space,
    a name too long). Checked before the work starts where it can be."""


def renamed(exc: AuditError, names: Mapping[str, str]) -> AuditError:
    """The same error, its leading field spelled as this caller's user knows it.

    A source reports ``--objective: ...`` for the command line; a spec run shows
    ``tuning.objective: ...``. ``names`` maps a field to its new name; the longest field
    followed by ``:`` or ``.`` at the start of the message is renamed.
    """
    message = str(exc)
    for old in sorted(names, key=len, reverse=True):
        if message.startswith(old) and message[len(old):len(old) + 1] in (":", "."):
            return type(exc)(names[old] + message[len(old):])
    return exc
