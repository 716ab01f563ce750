"""Checks on the tuning run and its fANOVA importances: can they be read at all?"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from auditlens.checks._core import PROJECT, Check, Context, Param, check, pct

if TYPE_CHECKING:
    from auditlens.results import AuditResult, EffectEntry, Finding

CHECKS: list[Check] = []
SECTION = "hyperparameter-importance"
# The flag the permutation null of the fANOVA importances sets on each EffectEntry (issue 13):
# True when the importance is distinguishable from chance. Results without it (schema 1.0, or
# an audit run without the null) leave the check below silent rather than guessing.
NULL_FLAG = "distinguishable"
# Checks whose finding makes the importance ranking inconclusive: the report then does not name
# a "most important" hyperparameter as a result.
# A poor surrogate makes every share unreadable. Importances within the permutation null are not
# named by the key findings anyway (they name only those distinguishable from chance), so
# not_above_chance does not silence one that the null does separate.
MAKES_RANKING_INCONCLUSIVE = ("importance.poor_surrogate",)


@check(
    CHECKS, "importance.poor_surrogate", "medium",
    "the fANOVA surrogate fits the trials too poorly for its importances to be read",
    min_r2=Param(0.5, 0.0, 1.0, PROJECT + " (the importance section's own warning level)",
                 "smallest surrogate R² (cross-validated or out-of-bag) at which importances are read"),
)
def poor_surrogate(result: AuditResult, ctx: Context) -> list[Finding]:
    imp = result.importance
    r2 = imp.surrogate_r2
    if r2 is not None and r2 >= ctx["min_r2"]:
        return []
    shown = "unavailable" if r2 is None else f"{r2:.2f}"
    return [ctx.finding(
        f"The importance surrogate explains the tuning objective poorly (R² {shown}"
        + (f", {imp.surrogate_fit_method}" if imp.surrogate_fit_method else "")
        + f", below {ctx['min_r2']:g}), so the hyperparameter importances are inconclusive: "
        "no hyperparameter can be called the most important.",
        measured={"surrogate_r2": r2, "trials_used": imp.n_trials_used},
        section=SECTION,
        recommendation="Run more trials, reduce the objective's noise (more folds, repeated CV), or narrow "
        "the search space; read the importances only once the fit is adequate.",
    )]


def _flag(entry: EffectEntry) -> bool | None:
    value = getattr(entry, NULL_FLAG, None)
    return value if isinstance(value, bool) else None


@check(
    CHECKS, "importance.not_above_chance", "low",
    "a reported importance is not distinguishable from chance (permutation null of the fANOVA importances)",
    min_importance=Param(0.05, 0.0, 1.0, PROJECT + ": shares below 5% are not read as results anyway",
                         "smallest reported share that is checked against the null"),
)
def not_above_chance(result: AuditResult, ctx: Context) -> list[Finding]:
    # Silent when the results carry no null flag (before the permutation null existed).
    entries = [e for e in result.importance.main_effects if e.importance >= ctx["min_importance"]]
    chance = [e for e in entries if _flag(e) is False]
    if not chance:
        return []
    names = [e.params[0] for e in chance]
    return [ctx.finding(
        "Importances not distinguishable from chance (within the permutation null): "
        + ", ".join(f"{e.params[0]} {pct(e.importance)}" for e in chance) + ".",
        measured={"parameters": ", ".join(names), "count": len(chance)},
        section=SECTION,
        recommendation="Do not act on these importances; more trials or a less noisy objective may separate them.",
    )]


def _position(value: float, low: float, high: float, log: bool) -> float | None:
    """Where ``value`` lies in [low, high] as a fraction of the range (on the log scale if log)."""
    if log and low > 0 and value > 0:
        value, low, high = math.log(value), math.log(low), math.log(high)
    if high <= low:
        return None
    return (value - low) / (high - low)


@check(
    CHECKS, "importance.best_at_bound", "low",
    "the best configuration lies at or near a bound of a hyperparameter that matters: the search space may be too narrow",
    min_importance=Param(0.1, 0.0, 1.0, PROJECT, "smallest importance share at which a hyperparameter 'matters'"),
    edge=Param(0.05, 0.0, 0.5, PROJECT + " (on the log scale for log-scaled parameters)",
               "distance from a bound, as a share of the range, that counts as 'at the bound'"),
)
def best_at_bound(result: AuditResult, ctx: Context) -> list[Finding]:
    tuning, imp = result.tuning, result.importance
    importance = {e.params[0]: e.importance for e in imp.main_effects}
    found = []
    for p in tuning.space:
        value = tuning.best_params.get(p.name)
        share = importance.get(p.name, 0.0)
        if p.kind == "categorical" or p.low is None or p.high is None or not isinstance(value, (int, float)):
            continue
        pos = _position(float(value), p.low, p.high, p.log)
        if pos is None or share < ctx["min_importance"] or ctx["edge"] < pos < 1 - ctx["edge"]:
            continue
        bound = "lower" if pos <= ctx["edge"] else "upper"
        found.append(ctx.finding(
            f"The best value of {p.name} ({value:g}) lies at the {bound} end of its search range "
            f"[{p.low:g}, {p.high:g}] ({pos:.0%} of the range) and it carries {pct(share)} of the importance: "
            "better configurations may lie outside the range searched.",
            measured={"best_value": float(value), "position": pos, "importance": share,
                      "surrogate_r2": imp.surrogate_r2},
            section="tuning", subject=p.name,
            recommendation=f"Widen the range of {p.name} beyond its {bound} bound and re-tune.",
        ))
    return found


@check(
    CHECKS, "importance.few_trials", "low",
    "too few completed trials for the number of hyperparameters",
    per_param=Param(10, 1, 10_000, PROJECT + "; one-in-ten, as the events-per-variable rule of thumb for "
                    "regression (Peduzzi et al., J Clin Epidemiol 1996)", "smallest completed trials per hyperparameter"),
)
def few_trials(result: AuditResult, ctx: Context) -> list[Finding]:
    tuning = result.tuning
    d = len(tuning.space)
    if d == 0 or tuning.n_complete / d >= ctx["per_param"]:
        return []
    return [ctx.finding(
        f"{tuning.n_complete} completed trials for {d} hyperparameters ({tuning.n_complete / d:.1f} per "
        f"hyperparameter, fewer than {ctx['per_param']:g}): too few to fit an importance surrogate reliably.",
        measured={"completed_trials": tuning.n_complete, "hyperparameters": d, "per_hyperparameter": tuning.n_complete / d},
        section="tuning",
        recommendation=f"Run at least {math.ceil(ctx['per_param'] * d)} trials, or tune fewer hyperparameters.",
    )]


@check(
    CHECKS, "importance.failed_trials", "low",
    "a large share of the trials failed or were pruned",
    max_share=Param(0.2, 0.0, 1.0, PROJECT, "largest tolerated share of trials not completed"),
)
def failed_trials(result: AuditResult, ctx: Context) -> list[Finding]:
    tuning = result.tuning
    if tuning.n_trials == 0:
        return []
    share = (tuning.n_trials - tuning.n_complete) / tuning.n_trials
    if share <= ctx["max_share"]:
        return []
    states = ", ".join(f"{n} {s.lower()}" for s, n in sorted(tuning.state_counts.items()) if s != "COMPLETE")
    return [ctx.finding(
        f"{tuning.n_trials - tuning.n_complete} of {tuning.n_trials} trials did not complete ({share:.0%}"
        + (f": {states}" if states else "") + f"), more than {ctx['max_share']:.0%}; the importances describe "
        "only the region where trials completed.",
        measured={"not_completed": tuning.n_trials - tuning.n_complete, "trials": tuning.n_trials, "share": share},
        section="tuning",
        recommendation="Find why trials fail (errors, time limits) or how the pruner decides before relying on the run.",
    )]


@check(
    CHECKS, "importance.late_best", "low",
    "the best value was found only in the last few trials: the budget may be too small",
    last_share=Param(0.1, 0.0, 1.0, PROJECT, "share of the trials, at the end of the run, that counts as 'the last few'"),
)
def late_best(result: AuditResult, ctx: Context) -> list[Finding]:
    tuning = result.tuning
    numbers = sorted(t.number for t in tuning.trials)
    if len(numbers) < 2 or tuning.best_number not in numbers:
        return []
    last = max(1, round(len(numbers) * ctx["last_share"]))
    rank = numbers.index(tuning.best_number)
    if rank < len(numbers) - last:
        return []
    return [ctx.finding(
        f"The best trial ({tuning.best_number}) is among the last {last} of {len(numbers)} trials: the search "
        "was still improving when it stopped.",
        measured={"best_trial": tuning.best_number, "position": rank + 1, "trials": len(numbers)},
        section="tuning",
        recommendation="Run more trials and check that the best value stops improving.",
    )]
