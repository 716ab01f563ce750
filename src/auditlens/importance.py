"""Hyperparameter importance of any tuning run: the `auditlens importance` command's logic.

Reads a TrialTable (from a file or an Optuna study, via :func:`open_trials`, re-exported here
for the CLI), runs the fANOVA engine, and returns the
ranked result as plain data, printed as a table or as JSON::

    {"n_trials": int,
     "main_effects": [{"param": str, "importance": float, "std": float}, ...],
     "pairwise": [{"params": [str, str], "importance": float, "std": float}, ...],
     "surrogate": {"r2": float, ...}, ...}
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from auditlens.errors import TrialsError
from auditlens.fanova import FanovaResult, decompose
from auditlens.trials.sources import check_analysable, open_trials

if TYPE_CHECKING:
    from auditlens.trials.table import TrialTable

__all__ = ["fanova_of_trials", "format_importance", "open_trials", "trial_importance"]


def fanova_of_trials(
    table: TrialTable,
    *,
    surrogate: str = "gradient_boosting",
    seed: int = 0,
    pairs: bool = True,
    cutoff: tuple[float, float] | None = None,
    n_trees: int | None = None,
    max_features: float | None = None,
    min_samples_leaf: int | None = None,
) -> FanovaResult:
    """The fANOVA of a tuning run's completed trials: the one way both commands run it.

    Conditional parameters (inactive in some trials) get a reserved cell, never an imputed
    value; marginal curves are evaluated on each parameter's own grid
    (:meth:`SearchSpace.marginal_grid`).
    """
    X, y = table.encoded(inactive="nan")
    return decompose(
        X,
        y,
        names=table.space.names,
        surrogate=surrogate,  # type: ignore[arg-type]
        n_trees=n_trees,
        max_features=max_features,
        min_samples_leaf=min_samples_leaf,
        pairs=pairs,
        marginal_grids={p.name: table.space.marginal_grid(p) for p in table.space},
        seed=seed,
        cutoff=cutoff,
        inactive="reserve",
    )


def trial_importance(
    table: TrialTable,
    *,
    pairs: int = 10,
    seed: int = 0,
    surrogate: str = "gradient_boosting",
    cutoff: float | None = None,
) -> dict[str, Any]:
    """fANOVA main effects and the top ``pairs`` interactions of a tuning run.

    ``cutoff`` (a fraction Q in (0, 1)) restricts the analysis to the good region, as the
    original fanova's cutoffs do: the objective is clipped at the Q-quantile of the completed
    trials on the bad side (for ``minimize`` every value above the Q-quantile becomes that
    quantile; for ``maximize`` every value below the (1 - Q)-quantile), so the importances say
    what matters *among the best Q of the configurations* rather than what separates bad
    from good ones. See :func:`auditlens.fanova.decompose` (``cutoff``) for how the surrogate
    is clipped.

    Example:
        >>> from auditlens.trials.table_file import read_trial_file
        >>> report = trial_importance(read_trial_file("trials.csv"), pairs=5)  # doctest: +SKIP
        >>> report["main_effects"][0]["param"]  # doctest: +SKIP
        'learning_rate'
    """
    check_analysable(table)
    _, y = table.encoded(inactive="nan")
    bounds = None
    cutoff_info = None
    if cutoff is not None:
        if not 0.0 < cutoff < 1.0:
            raise TrialsError(f"--cutoff must be a fraction in (0, 1); got {cutoff!r}")
        if table.direction == "minimize":
            bounds = (-math.inf, float(np.quantile(y, cutoff)))
        else:
            bounds = (float(np.quantile(y, 1.0 - cutoff)), math.inf)
        cutoff_info = {
            "quantile": float(cutoff),
            "lower": bounds[0] if math.isfinite(bounds[0]) else None,
            "upper": bounds[1] if math.isfinite(bounds[1]) else None,
            "n_trials_inside": int(np.sum((y >= bounds[0]) & (y <= bounds[1]))),
        }
    result = fanova_of_trials(
        table, surrogate=surrogate, pairs=pairs > 0, seed=seed, cutoff=bounds
    )
    r2 = result.fit_r2
    return {
        "n_trials": int(len(y)),
        "n_failed_trials": int(len(table) - len(y)),
        # Every state as recorded (failed, pruned and running trials are excluded, not hidden).
        "states": table.state_counts(),
        # Completed trials repeating an earlier configuration: kept, as evidence of noise.
        "n_duplicate_configurations": table.n_duplicate_configurations(),
        "source": table.source,
        "objective": table.objective,
        "direction": table.direction,
        "main_effects": [
            {"param": e.params[0], "importance": float(e.importance), "std": float(e.std)}
            for e in result.main_effects
        ],
        "pairwise": [
            {"params": list(e.params), "importance": float(e.importance), "std": float(e.std)}
            for e in result.pairwise[:pairs]
        ],
        "excluded_params": list(result.excluded),
        "cutoff": cutoff_info,
        # Conditional parameters: fraction of the completed trials in which each was inactive.
        "conditional": dict(result.settings.get("inactive", {})),  # type: ignore[call-overload]
        "surrogate": {
            "r2": float(r2) if math.isfinite(r2) else None,
            "r2_method": result.fit_r2_method,
            "estimator": result.estimator,
            "uncertainty": result.uncertainty_method,
            **{
                k: v if isinstance(v, (int, float, str, bool)) or v is None else str(v)
                for k, v in result.settings.items()
                if k not in ("cutoff", "inactive")  # in report["cutoff"], ["conditional"]
            },
        },
    }


def format_importance(report: dict[str, Any]) -> str:
    """The ranked human-readable table printed by `auditlens importance`."""
    states = report.get("states") or {}
    words = {"FAIL": "failed", "PRUNED": "pruned", "RUNNING": "running", "WAITING": "waiting"}
    excluded = [f"{n} {words.get(s, s.lower())}" for s, n in states.items() if s != "COMPLETE"]
    if not states and report["n_failed_trials"]:
        excluded = [f"{report['n_failed_trials']} failed"]
    duplicates = report.get("n_duplicate_configurations") or 0
    left_out = ", ".join(excluded) + " excluded" if excluded else "none excluded"
    repeats = f"; {duplicates} repeat an earlier configuration" if duplicates else ""
    header = (
        f"fANOVA importance of {report['objective']} ({report['direction']}) over "
        f"{report['n_trials']} completed trials ({left_out}{repeats}); {report['source']}"
    )
    lines = [header]
    cut = report.get("cutoff")
    if cut:
        side = f"<= {cut['upper']:.6g}" if cut["upper"] is not None else f">= {cut['lower']:.6g}"
        lines.append(
            f"cutoff: best {100 * cut['quantile']:g}% of trials ({report['objective']} {side}, "
            f"{cut['n_trials_inside']} trials); worse values clipped to the cutoff"
        )
    conditional = report.get("conditional") or {}
    if conditional:
        listed = ", ".join(f"{k} (inactive in {100 * w:.0f}%)" for k, w in conditional.items())
        lines.append(
            f"conditional: {listed}; 'inactive' is a value of its own, so a conditional "
            "parameter's share includes being switched on or off (shared with its parent)"
        )
    r2 = report["surrogate"]["r2"]
    lines.append(f"surrogate fit: R² {'n/a' if r2 is None else f'{r2:.3f}'} ({report['surrogate']['r2_method']})"
                 + ("  (poor: importances say little)" if r2 is None or r2 < 0.5 else ""))
    width = max([len(m["param"]) for m in report["main_effects"]] + [len(" × ".join(p["params"])) for p in report["pairwise"]] + [14])
    lines.append("")
    lines.append(f"{'rank':>4}  {'hyperparameter':<{width}}  {'importance':>10}  {'± std':>7}")
    for rank, m in enumerate(report["main_effects"], 1):
        lines.append(f"{rank:>4}  {m['param']:<{width}}  {100 * m['importance']:>9.1f}%  {100 * m['std']:>6.1f}%")
    for name in report["excluded_params"]:
        lines.append(f"{'-':>4}  {name:<{width}}  {'constant':>10}  {'':>7}")
    if report["pairwise"]:
        lines.append("")
        lines.append(f"{'rank':>4}  {'interaction':<{width}}  {'importance':>10}  {'± std':>7}")
        for rank, p in enumerate(report["pairwise"], 1):
            label = " × ".join(p["params"])
            lines.append(f"{rank:>4}  {label:<{width}}  {100 * p['importance']:>9.1f}%  {100 * p['std']:>6.1f}%")
    return "\n".join(lines)
