"""Numbers as the report shows them: the one place that decides digits, signs and units.

Every number a reader sees (view, charts, compliance appendix, band labels) goes through a
function here, so "0.7312" in a table and in a chart caption is written by the same rule.
It depends on nothing but the standard library, so analysis modules that must write a label
(e.g. the band labels of a numeric protected attribute) can use it without reaching into
``auditlens.report``.

Missing and non-finite values: ``None`` and NaN read "n/a", infinities "∞" / "-∞", whatever
the function; a result that rounds to zero never shows a minus sign ("0.000", not "-0.000"),
except in :func:`signed`, where the sign is the point.

Example:
    >>> fixed(0.73125, 3), pct(0.4567), count(12345), signed(-0.25, 3)
    ('0.731', '45.7%', '12,345', '-0.250')
    >>> fixed(None), fixed(float("nan")), fixed(float("inf"))
    ('n/a', 'n/a', '∞')
"""

from __future__ import annotations

import math

__all__ = [
    "NA",
    "compact",
    "count",
    "datum",
    "fixed",
    "general",
    "interval",
    "pct",
    "plain",
    "sci",
    "setting",
    "short_value",
    "signed",
    "with_interval",
]

NA = "n/a"

Number = float | int | None


def _special(x: Number) -> str | None:
    """The text of a value no format spec should see (None, NaN, ±inf), else None."""
    if x is None:
        return NA
    if isinstance(x, bool):
        return str(x)
    v = float(x)
    if math.isnan(v):
        return NA
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    return None


def _unsigned_zero(text: str) -> str:
    """'-0.000' -> '0.000': a value that rounds to zero has no direction to show."""
    if text.startswith("-") and not any(c in "123456789" for c in text.split("e")[0]):
        return text[1:]
    return text


def fixed(x: Number, digits: int = 4) -> str:
    """``digits`` decimals: ``fixed(0.73125, 3) == '0.731'``."""
    return _special(x) or _unsigned_zero(f"{float(x):.{digits}f}")  # type: ignore[arg-type]


def signed(x: Number, digits: int = 4) -> str:
    """``digits`` decimals with the sign always shown: a contribution up or down."""
    return _special(x) or f"{float(x):+.{digits}f}"  # type: ignore[arg-type]


def pct(share: Number, digits: int = 1, *, floor: bool = False) -> str:
    """A share in [0, 1] as a percentage: ``pct(0.4567) == '45.7%'``.

    With ``floor``, a share that is not zero but would round to it says so:
    ``pct(4.5e-31, floor=True) == '< 0.1%'`` (a bar label "0.0%" reads as exactly nothing, and
    "4.5e-31" as a finding). Tables keep the rounded figure, which sorts and parses.
    """
    special = _special(share)
    if special is not None:
        return special
    v = float(share)  # type: ignore[arg-type]
    smallest = 10.0 ** -(digits + 2)  # 0.001 = 0.1% at one decimal
    if floor and 0 < abs(v) < smallest / 2:
        return f"< {smallest:.{digits}%}" if v > 0 else f"> -{smallest:.{digits}%}"
    return _unsigned_zero(f"{v:.{digits}%}")


def count(n: Number) -> str:
    """A count with thousands separators: ``count(12345) == '12,345'``."""
    return _special(n) or f"{int(n):,}"  # type: ignore[arg-type]


def general(x: Number, digits: int = 6) -> str:
    """``digits`` significant digits, exponent only when needed: ``general(1e-6) == '1e-06'``."""
    return _special(x) or _unsigned_zero(f"{float(x):.{digits}g}")  # type: ignore[arg-type]


def plain(x: Number) -> str:
    """An integer without decimals, any other number shortest: ``plain(25.0) == '25'``."""
    special = _special(x)
    if special is not None:
        return special
    v = float(x)  # type: ignore[arg-type]
    return f"{int(v)}" if v.is_integer() else f"{v:g}"


def sci(x: Number, digits: int = 2) -> str:
    """Scientific notation: ``sci(0.000123) == '1.23e-04'`` (tiny gaps, tolerances)."""
    return _special(x) or f"{float(x):.{digits}e}"  # type: ignore[arg-type]


def compact(x: Number) -> str:
    """Three significant digits, or one and an exponent below 0.001 (chart bar labels)."""
    special = _special(x)
    if special is not None:
        return special
    v = float(x)  # type: ignore[arg-type]
    return f"{v:.3g}" if abs(v) >= 1e-3 or v == 0 else f"{v:.1e}"


def interval(low: Number, high: Number, digits: int = 4) -> str:
    """A confidence interval: ``interval(0.1, 0.25, 2) == '[0.10, 0.25]'``."""
    return f"[{fixed(low, digits)}, {fixed(high, digits)}]"


def with_interval(value: Number, low: Number, high: Number, digits: int = 3) -> str:
    """An estimate followed by its interval when both ends are known: ``'0.812 [0.770, 0.850]'``."""
    if _special(value) == NA:
        return NA
    if low is None or high is None:
        return fixed(value, digits)
    return f"{fixed(value, digits)} {interval(low, high, digits)}"


def setting(value: object) -> str:
    """A hyperparameter value: floats to 6 significant digits, anything else as written."""
    if isinstance(value, float):
        return general(value, 6)
    return str(value)


def datum(value: object) -> str:
    """A data value as given in the file: 'missing' for None, numbers grouped by thousands."""
    if value is None:
        return "missing"
    if isinstance(value, float):
        return _special(value) or f"{value:,.6g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def short_value(value: object) -> str:
    """A data value in a label or summary: whole numbers grouped, others to 4 significant digits."""
    if value is None:
        return "missing"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        special = _special(value)
        if special is not None:
            return special
        return f"{int(value):,}" if value.is_integer() else f"{value:,.4g}"
    if isinstance(value, int) or type(value).__name__.startswith(("int", "uint")):
        return f"{int(value):,}"  # type: ignore[call-overload]
    return str(value)
