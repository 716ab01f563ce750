"""Render one page of a report PDF to the small PNG shown in the README.

    python scripts/readme_page.py out/german-credit/report.pdf            # docs/report-page.png
    python scripts/readme_page.py REPORT.pdf --section "Feature effects" --out page.png
    python scripts/readme_page.py out/diff/diff.pdf --page 1 --out docs/diff-page.png   # change report

Finds the first page that starts with the given section heading (default: the feature
effects page, which shows the SHAP chart), renders it with pypdfium2 (PyPI; no
system packages) and writes a palette PNG, small enough to keep in the repository (< 200 KB).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "docs" / "report-page.png"


def find_page(pdf_path: Path, section: str) -> int:
    """Index of the first page whose text begins (after the running header) with ``section``."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        for index in range(len(pdf)):
            text = pdf[index].get_textpage().get_text_range()
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            if section in lines[:3]:
                return index
    finally:
        pdf.close()
    raise SystemExit(f"readme_page: no page of {pdf_path} starts with the heading {section!r}")


def render_page(pdf_path: Path, index: int, out: Path, *, width: int = 760, colours: int = 64) -> Path:
    """Render page ``index`` at ``width`` pixels wide into a palette PNG at ``out``."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        page = pdf[index]
        scale = width / page.get_width()
        image = page.render(scale=scale).to_pil().convert("RGB")
    finally:
        pdf.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    image.quantize(colors=colours, dither=0).save(out, optimize=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdf", type=Path, nargs="?", default=ROOT / "out" / "german-credit" / "report.pdf")
    parser.add_argument("--section", default="Feature effects")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--page", type=int, default=None, help="page number (1-based) instead of --section")
    parser.add_argument("--width", type=int, default=760)
    args = parser.parse_args(argv)
    index = args.page - 1 if args.page is not None else find_page(args.pdf, args.section)
    out = render_page(args.pdf, index, args.out, width=args.width)
    print(f"readme_page: page {index + 1} of {args.pdf} -> {out} ({out.stat().st_size:,} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
