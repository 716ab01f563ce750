"""AuditResult: everything an audit found, as one frozen, versioned, JSON-serialisable model.

This is the contract between analysis and report: the report is built from an AuditResult
alone (``auditlens render results.json``), so it holds plain numbers and strings only — no
shap, Optuna or scikit-learn objects. The published JSON Schema is
``auditlens/schema/results.schema.json`` (regenerate with :func:`json_schema`).

Schema versions: "1.1" holds numbers and labels only, where "1.0" also held text formatted for
the report (a column's summary, a search space's description, a decision's input value as
shown); the report formats them now. "1.0" files still load, render and verify: their text
fields are read and written back as they were (so their report id does not change), and the
view falls back to them where the numbers are missing.

Example:
    >>> from auditlens.results import AuditResult
    >>> AuditResult.model_json_schema()["properties"]["schema_version"]["enum"]
    ['1.0', '1.1']
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
    model_validator,
)

from auditlens.errors import ResultsError

SCHEMA_VERSION = "1.2"
# Versions this release reads (and writes back unchanged when it re-renders them); 1.2 adds the
# task (regression, multiclass) and their performance sections.
READABLE_VERSIONS = ("1.0", "1.1", "1.2")

Scalar = str | int | float | bool | None


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _VersionedFields(_Frozen):
    """A model with fields that one schema version has and the other has not.

    ``_omit_when_default``: left out of the JSON while they hold their default, in either
    version (a 1.1 file carries no empty 1.0 text, a categorical column no empty median).
    ``_new_in_1_1``: fields 1.1 added (optional, with defaults); written into a 1.0 file only
    when set. So a 1.0 file is written back byte for byte, and its report id does not change.
    The version comes from the serialisation context (:meth:`AuditResult.to_json`).
    """

    _omit_when_default: ClassVar[tuple[str, ...]] = ()
    _new_in_1_1: ClassVar[tuple[str, ...]] = ()
    _new_in_1_2: ClassVar[tuple[str, ...]] = ()  # likewise: left out of 1.0 and 1.1 files while default

    @model_serializer(mode="wrap")
    def _omit_defaults(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        version = info.context.get("schema_version") if isinstance(info.context, dict) else None
        writing_1_0, before_1_2 = version == "1.0", version in ("1.0", "1.1")
        fields = type(self).model_fields
        omit = self._omit_when_default + (self._new_in_1_1 if writing_1_0 else ()) + (self._new_in_1_2 if before_1_2 else ())
        for name in omit:
            if name in data and data[name] == fields[name].get_default(call_default_factory=True):
                del data[name]
        return data


class SignOffEntry(_Frozen):
    name: str
    role: str


class AuditInfo(_Frozen):
    title: str
    model_name: str
    model_version: str
    owner: str
    intended_use: str
    out_of_scope_uses: list[str]
    known_limitations: list[str]
    sign_off: list[SignOffEntry]


class ColumnHistogram(_Frozen):
    """What population stability needs of one column (see :mod:`auditlens.drift`); no rows.

    ``bins``: counts on ``[edges[i], edges[i+1])`` (the last bin closed); ``values``: counts
    per category label. ``missing`` is counted apart.
    """

    kind: Literal["bins", "values"]
    edges: list[float] = Field(default_factory=list)
    values: list[str] = Field(default_factory=list)
    counts: list[int]
    missing: int


class ColumnSummary(_VersionedFields):
    name: str
    kind: Literal["numeric", "categorical"]
    missing: int
    distinct: int
    # 1.1: the numbers behind the report's one-line summary. Numeric: min, median, max
    # (None when the column has no values); categorical: the most frequent value and its count.
    min: float | None = None
    median: float | None = None
    max: float | None = None
    most_frequent: str | None = None
    most_frequent_count: int | None = None
    summary: str = ""  # 1.0 only: the summary as text
    # 1.1: None in 1.0 files (population stability is then unavailable).
    histogram: ColumnHistogram | None = None

    _omit_when_default = ("min", "median", "max", "most_frequent", "most_frequent_count", "summary")
    _new_in_1_1 = ("histogram",)


class DataSummary(_VersionedFields):
    file_name: str
    sha256: str
    rows: int
    columns: int
    target: str
    positive_class: str
    class_counts: dict[str, int]
    train_rows: int
    test_rows: int
    test_fraction: float | None
    split_seed: int | None
    # "split": auditlens split the file (stratified); "file": an existing model was evaluated
    # on every row of the file (added after 1.0 was first written; the default keeps old files valid).
    evaluation: Literal["split", "file"] = "split"
    protected_attributes: list[str]
    column_summaries: list[ColumnSummary]
    # 1.1: held-out rows identical (every feature and the target, by row hash) to a training
    # row; None = not measured (an existing model's training data is not given).
    shared_rows: int | None = None
    shared_rows_method: str = ""

    _new_in_1_1 = ("shared_rows", "shared_rows_method")


class SpaceParam(_VersionedFields):
    name: str
    kind: Literal["float", "int", "categorical"]
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: list[Scalar] | None = None
    description: str = ""  # 1.0 only: the space as text ("float [0.005, 0.5], log")
    # Why these bounds and this scale, when any parameter of the space was inferred from a
    # trial table's values ("inferred: bounds observed; uniform on the log scale ...", or
    # "declared in --space" for the others); empty when the whole space was declared.
    basis: str = ""

    _omit_when_default = ("description", "basis")
    _new_in_1_2 = ("basis",)


class TrialRecord(_Frozen):
    number: int
    state: str
    value: float | None
    params: dict[str, Scalar]


class TuningSummary(_VersionedFields):
    estimator: str
    estimator_class: str
    fixed_params: dict[str, Scalar]
    metric: str
    direction: Literal["maximize", "minimize"]
    cv_folds: int | None
    sampler: str
    sampler_seed: int | None
    study_name: str
    storage_file: str
    n_trials: int
    n_complete: int
    n_failed: int
    space: list[SpaceParam]
    trials: list[TrialRecord]
    best_number: int
    best_value: float
    best_params: dict[str, Scalar]
    # Added after 1.0 was first written, with defaults, so earlier 1.0 files still load.
    # "tuned": auditlens ran the tuning; "existing": a finished run was read (source says which).
    origin: Literal["tuned", "existing"] = "tuned"
    source: str = ""
    state_counts: dict[str, int] = Field(default_factory=dict)
    n_duplicates: int = 0
    # Tuning processes that ran trials (several share a study in a database: tuning.workers).
    workers: int = Field(default=1, ge=1)
    # sd of a trial's mean CV score due to its folds (configuration x fold interaction; the
    # folds' shared difficulty cancels between trials): auditlens tunings, see tuning.fold_noise.
    fold_noise_sd: float | None = Field(default=None, ge=0)

    _new_in_1_1 = ("workers",)
    _new_in_1_2 = ("fold_noise_sd",)


class EffectEntry(_VersionedFields):
    params: list[str]
    importance: float
    std: float
    # Against the permutation null (absent in files before it existed, or with it off): the
    # 95th percentile of this effect over the permutations, and the max-T flag.
    null_p95: float | None = None
    distinguishable: bool | None = None

    _new_in_1_1 = ("null_p95", "distinguishable")


class ChanceSummary(_Frozen):
    """The permutation null of the importances (auditlens.fanova.chance)."""

    n_permutations: int
    seed: int
    alpha: float
    level: float | None  # importance above which an effect is distinguishable (None: unreachable)
    method: str


class VarianceShares(_Frozen):
    """What the importances are shares of."""

    main_effects: float  # of the surrogate's variance
    pairs: float | None
    higher_order: float | None
    unexplained: float | None  # 1 - R² of the surrogate, of the objective's variance


class MarginalCurve(_Frozen):
    param: str
    x: list[float]
    labels: list[str] | None = None
    log_scale: bool = False
    mean: list[float]
    std: list[float]


class ImportanceSummary(_VersionedFields):
    method: str
    estimator: str
    uncertainty_method: str
    n_trials_used: int
    n_trials_excluded: int
    excluded_params: list[str]
    main_effects: list[EffectEntry]
    pairwise: list[EffectEntry]
    pairs_total: int
    marginals: list[MarginalCurve]
    surrogate_r2: float | None
    # How surrogate_r2 was measured (cross-validated or out-of-bag); "" in files before it existed.
    surrogate_fit_method: str = ""
    surrogate_settings: dict[str, Scalar]
    total_variance: float
    warnings: list[str]
    chance: ChanceSummary | None = None
    shares: VarianceShares | None = None

    _new_in_1_1 = ("chance", "shares")


class InteractionPair(_Frozen):
    features: list[str]
    mean_abs: float  # mean over rows of |Φ_ab| + |Φ_ba|, on the model's raw output scale


class DependenceEntry(_Frozen):
    feature: str
    colour_by: str | None


class Contribution(_Frozen):
    feature: str
    value: Scalar  # the input as given (1.0: as text for the report, e.g. "7,119")
    shap: float


class DecisionReview(_VersionedFields):
    row_id: str
    predicted: str
    probability: float | None  # of the predicted class; None for a regressor (predicted is the value)
    actual: str
    model_output: float
    base_value: float
    contributions: list[Contribution]
    rest: float
    split: str = "test"
    # Every input as given (original values) and its SHAP value, in FeatureEffectsSummary.features order.
    inputs: dict[str, Scalar] = Field(default_factory=dict)
    shap_values: list[float] = Field(default_factory=list)
    # Multiclass: the second most probable class, and what separates the two (SHAP of the
    # predicted class's margin minus the runner-up's).
    runner_up: str = ""
    runner_up_probability: float | None = None
    versus_runner_up: list[Contribution] = Field(default_factory=list)

    _new_in_1_2 = ("runner_up", "runner_up_probability", "versus_runner_up")


class FeatureEffectsSummary(_VersionedFields):
    explainer: str
    output_scale: str
    positive_class: str
    background_size: int
    background_seed: int
    background_sha256: str
    n_explained: int
    base_value: float
    additivity_gap: float
    features: list[str]
    numeric_features: list[str]
    mean_abs: list[float]
    # Row-major SHAP values and the original feature values of the stored rows: every
    # explained row, or a seeded sample of them (stored_positions) when there are more than
    # explain.stored_rows; every aggregate above and below is computed on all explained rows.
    values: list[list[float]]
    rows: list[list[Scalar]]
    dependence: list[DependenceEntry]
    decisions: list[DecisionReview]
    review_selection: str = ""  # how the reviewed decisions were chosen
    # 95% percentile bootstrap interval of mean_abs over the explained rows ([] = not computed).
    mean_abs_ci_low: list[float] = Field(default_factory=list)
    mean_abs_ci_high: list[float] = Field(default_factory=list)
    mean_abs_ci_method: str = ""
    interaction_pairs: list[InteractionPair] = Field(default_factory=list)
    interaction_note: str = ""
    # Multiclass: the classes, and per class (in this order) mean |SHAP| per feature over the
    # explained rows (aligned with features) and the base value; the values above are toward
    # each row's predicted class.
    classes: list[str] = Field(default_factory=list)
    class_mean_abs: list[list[float]] = Field(default_factory=list)
    class_base_values: list[float] = Field(default_factory=list)

    _new_in_1_2 = ("classes", "class_mean_abs", "class_base_values")
    # Added after 1.0 was first written: positions (in the explained rows) of the rows in
    # values/rows when only a sample is stored ([] = all are stored), and how it was drawn.
    stored_positions: list[int] = Field(default_factory=list)
    stored_note: str = ""


class PerformanceSummary(_VersionedFields):
    split: str
    n: int
    positives: int
    positive_class: str
    negative_class: str
    roc_auc: float
    accuracy: float
    balanced_accuracy: float
    brier: float
    log_loss: float
    threshold: float
    confusion: list[list[int]]
    roc_fpr: list[float]
    roc_tpr: list[float]
    calibration_pred: list[float]
    calibration_true: list[float]
    calibration_count: list[int]
    # 1.1: logistic recalibration of the held-out labels on logit(probability): slope 1 and
    # intercept 0 when calibrated (Cox 1958); standard error of the slope from the fit.
    calibration_slope: float | None = None
    calibration_slope_se: float | None = None
    calibration_intercept: float | None = None

    _new_in_1_1 = ("calibration_slope", "calibration_slope_se", "calibration_intercept")


class GroupMetrics(_VersionedFields):
    """One group of a protected attribute on the test split; None = undefined there."""

    group: str
    n: int
    positives: int
    metrics: dict[str, float | None]  # roc_auc, accuracy, tpr, fpr, selection_rate
    ci_low: dict[str, float | None]
    ci_high: dict[str, float | None]
    n_explained: int = 0
    mean_abs_shap: list[float] = Field(default_factory=list)  # aligned with shap_features
    # 1.1: why an interval is not shown or not to be trusted, by metric (e.g. too few of a class).
    ci_notes: dict[str, str] = Field(default_factory=dict)

    _new_in_1_1 = ("ci_notes",)


class AttributeGroupsSummary(_VersionedFields):
    attribute: str
    kind: Literal["categorical", "numeric", "intersection"]
    edges: list[float] = Field(default_factory=list)  # numeric: band edges, [a, b) bands
    # intersection: the attributes combined, each grouped as on its own (added after 1.0).
    members: list[str] = Field(default_factory=list)
    groups: list[GroupMetrics]
    demographic_parity_difference: float | None
    demographic_parity_difference_ci: list[float | None] = Field(default_factory=list)
    demographic_parity_ratio: float | None
    equalized_odds_difference: float | None
    shap_features: list[str] = Field(default_factory=list)
    # 1.2, regression and multiclass: the largest between-group gap of each metric.
    gaps: list[GroupGapSummary] = Field(default_factory=list)

    _new_in_1_2 = ("gaps",)


class GroupsSummary(_Frozen):
    """Held-out performance and mean |SHAP| per group of each protected attribute."""

    method: str
    threshold: float
    n_boot: int
    seed: int
    ci_method: str
    shap_scale: str
    attributes: list[AttributeGroupsSummary]


class ModelFileInfo(_VersionedFields):
    """The fitted model file an existing-run audit loaded, and how it was trusted."""

    name: str
    sha256: str
    format: Literal["skops", "pickle", "joblib"]
    estimator_class: str
    untrusted_types: list[str]
    trusted_by_user: list[str]
    warnings: list[str]
    # 1.1: "name: model X, best trial Y" for each parameter where the two disagree.
    param_mismatches: list[str] = Field(default_factory=list)

    _new_in_1_1 = ("param_mismatches",)


class InputHash(_Frozen):
    role: str
    name: str
    sha256: str


class Provenance(_Frozen):
    auditlens_version: str
    python: str
    platform: str
    packages: dict[str, str]
    seeds: dict[str, int]
    inputs: list[InputHash]
    timestamp: str
    timestamp_source: str


class ComplianceInfo(_Frozen):
    """The owner's free-text statements for items no measurement supplies ("" = not provided).

    Field names and meanings: :data:`auditlens.report.compliance.GOVERNANCE`.
    """

    provider: str = ""
    design_rationale: str = ""
    data_provenance: str = ""
    human_oversight: str = ""
    metrics_rationale: str = ""
    foreseeable_risks: str = ""
    ethical_considerations: str = ""
    risk_management: str = ""
    cybersecurity: str = ""
    lifecycle_changes: str = ""
    standards: str = ""
    post_market_monitoring: str = ""


class Finding(_Frozen):
    """One judgement a check made on the evidence (see :mod:`auditlens.checks`)."""

    id: str  # the check's stable id, e.g. "performance.degenerate_threshold"
    severity: Literal["high", "medium", "low", "info"]
    sentence: str
    measured: dict[str, Scalar]
    threshold: dict[str, Scalar]
    section: str  # anchor of the report section holding the evidence
    recommendation: str
    subject: str = ""  # what it is about when a check can fire more than once (a feature, a group)


class AuditResult(_VersionedFields):
    """The complete, versioned result of one audit."""

    schema_version: Literal["1.0", "1.1", "1.2"] = Field(default=SCHEMA_VERSION)
    audit: AuditInfo
    data: DataSummary
    tuning: TuningSummary
    importance: ImportanceSummary
    feature_effects: FeatureEffectsSummary
    # A binary classifier's held-out performance (every file before 1.2 has one); the other
    # tasks fill regression_performance or multiclass_performance instead.
    performance: PerformanceSummary | None = None
    provenance: Provenance
    # Added after 1.0 was first written, with a default, so earlier 1.0 files still load.
    compliance: ComplianceInfo = Field(default_factory=ComplianceInfo)
    groups: GroupsSummary | None = None
    model_file: ModelFileInfo | None = None
    # 1.1: what the checks found (most severe first) and the [checks] settings they ran with.
    findings: list[Finding] = Field(default_factory=list)
    check_settings: dict[str, dict[str, Scalar]] = Field(default_factory=dict)
    # 1.2: the kind of model (files before 1.2 are binary classifiers), and the held-out
    # performance of the other two.
    task: Literal["binary", "multiclass", "regression"] = "binary"
    regression_performance: RegressionPerformanceSummary | None = None
    multiclass_performance: MulticlassPerformanceSummary | None = None

    @model_validator(mode="after")
    def _performance_of_task(self) -> AuditResult:
        present = {
            "binary": self.performance, "regression": self.regression_performance,
            "multiclass": self.multiclass_performance,
        }
        if present[self.task] is None:
            field = "performance" if self.task == "binary" else f"{self.task}_performance"
            raise ValueError(f"{field}: required for a {self.task} model")
        return self

    _new_in_1_1 = ("findings", "check_settings")
    _new_in_1_2 = ("task", "regression_performance", "multiclass_performance")

    def to_json(self) -> str:
        """Serialise to JSON text (floats round-trip exactly; same result, same bytes)."""
        # The version decides which empty fields are written (see _VersionedFields).
        return self.model_dump_json(indent=1, context={"schema_version": self.schema_version}) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes, *, source: str = "results.json") -> AuditResult:
        """Parse and validate; raise :class:`ResultsError` naming the first bad field."""
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ResultsError(f"{source}: not valid JSON ({exc})") from None
        except UnicodeDecodeError as exc:
            raise ResultsError(f"{source}: not valid JSON (expected UTF-8; byte {exc.start} is not)") from None
        except RecursionError:
            raise ResultsError(f"{source}: not valid results (nested too deeply to read)") from None
        if not isinstance(raw, dict):
            raise ResultsError(f"{source}: expected a JSON object; got {type(raw).__name__}")
        version = raw.get("schema_version")
        if version not in READABLE_VERSIONS:
            expected = " or ".join(repr(v) for v in READABLE_VERSIONS)
            raise ResultsError(f"{source}: schema_version must be {expected}; got {version!r}")
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            error = exc.errors(include_url=False)[0]
            field = ".".join(str(p) for p in error["loc"])
            raise ResultsError(f"{source}: {field}: {error['msg']}") from None

    @classmethod
    def load(cls, path: str | Path) -> AuditResult:
        path = Path(path)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ResultsError(f"results: file {str(path)!r} does not exist") from None
        except IsADirectoryError:
            raise ResultsError(f"results: expected a results.json file; {str(path)!r} is a folder") from None
        return cls.from_json(data, source=path.name)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of AuditResult, as shipped in ``auditlens/schema/results.schema.json``."""
    schema = AuditResult.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"auditlens:results:{SCHEMA_VERSION}"
    return schema


def shipped_schema_path() -> Path:
    return Path(__file__).parent / "schema" / "results.schema.json"


# --- regression and multiclass performance (issue 14)
# Built by auditlens.evaluate_regression.from_regression / evaluate_multiclass.from_multiclass.
# An interval is [low, high]; [null, null] where it was not computed (n_boot = 0) or is undefined.

IntervalList = list[float | None]


def _no_interval() -> list[float | None]:
    return [None, None]


class RegressionPerformanceSummary(_Frozen):
    """Held-out metrics of a regressor; residual = actual − predicted (``residual_definition``)."""

    split: str
    n: int
    rmse: float
    rmse_ci: IntervalList = Field(default_factory=_no_interval)
    mae: float
    mae_ci: IntervalList = Field(default_factory=_no_interval)
    r2: float | None = None  # undefined with fewer than 2 rows or constant targets
    r2_ci: IntervalList = Field(default_factory=_no_interval)
    mean_residual: float
    mean_residual_ci: IntervalList = Field(default_factory=_no_interval)
    # Deviances only where defined (Poisson/Tweedie: targets >= 0, predictions > 0; gamma: both > 0).
    poisson_deviance: float | None = None
    poisson_deviance_ci: IntervalList = Field(default_factory=_no_interval)
    gamma_deviance: float | None = None
    gamma_deviance_ci: IntervalList = Field(default_factory=_no_interval)
    tweedie_deviance: float | None = None
    tweedie_deviance_ci: IntervalList = Field(default_factory=_no_interval)
    tweedie_power: float = 1.5
    # A seeded sample of rows (positions in the evaluated rows) for the scatter charts.
    sample_positions: list[int] = Field(default_factory=list)
    sample_actual: list[float] = Field(default_factory=list)
    sample_predicted: list[float] = Field(default_factory=list)
    # Residuals of every row: counts on [edges[i], edges[i+1]), the last bin closed.
    residual_edges: list[float] = Field(default_factory=list)
    residual_counts: list[int] = Field(default_factory=list)
    largest_errors: list[int] = Field(default_factory=list)  # positions, largest |residual| first
    largest_actual: list[float] = Field(default_factory=list)
    largest_predicted: list[float] = Field(default_factory=list)
    residual_definition: str = "actual − predicted"
    ci_method: str = ""
    n_boot: int = 0
    seed: int = 0


class ClassPerformanceSummary(_Frozen):
    """One class of a multiclass model against the rest; None = undefined."""

    label: str
    support: int
    predicted: int
    precision: float | None = None
    precision_ci: IntervalList = Field(default_factory=_no_interval)
    recall: float | None = None
    recall_ci: IntervalList = Field(default_factory=_no_interval)
    f1: float | None = None
    f1_ci: IntervalList = Field(default_factory=_no_interval)
    roc_auc: float | None = None
    roc_auc_ci: IntervalList = Field(default_factory=_no_interval)
    roc_auc_note: str = ""
    roc_fpr: list[float] = Field(default_factory=list)
    roc_tpr: list[float] = Field(default_factory=list)
    calibration_pred: list[float] = Field(default_factory=list)
    calibration_true: list[float] = Field(default_factory=list)
    calibration_count: list[int] = Field(default_factory=list)
    calibration_error: float | None = None


class MulticlassPerformanceSummary(_Frozen):
    """Held-out metrics of a multiclass classifier; confusion rows = actual, columns = predicted."""

    split: str
    n: int
    classes: list[str]
    class_counts: list[int]
    accuracy: float
    accuracy_ci: IntervalList = Field(default_factory=_no_interval)
    balanced_accuracy: float
    balanced_accuracy_ci: IntervalList = Field(default_factory=_no_interval)
    log_loss: float
    log_loss_ci: IntervalList = Field(default_factory=_no_interval)
    roc_auc_macro: float | None = None  # one-vs-rest, macro; None when a class is absent
    roc_auc_macro_ci: IntervalList = Field(default_factory=_no_interval)
    roc_auc_macro_note: str = ""
    confusion: list[list[int]]
    per_class: list[ClassPerformanceSummary]
    top_label_ece: float | None = None
    top_label_ece_ci: IntervalList = Field(default_factory=_no_interval)
    classwise_ece: float | None = None
    classwise_ece_ci: IntervalList = Field(default_factory=_no_interval)
    confidence_pred: list[float] = Field(default_factory=list)
    confidence_true: list[float] = Field(default_factory=list)
    confidence_count: list[int] = Field(default_factory=list)
    calibration_method: str = ""
    ci_method: str = ""
    bins: int = 10
    n_boot: int = 0
    seed: int = 0


class GroupGapSummary(_Frozen):
    """The largest between-group gap of one metric (auditlens.groups_tasks.GroupGap)."""

    metric: str
    high_group: str
    low_group: str
    difference: float  # high_group's value minus low_group's (>= 0)
    ci_low: float | None = None
    ci_high: float | None = None
    ci_method: str = ""


# The models above that earlier classes name (forward references) are defined now.
AttributeGroupsSummary.model_rebuild()
GroupsSummary.model_rebuild()
AuditResult.model_rebuild()
