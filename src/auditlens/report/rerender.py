"""What ``auditlens render`` records: the report was made from results.json alone, and
whether those results are the ones the run's manifest describes.

A hand-edited results.json renders into a fresh report that verifies (its id, evidence and
pages agree with each other), so the PDF alone cannot tell it from the run's. The
manifest beside the run's results can: it records the sha256 of the results the run wrote.

* Rendering into the run's own folder is refused when the results differ from that
  manifest (the folder would hold a report its manifest does not describe).
* Rendering elsewhere writes a ``manifest.json`` of scope ``render`` that says so
  (``made_from``, ``run_manifest``: matches / differs / not found / unreadable).
* Rendering the run's own results in place again keeps the run's manifest, updating the
  output digests (and saying so) only if the new files differ (e.g. other templates).

The PDF itself is unchanged by any of this: a render of the run's results gives the run's
bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from auditlens._files import sha256_bytes, sha256_file

__all__ = ["MADE_FROM", "mark_rerendered", "render_manifest", "run_manifest_beside"]

MADE_FROM = "results.json alone (auditlens render): no model, data or tuning run was read"


def run_manifest_beside(results_file: Path) -> tuple[str, dict[str, Any] | None]:
    """The run's ``manifest.json`` beside ``results_file`` and whether it describes it.

    Returns ``(status, manifest)``; status is ``matches``, ``differs``, ``not found`` or
    ``unreadable`` (manifest is None for the last two).
    """
    beside = Path(results_file).parent / "manifest.json"
    if not beside.is_file():
        return "not found", None
    try:
        manifest = json.loads(beside.read_bytes())
    except (ValueError, RecursionError):
        return "unreadable", None
    if not isinstance(manifest, dict) or manifest.get("scope") not in ("full", "render"):
        return "unreadable", None
    same = manifest.get("results_sha256") == sha256_file(results_file)
    return ("matches" if same else "differs"), manifest


def render_manifest(
    embedded: Mapping[str, Any],
    *,
    outputs: Mapping[str, bytes],
    embedded_sha256: str | None,
    run_manifest: str,
) -> dict[str, Any]:
    """The manifest a render writes beside its report (scope ``render``)."""
    manifest = dict(embedded)
    manifest.update(
        scope="render",
        made_from=MADE_FROM,
        run_manifest=run_manifest,
        outputs={name: sha256_bytes(data) for name, data in sorted(outputs.items())},
        embedded_manifest_sha256=embedded_sha256,
    )
    return manifest


def mark_rerendered(
    manifest: Mapping[str, Any], *, outputs: Mapping[str, bytes], embedded_sha256: str | None
) -> dict[str, Any] | None:
    """The run's manifest with the re-rendered outputs' digests, or None if none changed."""
    recorded = dict(manifest.get("outputs") or {})
    fresh = {name: sha256_bytes(data) for name, data in outputs.items()}
    if all(recorded.get(name) == digest for name, digest in fresh.items()):
        return None
    updated = dict(manifest)
    updated["outputs"] = dict(sorted({**recorded, **fresh}.items()))
    if "report.pdf" in fresh:
        updated["embedded_manifest_sha256"] = embedded_sha256
    updated["re_rendered"] = {"made_from": MADE_FROM, "files": sorted(fresh)}
    return updated
