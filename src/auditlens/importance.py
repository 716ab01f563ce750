"""Hyperparameter importance of any tuning run: the `auditlens importance` command's logic.

Reads a TrialTable (from a file or an Optuna study, via :func:`open_trials`, re-exported here
for the CLI), runs the fANOVA engine and its permutation null, and returns the
ranked result as plain data, printed as a table or as JSON::

    {"n_trials": int,
     "space": [{"param": str, "kind": str, "low": .., "high": .., "log": bool, "why": str}, ...],
     "main_effects": [{"param": str, "importance": float, "std": float,
                       "null_p95": float, "distinguishable": bool}, ...],
     "pairwise": [{"params": [str, str], "importance": float, "std": float, ...}, ...],
     "shares": {"main_effects": float, "pairs": float, "higher_order": float,
                "unexplained": float},
     "chance": {"n_permutations": int, "level": float, ...},
     "surrogate": {"r2": float, ...}, ...}
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from auditlens.errors import TrialsError
from auditlens.fanova import Effect, FanovaResult
from auditlens.fanova.chance import DEFAULT_PERMUTATIONS, ChanceNull, decompose_against_chance
from auditlens.space import CategoricalParam
from auditlens.trials.sources import check_analysable, open_trials

if TYPE_CHECKING:
    from auditlens.trials.table import TrialTable

__all__ = [
    "fanova_of_trials",
    "format_importance",
    "open_trials",
    "space_used",
    "trial_importance",
    "variance_shares",
]


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
    permutations: int = DEFAULT_PERMUTATIONS,
) -> tuple[FanovaResult, ChanceNull | None]:
    """The fANOVA of a tuning run's completed trials and its permutation null (``None`` with
    ``permutations=0``): the one way both commands run it.

    Conditional parameters (inactive in some trials) get a reserved cell, never an imputed
    value; marginal curves are evaluated on each parameter's own grid
    (:meth:`SearchSpace.marginal_grid`).
    """
    X, y = table.encoded(inactive="nan")
    return decompose_against_chance(
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
        n_permutations=permutations,
    )


def space_used(table: TrialTable) -> list[dict[str, Any]]:
    """Each parameter's kind, bounds, scale and why (declared or inferred, and from what)."""
    out: list[dict[str, Any]] = []
    for param in table.space:
        entry: dict[str, Any] = {"param": param.name, "kind": param.kind}
        if isinstance(param, CategoricalParam):
            entry["choices"] = [c if isinstance(c, (int, float, bool)) else str(c) for c in param.choices]
        else:
            entry.update(low=param.low, high=param.high, log=param.log)
        entry["why"] = table.space_notes.get(param.name, "declared")
        out.append(entry)
    return out


def variance_shares(result: FanovaResult) -> dict[str, float | None]:
    """What the importances are shares of: the surrogate's variance in main effects, pairs
    and higher order, and the share of the objective's variance the surrogate leaves
    unexplained (1 - R², None when R² is unavailable)."""
    mains = float(sum(e.importance for e in result.main_effects))
    pairs = float(sum(e.importance for e in result.pairwise)) if result.settings.get("pairs") else None
    higher = None if pairs is None else max(0.0, 1.0 - mains - pairs)
    r2 = result.fit_r2
    return {
        "main_effects": mains,
        "pairs": pairs,
        "higher_order": higher,
        "unexplained": min(1.0, max(0.0, 1.0 - r2)) if math.isfinite(r2) else None,
    }


def _effect(e: Effect, null: ChanceNull | None) -> dict[str, Any]:
    key = {"param": e.params[0]} if len(e.params) == 1 else {"params": list(e.params)}
    out = {**key, "importance": float(e.importance), "std": float(e.std)}
    if null is not None:
        level = null.of(*e.params)
        out.update(null_p95=level.null_p95, p_value=level.p_value,
                   distinguishable=level.distinguishable)
    return out


def _chance(null: ChanceNull | None) -> dict[str, Any] | None:
    if null is None:
        return None
    level = null.effects[0].level if null.effects else math.inf
    return {
        "n_permutations": null.n_permutations,
        "seed": null.seed,
        "alpha": null.alpha,
        "level": level if math.isfinite(level) else None,
        "any_distinguishable": null.any_distinguishable,
        "method": null.method,
    }


def trial_importance(
    table: TrialTable,
    *,
    pairs: int = 10,
    seed: int = 0,
    surrogate: str = "gradient_boosting",
    cutoff: float | None = None,
    permutations: int = DEFAULT_PERMUTATIONS,
) -> dict[str, Any]:
    """fANOVA main effects and the top ``pairs`` interactions of a tuning run, each against
    chance (``permutations`` refits on permuted objectives; 0 skips them).

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
    result, null = fanova_of_trials(
        table, surrogate=surrogate, pairs=pairs > 0, seed=seed, cutoff=bounds,
        permutations=permutations,
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
        "space": space_used(table),
        "main_effects": [_effect(e, null) for e in result.main_effects],
        "pairwise": [_effect(e, null) for e in result.pairwise[:pairs]],
        "shares": variance_shares(result),
        "chance": _chance(null),
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
    lines.extend(_shares_lines(report.get("shares")))
    lines.extend(_chance_lines(report.get("chance")))
    lines.extend(_space_lines(report.get("space") or []))
    chance = report.get("chance") is not None
    width = max([len(m["param"]) for m in report["main_effects"]] + [len(" × ".join(p["params"])) for p in report["pairwise"]] + [14])
    lines.append("")
    lines.append(_row("rank", "hyperparameter", "importance", "± std", width, chance, header=True))
    for rank, m in enumerate(report["main_effects"], 1):
        lines.append(_row(str(rank), m["param"], m, None, width, chance))
    for name in report["excluded_params"]:
        lines.append(f"{'-':>4}  {name:<{width}}  {'constant':>10}  {'':>7}")
    if report["pairwise"]:
        lines.append("")
        lines.append(_row("rank", "interaction", "importance", "± std", width, chance, header=True))
        for rank, p in enumerate(report["pairwise"], 1):
            lines.append(_row(str(rank), " × ".join(p["params"]), p, None, width, chance))
    return "\n".join(lines)


def _row(rank: str, label: str, entry: Any, std: str | None, width: int, chance: bool, *, header: bool = False) -> str:
    """One table row; with the null, two more columns: its 95th percentile and the flag."""
    if header:
        cells = f"{rank:>4}  {label:<{width}}  {entry:>10}  {std:>7}"
        return cells + (f"  {'null 95%':>8}  {'vs chance':<9}" if chance else "")
    cells = f"{rank:>4}  {label:<{width}}  {100 * entry['importance']:>9.1f}%  {100 * entry['std']:>6.1f}%"
    if chance and "null_p95" in entry:
        flag = "above" if entry["distinguishable"] else "-"
        cells += f"  {100 * entry['null_p95']:>7.1f}%  {flag:<9}"
    return cells


def _shares_lines(shares: dict[str, Any] | None) -> list[str]:
    if not shares:
        return []
    parts = [f"{100 * shares['main_effects']:.1f}% main effects"]
    if shares.get("pairs") is not None:
        parts += [f"{100 * shares['pairs']:.1f}% pairs", f"{100 * shares['higher_order']:.1f}% higher order"]
    else:
        parts.append(f"{100 * max(0.0, 1 - shares['main_effects']):.1f}% interactions")
    line = "surrogate variance: " + ", ".join(parts)
    if shares.get("unexplained") is not None:
        line += f"; unexplained by the surrogate (1 - R²): {100 * shares['unexplained']:.1f}% of the objective's variance"
    return [line]


def _chance_lines(chance: dict[str, Any] | None) -> list[str]:
    if chance is None:
        return ["chance: not tested (--permutations 0)"]
    level = chance["level"]
    if level is None:
        where = "too few permutations to flag anything"
    elif level >= 1.0:  # refits on permuted values vary more than this fit as a whole
        where = "no importance can be distinguished from chance (the chance level exceeds 100%)"
    else:
        where = f"an importance above {100 * level:.1f}% is distinguishable from chance"
    found = "" if chance["any_distinguishable"] else "; none is"
    return [
        (
            f"chance: {chance['n_permutations']} permutations of the objective; {where} "
            f"(max-T over all effects, p < {chance['alpha']:g}){found}"
        )
    ]


def _space_lines(space: list[dict[str, Any]]) -> list[str]:
    if not space:
        return []
    width = max(len(e["param"]) for e in space)
    lines = ["search space used:"]
    for e in space:
        if e["kind"] == "categorical":
            what = f"categorical {e['choices']}"
        else:
            what = f"{e['kind']} [{e['low']:.6g}, {e['high']:.6g}] {'log' if e['log'] else 'linear'}"
        lines.append(f"  {e['param']:<{width}}  {what} — {e['why']}")
    return lines
