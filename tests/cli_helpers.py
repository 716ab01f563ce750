"""How the command line shows a library error: its field spelled for the command's user.

Trial sources name their inputs neutrally ("objective", "trials"); ``auditlens importance``
shows them as its flags (``--objective``, ``TRIALS``). Tests of a source call it directly and
check the line a user of that command reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from auditlens.cli import FIELD_NAMES
from auditlens.errors import AuditError


def shown(exc: BaseException, command: str = "importance") -> str:
    """The message ``auditlens COMMAND`` prints for ``exc`` (after ``auditlens: error: ``)."""
    assert isinstance(exc, AuditError)
    return str(exc.spelled(FIELD_NAMES[command]))


@contextmanager
def raises_shown(cls: type[AuditError], match: str, command: str = "importance") -> Iterator[None]:
    """Like ``pytest.raises(cls, match=...)``, matched against the line the command shows."""
    with pytest.raises(cls) as err:
        yield
    message = shown(err.value, command)
    assert re.search(match, message), f"{match!r} does not match {message!r}"
