"""scikit-learn search results (``cv_results_`` saved as a table), TrialTable out.

``GridSearchCV``, ``RandomizedSearchCV`` and the successive-halving searches expose their
trials as ``cv_results_``; users save it with ``pd.DataFrame(search.cv_results_).to_csv(...)``
(CSV is the common case; Parquet, JSON and JSON lines are read too). How it is read:

* parameters are the ``param_*`` columns with the prefix stripped; Pipeline names such as
  ``svc__C`` are kept as they are (they say which step the parameter belongs to);
* the objective is ``mean_test_score``, or ``mean_test_<scorer>`` for a named scorer; a
  multi-metric search has no ``mean_test_score``, so a scorer must be chosen there. scikit-learn
  scorers are "greater is better", hence direction ``maximize`` by default;
* a NaN score (a failed fit with ``error_score=np.nan``) is a FAIL trial: kept and counted,
  not analysed;
* each row's configuration is read from the ``params`` column (the dict's repr) when it is
  there, because the ``param_*`` columns cannot tell ``None`` from "not in this grid": pandas
  writes both as an empty cell. A key missing from a row's dict is an inactive parameter
  (lists of grids, conditional grids) and stays None, never imputed; a present ``None`` is the
  choice ``"None"``. Without a ``params`` column an empty ``param_*`` cell is inactive;
* numeric parameters are int/float with the bounds and scale inferred as for any trial
  table (linear or log, as the values look uniformly drawn: :mod:`auditlens.trials.scale`);
  booleans, strings and anything else (``None``, ``repr`` of an estimator) are categorical. A categorical column
  mixing kinds (``max_depth`` in ``[None, 2, 4]``) becomes all strings (``"None"``, ``"2"``,
  ``"4"``), the way the values read in the table. A ``--space`` TOML overrides any of this.

Successive halving (``HalvingGridSearchCV`` / ``HalvingRandomSearchCV``): the table has one row
per candidate *and iteration* (``iter``, ``n_resources``), and the budgets differ, so the rows
are not evaluations of one objective function. fANOVA decomposes the variance of *one*
function over the space, so by default (``halving="first"``) only the first iteration is kept:
every candidate once, all at the same (smallest) budget, an unbiased sample of the searched
space. The later, larger-budget evaluations of the survivors are left out and counted in the
table's ``source``; the best trial is then the best at that budget, not necessarily
scikit-learn's ``best_params_`` (chosen at the last iteration). ``halving="highest"`` keeps each
candidate once at the highest budget it reached instead: survivors carry their most accurate
score, but eliminated candidates are scored on less data, so scores of different budgets are
mixed (small-budget scores are noisier and can even beat the final winner); ``source`` says so.
"""

from __future__ import annotations

import ast
import math
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from auditlens.errors import TrialsError
from auditlens.space import SearchSpace
from auditlens.trials import (
    table_file,  # a module import: table_file imports this module too
)
from auditlens.trials.table import TrialTable

_MISSING = object()  # a key absent from a row's params dict: inactive


def read_search_results(
    path: str | Path,
    *,
    scorer: str | None = None,
    direction: Literal["maximize", "minimize"] = "maximize",
    space_file: str | Path | None = None,
    halving: Literal["first", "highest"] = "first",
) -> TrialTable:
    """Read a saved scikit-learn ``cv_results_`` table (CSV, Parquet, JSON, JSON lines).

    Args:
        path: the file written by ``pd.DataFrame(search.cv_results_).to_csv(path)``.
        scorer: the scorer of a multi-metric search (``"roc_auc"`` or ``"mean_test_roc_auc"``);
            by default ``mean_test_score``.
        direction: scikit-learn scores are greater-is-better, so ``maximize`` by default.
        space_file: optional TOML overriding the inferred parameter kinds and bounds.
        halving: for successive-halving results, which row of each candidate to keep (see the
            module docstring).

    Raises:
        TrialsError: unreadable or empty file, no such scorer (the available ones are listed),
            no ``mean_test_score`` and no scorer chosen, every score NaN.

    Example:
        >>> table = read_search_results("cv_results.csv", scorer="roc_auc")  # doctest: +SKIP
    """
    path = Path(path)
    return search_results_from_frame(
        table_file._read(path), path.name, scorer=scorer, direction=direction, space_file=space_file, halving=halving
    )


def search_results_from_frame(
    frame: pd.DataFrame,
    file_name: str,
    *,
    scorer: str | None = None,
    direction: Literal["maximize", "minimize"] = "maximize",
    space_file: str | Path | None = None,
    halving: Literal["first", "highest"] = "first",
) -> TrialTable:
    """:func:`read_search_results` on a table already read (the file reader routes here)."""
    if halving not in ("first", "highest"):
        raise ValueError(f"'halving' must be 'first' or 'highest'. Got {halving!r} instead.")
    columns = [str(c) for c in frame.columns]
    frame = frame.set_axis(columns, axis=1)
    objective = _objective_column(columns, scorer, file_name)
    param_columns = [c for c in columns if c.startswith("param_")]
    names = [c.removeprefix("param_") for c in param_columns]
    if not names:
        raise TrialsError(f"{file_name}: no param_* columns; expected a scikit-learn cv_results_ table")
    configurations = _configurations(frame, param_columns, names)
    rows, numbers, note = _halving_rows(frame, configurations, halving)
    sub = frame.iloc[rows]
    values = np.array(pd.to_numeric(sub[objective], errors="coerce"), dtype=float)
    values[~np.isfinite(values)] = np.nan
    if np.isnan(values).all():
        raise TrialsError(f"{objective}: every score in {file_name} is empty or NaN (every fit failed)")
    states = tuple("COMPLETE" if math.isfinite(v) else "FAIL" for v in values)

    params, cells, notes = table_file.build_space(
        {name: _column([configurations[i][j] for i in rows]) for j, name in enumerate(names)},
        space_file, file_name, what="parameter",
    )
    kind = "halving search" if "iter" in columns else "search"
    return TrialTable(
        space=SearchSpace(tuple(params)),
        numbers=tuple(numbers),
        params=cells,
        values=values,
        states=states,
        objective=objective,
        direction=direction,
        source=f"scikit-learn {kind} results {file_name}{note}",
        space_notes=notes,
    )


def _objective_column(columns: list[str], scorer: str | None, file_name: str) -> str:
    scorers = [c.removeprefix("mean_test_") for c in columns if c.startswith("mean_test_")]
    if scorer is None:
        if "mean_test_score" in columns:
            return "mean_test_score"
        raise TrialsError(
            f"{file_name} is a multi-metric scikit-learn search (no mean_test_score); "
            f"choose a scorer: {', '.join(scorers)}", field="objective"
        )
    for candidate in (f"mean_test_{scorer}", scorer):
        if candidate.startswith("mean_test_") and candidate in columns:
            return candidate
    raise TrialsError(f"scorer {scorer!r} not in {file_name}; scorers are {', '.join(scorers)}", field="objective")


def _configurations(frame: pd.DataFrame, param_columns: list[str], names: list[str]) -> list[tuple[object, ...]]:
    """Each row's parameter values in ``names`` order; ``_MISSING`` where inactive."""
    dicts = frame["params"].tolist() if "params" in frame.columns else [None] * len(frame)
    raw = frame[param_columns].to_numpy(dtype=object)
    out = []
    for row, cell in enumerate(dicts):
        parsed = _parse_params(cell)
        if parsed is not None:
            out.append(tuple(parsed.get(name, _MISSING) for name in names))
        else:  # no usable params dict: an empty param_* cell is all we know
            out.append(tuple(_MISSING if _empty(v) else _plain(v) for v in raw[row]))
    return out


def _parse_params(cell: object) -> dict[str, object] | None:
    """The params dict of one row, from a dict (JSON, Parquet) or its repr (CSV); never eval'd."""
    if isinstance(cell, dict):
        return {str(k): _plain(v) for k, v in cell.items()}
    if not isinstance(cell, str):
        return None
    try:
        tree = ast.parse(cell, mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(tree, ast.Dict):
        return None
    out: dict[str, object] = {}
    for key, node in zip(tree.keys, tree.values, strict=True):
        if not isinstance(key, ast.Constant) or not isinstance(key.value, str):
            return None
        out[key.value] = _literal(node, cell)
    return out


_NUMPY_SCALARS = {"float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint8",
                  "uint16", "uint32", "uint64", "str_", "bool_", "bool", "float", "int", "str"}


def _literal(node: ast.expr, source: str) -> object:
    """A literal value, a NumPy scalar's value (``np.float64(0.1)``), or the repr as text."""
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        value = _MISSING
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in _NUMPY_SCALARS:
            inner = _literal(node.args[0], source)
            if isinstance(inner, (bool, int, float, str)):
                return inner
    if isinstance(node, ast.Attribute) and node.attr in ("True_", "False_"):
        return node.attr == "True_"
    return ast.get_source_segment(source, node) or ast.unparse(node)


def _empty(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def _column(values: list[object]) -> pd.Series:
    """One parameter's cells as a Series the trial-table inference understands.

    Numbers (not bools) stay numeric with NaN where inactive; a column of one other kind keeps
    its values (bool or str choices); a mix of kinds becomes strings, ``None`` as ``"None"``.
    """
    active = [v for v in values if v is not _MISSING]
    if active and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in active):
        return pd.Series([np.nan if v is _MISSING else float(v) for v in values], dtype=float)
    kinds = {bool if isinstance(v, bool) else str if isinstance(v, str) else object for v in active}
    if kinds == {bool} or kinds == {str}:
        return pd.Series([None if v is _MISSING else v for v in values], dtype=object)
    return pd.Series([None if v is _MISSING else str(v) for v in values], dtype=object)


def _halving_rows(
    frame: pd.DataFrame, configurations: list[tuple[object, ...]], halving: str
) -> tuple[list[int], list[int], str]:
    """Which rows become trials, their trial numbers, and a note for ``source``."""
    n = len(frame)
    if "iter" not in frame.columns or "n_resources" not in frame.columns:
        return list(range(n)), list(range(n)), ""
    iters = pd.to_numeric(frame["iter"], errors="coerce").fillna(-1).astype(int).tolist()
    budgets = pd.to_numeric(frame["n_resources"], errors="coerce").tolist()
    first = min(iters)
    candidates = [r for r in range(n) if iters[r] == first]
    later = n - len(candidates)
    if halving == "first":
        note = (f" (successive halving: first iteration only, all {len(candidates)} candidates at "
                f"n_resources={budgets[candidates[0]]:g}; {later} later evaluations at larger budgets left out)")
        return candidates, list(range(len(candidates))), note
    keys = [repr(c) for c in configurations]
    current = list(candidates)  # candidate -> its row at the highest iteration seen so far
    for level in sorted(set(iters) - {first}):
        taken: set[int] = set()
        for r in (r for r in range(n) if iters[r] == level):
            match = next(
                (c for c, row in enumerate(current)
                 if c not in taken and keys[row] == keys[r] and iters[row] < level),
                None,
            )
            if match is None:  # a row with no earlier candidate: keep it as a candidate of its own
                current.append(r)
                taken.add(len(current) - 1)
            else:
                current[match] = r
                taken.add(match)
    used = [budgets[r] for r in current]
    note = (f" (successive halving: each of {len(current)} candidates once, at the highest budget it "
            f"reached, n_resources {min(used):g} to {max(used):g}; {n - len(current)} lower-budget "
            "evaluations left out; budgets differ between candidates)")
    return current, list(range(len(current))), note
