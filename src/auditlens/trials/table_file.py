"""Trial tables from files (CSV, Parquet, JSON, JSON lines), TrialTable out.

One row per trial, one column per parameter and one objective column. A file whose columns
include ``param_*`` and ``mean_test_*`` is a scikit-learn ``cv_results_`` table and is read by
:mod:`auditlens.trials.sklearn_search` instead. The search space is
inferred, and every inference can be overridden with a small ``--space`` TOML file:

* a string or boolean column is categorical (its choices in order of first appearance);
* a numeric column whose values are all whole numbers is an int, otherwise a float;
* bounds are the observed minimum and maximum;
* the scale (linear or log) is the one on which the values look uniformly drawn, as a sampler
  draws them (:mod:`auditlens.trials.scale`); when the evidence is ambiguous, linear.

Each inference is recorded with its reason in :attr:`TrialTable.space_notes`, which
`auditlens importance` prints.

An empty cell in a parameter column means the parameter was inactive in that trial
(conditional spaces); an empty objective means the trial failed. An optional ``state`` column
(COMPLETE, FAIL, PRUNED, RUNNING, WAITING; any case) says how each trial ended: only COMPLETE
trials with a finite objective are analysed, the others are kept in the table and counted
(:meth:`TrialTable.state_counts`). A COMPLETE trial without a finite objective is counted as
FAIL, because it cannot be analysed either.

The ``--space`` file has one table per parameter, in the audit spec's syntax::

    [learning_rate]
    type = "float"
    low = 1e-4
    high = 1.0
    log = true
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from auditlens.errors import SpecError, TrialsError
from auditlens.space import CategoricalParam, FloatParam, IntParam, Param, SearchSpace
from auditlens.trials import (
    sklearn_search,  # a module import: sklearn_search imports this module too
)
from auditlens.trials.finite import check_finite
from auditlens.trials.scale import infer_scale
from auditlens.trials.table import TrialTable

OBJECTIVE_CANDIDATES = ("value", "objective", "score", "loss")
STATES = ("COMPLETE", "FAIL", "PRUNED", "RUNNING", "WAITING")
SUFFIXES = (".csv", ".parquet", ".pq", ".json", ".jsonl", ".ndjson")


def read_trial_file(
    path: str | Path,
    *,
    objective: str | None = None,
    direction: Literal["maximize", "minimize"] = "maximize",
    space_file: str | Path | None = None,
    ignore: tuple[str, ...] = ("number", "trial", "state", "datetime_start", "datetime_complete", "duration"),
) -> TrialTable:
    """Read a CSV, Parquet, JSON or JSON-lines trial table.

    Args:
        path: the file. JSON is a list of row objects (or pandas' ``records`` orientation);
            JSON lines (``.jsonl``) one row object per line.
        objective: objective column; by default the first of value, objective, score, loss.
            For a scikit-learn search result, the scorer name (see ``read_search_results``).
        direction: whether larger or smaller objective values are better.
        space_file: optional TOML overriding inferred parameter kinds and bounds.
        ignore: bookkeeping columns that are not parameters.

    Raises:
        TrialsError: unreadable or empty file, missing or all-empty objective, values outside
            an overridden space.

    Example:
        >>> table = read_trial_file("trials.csv", objective="accuracy")  # doctest: +SKIP
    """
    path = Path(path)
    frame = _read(path)
    columns = list(frame.columns)
    if is_search_results(columns):
        return sklearn_search.search_results_from_frame(
            frame, path.name, scorer=objective, direction=direction, space_file=space_file
        )
    if objective is None:
        objective = next((c for c in OBJECTIVE_CANDIDATES if c in columns), None)
        if objective is None:
            raise TrialsError(
                f"no objective column given and none of {', '.join(OBJECTIVE_CANDIDATES)} "
                f"is in {path.name}; columns are {', '.join(map(str, columns))}", field="objective"
            )
    elif objective not in columns:
        raise TrialsError(
            f"column {objective!r} not in {path.name}; columns are {', '.join(map(str, columns))}", field="objective"
        )
    values = np.array(pd.to_numeric(frame[objective], errors="coerce"), dtype=float)
    non_numeric = frame[objective].notna() & np.isnan(values)
    if non_numeric.any():
        example = frame[objective][non_numeric].iloc[0]
        raise TrialsError(
            f"{objective}: expected numbers in the objective column; got {example!r} "
            f"in row {int(np.flatnonzero(non_numeric.to_numpy())[0]) + 1}"
        )
    values[~np.isfinite(values)] = np.nan
    if np.isnan(values).all():
        raise TrialsError(f"{objective}: every objective value in {path.name} is empty or NaN")
    states = _states(frame["state"], values, path.name) if "state" in columns else tuple(
        "COMPLETE" if math.isfinite(v) else "FAIL" for v in values
    )
    values[np.array([s != "COMPLETE" for s in states], dtype=bool)] = np.nan
    param_columns = [c for c in columns if c != objective and c not in ignore]
    if not param_columns:
        raise TrialsError(f"{path.name}: no parameter columns besides the objective {objective!r}")
    params, cells, notes = build_space(
        {str(name): frame[name] for name in param_columns}, space_file, path.name, what="column"
    )
    numbers = _numbers(frame["number"], path.name) if "number" in columns else tuple(range(len(frame)))
    return TrialTable(
        space=SearchSpace(tuple(params)),
        numbers=numbers,
        params=cells,
        values=values,
        states=states,
        objective=str(objective),
        direction=direction,
        source=f"trial table {path.name}",
        space_notes=notes,
    )


def _numbers(column: pd.Series, file_name: str) -> tuple[int, ...]:
    """The ``number`` column as trial numbers: whole numbers, or a one-line error naming the row."""
    numbers = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(numbers) | (numbers != np.round(numbers))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise TrialsError(
            f"number: expected whole trial numbers; got {column.iloc[row]!r} in row {row + 1} of {file_name}"
        )
    return tuple(int(n) for n in numbers)


def is_search_results(columns: list[object]) -> bool:
    """Whether a table's columns look like a scikit-learn ``cv_results_`` table."""
    names = [str(c) for c in columns]
    return any(c.startswith("param_") for c in names) and any(c.startswith("mean_test_") for c in names)


def _states(column: pd.Series, values: np.ndarray, file_name: str) -> tuple[str, ...]:
    """Recorded states, upper-cased; empty cells follow the objective; COMPLETE needs a value."""
    out: list[str] = []
    for row, (cell, value) in enumerate(zip(column, values, strict=True)):
        finite = math.isfinite(value)
        if cell is None or cell is pd.NA or (isinstance(cell, float) and math.isnan(cell)):
            out.append("COMPLETE" if finite else "FAIL")
            continue
        state = str(cell).strip().upper().removeprefix("TRIALSTATE.")
        if state not in STATES:
            raise TrialsError(
                f"state: expected one of {', '.join(STATES)}; got {cell!r} in row {row + 1} of {file_name}"
            )
        out.append("FAIL" if state == "COMPLETE" and not finite else state)
    return tuple(out)


def _read(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise TrialsError(f"file {str(path)!r} does not exist", field="trials")
    suffix = path.suffix.lower()
    readers = {
        ".csv": pd.read_csv, ".parquet": pd.read_parquet, ".pq": pd.read_parquet, ".json": pd.read_json,
        ".jsonl": lambda p: pd.read_json(p, lines=True), ".ndjson": lambda p: pd.read_json(p, lines=True),
    }
    if suffix not in readers:
        raise TrialsError(field="trials", expected="a .csv, .parquet, .json or .jsonl file", got=repr(path.name))
    if path.stat().st_size == 0:
        raise TrialsError(f"{path.name} is empty", field="trials")
    try:
        frame = readers[suffix](path)
    except (ValueError, OSError, ImportError, pd.errors.ParserError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TrialsError(f"cannot read {path.name}: {first}", field="trials") from None
    if frame.empty:
        raise TrialsError(f"{path.name} has no trials", field="trials")
    return frame


def build_space(
    columns: Mapping[str, pd.Series],
    space_file: str | Path | Mapping[str, Param] | None,
    file_name: str,
    *,
    what: str,
) -> tuple[list[Param], dict[str, tuple[object, ...]], dict[str, str]]:
    """Each parameter's kind and range (declared, else inferred), its checked cells, and why.

    ``what`` names the parameters in messages ("column" of a trial table, "parameter" of a
    search result).
    """
    plural = "parameter columns" if what == "column" else f"{what}s"
    overrides = _read_space(space_file) if space_file is not None else {}
    unknown = sorted(set(overrides) - set(columns))
    if unknown:
        raise SpecError(
            f"not a {what} of {file_name}; {plural} are {', '.join(map(str, columns))}", field=f"space.{unknown[0]}"
        )
    declared = "declared in --space" if isinstance(space_file, (str, Path)) else "declared"
    params: list[Param] = []
    cells: dict[str, tuple[object, ...]] = {}
    notes: dict[str, str] = {}
    for name, column in columns.items():
        check_finite(name, column.tolist(), where=lambda row: f"row {row + 1} of {file_name}")
        if name in overrides:
            param, notes[name] = overrides[name], declared
        else:
            param, notes[name] = _infer(name, column, file_name)
        cells[name] = _cells(param, column, file_name)
        params.append(param)
    return params, cells, notes


def _infer(name: str, column: pd.Series, file_name: str) -> tuple[Param, str]:
    present = column.dropna()
    if present.empty:
        raise TrialsError(
            f"{name}: empty in every trial of {file_name} ({len(column)} rows); cannot infer its "
            "range (declare it in the space, or drop the column)"
        )
    if pd.api.types.is_bool_dtype(present) or not pd.api.types.is_numeric_dtype(present):
        choices: list[Any] = []
        for value in present:
            value = value.item() if hasattr(value, "item") else value
            if value not in choices:
                choices.append(value)
        why = "not numbers: categorical" if not pd.api.types.is_bool_dtype(present) else "booleans"
        return CategoricalParam(name, tuple(choices)), f"inferred: {why}, choices as first seen"
    numbers = present.to_numpy(dtype=float)
    low, high = float(numbers.min()), float(numbers.max())
    integer = bool(np.all(numbers == np.round(numbers)))
    scale = infer_scale(numbers, integer=integer)
    why = f"inferred: bounds observed; {scale.reason}"
    if integer:
        return IntParam(name, int(low), int(high), scale.log), why
    return FloatParam(name, low, high, scale.log), why


def _cells(param: Param, column: pd.Series, file_name: str) -> tuple[object, ...]:
    out: list[object] = []
    for row, value in enumerate(column):
        if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
            out.append(None)
            continue
        value = value.item() if hasattr(value, "item") else value
        if isinstance(param, CategoricalParam):
            if not any(value == c for c in param.choices):
                raise TrialsError(
                    f"{param.name}: value {value!r} in row {row + 1} of {file_name} is not one of the "
                    f"choices {list(param.choices)!r}"
                )
        else:
            low, high = param.low, param.high
            if not isinstance(value, (int, float)) or not low <= value <= high:
                raise TrialsError(
                    f"{param.name}: value {value!r} in row {row + 1} of {file_name} is outside "
                    f"the space [{low}, {high}]"
                )
            value = int(value) if isinstance(param, IntParam) else float(value)
        out.append(value)
    return tuple(out)


def _read_space(space_file: str | Path | Mapping[str, Param]) -> dict[str, Param]:
    """Parameters from a ``--space`` TOML file, or as given (an audit spec's ``[tuning.space]``)."""
    if isinstance(space_file, Mapping):
        return dict(space_file)


    path = Path(space_file)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(f"file {str(path)!r} does not exist", field="space") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path.name} is not valid TOML: {exc}", field="space") from None
    # Here, not at the top: only a --space file needs the spec's pydantic models, and their
    # import cost `auditlens importance` 0.3 s (-X importtime, on a loaded machine).
    from pydantic import ValidationError

    from auditlens.spec import TuningSection, spec_error

    try:
        section = TuningSection.model_validate({"space": document})
    except ValidationError as exc:
        raise spec_error(exc) from None
    return {p.name: p for p in section.search_space()}
