from __future__ import annotations

import numpy as np
import pytest

from auditlens.space import CategoricalParam, FloatParam, IntParam, SearchSpace


def test_float_linear_and_log_round_trip() -> None:
    lin = FloatParam("a", -2.0, 6.0)
    assert lin.encode(np.array([-2.0, 2.0, 6.0])).tolist() == [0.0, 0.5, 1.0]
    log = FloatParam("b", 1e-3, 1e1, log=True)
    # 1e-1 is halfway between 1e-3 and 1e1 in decades
    assert log.encode(np.array([1e-3, 1e-1, 1e1])) == pytest.approx([0.0, 0.5, 1.0])
    grid = np.linspace(0, 1, 11)
    assert log.encode(log.decode(grid)) == pytest.approx(grid)


def test_int_cells_are_equal() -> None:
    p = IntParam("n", 1, 4)
    # each integer owns a cell of width 1/4 and sits at its centre
    assert p.encode(np.array([1, 2, 3, 4])) == pytest.approx([0.125, 0.375, 0.625, 0.875])
    assert p.decode(p.encode(np.array([1, 2, 3, 4]))) == pytest.approx([1, 2, 3, 4])


def test_categorical_centres_and_errors() -> None:
    p = CategoricalParam("c", ("x", "y", "z"))
    assert p.encode(["z", "x"]) == pytest.approx([5 / 6, 1 / 6])
    assert p.centres() == pytest.approx([1 / 6, 0.5, 5 / 6])
    with pytest.raises(ValueError, match=r"'c': value 'w' is not one of the choices \['x', 'y', 'z'\]"):
        p.encode(["w"])
    # True == 1 in Python; the encoder must not confuse a bool choice with an int one
    mixed = CategoricalParam("m", (1, True))
    assert mixed.encode([True, 1]) == pytest.approx([0.75, 0.25])


def test_space_encode_and_grids() -> None:
    space = SearchSpace((FloatParam("a", 0, 1), IntParam("n", 1, 3), CategoricalParam("c", ("p", "q"))))
    X = space.encode({"a": [0.25], "n": [2], "c": ["q"]})
    assert X.shape == (1, 3) and X[0] == pytest.approx([0.25, 0.5, 0.75])
    assert len(space.marginal_grid(space["a"])) == 65
    assert space.marginal_grid(space["n"]) == pytest.approx([1 / 6, 0.5, 5 / 6])
    assert space.marginal_grid(space["c"]) == pytest.approx([0.25, 0.75])
    assert IntParam("k", 3, 3).is_constant and CategoricalParam("k", ("only",)).is_constant
