"""The stages of an audit, each one concept, composed by :func:`auditlens.pipeline.run_audit`.

    subject ─► context (held-out probabilities, explained rows, SHAP values: computed once)
       │            ├─► review ─► effects ─► groups
       │            └─► performance, data summary
       └─► importance (the tuning run alone)

Each stage takes the frozen :class:`~auditlens.stages.context.AuditContext` (or, for
importance, the trial table) and its own spec section, and returns its own summary.
"""
