"""Small helpers every section of the diff uses: one fact in both audits, and its status."""

from __future__ import annotations

from collections.abc import Iterable

from auditlens.diff.result import Change, Status


def change(field: str, old: object, new: object) -> Change:
    """A fact as both audits recorded it (``""`` = not recorded by that audit)."""
    a, b = shown(old), shown(new)
    return Change(field=field, old=a, new=b, status=status(a or None, b or None))


def status(old: object, new: object) -> Status:
    """``None`` on a side means the item is not in that audit."""
    if old is None:
        return "same" if new is None else "added"
    if new is None:
        return "removed"
    return "same" if old == new else "changed"


def shown(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)  # exact: two different numbers never look the same
    return str(value)


def union(a: Iterable[str], b: Iterable[str]) -> list[str]:
    """Items of ``a`` in order, then those only in ``b``."""
    return list(dict.fromkeys([*a, *b]))
