"""The exceptions auditlens raises.

Every error is an :class:`AuditError`; each subclass also inherits the builtin it
refines, so callers may catch either::

    AuditError
    ├── SpecError(AuditError, ValueError)          bad audit spec (TOML) field
    ├── DataError(AuditError, ValueError)          bad data file or column
    │   └── LabelError(DataError)                  a class that is not a label of the target
    ├── ModelError(AuditError, ValueError)         model file that cannot be loaded safely or is not a usable classifier
    ├── TrialsError(AuditError, ValueError)        unusable tuning run / trial table
    ├── AnalysisError(AuditError, RuntimeError)    an analysis could not produce a trustworthy number
    ├── ResultsError(AuditError, ValueError)       results.json that does not match the schema
    ├── RenderError(AuditError, RuntimeError)      the report could not be rendered
    ├── EvidenceError(AuditError, ValueError)      a report PDF, key or file to verify/sign is unusable
    └── OutputError(AuditError, OSError)           the output folder cannot be created or written

An error carries what the user needs as data: ``field`` (the input at fault), ``expected`` and
``got``, and a ``detail`` sentence where those alone do not say it. The message is built from
them, one line: ``field: detail; expected ...; got ...; note``. Library code names a field the way
the library knows it (a spec field such as ``data.target``, or a neutral name such as
``objective`` in the trial sources); the command line spells it once, for its user, with
:meth:`AuditError.spelled` (``--objective`` for ``importance``, ``tuning.objective`` for a
spec run). No code reads a field back out of a message.

Example:
    >>> str(DataError(field="data.target", expected="a binary label", got="3 distinct values"))
    'data.target: expected a binary label; got 3 distinct values'
    >>> err = TrialsError("column 'acc' not in t.csv", field="objective")
    >>> str(err.spelled({"objective": "--objective"}))
    "--objective: column 'acc' not in t.csv"
"""

from __future__ import annotations

import copy
from collections.abc import Mapping


class AuditError(Exception):
    """Base class of every error auditlens raises on purpose.

    Args:
        detail: what is wrong, when ``expected``/``got`` alone do not say it.
        field: the input at fault (``data.target``, ``objective``), or None.
        expected: what was expected ("a binary label").
        got: what was received ("3 distinct values").
        note: what follows, e.g. where the bad value is ("in row 3 of t.csv").
        mentions: other settings the message names, by placeholder: ``detail``
            ``"or set {allow}"`` with ``{"allow": "model.allow_pickle = true"}``; spelled
            like ``field``.
    """

    def __init__(
        self,
        detail: str = "",
        *,
        field: str | None = None,
        expected: str | None = None,
        got: str | None = None,
        note: str | None = None,
        mentions: Mapping[str, str] | None = None,
    ) -> None:
        self.detail = detail
        self.field = field
        self.expected = expected
        self.got = got
        self.note = note
        self.mentions = dict(mentions or {})
        super().__init__(self._message())

    def _message(self) -> str:
        detail = self.detail
        for key, setting in self.mentions.items():
            detail = detail.replace("{" + key + "}", setting)
        parts = [detail] if detail else []
        if self.expected is not None:
            parts.append(f"expected {self.expected}")
        if self.got is not None:
            parts.append(f"got {self.got}")
        if self.note:
            parts.append(self.note)
        body = "; ".join(parts)
        return f"{self.field}: {body}" if self.field else body

    def spelled(self, names: Mapping[str, str]) -> AuditError:
        """The same error with its field and mentions spelled as a caller's user knows them.

        ``names`` maps a field to its spelling; a field ``space.lr`` under ``space`` becomes
        ``names["space"] + ".lr"``. Fields without a spelling stay as they are.
        """
        spelled = copy.copy(self)  # same class and attributes (a LabelError keeps its labels)
        spelled.field = _spell(self.field, names)
        spelled.mentions = {k: _spell(v, names) or v for k, v in self.mentions.items()}
        spelled.args = (spelled._message(),)
        return spelled


def _spell(field: str | None, names: Mapping[str, str]) -> str | None:
    if field is None:
        return None
    for name in sorted(names, key=len, reverse=True):
        if field == name or field.startswith(name + "."):
            return names[name] + field[len(name):]
    return field


class SpecError(AuditError, ValueError):
    """A field of the audit spec is missing, mistyped or out of range."""


class DataError(AuditError, ValueError):
    """The data file cannot be read or does not have the expected columns/labels."""


class LabelError(DataError):
    """A class named (or implied) as positive is not a label of the target column.

    ``labels`` holds the column's labels, so a caller that chose the class can say why.
    """

    def __init__(self, detail: str = "", *, labels: tuple[object, ...] = (), **kwargs: object) -> None:
        self.labels = tuple(labels)
        super().__init__(detail, **kwargs)  # type: ignore[arg-type]


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

