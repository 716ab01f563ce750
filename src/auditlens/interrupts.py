"""A stop signal (Ctrl-C, SIGTERM), remembered as well as raised.

A signal handler's exception is raised wherever the program is, and that may be inside a
finaliser (``__del__``, a garbage-collection callback), where Python prints "Exception ignored"
and goes on: a run could then ignore SIGTERM for as long as its tuning lasts. So the CLI's
handlers also remember the signal here, and long loops (the tuning's per-trial callback) raise
it again at their next step. A library's cleanup may also turn the signal into another error
(Optuna's ``_run_trial`` raises UnboundLocalError when it lands in ``_tell_with_warning``); the
CLI's boundary then reports the remembered signal, which is what stopped the run.
"""

from __future__ import annotations

_pending: list[BaseException] = []


def remember(exc: BaseException) -> BaseException:
    """Record ``exc`` as the run's stop signal and return it (to raise)."""
    _pending[:] = [exc]
    return exc


def raise_pending() -> None:
    """Raise the remembered stop signal, if any (once a loop reaches a safe point)."""
    if _pending:
        raise _pending[0]


def pending() -> BaseException | None:
    """The remembered stop signal, if one came (whatever exception the run ended with)."""
    return _pending[0] if _pending else None


def is_remembered(exc: BaseException | None) -> bool:
    """Whether ``exc`` is the remembered stop signal (one a finaliser swallowed)."""
    return bool(_pending) and exc is _pending[0]


def clear() -> None:
    _pending.clear()
