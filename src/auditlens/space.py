"""Search spaces: the kinds of hyperparameter and how each maps into the unit interval.

fANOVA measures variance under the uniform measure of the *search space*, so each parameter
is encoded into [0, 1] such that the uniform measure on [0, 1] is the measure the tuner
searched over:

* float: linear ``(x - low) / (high - low)``; with ``log`` the same on ``log(x)``.
* int: each integer gets an equal cell, ``(x - low + 0.5) / (high - low + 1)``; with ``log``
  the integers are treated as a continuous log range (as Optuna samples them).
* categorical: choice ``i`` of ``k`` sits at the centre of its cell, ``(i + 0.5) / k``, so
  every choice has weight ``1/k`` and tree splits fall between choices.

Bounds come from the search space, never from the observed trials: importance is a
statement about the space that was searched.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Union

import numpy as np

from auditlens.formatting import general

Choice = Union[str, int, float, bool]


@dataclass(frozen=True, slots=True)
class FloatParam:
    """A real-valued hyperparameter on ``[low, high]``, optionally log-scaled."""

    name: str
    low: float
    high: float
    log: bool = False
    kind: Literal["float"] = "float"

    def encode(self, values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        if self.high == self.low:
            return np.full(values.shape, 0.5)
        if self.log:
            lo, hi = math.log(self.low), math.log(self.high)
            return (np.log(values) - lo) / (hi - lo)
        return (values - self.low) / (self.high - self.low)

    def decode(self, unit: np.ndarray) -> np.ndarray:
        unit = np.asarray(unit, dtype=float)
        if self.log:
            lo, hi = math.log(self.low), math.log(self.high)
            return np.exp(lo + unit * (hi - lo))
        return self.low + unit * (self.high - self.low)

    @property
    def is_constant(self) -> bool:
        return self.low == self.high

    def describe(self) -> str:
        scale = ", log" if self.log else ""
        return f"float [{general(self.low)}, {general(self.high)}]{scale}"


@dataclass(frozen=True, slots=True)
class IntParam:
    """An integer hyperparameter on ``[low, high]`` (inclusive), optionally log-scaled."""

    name: str
    low: int
    high: int
    log: bool = False
    kind: Literal["int"] = "int"

    def encode(self, values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        if self.log:
            if self.high == self.low:
                return np.full(values.shape, 0.5)
            lo, hi = math.log(self.low), math.log(self.high)
            return (np.log(values) - lo) / (hi - lo)
        return (values - self.low + 0.5) / (self.high - self.low + 1)

    def decode(self, unit: np.ndarray) -> np.ndarray:
        unit = np.asarray(unit, dtype=float)
        if self.log:
            lo, hi = math.log(self.low), math.log(self.high)
            return np.exp(lo + unit * (hi - lo))
        return self.low - 0.5 + unit * (self.high - self.low + 1)

    @property
    def is_constant(self) -> bool:
        return self.low == self.high

    def describe(self) -> str:
        scale = ", log" if self.log else ""
        return f"int [{self.low}, {self.high}]{scale}"


@dataclass(frozen=True, slots=True)
class CategoricalParam:
    """A hyperparameter taking one of a fixed list of choices."""

    name: str
    choices: tuple[Choice, ...]
    kind: Literal["categorical"] = "categorical"

    def index_of(self, value: object) -> int:
        for i, choice in enumerate(self.choices):
            if choice == value and type(choice) is type(value):
                return i
        for i, choice in enumerate(self.choices):
            if choice == value:
                return i
        raise ValueError(
            f"{self.name!r}: value {value!r} is not one of the choices {list(self.choices)!r}"
        )

    def encode(self, values: Sequence[object]) -> np.ndarray:
        k = len(self.choices)
        return np.array([(self.index_of(v) + 0.5) / k for v in values], dtype=float)

    def centres(self) -> np.ndarray:
        """Unit-interval positions of the choices, in order."""
        k = len(self.choices)
        return (np.arange(k) + 0.5) / k

    @property
    def is_constant(self) -> bool:
        return len(self.choices) <= 1

    def describe(self) -> str:
        return "categorical {" + ", ".join(repr(c) for c in self.choices) + "}"


Param = Union[FloatParam, IntParam, CategoricalParam]


@dataclass(frozen=True, slots=True)
class SearchSpace:
    """An ordered collection of hyperparameters."""

    params: tuple[Param, ...]

    def __iter__(self) -> Iterator[Param]:
        return iter(self.params)

    def __len__(self) -> int:
        return len(self.params)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    def __getitem__(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def encode(self, columns: dict[str, Sequence[object]]) -> np.ndarray:
        """Encode trial values (one sequence per parameter) into an ``(n, D)`` unit-cube array."""
        return np.column_stack([np.asarray(p.encode(columns[p.name])) for p in self.params])

    def marginal_grid(self, param: Param, points: int = 65) -> np.ndarray:
        """Unit-interval points where a marginal curve of ``param`` is evaluated."""
        if isinstance(param, CategoricalParam):
            return param.centres()
        if isinstance(param, IntParam) and not param.log and param.high - param.low + 1 <= points:
            return param.encode(np.arange(param.low, param.high + 1))
        return (np.arange(points) + 0.5) / points
