"""TrialTable: a tuning run as plain data, whatever tool produced it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

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

    def __len__(self) -> int:
        return len(self.numbers)

    @property
    def completed(self) -> np.ndarray:
        """Boolean mask of trials with a finite objective value."""
        return np.isfinite(self.values)

    def best_index(self) -> int:
        values = np.where(self.completed, self.values, np.nan)
        return int(np.nanargmax(values) if self.direction == "maximize" else np.nanargmin(values))

    def encoded(self) -> tuple[np.ndarray, np.ndarray]:
        """The completed trials as an ``(n, D)`` unit-cube matrix and their objective values.

        Raises:
            TrialsError: a parameter is missing (inactive) in a completed trial; conditional
                spaces need the engine's support for inactive parameters, not silent imputation.
        """
        from auditlens.errors import TrialsError

        done = self.completed
        columns = {}
        for name in self.space.names:
            cells = [v for v, ok in zip(self.params[name], done) if ok]
            missing = sum(v is None for v in cells)
            if missing:
                raise TrialsError(
                    f"{name}: inactive (empty) in {missing} of {len(cells)} completed trials; "
                    "conditional parameters are not supported yet"
                )
            columns[name] = cells
        return self.space.encode(columns), self.values[done]
