"""The evidence the check tests start from: the German credit sample's results (small run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditlens.results import AuditResult


@pytest.fixture(scope="session")
def base(small_run: Path) -> AuditResult:
    return AuditResult.load(small_run / "results.json")
