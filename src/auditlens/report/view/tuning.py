"""The Tuning section: how the run was produced, its space, its best configuration, its history."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from markupsafe import Markup

from auditlens.formatting import fixed, general, plain, setting
from auditlens.report import charts
from auditlens.report.view.base import Chart, Facts, Table, existing, metric_name
from auditlens.results import AuditResult, SpaceParam, TuningSummary


@dataclass(frozen=True, slots=True)
class TuningView:
    facts: Facts
    space: Table
    best: Table
    history: Chart


def tuning_view(result: AuditResult) -> TuningView:
    tuning = result.tuning
    return TuningView(
        facts=tuning_facts(result),
        space=space_table(tuning.space),
        best=Table(("Hyperparameter", "Best value"), tuple((k, setting(v)) for k, v in tuning.best_params.items())),
        history=_history(result),
    )


def space_table(space: list[SpaceParam]) -> Table:
    """The search space; with the reason for each inferred range and scale when a trial table
    was read (a wrong guess of the scale changes every importance, so the reader must see it)."""
    if not any(p.basis for p in space):
        return Table(("Hyperparameter", "Search space"), tuple((p.name, space_text(p)) for p in space))
    return Table(
        ("Hyperparameter", "Search space", "Why this range and scale"),
        tuple((p.name, space_text(p), p.basis.removeprefix("inferred: ") or "declared") for p in space),
    )


def space_text(p: SpaceParam) -> str:
    """A hyperparameter's search space: ``float [0.005, 0.5], log`` or ``categorical {15, 63}``."""
    if p.description:  # a 1.0 file: the text as it was written
        return p.description
    if p.kind == "categorical":
        return "categorical {" + ", ".join(repr(c) for c in p.choices or ()) + "}"
    bounds = (general(p.low), general(p.high)) if p.kind == "float" else (plain(p.low), plain(p.high))
    return f"{p.kind} [{bounds[0]}, {bounds[1]}]" + (", log" if p.log else "")


def tuning_facts(result: AuditResult) -> Facts:
    """How the tuning run was produced: by auditlens, or read from an existing run."""
    tuning, metric = result.tuning, metric_name(result)
    states = ", ".join(f"{n} {s.lower()}" for s, n in sorted(tuning.state_counts.items())) or (
        f"{tuning.n_complete} complete, {tuning.n_failed} failed"
    )
    trials = f"{tuning.n_trials} ({states})"
    if tuning.n_duplicates:
        trials += f"; {tuning.n_duplicates} repeated configurations kept (they show the objective's noise)"
    best = ("Best trial", f"#{tuning.best_number}: {metric} = {fixed(tuning.best_value, 4)}")
    if not existing(result):
        return (
            ("Estimator", f"{tuning.estimator_class} ({tuning.estimator})"),
            ("Fixed parameters", ", ".join(f"{k}={v!r}" for k, v in tuning.fixed_params.items()) or "none"),
            ("Objective", f"{metric}, mean over {tuning.cv_folds} {'' if result.task == 'regression' else 'stratified '}"
                          f"folds of the training split ({tuning.direction})"),
            ("Sampler", f"{tuning.sampler}, seed {tuning.sampler_seed}"),
            ("Trials", trials),
            *_fold_noise_fact(result),
            _study_fact(tuning),
            *_workers_fact(tuning),
            best,
        )
    facts = [
        ("Model", f"{tuning.estimator_class}, loaded from {tuning.estimator}"),
        ("Tuning run", f"{tuning.source} (read, not re-run)"),
        ("Objective", f"{metric} as recorded in the run ({tuning.direction})"),
        ("Trials", trials),
        best,
    ]
    if not tuning.source.startswith("optuna study"):
        # A file records values, not distributions: the table below shows what was inferred.
        inferred = ("inferred from the values tried (observed range; linear or log scale as the values "
                    "look uniformly drawn, linear when ambiguous), unless declared in [tuning.space]")
        facts.append(("Search space", inferred))
    return tuple(facts) + _model_file_facts(result)


def fold_spread(result: AuditResult) -> tuple[float, float] | None:
    """(sd of a trial's mean score that is noise of its folds, sd between the trials' mean
    scores), when the tuning recorded its fold scores: the first against the second says how
    much of the differences between trials the folds alone could make."""
    tuning = result.tuning
    values = [t.value for t in tuning.trials if t.value is not None and t.state == "COMPLETE"]
    if tuning.fold_noise_sd is None or len(values) < 2:
        return None
    return tuning.fold_noise_sd, statistics.stdev(values)


def _fold_noise_fact(result: AuditResult) -> Facts:
    spread = fold_spread(result)
    if spread is None:
        return ()
    metric = metric_name(result)
    return ((
        "Noise across folds",
        f"sd of a trial's mean {metric} that is noise of its {result.tuning.cv_folds} folds: {general(spread[0], 2)} "
        f"(configuration × fold interaction; the folds' shared difficulty cancels between trials); "
        f"sd between the trials' mean {metric}: {general(spread[1], 2)}",
    ),)


def _study_fact(tuning: TuningSummary) -> tuple[str, str]:
    if "://" not in tuning.storage_file:  # the study.db auditlens wrote beside the report
        return ("Study", f"{tuning.study_name!s} in {tuning.storage_file} (kept with this report as evidence)")
    return ("Study", f"{tuning.study_name!s} in {tuning.storage_file} (a shared database; its trials are embedded in this report)")


def _workers_fact(tuning: TuningSummary) -> Facts:
    """Parallel tuning: what it does to reproducibility, said where the sampler is."""
    if tuning.workers <= 1:
        return ()
    return ((
        "Workers",
        (f"{tuning.workers} tuning processes shared the study. Parallel TPE is not reproducible trial by "
         "trial: which configurations a worker proposes depends on which trials had finished, which "
         "depends on timing. What is reproducible is this audit of the finished study: the same study "
         "gives the same report, byte for byte."),
    ),)


def _model_file_facts(result: AuditResult) -> Facts:
    model_file = result.model_file
    if model_file is None:
        return ()
    trusted = ", ".join(model_file.trusted_by_user) or "none"
    loaded = (f"{model_file.name} ({model_file.format}), sha256 {model_file.sha256}; types trusted by "
              f"the owner beyond the scikit-learn allowlist: {trusted}")
    return (("Model file", loaded),) + tuple(("Warning", w) for w in model_file.warnings)


def _history(result: AuditResult) -> Chart:
    tuning, metric = result.tuning, metric_name(result)
    values = [t.value if t.value is not None else float("nan") for t in tuning.trials]
    what = (f"{metric} of each of the {tuning.n_trials} trials as recorded in the run" if existing(result)
            else f"Cross-validated {metric} of each of the {tuning.n_trials} trials")
    svg = charts.optimisation_history(
        [t.number for t in tuning.trials], values, direction=tuning.direction, metric=metric,
        alt=what + ", with the best value so far.",
    )
    return Chart(Markup(svg), f"Optimisation history: {metric} per trial and the best so far.")
