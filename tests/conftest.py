"""Shared fixtures: the German credit sample, run once per session with a small budget."""

from __future__ import annotations

from pathlib import Path

import pytest
from sample_helpers import sample_spec_text, write_spec

from auditlens.results import AuditResult


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`auditlens run` on the German credit sample with 12 trials and 3 folds."""
    from auditlens.cli import main

    folder = tmp_path_factory.mktemp("e2e")
    spec = write_spec(folder, sample_spec_text(trials="12", cv_folds="3"))
    out = folder / "out"
    assert main(["run", str(spec), "--out", str(out), "--quiet"]) == 0
    return out


@pytest.fixture(scope="session")
def base(small_run: Path) -> AuditResult:
    """The small run's results: the evidence the check tests change one part of (tests/checks)."""
    return AuditResult.load(small_run / "results.json")
