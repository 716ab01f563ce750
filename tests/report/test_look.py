"""Look at the sample PDF: every page rendered to pixels (pypdfium2) carries content."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from sample_helpers import ROOT

pdfium = pytest.importorskip("pypdfium2", reason="pypdfium2 (test extra) renders PDF pages to images")

A4_HEIGHT_CM = 29.7
MARGIN_CM = 2.0


def page_pixels(pdf_path: Path, scale: float = 0.5) -> list[np.ndarray]:
    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        return [np.asarray(pdf[i].render(scale=scale).to_pil().convert("RGB")).astype(int) for i in range(len(pdf))]
    finally:
        pdf.close()


def test_every_page_has_content_and_charts_have_colour(small_run: Path) -> None:
    pages = page_pixels(small_run / "report.pdf")
    assert len(pages) >= 20
    coloured = 0
    for number, rgb in enumerate(pages, start=1):
        height = rgb.shape[0]
        margin = int(height * MARGIN_CM / A4_HEIGHT_CM)
        body = rgb[margin:height - margin]  # leave out the running header and the page footer
        ink = (body.min(axis=2) < 200).mean()
        assert ink > 0.001, f"page {number} is blank between header and footer (ink {ink:.4f})"
        header = rgb[:margin]
        assert (header.min(axis=2) < 200).mean() > 0.0005, f"page {number} has no running header"
        colour = ((body.max(axis=2) - body.min(axis=2)) > 60).mean()
        coloured += colour > 0.005
    assert coloured >= 5  # bar charts, beeswarm, dependence plots, ROC and calibration


def test_readme_page_script(small_run: Path, tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("readme_page", ROOT / "scripts" / "readme_page.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "page.png"
    assert module.main([str(small_run / "report.pdf"), "--out", str(out)]) == 0
    assert 5_000 < out.stat().st_size < 200_000
    from PIL import Image

    with Image.open(out) as image:
        assert image.width == 760
        rgb = np.asarray(image.convert("RGB")).astype(int)
    assert (rgb.min(axis=2) < 200).mean() > 0.02
    committed = ROOT / "docs" / "report-page.png"
    assert committed.is_file() and committed.stat().st_size < 200_000
