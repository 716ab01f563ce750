"""Checks: the audit's judgements of its own evidence, as findings with a severity.

Each check is a small pure function of an :class:`~auditlens.results.AuditResult` (no model,
no data), so ``auditlens check report.pdf`` re-evaluates an archived report from the
``results.json`` it embeds. One module per family: :mod:`.performance`, :mod:`.importance`,
:mod:`.effects`, :mod:`.groups`, :mod:`.data`, :mod:`.provenance`. The catalogue with every
default threshold and its source: :data:`CATALOGUE` (and the README).

A spec's ``[checks]`` table overrides thresholds and severities and disables checks::

    [checks]
    disable = ["data.class_imbalance"]

    [checks.groups.four_fifths]      # or [checks."groups.four_fifths"]
    min_ratio = 0.9
    severity = "medium"

Example:
    >>> from auditlens.checks import CATALOGUE, normalize_settings
    >>> CATALOGUE["groups.four_fifths"].params["min_ratio"].default
    0.8
    >>> normalize_settings({"groups": {"four_fifths": {"min_ratio": 0.9}}})
    {'groups.four_fifths': {'min_ratio': 0.9}}
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditlens.checks import data, effects, groups, importance, performance, provenance
from auditlens.checks._core import RANK, SEVERITIES, Check, Context, Param, Severity
from auditlens.errors import SpecError

if TYPE_CHECKING:
    from auditlens.results import AuditResult, Finding, Scalar

__all__ = [
    "CATALOGUE", "FAMILIES", "SEVERITIES", "Check", "Param", "at_or_above", "attach", "count_by_severity",
    "catalogue_markdown", "evaluate", "load_settings_file", "normalize_settings",
]

FAMILIES = {m.__name__.rsplit(".", 1)[-1]: m for m in (performance, importance, effects, groups, data, provenance)}
CATALOGUE: dict[str, Check] = {c.id: c for m in FAMILIES.values() for c in m.CHECKS}
ORDER = {cid: i for i, cid in enumerate(CATALOGUE)}
Settings = dict[str, dict[str, "Scalar"]]


def normalize_settings(table: Mapping[str, Any], *, field: str = "checks") -> Settings:
    """Validate a ``[checks]`` table; return ``{check id: {setting: value}}`` (overrides only).

    Raises:
        SpecError: an unknown check id or setting, a severity not among high/medium/low/info,
            or a threshold outside its documented range; the message names the field.
    """
    if not isinstance(table, Mapping):
        raise SpecError(f"{field}: expected a table of check settings; got {table!r}")
    out: Settings = {}
    for key, value in table.items():
        if key == "disable":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise SpecError(f"{field}.disable: expected a list of check ids; got {value!r}")
            for cid in value:
                _known(cid, f"{field}.disable")
                out.setdefault(cid, {})["enabled"] = False
        elif key in FAMILIES and isinstance(value, Mapping) and all(isinstance(v, Mapping) for v in value.values()):
            for name, sub in value.items():
                out.setdefault(f"{key}.{name}", {}).update(_one(f"{key}.{name}", sub, f"{field}.{key}.{name}"))
        else:
            out.setdefault(key, {}).update(_one(key, value, f"{field}.{key}"))
    return {cid: out[cid] for cid in sorted(out, key=lambda c: ORDER[c])}


def _known(cid: str, where: str) -> Check:
    if cid not in CATALOGUE:
        raise SpecError(f"{where}: unknown check {cid!r}; expected one of the ids in the README's check catalogue")
    return CATALOGUE[cid]


def _one(cid: str, value: Any, where: str) -> dict[str, Scalar]:
    chk = _known(cid, where)
    if not isinstance(value, Mapping):
        raise SpecError(f"{where}: expected a table of settings (thresholds, severity, enabled); got {value!r}")
    out: dict[str, Scalar] = {}
    for name, v in value.items():
        if name == "severity":
            if v not in SEVERITIES:
                raise SpecError(f"{where}.severity: expected one of {', '.join(SEVERITIES)}; got {v!r}")
            out[name] = v
        elif name == "enabled":
            if not isinstance(v, bool):
                raise SpecError(f"{where}.enabled: expected true or false; got {v!r}")
            out[name] = v
        elif name in chk.params:
            p = chk.params[name]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not p.low <= v <= p.high:
                raise SpecError(f"{where}.{name}: expected a number in [{p.low:g}, {p.high:g}]; got {v!r}")
            out[name] = float(v)
        else:
            allowed = ", ".join([*chk.params, "severity", "enabled"])
            raise SpecError(f"{where}.{name}: unknown setting of {cid}; expected one of {allowed}")
    return out


def evaluate(result: AuditResult, settings: Settings | None = None) -> list[Finding]:
    """Run every enabled check on ``result``; findings most severe first, then in catalogue order."""
    settings = settings or {}
    found: list[Finding] = []
    for cid, chk in CATALOGUE.items():
        own = settings.get(cid, {})
        if own.get("enabled", True) is False or result.task not in chk.tasks:
            continue
        params = {name: float(own.get(name, p.default)) for name, p in chk.params.items()}
        severity: Severity = own.get("severity", chk.severity)  # type: ignore[assignment]
        found.extend(chk.run(result, Context(cid, severity, params)))
    return sorted(found, key=lambda f: (RANK[f.severity], ORDER[f.id]))


def load_settings_file(path: Path) -> Settings:
    """Check settings from a TOML file: a ``[checks]`` table, or the file's top level."""
    import tomllib

    try:
        document = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(f"--checks: file {str(path)!r} does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SpecError(f"--checks: {Path(path).name} is not valid TOML: {exc}") from None
    except IsADirectoryError:
        raise SpecError(f"--checks: expected a TOML file; {str(path)!r} is a folder") from None
    return normalize_settings(document.get("checks", document), field="checks")


def attach(result: AuditResult, settings: Settings) -> AuditResult:
    """``result`` with its findings and the settings they were evaluated with."""
    return result.model_copy(update={"findings": evaluate(result, settings), "check_settings": settings})


def count_by_severity(findings: Iterable[Finding]) -> dict[str, int]:
    counts = dict.fromkeys(SEVERITIES, 0)
    for f in findings:
        counts[f.severity] += 1
    return counts


def at_or_above(findings: Iterable[Finding], severity: str) -> list[Finding]:
    """The findings whose severity is ``severity`` or more severe."""
    return [f for f in findings if RANK[f.severity] <= RANK[severity]]


def catalogue_markdown() -> str:
    """The catalogue as a Markdown table (the README's copy is checked against it)."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| id | flags | default severity | default threshold | source |", "|---|---|---|---|---|"]
    for chk in CATALOGUE.values():
        params = chk.params.items()
        thresholds = "; ".join(f"`{name}` = {p.default:g}: {p.meaning}" for name, p in params) or "—"
        if len(chk.params) > 1:
            sources = "; ".join(f"`{name}`: {p.source}" for name, p in params)
        else:
            sources = next((p.source for p in chk.params.values()), "presence (no threshold)")
        lines.append(f"| `{chk.id}` | {cell(chk.summary)} | {chk.severity} | {cell(thresholds)} | {cell(sources)} |")
    return "\n".join(lines) + "\n"
