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
