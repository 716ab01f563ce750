"""The audit spec: a TOML file that says what to audit and how.

Parsed with :mod:`tomllib`, validated with pydantic, and every problem reported as one line
naming the field, what was expected and what was received::

    tuning.trials: Input should be greater than or equal to 2; got 0

Checks that need the data (does the target column exist?) happen when the data is loaded
(:mod:`auditlens.dataset`), with the same style of message.

Example:
    >>> spec = load_spec("samples/german-credit/audit.toml")  # doctest: +SKIP
    >>> spec.tuning.trials  # doctest: +SKIP
    60
"""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from auditlens.errors import DataError, SpecError
from auditlens.space import CategoricalParam, FloatParam, IntParam, SearchSpace
from auditlens.task_metrics import metric_for

FORMATS = ("html", "pdf", "json")
UNKNOWN_FIELD = "unknown field (check the spelling; see the spec reference in README)"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class SignOff(_Strict):
    name: str = Field(min_length=1)
    role: str = Field(min_length=1)


class AuditSection(_Strict):
    title: str = Field(min_length=1)
    model_name: str = Field(min_length=1)
    model_version: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    intended_use: str = Field(min_length=1)
    out_of_scope_uses: tuple[str, ...] = ()
    known_limitations: tuple[str, ...] = ()
    sign_off: tuple[SignOff, ...] = ()
    # A fixed report timestamp makes runs reproducible; if absent the CLI uses
    # SOURCE_DATE_EPOCH or the clock, and records which.
    timestamp: datetime | None = None

    @field_validator("timestamp")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("a timestamp with a UTC offset, e.g. 2026-01-31T12:00:00Z")
        return value.astimezone(UTC) if value is not None else None


class DataSection(_Strict):
    path: str = Field(min_length=1)
    target: str = Field(min_length=1)
    # Required when auditlens tunes; for a fitted model file the default is its classes_[1].
    positive_class: str | int | bool | None = None
    test_fraction: float = Field(default=0.25, gt=0.0, lt=1.0)
    split_seed: int = Field(default=0, ge=0)
    protected_attributes: tuple[str, ...] = ()


class ModelSection(_Strict):
    """Either an estimator to tune and fit (``estimator``), or a fitted model file (``path``)."""

    estimator: Literal[
        "logistic_regression", "random_forest", "hist_gradient_boosting", "ridge", "elastic_net"
    ] | None = None
    # binary | multiclass | regression; inferred from the target (and a fitted model) when not given.
    task: Literal["binary", "multiclass", "regression"] | None = None
    # Fixed (not tuned) constructor arguments of the estimator.
    params: dict[str, str | int | float | bool] = Field(default_factory=dict)
    seed: int = Field(default=0, ge=0)
    # An existing model: a skops file (types outside the scikit-learn allowlist only when
    # listed in trusted_types), or a pickle/joblib file only with allow_pickle = true.
    path: str | None = Field(default=None, min_length=1)
    trusted_types: tuple[str, ...] = ()
    allow_pickle: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> ModelSection:
        if (self.estimator is None) == (self.path is None):
            raise ValueError(
                "exactly one of estimator (tune and fit a model) or path (audit a fitted model file); "
                f"got {'both' if self.estimator else 'neither'}"
            )
        if self.path is not None and self.params:
            raise ValueError(f"params only with estimator; got params={dict(self.params)} with path={self.path!r}")
        if self.estimator is not None and (self.trusted_types or self.allow_pickle):
            raise ValueError("trusted_types and allow_pickle only with path (a model file); got them with estimator")
        return self


class FloatSpace(_Strict):
    type: Literal["float"]
    low: float
    high: float
    log: bool = False

    @model_validator(mode="after")
    def _bounds(self) -> FloatSpace:
        _check_bounds(self.low, self.high, self.log)
        return self


class IntSpace(_Strict):
    type: Literal["int"]
    low: int
    high: int
    log: bool = False

    @model_validator(mode="after")
    def _bounds(self) -> IntSpace:
        _check_bounds(self.low, self.high, self.log)
        return self


class CategoricalSpace(_Strict):
    type: Literal["categorical"]
    choices: tuple[str | int | float | bool, ...] = Field(min_length=1)

    @field_validator("choices")
    @classmethod
    def _distinct(cls, value: tuple[Any, ...]) -> tuple[Any, ...]:
        if len(set(map(repr, value))) != len(value):
            raise ValueError(f"distinct choices; got {list(value)!r}")
        return value


ParamSpace = Annotated[FloatSpace | IntSpace | CategoricalSpace, Field(discriminator="type")]


class TuningSection(_Strict):
    """Either a tuning to run (``trials``, ``space``, ...), or an existing run to read.

    An existing run is a trial table or scikit-learn ``cv_results_`` file (``results``), or an
    Optuna study (``storage`` and ``study``); ``space`` then optionally overrides the inferred
    parameter kinds and bounds of a file (an Optuna study knows its own distributions).

    A tuning to run keeps its study in ``storage`` when given (a PostgreSQL URL: the database
    several ``workers``, here or on other machines, share), else in study.db beside the report.
    """

    trials: int = Field(default=60, ge=2)
    # A scikit-learn scorer fit for the task (auditlens.task.METRICS); default: the task's first.
    metric: Literal[
        "roc_auc", "accuracy", "balanced_accuracy", "average_precision", "neg_log_loss", "neg_brier_score",
        "roc_auc_ovr", "f1_macro",
        "neg_root_mean_squared_error", "neg_mean_absolute_error", "r2",
        "neg_mean_poisson_deviance", "neg_mean_gamma_deviance",
    ] | None = None
    cv_folds: int = Field(default=5, ge=2, le=20)
    sampler_seed: int = Field(default=0, ge=0)
    space: dict[str, ParamSpace] = Field(default_factory=dict)
    results: str | None = Field(default=None, min_length=1)
    storage: str | None = Field(default=None, min_length=1)
    study: str | None = Field(default=None, min_length=1)
    objective: StrictStr | StrictInt | None = None
    direction: Literal["maximize", "minimize"] | None = None
    # Tuning processes on this machine (more need a storage they can share).
    workers: int = Field(default=1, ge=1, le=256)
    # Seconds between a worker's heartbeats; a trial whose worker is silent for twice this long
    # is marked failed and queued again (Optuna's heartbeat). Only with storage.
    heartbeat_interval: int = Field(default=10, ge=1, le=3600)

    @property
    def existing(self) -> bool:
        """True when the spec reads a finished tuning run instead of running one.

        A storage with a search space and no study name is where a tuning to run keeps its study.
        """
        return self.results is not None or self.study is not None or (self.storage is not None and not self.space)

    @model_validator(mode="after")
    def _one_source(self) -> TuningSection:
        if self.existing:
            if self.results is not None and (self.storage or self.study):
                raise ValueError(
                    f"either results (a file) or storage and study (an Optuna study); got results={self.results!r} "
                    f"and storage={_shown(self.storage)!r}"
                )
            if self.results is None and (self.storage is None or self.study is None):
                raise ValueError(
                    f"storage and study together; got storage={_shown(self.storage)!r}, study={self.study!r}"
                )
            tuned_only = sorted(
                {"trials", "metric", "cv_folds", "sampler_seed", "workers", "heartbeat_interval"} & self.model_fields_set
            )
            if tuned_only:
                raise ValueError(
                    f"{', '.join(tuned_only)} only when auditlens tunes; an existing run (results/storage) "
                    "records its own settings"
                )
            if self.storage is not None and self.space:
                raise ValueError("space with storage: an Optuna study records its own distributions; remove space")
        else:
            if not self.space:
                raise ValueError("space: at least one hyperparameter to tune (or results/storage for an existing run)")
            if self.objective is not None or self.direction is not None:
                raise ValueError("objective and direction only with results or storage (an existing run)")
            if self.workers > 1 and self.storage is None:
                raise ValueError(
                    f"storage (a database the workers share, e.g. postgresql://...) with workers > 1; "
                    f"got workers={self.workers} and no storage"
                )
        return self

    def search_space(self) -> SearchSpace:
        params = []
        for name, p in self.space.items():
            if isinstance(p, FloatSpace):
                params.append(FloatParam(name, p.low, p.high, p.log))
            elif isinstance(p, IntSpace):
                params.append(IntParam(name, p.low, p.high, p.log))
            else:
                params.append(CategoricalParam(name, tuple(p.choices)))
        return SearchSpace(tuple(params))


def _shown(url: str | None) -> str | None:
    """A storage URL fit for a message: its password never leaves the spec."""
    from auditlens.trials.optuna_study import redact_url

    return None if url is None else redact_url(url)


class ImportanceSection(_Strict):
    # Gradient boosting is the default surrogate: measured closer to analytic Sobol indices
    # than the paper's random forest on every test function (benchmarks/README.md).
    surrogate: Literal["gradient_boosting", "random_forest"] = "gradient_boosting"
    n_trees: int | None = Field(default=None, ge=4)  # random_forest only (engine default 64)
    max_features: float | None = Field(default=None, gt=0.0, le=1.0)
    min_samples_leaf: int | None = Field(default=None, ge=1)
    top_pairs: int = Field(default=10, ge=0)
    seed: int = Field(default=0, ge=0)
    # Refits on permuted objectives that say which importances are distinguishable from
    # chance (auditlens.fanova.chance); 0 skips them.
    permutations: int = Field(default=39, ge=0)

    @model_validator(mode="after")
    def _forest_only(self) -> ImportanceSection:
        if self.surrogate == "gradient_boosting" and self.n_trees is not None:
            raise ValueError(
                f"n_trees only with surrogate = \"random_forest\"; got n_trees={self.n_trees} "
                "with the gradient_boosting surrogate"
            )
        return self


class ExplainSection(_Strict):
    background_size: int = Field(default=100, ge=10)
    max_rows: int = Field(default=1000, ge=10)
    decisions_to_review: int = Field(default=5, ge=0)
    dependence_plots: int = Field(default=4, ge=0)
    seed: int = Field(default=0, ge=0)
    # Bootstrap resamples (over explained rows) for the 95% interval of mean |SHAP|; 0 = none.
    bootstrap: int = Field(default=1000, ge=0, le=100000)
    # Tree models: SHAP interaction values on the first this many explained rows (0 = skip);
    # the cost grows with rows x trees x leaves x depth^2.
    interaction_rows: int = Field(default=100, ge=0)
    interaction_pairs: int = Field(default=5, ge=1)
    # Tree explainer: processes for TreeSHAP above 2,000 explained rows (values do not change).
    n_jobs: int = Field(default=1, ge=1)
    # Per-row SHAP values kept in results.json (and so in the PDF): all explained rows up to
    # this many, else a seeded sample; aggregates always use every explained row. Measured:
    # 100,000 stored rows made a 22.6 MB PDF, 2,000 about 1 MB (benchmarks/README.md).
    stored_rows: int = Field(default=2000, ge=100)
    # SHAP (tree explainer) and the group bootstrap on a Dask cluster: "local" starts one of
    # cluster_workers processes; "tcp://HOST:PORT" joins a running scheduler. Same numbers.
    cluster: str | None = Field(default=None, pattern=r"^(local|(tcp|tls)://\S+)$")
    cluster_workers: int = Field(default=2, ge=1, le=256)
    # With a cluster and a Parquet data.path: workers read the rows they explain from the file
    # (the row groups holding them) instead of receiving them; every worker needs the file at
    # the same path. Same numbers.
    workers_read_data: bool = False


class ReviewSection(_Strict):
    """Which decisions get their own review (see :mod:`auditlens.review`).

    ``rows``: row numbers of the data file (0-based), all reviewed, from either split;
    else the test split, narrowed by ``filter`` if given, ordered by ``strategy``, first
    ``limit`` (default ``explain.decisions_to_review``).
    """

    rows: tuple[int, ...] = ()
    filter: str = ""
    # Default by task: highest_risk (binary), largest_error (regression), most_uncertain (multiclass).
    strategy: Literal["highest_risk", "most_uncertain", "random", "largest_error", "lowest_prediction"] | None = None
    limit: int | None = Field(default=None, ge=1)
    seed: int = Field(default=0, ge=0)
    top_features: int = Field(default=6, ge=1)

    @field_validator("filter")
    @classmethod
    def _simple(cls, value: str) -> str:
        # Imported here: `import auditlens` loads this module and must not load pandas
        # (auditlens --help stays fast); review.py evaluates filters on DataFrames.
        from auditlens.review import check_filter

        if value:
            try:
                check_filter(value)
            except DataError as exc:
                raise ValueError(f"{exc.expected}; {exc.note}") from None
        return value

    @model_validator(mode="after")
    def _one_way(self) -> ReviewSection:
        if self.rows and self.filter:
            raise ValueError(f"either rows or filter, not both; got rows={list(self.rows)} and filter={self.filter!r}")
        if len(set(self.rows)) != len(self.rows):
            raise ValueError(f"distinct row ids; got {list(self.rows)}")
        return self


class GroupsSection(_Strict):
    """Per-group metrics of the protected attributes (``data.protected_attributes``)."""

    # Band edges per numeric attribute, e.g. {age_in_years = [25, 35, 50]}; others: quartiles.
    bins: dict[str, tuple[float, ...]] = Field(default_factory=dict)
    bootstrap: int = Field(default=200, ge=0, le=10000)
    seed: int = Field(default=0, ge=0)
    top_features: int = Field(default=5, ge=0)
    # Intersections of protected attributes, e.g. [["personal_status_and_sex", "age_in_years"]]:
    # one group per combination of their groups (bands for numeric ones).
    intersections: tuple[tuple[str, ...], ...] = ()

    @field_validator("intersections")
    @classmethod
    def _two_or_more(cls, value: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
        for names in value:
            if len(names) < 2 or len(set(names)) != len(names):
                raise ValueError(f"lists of two or more distinct attributes; got {list(names)}")
        return value

    @field_validator("bins")
    @classmethod
    def _increasing(cls, value: dict[str, tuple[float, ...]]) -> dict[str, tuple[float, ...]]:
        for name, edges in value.items():
            if not edges or any(b <= a for a, b in pairwise(edges)):
                raise ValueError(f"strictly increasing band edges for {name!r}; got {list(edges)}")
        return value


class ReportSection(_Strict):
    formats: tuple[Literal["html", "pdf", "json"], ...] = ("html", "pdf", "json")


class ComplianceSection(_Strict):
    """Free-text statements for documentation items that no measurement can supply.

    Each is shown in the report's "Governance" section and cited in the regulatory appendix,
    or listed there plainly as "not provided". What each field serves (EU AI Act Annex IV
    item, SR 11-7 element, model-card field): :data:`auditlens.report.compliance.GOVERNANCE`.
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


class AuditSpec(_Strict):
    """A validated audit spec. ``base_dir`` is the folder relative paths are resolved from."""

    audit: AuditSection
    data: DataSection
    model: ModelSection
    tuning: TuningSection
    importance: ImportanceSection = ImportanceSection()
    explain: ExplainSection = ExplainSection()
    groups: GroupsSection = GroupsSection()
    review: ReviewSection = ReviewSection()
    report: ReportSection = ReportSection()
    compliance: ComplianceSection = ComplianceSection()
    # Overrides of the checks' thresholds and severities, by check id (auditlens.checks);
    # validated by auditlens.checks.normalize_settings in parse_spec.
    checks: dict[str, Any] = Field(default_factory=dict)
    base_dir: Path = Field(default=Path("."), exclude=True)
    source_file: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _model_matches_tuning(self) -> AuditSpec:
        if self.model.path is not None:
            unused = sorted(
                [f"data.{f}" for f in {"test_fraction", "split_seed"} & self.data.model_fields_set]
                + (["model.seed"] if "seed" in self.model.model_fields_set else [])
            )
            if unused:
                raise ValueError(
                    f"no {', '.join(unused)} with model.path: a fitted model is evaluated on every row "
                    "of data.path, nothing is split or refitted"
                )
        if self.model.path is not None and not self.tuning.existing:
            raise ValueError(
                "tuning.results or tuning.storage/study (the run that produced model.path); "
                "got a tuning to run with a fitted model file"
            )
        if self.model.estimator is not None and self.tuning.existing:
            raise ValueError(
                "model.path (the fitted model of the existing run); got model.estimator with tuning.results/storage"
            )
        return self

    @model_validator(mode="after")
    def _workers_can_read(self) -> AuditSpec:
        if self.explain.workers_read_data:
            if self.explain.cluster is None:
                raise ValueError(
                    'explain.cluster ("local" or "tcp://HOST:PORT") with explain.workers_read_data = true; got no cluster'
                )
            if Path(self.data.path).suffix.lower() not in (".parquet", ".pq"):
                raise ValueError(
                    "a Parquet data.path (.parquet) with explain.workers_read_data = true; "
                    f"got {Path(self.data.path).name!r}"
                )
        return self

    @model_validator(mode="after")
    def _binned_are_protected(self) -> AuditSpec:
        for name in (n for names in self.groups.intersections for n in names):
            if name not in self.data.protected_attributes:
                raise ValueError(
                    f"groups.intersections names among data.protected_attributes "
                    f"{list(self.data.protected_attributes)}; got {name!r}"
                )
        for name in self.groups.bins:
            if name not in self.data.protected_attributes:
                raise ValueError(
                    f"groups.bins keys among data.protected_attributes "
                    f"{list(self.data.protected_attributes)}; got {name!r}"
                )
        return self

    @property
    def data_path(self) -> Path:
        return (self.base_dir / self.data.path).resolve()

    @property
    def existing(self) -> bool:
        """True when the spec audits a fitted model file and a finished tuning run."""
        return self.model.path is not None

    @property
    def model_path(self) -> Path | None:
        return None if self.model.path is None else (self.base_dir / self.model.path).resolve()

    @property
    def results_path(self) -> Path | None:
        return None if self.tuning.results is None else (self.base_dir / self.tuning.results).resolve()

    @property
    def storage_url(self) -> str | None:
        """The Optuna storage URL, a relative SQLite path resolved against the spec's folder."""
        url = self.tuning.storage
        prefix = "sqlite:///"
        if url is not None and url.startswith(prefix) and not Path(url.removeprefix(prefix)).is_absolute():
            return prefix + str((self.base_dir / url.removeprefix(prefix)).resolve())
        return url


def _check_bounds(low: float, high: float, log: bool) -> None:
    if high < low:
        raise ValueError(f"low <= high; got low={low!r}, high={high!r}")
    if log and low <= 0:
        raise ValueError(f"low > 0 when log = true; got low={low!r}")


def parse_spec(
    document: dict[str, Any], *, base_dir: Path = Path("."), source_file: Path | None = None
) -> AuditSpec:
    """Validate a parsed TOML document; raise :class:`SpecError` naming the first bad field."""
    for reserved in ("base_dir", "source_file"):
        if reserved in document:
            raise SpecError(UNKNOWN_FIELD, field=reserved)
    try:
        spec = AuditSpec.model_validate({**document, "base_dir": base_dir, "source_file": source_file})
    except ValidationError as exc:
        raise spec_error(exc) from None
    if spec.data.positive_class is None and not spec.existing and spec.model.task == "binary":
        raise SpecError("required field is missing", field="data.positive_class")
    _check_metric_fits_task(spec)
    from auditlens.checks import normalize_settings  # the catalogue lives with the checks

    normalize_settings(spec.checks, field="checks")
    return spec


def _check_metric_fits_task(spec: AuditSpec) -> None:
    """A stated task and a tuning metric of another task: refused before any data is read."""
    if spec.model.task is not None:
        metric_for(spec.model.task, spec.tuning.metric)


def load_spec(path: str | Path, *, tuning: dict[str, Any] | None = None) -> AuditSpec:
    """Read and validate an audit spec from a TOML file.

    ``tuning`` overrides fields of its [tuning] table (the command line's ``--storage``,
    ``--workers``) before validation.

    Raises:
        SpecError: the file is missing, is not TOML, or a field is invalid.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise SpecError(f"file {str(path)!r} does not exist", field="spec") from None
    except UnicodeDecodeError:
        raise SpecError(f"{str(path)!r} is not UTF-8 text", field="spec") from None
    except IsADirectoryError:
        raise SpecError(f"expected a TOML file; {str(path)!r} is a folder", field="spec") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path.name} is not valid TOML: {exc}", field="spec") from None
    if tuning and isinstance(document.get("tuning"), dict):
        document["tuning"] = {**document["tuning"], **tuning}
    return parse_spec(document, base_dir=path.resolve().parent, source_file=path.resolve())


def spec_error(exc: ValidationError) -> SpecError:
    """The first validation error, as data: dotted field, what was expected, what was received."""
    error = exc.errors(include_url=False)[0]
    loc = [str(part) for part in error["loc"]]
    # Discriminated unions add the tag ("float") to the location; it is noise to a user.
    loc = [part for part in loc if part not in ("float", "int", "categorical", "str", "bool")
           and not part.startswith("constrained-")]
    field = ".".join(loc) or "spec"
    kind = error["type"]
    if kind == "missing":
        return SpecError("required field is missing", field=field)
    if kind == "extra_forbidden":
        return SpecError(UNKNOWN_FIELD, field=field)
    message = error["msg"].removeprefix("Value error, ")
    received = error.get("input")
    if kind == "value_error":
        return SpecError(field=field, expected=message)
    if kind == "union_tag_invalid" and isinstance(received, dict):
        return SpecError("'type' must be one of 'float', 'int', 'categorical'", field=field, got=repr(received.get("type")))
    if kind == "union_tag_not_found":
        return SpecError("'type' is missing", field=field, expected="one of 'float', 'int', 'categorical'")
    if kind == "union_tag_invalid":
        return SpecError(message, field=field)
    return SpecError(message, field=field, got=repr(received))
