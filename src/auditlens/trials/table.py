"""TrialTable: a tuning run as plain data, whatever tool produced it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from auditlens.errors import TrialsError
from auditlens.space import SearchSpace


@dataclass(frozen=True, slots=True)
class TrialTable:
    """One row per trial: its parameters, objective value and state.

    ``values`` holds NaN where a trial did not complete; ``params[name][i]`` is None where
    trial ``i`` did not set that parameter.
    """

    space: SearchSpace
    numbers: tuple[int, ...]
    params: dict[str, tuple[object, ...]]
    values: np.ndarray
    states: tuple[str, ...]
    objective: str
    direction: Literal["maximize", "minimize"]
    source: str
    # Why each parameter has its kind, bounds and scale ("declared ...", "inferred: ...").
    space_notes: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.numbers)

    @property
    def completed(self) -> np.ndarray:
        """Boolean mask of trials with a finite objective value."""
        return np.isfinite(self.values)

    def state_counts(self) -> dict[str, int]:
        """How many trials ended in each state, e.g. ``{"COMPLETE": 58, "FAIL": 1, "PRUNED": 1}``.

        The report shows what was left out of the analysis, so a reviewer can judge whether
        failures cluster in one region of the space. States are counted as recorded, in
        order of first appearance.
        """
        counts: dict[str, int] = {}
        for state in self.states:
            counts[state] = counts.get(state, 0) + 1
        return counts

    def n_duplicate_configurations(self) -> int:
        """Completed trials whose configuration equals an earlier completed trial's.

        Duplicates are kept in the analysis (repeated evaluations are evidence of the
        objective's noise) and only counted, so the report can say how many there were.
        Inactive parameters (None) are part of the configuration.
        """
        seen: set[object] = set()
        duplicates = 0
        names = self.space.names
        columns = [self.params[name] for name in names]
        for i in np.flatnonzero(self.completed):
            key = tuple(_hashable(column[i]) for column in columns)
            if key in seen:
                duplicates += 1
            else:
                seen.add(key)
        return duplicates

    def best_index(self) -> int:
        values = np.where(self.completed, self.values, np.nan)
        return int(np.nanargmax(values) if self.direction == "maximize" else np.nanargmin(values))

    def encoded(
        self, *, inactive: Literal["error", "nan"] = "error"
    ) -> tuple[np.ndarray, np.ndarray]:
        """The completed trials as an ``(n, D)`` unit-cube matrix and their objective values.

        Args:
            inactive: What to do with a parameter that a completed trial did not set (a
                conditional parameter that was inactive there). ``"error"`` (default):
                raise. ``"nan"``: encode the active values as usual and put NaN in the
                inactive cells, for ``decompose(..., inactive="reserve")``, which gives
                "inactive" a cell of its own; nothing is imputed.

        Raises:
            TrialsError: with ``inactive="error"``, a parameter is missing (inactive) in a
                completed trial.
        """
        if inactive not in ("error", "nan"):
            raise ValueError(f"'inactive' must be 'error' or 'nan'. Got {inactive!r} instead.")
        done = self.completed
        columns = []
        for param in self.space:
            name = param.name
            cells = [v for v, ok in zip(self.params[name], done, strict=True) if ok]
            missing = np.array([v is None for v in cells], dtype=bool)
            if missing.any() and inactive == "error":
                raise TrialsError(
                    f"{name}: inactive (empty) in {int(missing.sum())} of {len(cells)} completed "
                    "trials; conditional parameters need inactive='nan' here and "
                    "inactive='reserve' in the fANOVA engine, not silent imputation"
                )
            column = np.full(len(cells), np.nan)
            active = [v for v, m in zip(cells, missing, strict=True) if not m]
            if active:
                column[~missing] = np.asarray(param.encode(active), dtype=float)
            columns.append(column)
        X = np.column_stack(columns) if columns else np.zeros((int(done.sum()), 0))
        return X, self.values[done]


def _hashable(value: object) -> object:
    # Keep the type for bools so True and 1 stay different configurations.
    if isinstance(value, bool):
        return ("bool", value)
    try:
        hash(value)
    except TypeError:
        return ("repr", repr(value))
    return value
