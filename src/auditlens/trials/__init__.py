"""Sources of a tuning run, each read into a :class:`TrialTable` (one module per source).

* :func:`open_trials` (``sources``): the one entry point: a file or an Optuna study, checked;
* :func:`load_optuna_study` (``optuna_study``): any Optuna storage, single- or multi-objective;
* :func:`read_search_results` (``sklearn_search``): a saved scikit-learn ``cv_results_``;
* :func:`read_trial_file` (``table_file``): CSV, Parquet, JSON, JSON lines trial tables.

Names are imported on first use, so importing the package stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_WHERE = {
    "TrialTable": "table",
    "open_trials": "sources",
    "check_analysable": "sources",
    "load_optuna_study": "optuna_study",
    "read_search_results": "sklearn_search",
    "read_trial_file": "table_file",
}

__all__ = ["TrialTable", "check_analysable", "load_optuna_study", "open_trials", "read_search_results", "read_trial_file"]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f"auditlens.trials.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'auditlens.trials' has no attribute {name!r}")
