"""What every section view is made of: sections, tables, charts, fact lists, the metric's name."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from auditlens.results import AuditResult

# (label, text) pairs shown as a definition list.
Facts = tuple[tuple[str, str], ...]

METRIC_NAMES = {
    "roc_auc": "ROC AUC",
    "accuracy": "accuracy",
    "balanced_accuracy": "balanced accuracy",
    "average_precision": "average precision",
    "neg_log_loss": "negative log loss",
    "neg_brier_score": "negative Brier score",
    "roc_auc_ovr": "ROC AUC (one-vs-rest, macro)",
    "f1_macro": "macro F1",
    "neg_root_mean_squared_error": "negative RMSE",
    "neg_mean_absolute_error": "negative MAE",
    "r2": "R²",
    "neg_mean_poisson_deviance": "negative mean Poisson deviance",
    "neg_mean_gamma_deviance": "negative mean gamma deviance",
}
# How the report names each SHAP output scale.
SCALE_WORDS = {"log-odds": "log-odds", "probability": "probability", "margin": "softmax margin", "raw": "prediction"}

# Charts shown two to a row are drawn at half the text width, so their text stays legible.
HALF_WIDTH_IN = 3.4


@dataclass(frozen=True, slots=True)
class Section:
    id: str
    title: str


SECTIONS = (
    Section("summary", "Summary"),
    Section("findings", "Findings"),
    Section("intended-use", "Intended use and limitations"),
    Section("data", "Data"),
    Section("tuning", "Tuning"),
    Section("hyperparameter-importance", "Hyperparameter importance"),
    Section("feature-effects", "Feature effects"),
    Section("decision-review", "Decision review"),
    Section("performance", "Held-out performance"),
    Section("groups", "Groups"),
    Section("governance", "Governance"),
    Section("reproducibility", "Reproducibility and evidence"),
    Section("sign-off", "Sign-off"),
    Section("regulatory-mapping", "Appendix: regulatory mapping"),
)
SECTION_BY_ID = {s.id: s for s in SECTIONS}


@dataclass(frozen=True, slots=True)
class Chart:
    svg: Markup
    caption: str


@dataclass(frozen=True, slots=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[int, ...] = ()  # column indexes aligned right
    # Columns of short words ("categorical", "Distinct") that must never break inside a word:
    # other cells may break anywhere, which lets a narrow column shrink to a letter or two.
    whole: tuple[int, ...] = ()


def metric_name(result: AuditResult) -> str:
    """The tuning objective as a reader says it ("ROC AUC", not "roc_auc")."""
    return METRIC_NAMES.get(result.tuning.metric, result.tuning.metric)


def explained_output(result: AuditResult) -> str:
    """What the SHAP values add up to, in words: "log-odds of the positive class 'bad'"."""
    fx = result.feature_effects
    scale = SCALE_WORDS.get(fx.output_scale, fx.output_scale)
    if result.task == "regression":
        return f"the predicted {result.data.target}, in its own units"
    if result.task == "multiclass":
        return f"{scale} of each row's predicted class"
    return f"{scale} of the positive class '{fx.positive_class}'"


def target_text(result: AuditResult) -> str:
    """The target and what kind of model predicts it: "creditability (positive class: bad)"."""
    data = result.data
    if result.task == "regression":
        return f"{data.target} (regression: a number)"
    if result.task == "multiclass":
        return f"{data.target} (multiclass: {len(data.class_counts)} classes)"
    return f"{data.target} (positive class: {data.positive_class})"


def held_out(result: AuditResult) -> str:
    """What the held-out metrics were measured on."""
    return "held-out file" if result.data.evaluation == "file" else "test split"


def existing(result: AuditResult) -> bool:
    """True when an existing tuning run and model were read rather than produced."""
    return result.tuning.origin == "existing"
