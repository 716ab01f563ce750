"""The report package imports at module top (optional packages through auditlens._imports)."""

from __future__ import annotations

import ast
from pathlib import Path

import auditlens

REPORT = Path(auditlens.__file__).parent / "report"


def _local_imports(path: Path) -> list[int]:
    """Line numbers of imports inside functions (type-only blocks and `with try_import` are module level)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines += [n.lineno for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)]
    return lines


def test_report_modules_import_at_module_top() -> None:
    # Only the package __init__ imports on use: it runs for `verify` and `sign` too, which must
    # not load matplotlib and WeasyPrint.
    found = {
        str(p.relative_to(REPORT)): lines
        for p in sorted(REPORT.rglob("*.py"))
        if p.name != "__init__.py" or p.parent != REPORT
        if (lines := _local_imports(p))
    }
    assert found == {}
