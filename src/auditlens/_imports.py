"""Optional packages: imported where they are used, failing with an install hint only when needed.

In the manner of Optuna's ``optuna/_imports.py``: a module imports its optional package inside
``with try_import() as _name:``; the import error is kept, not raised, and ``_name.check()``
raises it with a hint when the feature is actually used::

    with try_import(extra="sign") as _pyhanko:
        from pyhanko.sign import signers

    def sign(...):
        _pyhanko.check()  # ImportError: ... pip install 'auditlens[sign]'

Only for packages auditlens does not depend on (xgboost, lightgbm, pyHanko). Dependencies are
imported at the top of the module that uses them.
"""

from __future__ import annotations

from types import TracebackType


class try_import:
    """Keep an ImportError raised inside the ``with`` block; re-raise it with a hint on ``check()``.

    Args:
        extra: the auditlens extra that installs the package ("sign"), for the hint.

    Example:
        >>> with try_import() as _missing:
        ...     import not_a_package_auditlens_knows  # doctest: +SKIP
        >>> with try_import() as _json:
        ...     import json
        >>> _json.is_successful()
        True
    """

    def __init__(self, *, extra: str | None = None) -> None:
        self._extra = extra
        self._error: ImportError | None = None

    def __enter__(self) -> try_import:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        if isinstance(exc, ImportError):
            self._error = exc
            return True
        return False

    def is_successful(self) -> bool:
        """True when every import in the block succeeded."""
        return self._error is None

    def check(self) -> None:
        """Raise the kept ImportError, with how to install the package, if there was one."""
        if self._error is None:
            return
        name = self._error.name or "an optional package"
        hint = f"pip install 'auditlens[{self._extra}]'" if self._extra else f"pip install {name}"
        raise ImportError(f"{name} is needed for this and is not installed ({self._error}); {hint}") from self._error
