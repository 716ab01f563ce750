"""``auditlens diff OLD NEW``: what changed between two audits, as a verifiable change report.

- :mod:`~auditlens.diff.compare`: two AuditResults → one :class:`~auditlens.diff.result.DiffResult`
  (numbers only; :mod:`~auditlens.diff.effects`, :mod:`~auditlens.diff.performance` and
  :mod:`auditlens.drift` compute the sections' statistics);
- :mod:`~auditlens.diff.view`, :mod:`~auditlens.diff.summary`, :mod:`~auditlens.diff.charts`:
  the view model the template ``diff.html.j2`` reads;
- :mod:`~auditlens.diff.render`: diff.json, HTML and PDF/A-3b through the audit report's
  machinery; :mod:`~auditlens.diff.verify`: the change report's evidence chain for ``verify``;
- :mod:`~auditlens.diff.inputs`: OLD and NEW as verified report PDFs or results.json files.

Like ``report/``, nothing here imports shap, Optuna or the model.
"""

from __future__ import annotations

from auditlens.diff.compare import DiffError, compare
from auditlens.diff.result import DiffResult

__all__ = ["DiffError", "DiffResult", "compare"]
