"""Importance stage: fANOVA of the tuning run, as the report's importance section.

It reads only the tuning run, so it takes the TrialTable rather than the whole context and
runs before SHAP: a run that cannot be decomposed fails in a second, not after the SHAP values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from auditlens.importance import fanova_of_trials, variance_shares
from auditlens.results import (
    ChanceSummary,
    EffectEntry,
    ImportanceSummary,
    MarginalCurve,
    VarianceShares,
)
from auditlens.space import CategoricalParam
from auditlens.stages._values import finite_or_none, scalar

if TYPE_CHECKING:
    from auditlens.fanova import Effect, Marginal
    from auditlens.fanova.chance import ChanceNull
    from auditlens.spec import ImportanceSection
    from auditlens.trials.table import TrialTable

POOR_SURROGATE_R2 = 0.5
SURROGATE_NAMES = {"gradient_boosting": "gradient-boosted trees", "random_forest": "random forest"}


def importance_summary(trials: TrialTable, settings: ImportanceSection) -> ImportanceSummary:
    """Main effects, the strongest pairs and each parameter's marginal curve, with warnings."""
    done = trials.completed
    result, null = fanova_of_trials(
        trials,
        permutations=settings.permutations,
        surrogate=settings.surrogate,
        seed=settings.seed,
        n_trees=settings.n_trees,
        max_features=settings.max_features,
        min_samples_leaf=settings.min_samples_leaf,
    )
    r2 = finite_or_none(result.fit_r2)
    surrogate_name = SURROGATE_NAMES.get(settings.surrogate, settings.surrogate)
    warnings = []
    if r2 is None or r2 < POOR_SURROGATE_R2:
        shown = "unavailable" if r2 is None else f"{r2:.2f}"
        warnings.append(
            f"The {surrogate_name} surrogate explains the trials poorly ({result.fit_r2_method}: "
            f"{shown} < {POOR_SURROGATE_R2}); the importances below say little about the tuning problem."
        )
    if result.excluded:
        warnings.append(
            "Constant in every completed trial, so without measurable importance and left out: "
            + ", ".join(result.excluded) + "."
        )
    return ImportanceSummary(
        method=f"fANOVA (Hutter, Hoos & Leyton-Brown, ICML 2014) on a {surrogate_name} surrogate",
        estimator=result.estimator,
        uncertainty_method=result.uncertainty_method,
        n_trials_used=int(done.sum()),
        n_trials_excluded=int((~done).sum()),
        excluded_params=list(result.excluded),
        main_effects=[_entry(e, null) for e in result.main_effects],
        pairwise=[_entry(e, null) for e in result.pairwise[: settings.top_pairs]],
        pairs_total=len(result.pairwise),
        marginals=_marginals(trials, result.names, result.marginals),
        surrogate_r2=r2,
        surrogate_fit_method=result.fit_r2_method,
        surrogate_settings={k: scalar(v) for k, v in result.settings.items()},
        total_variance=float(result.total_variance),
        warnings=warnings,
        chance=_chance(null),
        shares=VarianceShares(**variance_shares(result)),  # type: ignore[arg-type]
    )


def _entry(effect: Effect, null: ChanceNull | None) -> EffectEntry:
    flags = {}
    if null is not None:
        level = null.of(*effect.params)
        flags = {"null_p95": level.null_p95, "distinguishable": level.distinguishable}
    return EffectEntry(params=list(effect.params), importance=float(effect.importance), std=float(effect.std), **flags)


def _chance(null: ChanceNull | None) -> ChanceSummary | None:
    if null is None:
        return None
    level = null.effects[0].level if null.effects else math.inf
    return ChanceSummary(
        n_permutations=null.n_permutations, seed=null.seed, alpha=null.alpha,
        level=level if math.isfinite(level) else None, method=null.method,
    )


def _marginals(trials: TrialTable, names: Sequence[str], curves: Mapping[str, Marginal]) -> list[MarginalCurve]:
    """Each parameter's marginal curve on its own scale (decoded values; labels for choices)."""
    marginals = []
    for name in names:
        param = trials.space[name]
        curve = curves[name]
        if isinstance(param, CategoricalParam):
            x, labels, log = list(range(len(param.choices))), [str(c) for c in param.choices], False
        else:
            x, labels, log = [float(v) for v in param.decode(curve.grid)], None, param.log
        marginals.append(
            MarginalCurve(
                param=name, x=x, labels=labels, log_scale=log,
                mean=[float(v) for v in curve.mean], std=[float(v) for v in curve.std],
            )
        )
    return marginals
