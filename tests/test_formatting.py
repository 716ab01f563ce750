"""The one formatting module: hand-checked values and the edge cases every function must survive."""

from __future__ import annotations

import math

import numpy as np
import pytest

from auditlens import formatting as f

NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: f.fixed(0.73125, 3), "0.731"),
        (lambda: f.fixed(-1.23456, 2), "-1.23"),
        (lambda: f.fixed(-0.00001, 4), "0.0000"),  # rounds to zero: no minus sign
        (lambda: f.fixed(1e-300, 4), "0.0000"),
        (lambda: f.fixed(12345.678, 1), "12345.7"),
        (lambda: f.signed(0.5, 3), "+0.500"),
        (lambda: f.signed(-0.2, 3), "-0.200"),
        (lambda: f.signed(-0.00001, 3), "-0.000"),  # a contribution keeps its direction
        (lambda: f.pct(0.4567), "45.7%"),
        (lambda: f.pct(0.7, 0), "70%"),
        (lambda: f.pct(1.0), "100.0%"),
        (lambda: f.pct(-0.25), "-25.0%"),
        (lambda: f.pct(4.5e-31, floor=True), "< 0.1%"),  # a bar label, not "4.5e-31" or "0.0%"
        (lambda: f.pct(3.1e-07, floor=True), "< 0.1%"),
        (lambda: f.pct(0.00049, floor=True), "< 0.1%"),
        (lambda: f.pct(0.0, floor=True), "0.0%"),  # exactly nothing
        (lambda: f.pct(-1e-9, floor=True), "> -0.1%"),
        (lambda: f.pct(0.004, 0, floor=True), "< 1%"),
        (lambda: f.pct(0.006, 0, floor=True), "1%"),
        (lambda: f.pct(4.5e-31), "0.0%"),  # tables keep the rounded figure
        (lambda: f.count(12345), "12,345"),
        (lambda: f.count(-1234567), "-1,234,567"),
        (lambda: f.count(np.int64(1000)), "1,000"),
        (lambda: f.general(1e-6), "1e-06"),
        (lambda: f.general(0.0318853341602714), "0.0318853"),
        (lambda: f.general(10.0), "10"),
        (lambda: f.plain(25.0), "25"),
        (lambda: f.plain(2.5), "2.5"),
        (lambda: f.plain(-3.0), "-3"),
        (lambda: f.sci(0.000123), "1.23e-04"),
        (lambda: f.sci(-4.5e-31, 1), "-4.5e-31"),
        (lambda: f.compact(0.4828), "0.483"),
        (lambda: f.compact(4.5e-31), "4.5e-31"),
        (lambda: f.compact(0), "0"),
        (lambda: f.compact(-0.0005), "-5.0e-04"),
        (lambda: f.interval(0.1, 0.25, 2), "[0.10, 0.25]"),
        (lambda: f.with_interval(0.812, 0.77, 0.85), "0.812 [0.770, 0.850]"),
        (lambda: f.with_interval(0.812, None, 0.85), "0.812"),
        (lambda: f.with_interval(None, 0.1, 0.2), "n/a"),
        (lambda: f.setting(0.0318853341602714), "0.0318853"),
        (lambda: f.setting(1000), "1000"),  # a hyperparameter as written, not grouped
        (lambda: f.setting("gini"), "gini"),
        (lambda: f.setting(True), "True"),
        (lambda: f.datum(7119), "7,119"),
        (lambda: f.datum(1234.5678), "1,234.57"),
        (lambda: f.datum(None), "missing"),
        (lambda: f.datum(False), "False"),
        (lambda: f.datum("A11"), "A11"),
        (lambda: f.short_value(48.0), "48"),
        (lambda: f.short_value(7119), "7,119"),
        (lambda: f.short_value(np.int64(15945)), "15,945"),
        (lambda: f.short_value(0.123456), "0.1235"),
        (lambda: f.short_value(-2.5), "-2.5"),
        (lambda: f.short_value("x < 0"), "x < 0"),
    ],
)
def test_known_values(call, expected) -> None:  # type: ignore[no-untyped-def]
    assert call() == expected


NUMERIC = [f.fixed, f.signed, f.pct, f.count, f.general, f.plain, f.sci, f.compact]


@pytest.mark.parametrize("fn", NUMERIC, ids=lambda fn: fn.__name__)
def test_missing_and_non_finite(fn) -> None:  # type: ignore[no-untyped-def]
    assert fn(None) == "n/a"
    assert fn(NAN) == "n/a"
    assert fn(np.float64("nan")) == "n/a"
    assert fn(INF) == "∞"
    assert fn(-INF) == "-∞"


@pytest.mark.parametrize("fn", NUMERIC, ids=lambda fn: fn.__name__)
def test_numpy_scalars_format_like_python_numbers(fn) -> None:  # type: ignore[no-untyped-def]
    for x in (0.0, 3.0, -2.0, 1234.0):
        assert fn(np.float64(x)) == fn(x)


def test_data_values_that_are_not_finite() -> None:
    assert f.datum(NAN) == "n/a" and f.short_value(NAN) == "n/a"
    assert f.datum(INF) == "∞" and f.short_value(-INF) == "-∞"
    assert f.setting(NAN) == "n/a"


def test_tiny_numbers_keep_their_magnitude_where_it_is_the_point() -> None:
    # sci and compact show a tiny number as what it is (tolerances, SHAP gaps) ...
    assert f.sci(1e-300) == "1.00e-300"
    assert float(f.compact(3.1e-07)) == pytest.approx(3.1e-07)
    # ... fixed decimals round it to zero without a sign
    assert f.fixed(-1e-300, 2) == "0.00" and not math.isnan(float(f.fixed(1e-300, 2)))
