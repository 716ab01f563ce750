"""DiffResult: what changed between two audits, as one frozen, versioned, JSON-serialisable model.

Plain numbers and labels only, computed by :func:`auditlens.diff.compare.compare` from two
AuditResults; the change report (HTML, PDF) is drawn from it, and ``diff.json`` is its JSON.
Where an audit did not measure something the field is ``None`` (or a list is empty) and a
``note`` says why; nothing is filled in. The published JSON Schema is
``auditlens/schema/diff.schema.json`` (regenerate with :func:`json_schema`).

Example:
    >>> DiffResult.model_json_schema()["properties"]["schema_version"]["const"]
    '1.0'
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

DIFF_SCHEMA_VERSION = "1.0"

Status = Literal["same", "changed", "added", "removed"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Change(_Frozen):
    """One recorded fact of both audits, as shown (``""`` = not recorded by that audit)."""

    field: str
    old: str
    new: str
    status: Status


class InputChange(_Frozen):
    role: str
    old_name: str = ""
    old_sha256: str = ""
    new_name: str = ""
    new_sha256: str = ""
    status: Status


class IdentityDiff(_Frozen):
    old_report_id: str
    new_report_id: str
    facts: list[Change]  # title, model, timestamps, schema, estimator, ...
    old_signers: list[str]
    new_signers: list[str]
    inputs: list[InputChange]
    packages: list[Change]  # only the packages whose version differs (or is in one audit only)


class ColumnDrift(_Frozen):
    """Population stability of one column present in both audits (see :mod:`auditlens.drift`)."""

    name: str
    old_kind: str
    new_kind: str
    psi: float | None
    noise95: float | None
    bins: int = 0
    exact: bool = True
    beyond_noise: bool | None = None
    band: Literal["stable", "moderate", "major"] | None = None
    note: str = ""


class Proportion(_Frozen):
    """A share with its 95% Wilson interval."""

    value: float
    low: float
    high: float
    count: int
    n: int


class DataDiff(_Frozen):
    old_file: str
    new_file: str
    same_file: bool
    facts: list[Change]  # rows, columns, split settings
    old_positive: Proportion
    new_positive: Proportion
    positive_beyond_noise: bool
    class_counts: list[Change]
    columns_added: list[str]
    columns_removed: list[str]
    drift: list[ColumnDrift]
    psi_available: bool
    psi_note: str


class SpaceChange(_Frozen):
    name: str
    old: str  # the parameter's range as the audit describes it ("" = not in that space)
    new: str
    status: Status


class TuningDiff(_Frozen):
    facts: list[Change]  # estimator, metric, direction, folds, sampler, trial counts, best value
    space: list[SpaceChange]
    best_params: list[Change]
    old_best_value: float
    new_best_value: float
    comparable: bool  # same metric and direction: the best values can be set side by side


class ImportanceChange(_Frozen):
    """One hyperparameter's fANOVA main effect in both audits (share of variance)."""

    param: str
    old_rank: int | None
    new_rank: int | None
    old: float | None
    old_std: float | None
    new: float | None
    new_std: float | None
    difference: float | None
    noise95: float | None  # 1.96 · sqrt(old_std² + new_std²)
    beyond_noise: bool | None
    status: Status


class ImportanceDiff(_Frozen):
    uncertainty: list[str]  # how each audit measured its spread (old, new)
    ranking_changed: bool
    changes: list[ImportanceChange]
    old_r2: float | None
    new_r2: float | None
    note: str


class EffectChange(_Frozen):
    """One feature's mean |SHAP| and its 95% interval in both audits."""

    feature: str
    old_rank: int | None
    new_rank: int | None
    old: float | None
    old_low: float | None
    old_high: float | None
    new: float | None
    new_low: float | None
    new_high: float | None
    overlap: bool | None  # None: an interval is missing (not computed by that audit)
    status: Status


class CurveBin(_Frozen):
    label: str  # a category, or a value range
    x: float  # position on the chart: bin centre (numeric) or category index
    old_mean: float | None  # mean SHAP value of the stored rows in the bin (None = no row)
    old_n: int
    new_mean: float | None
    new_n: int


class DependenceOverlay(_Frozen):
    feature: str
    categorical: bool
    bins: list[CurveBin]


class EffectsDiff(_Frozen):
    facts: list[Change]  # explainer, output scale, rows explained
    comparable: bool  # same output scale: mean |SHAP| values are in the same unit
    ranking_changed: bool
    changes: list[EffectChange]
    overlays: list[DependenceOverlay]
    note: str


class MetricChange(_Frozen):
    metric: str
    old: float | None
    old_low: float | None
    old_high: float | None
    new: float | None
    new_low: float | None
    new_high: float | None
    beyond_noise: bool | None  # None: no interval available for this metric
    method: str


class DisparityChange(_Frozen):
    attribute: str
    measure: str
    old: float | None
    new: float | None
    threshold: float
    direction: Literal["above", "below"]  # which side of the threshold is a concern
    crossed: Literal["worse", "better"] | None  # by the point estimates
    # The audit's 95% interval, where it computed one (demographic parity difference).
    old_low: float | None = None
    old_high: float | None = None
    new_low: float | None = None
    new_high: float | None = None
    interval_past: bool | None = None  # crossed "worse" and NEW's whole interval is past the threshold


class GroupMetricChange(_Frozen):
    attribute: str
    group: str
    metric: str
    old: float | None
    old_low: float | None
    old_high: float | None
    new: float | None
    new_low: float | None
    new_high: float | None
    overlap: bool | None


class PerformanceDiff(_Frozen):
    facts: list[Change]  # split, rows, positives, threshold
    same_rows: bool  # the same held-out rows (same file, split seed and fraction)
    metrics: list[MetricChange]
    disparities: list[DisparityChange]
    group_changes: list[GroupMetricChange]  # metrics of groups in both audits
    groups_note: str


class FindingRef(_Frozen):
    id: str
    severity: str
    text: str


class FindingsDiff(_Frozen):
    new: list[FindingRef]
    resolved: list[FindingRef]
    unchanged: list[FindingRef]


class DiffResult(_Frozen):
    """What changed from the OLD audit to the NEW one (``auditlens diff OLD NEW``)."""

    schema_version: Literal["1.0"] = Field(default=DIFF_SCHEMA_VERSION)
    old_sha256: str  # of each results.json compared
    new_sha256: str
    identity: IdentityDiff
    data: DataDiff
    tuning: TuningDiff
    importance: ImportanceDiff
    effects: EffectsDiff
    performance: PerformanceDiff
    findings: FindingsDiff | None = None  # None unless both audits recorded findings

    def to_json(self) -> str:
        """Serialise to JSON text (same diff, same bytes)."""
        return self.model_dump_json(indent=1) + "\n"


def json_schema() -> dict[str, Any]:
    """The JSON Schema of DiffResult, as shipped in ``auditlens/schema/diff.schema.json``."""
    schema = DiffResult.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"auditlens:diff:{DIFF_SCHEMA_VERSION}"
    return schema


def shipped_schema_path() -> Path:
    return Path(__file__).resolve().parent.parent / "schema" / "diff.schema.json"


def load_diff(path: str | Path) -> DiffResult:
    """Read a diff.json written by ``auditlens diff``."""
    return DiffResult.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))
