from __future__ import annotations

from datetime import UTC, datetime

import pytest

from auditlens.errors import SpecError
from auditlens.provenance import report_id, resolve_timestamp


def test_timestamp_sources() -> None:
    fixed = datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=UTC)
    assert resolve_timestamp(fixed, environ={}) == (fixed.replace(microsecond=0), "spec")
    moment, source = resolve_timestamp(None, environ={"SOURCE_DATE_EPOCH": "86400"})
    assert (moment, source) == (datetime(1970, 1, 2, tzinfo=UTC), "SOURCE_DATE_EPOCH")
    assert resolve_timestamp(None, environ={})[1] == "clock"
    with pytest.raises(SpecError, match=r"^SOURCE_DATE_EPOCH: expected whole seconds since 1970; got 'soon'$"):
        resolve_timestamp(None, environ={"SOURCE_DATE_EPOCH": "soon"})


def test_report_id_follows_the_bytes() -> None:
    assert report_id(b"{}") == report_id(b"{}")
    assert report_id(b"{}") != report_id(b"{ }")
    assert report_id(b"{}").startswith("AL-") and len(report_id(b"{}")) == 15
