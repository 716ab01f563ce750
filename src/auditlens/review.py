"""Which decisions the report reviews one by one: by row id, by a filter, or by a strategy.

A filter is a comparison expression over the data's original columns and three more names:
``predicted`` (the predicted label), ``probability`` (of the positive class) and ``actual``
(the true label), for example ``predicted == "bad" and age_in_years < 25``. It is parsed with
:mod:`ast` and evaluated here, node by node, on pandas columns — never with ``eval`` — and
anything but the following is rejected with a one-line message: names, numbers, strings,
``True``/``False``, lists or tuples of those (for ``in``), the comparisons ``== != < <= > >=
in not in`` (chains allowed), ``and``, ``or``, ``not`` and parentheses.

Example:
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"age": [22, 40, 19], "predicted": ["bad", "bad", "good"]})
    >>> filter_rows(frame, 'predicted == "bad" and age < 25').tolist()
    [True, False, False]
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from auditlens.errors import DataError

__all__ = ["STRATEGIES", "check_filter", "filter_rows", "order_by_strategy", "positions_of"]

STRATEGIES = ("highest_risk", "most_uncertain", "random")

_COMPARE: dict[type[ast.cmpop], Any] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_SYMBOL = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.In: "in", ast.NotIn: "not in"}
_FIELD = "review.filter"
_EXPECTED = "a comparison expression such as 'predicted == \"bad\" and age < 25'"


def _fail(expr: str, why: str) -> DataError:
    return DataError(field=_FIELD, expected=_EXPECTED, note=f"{why} in {expr!r}")


def _literal(node: ast.AST, expr: str) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float, bool)):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant) \
            and isinstance(node.operand.value, (int, float)) and not isinstance(node.operand.value, bool):
        return -node.operand.value
    raise _fail(expr, f"got {type(node).__name__} where a number or string was expected")


def _operand(node: ast.AST, frame: pd.DataFrame, expr: str) -> Any:
    if isinstance(node, ast.Name):
        if node.id not in frame.columns:
            names = ", ".join(map(str, frame.columns))
            raise DataError(f"unknown name {node.id!r} in {expr!r}; names are {names}", field=_FIELD)
        return frame[node.id]
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_literal(e, expr) for e in node.elts]
    return _literal(node, expr)


def _compare(left: Any, op: ast.cmpop, right: Any, expr: str) -> pd.Series:
    if isinstance(op, (ast.In, ast.NotIn)):
        if not isinstance(left, pd.Series) or not isinstance(right, list):
            raise _fail(expr, f"'{_SYMBOL[type(op)]}' needs a name on the left and a list on the right")
        hit = left.isin(right)
        return hit if isinstance(op, ast.In) else ~hit
    fn = _COMPARE.get(type(op))
    if fn is None:
        raise _fail(expr, f"got the operator {type(op).__name__}")
    if isinstance(left, list) or isinstance(right, list):
        raise _fail(expr, f"a list can only follow 'in' or 'not in', not '{_SYMBOL[type(op)]}'")
    if not isinstance(left, pd.Series) and not isinstance(right, pd.Series):
        raise _fail(expr, "a comparison needs at least one name")
    try:
        result = fn(left, right)
    except TypeError:
        raise DataError(
            f"cannot compare with '{_SYMBOL[type(op)]}' in {expr!r}: "
            f"the values have incompatible types (a text column compared with a number?)", field=_FIELD
        ) from None
    return pd.Series(np.asarray(result, dtype=bool), index=(left if isinstance(left, pd.Series) else right).index)


def _evaluate(node: ast.AST, frame: pd.DataFrame, expr: str) -> pd.Series:
    if isinstance(node, ast.BoolOp):
        parts = [_evaluate(v, frame, expr) for v in node.values]
        out = parts[0]
        for p in parts[1:]:
            out = (out & p) if isinstance(node.op, ast.And) else (out | p)
        return out
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return ~_evaluate(node.operand, frame, expr)
    if isinstance(node, ast.Compare):
        left = _operand(node.left, frame, expr)
        out = None
        for op, comp in zip(node.ops, node.comparators):
            right = _operand(comp, frame, expr)
            part = _compare(left, op, right, expr)
            out = part if out is None else out & part
            left = right
        assert out is not None
        return out
    if isinstance(node, ast.Name):
        column = _operand(node, frame, expr)
        if pd.api.types.is_bool_dtype(column):
            return column.astype(bool)
    raise _fail(expr, f"got {type(node).__name__}")


_ALLOWED = (
    ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.Compare,
    ast.Name, ast.Load, ast.Constant, ast.List, ast.Tuple, *_COMPARE, ast.In, ast.NotIn,
)


def check_filter(expr: str) -> None:
    """Reject a filter that is not a simple comparison expression, before any data is read.

    Example:
        >>> check_filter("__import__('os')")
        Traceback (most recent call last):
        ...
        auditlens.errors.DataError: review.filter: expected a comparison expression such as 'predicted == "bad" and age < 25'; got Call in "__import__('os')"
    """
    _parse(expr)


def filter_rows(frame: pd.DataFrame, expr: str) -> pd.Series:
    """Boolean mask of the rows of ``frame`` where ``expr`` holds (see the module docstring).

    Raises:
        DataError: the expression is not valid Python, uses anything but the allowed
            constructs, names an unknown column, or compares incompatible types.
    """
    return _evaluate(_parse(expr).body, frame, expr).astype(bool)


def _parse(expr: str) -> ast.Expression:
    """Parse a filter and reject any construct outside the allowed set."""
    text = expr.strip()
    if not text:
        raise _fail(expr, "got an empty expression")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise _fail(expr, f"got a syntax error ({exc.msg})") from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise _fail(expr, f"got {type(node).__name__}")
    return tree


def order_by_strategy(probability: np.ndarray, strategy: str, *, seed: int = 0) -> np.ndarray:
    """Positions of rows in review order.

    ``highest_risk``: highest probability of the positive class first; ``most_uncertain``:
    closest to 0.5 first; ``random``: a permutation from ``numpy.random.default_rng(seed)``.
    Ties keep the input order.

    Example:
        >>> order_by_strategy(np.array([0.1, 0.8, 0.55]), "most_uncertain").tolist()
        [2, 1, 0]
    """
    p = np.asarray(probability, dtype=np.float64)
    if strategy == "highest_risk":
        return np.argsort(-p, kind="stable")
    if strategy == "most_uncertain":
        return np.argsort(np.abs(p - 0.5), kind="stable")
    if strategy == "random":
        return np.random.default_rng(seed).permutation(len(p))
    raise DataError(field="review.strategy", expected=f"one of {', '.join(STRATEGIES)}", got=repr(strategy))


def positions_of(index: pd.Index, rows: Sequence[int], *, source: str) -> np.ndarray:
    """Positions in ``index`` of the row ids ``rows`` (row numbers of the data file, from 0)."""
    where = index.get_indexer(list(rows))
    missing = [r for r, w in zip(rows, where) if w < 0]
    if missing:
        raise DataError(
            f"row ids must be row numbers of {source} (0 to {len(index) - 1}); "
            f"got {missing[:5]}", field="review.rows"
        )
    return where
