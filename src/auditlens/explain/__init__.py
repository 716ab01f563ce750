"""SHAP feature effects: which input columns move a fitted classifier's output, and how.

The only part of auditlens that knows shap objects; it returns plain numbers
(:class:`FeatureEffects`). shap is imported when a function runs, not here.

Example:
    >>> from auditlens.explain import explain_model, strongest_interaction
"""

from __future__ import annotations

from auditlens.explain._effects import FeatureEffects, bootstrap_mean_abs
from auditlens.explain._file_rows import FileRows
from auditlens.explain._interactions import strongest_interaction
from auditlens.explain._shap import DEFAULT_TOLERANCE, explain_model, tree_interactions

__all__ = [
    "DEFAULT_TOLERANCE",
    "FeatureEffects",
    "FileRows",
    "bootstrap_mean_abs",
    "explain_model",
    "strongest_interaction",
    "tree_interactions",
]
