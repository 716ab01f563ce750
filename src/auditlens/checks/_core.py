"""What a check is: an id, a default severity, documented thresholds, and a pure function.

A check reads an :class:`~auditlens.results.AuditResult` only (never the model or the data),
so ``auditlens check`` can re-run it on the evidence embedded in an archived report. Each
threshold carries its source: a cited convention where one exists, otherwise "this
project's choice" and why.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from auditlens.results import Finding

if TYPE_CHECKING:
    from auditlens.results import AuditResult, Scalar

Severity = Literal["high", "medium", "low", "info"]
SEVERITIES: tuple[Severity, ...] = ("high", "medium", "low", "info")  # most severe first
RANK = {s: i for i, s in enumerate(SEVERITIES)}
PROJECT = "this project's choice"


@dataclass(frozen=True, slots=True)
class Param:
    """One threshold of a check: default, the range a spec may set it to, and its source."""

    default: float
    low: float
    high: float
    source: str
    meaning: str


@dataclass(frozen=True, slots=True)
class Context:
    """What a check runs with: its id, its (possibly overridden) severity and thresholds."""

    id: str
    severity: Severity
    params: Mapping[str, float]

    def __getitem__(self, name: str) -> float:
        return self.params[name]

    def lower(self) -> Severity:
        """One step below the check's severity: the grade when only the point estimate crosses."""
        return SEVERITIES[min(RANK[self.severity] + 1, len(SEVERITIES) - 1)]

    def finding(
        self,
        sentence: str,
        *,
        measured: Mapping[str, Scalar],
        section: str,
        recommendation: str,
        threshold: Mapping[str, Scalar] | None = None,
        severity: Severity | None = None,
        subject: str = "",
    ) -> Finding:
        return Finding(
            id=self.id,
            severity=severity or self.severity,
            sentence=sentence,
            measured={k: _finite(v) for k, v in measured.items()},
            threshold=dict(self.params if threshold is None else threshold),
            section=section,
            recommendation=recommendation,
            subject=subject,
        )


CheckFn = Callable[["AuditResult", Context], list[Finding]]


@dataclass(frozen=True, slots=True)
class Check:
    id: str
    severity: Severity
    summary: str  # what it flags, one line (the catalogue in the README)
    params: Mapping[str, Param]
    run: CheckFn = field(repr=False)
    # The model tasks the check judges (its evidence exists only for these).
    tasks: tuple[str, ...] = ("binary", "multiclass", "regression")


def check(
    into: list[Check], id: str, severity: Severity, summary: str, *, tasks: tuple[str, ...] | None = None,
    **params: Param,
) -> Callable[[CheckFn], CheckFn]:
    """Register the decorated function as check ``id`` in the family list ``into``."""

    def register(fn: CheckFn) -> CheckFn:
        own = {} if tasks is None else {"tasks": tasks}
        into.append(Check(id=id, severity=severity, summary=summary, params=params, run=fn, **own))
        return fn

    return register


def _finite(value: Scalar) -> Scalar:
    """NaN and infinities become None: JSON has no NaN, and a re-run must compare equal."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def pct(x: float) -> str:
    return f"{x:.1%}"
