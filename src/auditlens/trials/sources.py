"""One entry point for every source of a tuning run: a trial file or an Optuna study.

The CLI (``importance``, ``analyze``) and the spec hand their source flags to
:func:`open_trials`, which checks the combination, reads the source with its module and
checks that the run can be analysed at all, so each command reports bad input the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from auditlens.errors import TrialsError
from auditlens.trials.table import TrialTable
from auditlens.trials.table_file import read_trial_file

Direction = Literal["maximize", "minimize"]


def open_trials(
    *,
    trials_file: str | Path | None = None,
    storage: str | None = None,
    study: str | None = None,
    objective: str | int | None = None,
    direction: Direction | None = None,
    space_file: str | Path | None = None,
) -> TrialTable:
    """Read a tuning run from exactly one source and check that fANOVA can use it.

    Args:
        trials_file: a trial table (CSV, Parquet, JSON, JSON lines) or a saved scikit-learn
            ``cv_results_`` table (recognised by its ``param_*`` and ``mean_test_*`` columns).
        storage, study: an Optuna storage URL and study name (both or neither).
        objective: the objective column / scikit-learn scorer / Optuna objective index or name.
        direction: for files, whether larger is better (default ``maximize``); for a study it
            must agree with the study's direction if given (the study records it).
        space_file: TOML overriding the inferred space (files only; a study records its space).

    Raises:
        TrialsError: not exactly one source, a flag that does not apply to the source, any
            source error, fewer than 2 completed trials, or one configuration everywhere.

    Example:
        >>> table = open_trials(storage="sqlite:///study.db", study="demo")  # doctest: +SKIP
    """
    from_file = trials_file is not None
    from_study = storage is not None or study is not None
    if from_file == from_study:
        raise TrialsError(
            field="source", expected="either TRIALS or --storage URL --study NAME", got="both" if from_file else "neither"
        )
    if direction is not None and direction not in ("maximize", "minimize"):
        raise TrialsError(field="direction", expected="maximize or minimize", got=repr(direction))
    if from_file:
        table = read_trial_file(
            trials_file,  # type: ignore[arg-type]
            objective=None if objective is None else str(objective),
            direction=direction or "maximize",
            space_file=space_file,
        )
        field = "trials"
    else:
        if storage is None or study is None:
            raise TrialsError(
                "--storage and --study go together; got only " + ("--storage" if study is None else "--study"), field="source"
            )
        if space_file is not None:
            raise TrialsError("applies to trial files only; an Optuna study records its own space", field="space")
        # imported here: Optuna and SQLAlchemy take ~0.8 s to import, a fifth of the whole
        # `auditlens importance` process on a trial file, which does not need them
        from auditlens.trials.optuna_study import load_optuna_study

        table = load_optuna_study(storage, study, objective=objective)
        if direction is not None and direction != table.direction:
            raise TrialsError(
                f"study {study!r} records {table.objective} as {table.direction}; got {direction}", field="direction"
            )
        field = f"study {study!r}"
    check_analysable(table, field=field)
    return table


def check_analysable(table: TrialTable, *, field: str = "trials") -> None:
    """Refuse a run fANOVA cannot decompose: < 2 completed trials, or one configuration only.

    Sources read such runs fine (they are valid records); the analysis is what cannot use them.
    """
    n = int(table.completed.sum())
    if n < 2:
        excluded = {s: c for s, c in table.state_counts().items() if s != "COMPLETE"}
        extra = f" ({', '.join(f'{c} {s}' for s, c in excluded.items())} excluded)" if excluded else ""
        raise TrialsError(f"fANOVA needs at least 2 completed trials; got {n}{extra}", field=field)
    if n - table.n_duplicate_configurations() == 1:
        raise TrialsError(
            f"all {n} completed trials have the same configuration; "
            "nothing varies, so there is nothing to decompose", field=field
        )
