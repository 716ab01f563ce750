"""The Data section's column table: short words are never broken across lines (HTML and PDF)."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader

from auditlens.results import AuditResult


def _data_page_lines(pdf: Path) -> list[str]:
    for page in PdfReader(pdf).pages:
        text = page.extract_text()
        if "\nColumns\nColumn Type " in text:
            return text[text.index("\nColumns\n") + 1:].splitlines()
    raise AssertionError("no page with the Data section's column table")


def test_column_table_headers_and_types_are_whole_words(small_run: Path) -> None:
    result = AuditResult.load(small_run / "results.json")
    lines = _data_page_lines(small_run / "report.pdf")
    # Before the fix the header read "Column Type Disti", "nct", "Missi", "ng", "Summary".
    assert lines[1] == "Column Type Distinct Missing Summary"
    for kind in ("categorical", "numeric"):
        fragments = [line for line in lines if kind[:5] in line and kind not in line]
        assert fragments == [], f"{kind!r} broken across lines: {fragments}"
    shown = [c for c in result.data.column_summaries if any(line.startswith(c.name) for line in lines)]
    assert shown, "no whole column name at the start of a line"
    for column in shown:
        line = next(line for line in lines if line.startswith(column.name))
        assert f"{column.kind} {column.distinct} {column.missing}" in line
    html = (small_run / "report.html").read_text(encoding="utf-8")
    assert '<th class="whole" scope="col">Type</th><th class="num whole" scope="col">Distinct</th>' in html
