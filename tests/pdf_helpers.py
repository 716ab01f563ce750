"""Editing a report PDF's embedded files, as someone tampering with the evidence would."""

from __future__ import annotations

from pathlib import Path

import pikepdf


def replace_attachment(src: Path, dst: Path, files: dict[str, bytes]) -> None:
    """Rewrite embedded files with pikepdf, as someone editing the evidence would."""
    with pikepdf.open(src) as pdf:
        for name, data in files.items():
            old = pdf.attachments[name]
            pdf.attachments[name] = pikepdf.AttachedFileSpec(
                pdf, data, description=old.description, filename=name, mime_type=old.get_file().mime_type
            )
        pdf.save(dst)
