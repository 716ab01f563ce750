"""Product-form functions with analytic indices, through the CLI without a space file.

Targets (issue 13): at N = 2,000 every pair within 0.02 and every main effect within 0.03 of
the analytic values; every parameter read on the linear scale it was drawn on.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from product_form import INSTANCES, errors, run_cli

# Minutes of work: run by `python -m pytest -m long` (and by .ci/run), not by a bare `python -m pytest`.
pytestmark = pytest.mark.long

# g12 and g20 missed the main-effect target (0.039 and 0.046) until the out-of-fold residual
# correction of main effects and pairs (auditlens.fanova._correction): boosting stopped by
# cross-validation kept 92% of the strongest main effect's variance but 50-72% of weaker ones'.
# Measured with it (through the CLI): g12 0.013 (pairs 0.007), g20 0.017 (0.004).


@pytest.mark.parametrize("name", list(INSTANCES))
def test_product_form_at_2000_trials(name: str, tmp_path: Path) -> None:
    report = run_cli(name, 2000, tmp_path)
    assert all(not p["log"] for p in report["space"]), report["space"]  # drawn uniformly
    main_err, pair_err = errors(name, report)
    assert pair_err <= 0.02
    assert main_err <= 0.03


@pytest.mark.parametrize("name", ["g8", "g20"])
def test_uniform_parameters_are_read_as_linear_at_500_trials(name: str, tmp_path: Path) -> None:
    # The old "spans two decades -> log" rule read every one of these as log-scaled.
    report = run_cli(name, 500, tmp_path)
    assert [p["param"] for p in report["space"] if p["log"]] == []
