"""Provenance: versions, seeds, input hashes, the report timestamp, and the manifest.

The report timestamp is an input. It comes from the spec, else ``SOURCE_DATE_EPOCH``, else
the clock — read here, once, by the caller's choice, and recorded with its source so a
reader knows whether the run can be reproduced byte for byte.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from auditlens._files import sha256_bytes, sha256_file
from auditlens.errors import SpecError

PACKAGES = (
    "auditlens", "numpy", "pandas", "scipy", "scikit-learn", "shap", "optuna",
    "jinja2", "weasyprint", "matplotlib", "pydantic",
)


def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    """Installed versions of the packages that shape the numbers and the report."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def python_version() -> str:
    return platform.python_version()


def platform_name() -> str:
    return f"{platform.system()} {platform.machine()}"


def resolve_timestamp(
    fixed: datetime | None, *, environ: Mapping[str, str] | None = None
) -> tuple[datetime, str]:
    """Return the report timestamp (UTC, whole seconds) and where it came from."""
    environ = os.environ if environ is None else environ
    if fixed is not None:
        return fixed.astimezone(UTC).replace(microsecond=0), "spec"
    epoch = environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), tz=UTC), "SOURCE_DATE_EPOCH"
        except ValueError:
            raise SpecError(field="SOURCE_DATE_EPOCH", expected="whole seconds since 1970", got=repr(epoch)) from None
    return datetime.now(UTC).replace(microsecond=0), "clock"


def format_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def report_id(results_json: bytes) -> str:
    """A short, stable id derived from the results' digest: same results, same id."""
    return "AL-" + sha256_bytes(results_json)[:12].upper()


def templates_digest(template_dir: Path, *, prefix: str = "") -> dict[str, str]:
    """sha256 of every file under ``template_dir``, keyed ``prefix + relative path``."""
    return {
        prefix + p.relative_to(template_dir).as_posix(): sha256_file(p)
        for p in sorted(template_dir.rglob("*"))
        if p.is_file()
    }


def build_manifest(
    embedded: Mapping[str, object],
    *,
    inputs: Mapping[str, Path],
    outputs: Mapping[str, bytes],
    embedded_sha256: str | None,
    timings: Mapping[str, float] | None = None,
) -> dict[str, object]:
    """The full manifest written beside the report as ``manifest.json``.

    It is the manifest embedded in the PDF (``embedded``, see :mod:`auditlens.report.evidence`)
    plus what the PDF cannot carry: hashes of input files known only to the run (the Optuna
    study), of every output file including ``report.pdf``, the digest of the embedded
    manifest, and wall time per stage.
    """
    full = dict(embedded)
    recorded = dict(embedded.get("inputs", {}))  # type: ignore[call-overload]
    for role, path in inputs.items():
        recorded[role] = {"name": path.name, "sha256": sha256_file(path)}
    full.update(
        scope="full",
        inputs=dict(sorted(recorded.items())),
        outputs={name: sha256_bytes(data) for name, data in sorted(outputs.items())},
        embedded_manifest_sha256=embedded_sha256,
        executable=sys.implementation.name,
        timings_seconds={k: round(v, 3) for k, v in (timings or {}).items()},
    )
    return full


def manifest_json(manifest: Mapping[str, object]) -> str:
    return json.dumps(manifest, indent=1, sort_keys=True) + "\n"
