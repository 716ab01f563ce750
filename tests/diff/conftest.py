"""Real audits for the diff tests, run once per session: the small sample run (tests/conftest.py)
and a re-run with another split seed and a changed search space, plus the change reports."""

from __future__ import annotations

from pathlib import Path

import pytest
from sample_helpers import sample_spec_text, write_spec


def changed_spec_text() -> str:
    """The small sample spec with split seed 7, max_leaf_nodes narrowed and l2_regularization capped at 1."""
    text = sample_spec_text(trials="12", cv_folds="3", split_seed="7", model_version='"1.1.0"',
                            timestamp='"2026-11-30T12:00:00Z"')
    narrowed = text.replace("[tuning.space.max_leaf_nodes]\ntype = \"int\"\nlow = 2\nhigh = 64",
                            "[tuning.space.max_leaf_nodes]\ntype = \"int\"\nlow = 4\nhigh = 32")
    assert narrowed != text
    fewer = narrowed.replace("low = 1e-6\nhigh = 10.0", "low = 1e-6\nhigh = 1.0")
    assert fewer != narrowed
    return fewer


@pytest.fixture(scope="session")
def changed_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from auditlens.cli import main

    folder = tmp_path_factory.mktemp("changed")
    spec = write_spec(folder, changed_spec_text())
    out = folder / "out"
    assert main(["run", str(spec), "--out", str(out), "--quiet"]) == 0
    return out


@pytest.fixture(scope="session")
def self_diff(small_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small sample's report against itself (PDF against PDF)."""
    from auditlens.cli import main

    out = tmp_path_factory.mktemp("self-diff") / "diff"
    pdf = str(small_run / "report.pdf")
    assert main(["diff", pdf, pdf, "--out", str(out), "--quiet"]) == 0
    return out


@pytest.fixture(scope="session")
def pair_diff(small_run: Path, changed_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small sample's report against the changed run's."""
    from auditlens.cli import main

    out = tmp_path_factory.mktemp("pair-diff") / "diff"
    assert main(["diff", str(small_run / "report.pdf"), str(changed_run / "report.pdf"), "--out", str(out), "--quiet"]) == 0
    return out
